package org.twinsign.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Loopback ports for the components. A port handed out once is not handed out again by this JVM,
 * so two fixtures started back to back never race for the same number.
 */
public final class Ports {
  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  private Ports() {}

  public static InetAddress loopback() {
    return InetAddress.getLoopbackAddress();
  }

  /** A port on 127.0.0.1 that nothing listens on right now. */
  public static synchronized int freeLoopbackPort() {
    for (int attempt = 0; attempt < 100; attempt++) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress(loopback(), 0));
        int port = socket.getLocalPort();
        if (HANDED_OUT.add(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new HostSetupException("cannot bind any port on 127.0.0.1: " + e.getMessage(), e);
      }
    }
    throw new HostSetupException("no free port on 127.0.0.1 after 100 tries");
  }

  /**
   * Throws if something listens on {@code port} of 127.0.0.1.
   *
   * @param forWhat the component that wants the port, for the message
   */
  public static void requireFree(int port, String forWhat) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(loopback(), port));
    } catch (IOException e) {
      throw new HostSetupException(inUseMessage(port, forWhat), e);
    }
  }

  static String inUseMessage(int port, String forWhat) {
    return "port 127.0.0.1:" + port + " wanted by " + forWhat + " is already in use by another process: "
        + "stop that process (ss -ltnp 'sport = :" + port + "' shows it) or choose another port";
  }
}
