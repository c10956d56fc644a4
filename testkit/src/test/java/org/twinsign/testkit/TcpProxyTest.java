package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

class TcpProxyTest {
  /** An echo server on loopback. */
  private static ServerSocket echo() throws IOException {
    ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread e = new Thread(() -> {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
              in.transferTo(out);
            } catch (IOException ignored) {
              // client gone
            }
          });
          e.setDaemon(true);
          e.start();
        } catch (IOException e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    return server;
  }

  private static int roundTrip(Socket s, int value) throws IOException {
    s.getOutputStream().write(value);
    s.getOutputStream().flush();
    return s.getInputStream().read();
  }

  @Test
  void passesHoldsAndCutsTraffic() throws Exception {
    try (ServerSocket server = echo(); TcpProxy proxy = TcpProxy.start(server.getLocalPort());
        Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
      client.setSoTimeout(500);
      assertEquals(7, roundTrip(client, 7));
      proxy.blackhole();
      assertThrows(SocketTimeoutException.class, () -> roundTrip(client, 8), "nothing passes a black hole");
      proxy.restore();
      assertEquals(8, client.getInputStream().read(), "held traffic arrives once the link is back");
      proxy.cut();
      assertEquals(-1, client.getInputStream().read(), "a cut link closes the connection");
      proxy.restore();
      try (Socket again = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
        again.setSoTimeout(2000);
        assertEquals(9, roundTrip(again, 9));
      }
    }
  }
}
