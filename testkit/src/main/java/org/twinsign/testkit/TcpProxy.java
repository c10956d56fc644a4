package org.twinsign.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback that a fault test controls: it forwards to one target until told to
 * {@link #blackhole()} (connections stay open but nothing passes either way, as when a network
 * drops packets) or {@link #cut()} (every connection is closed and new ones are refused), and
 * {@link #restore()} lets traffic pass again. Only loopback addresses are used.
 */
public final class TcpProxy implements AutoCloseable {
  private enum Mode { PASS, BLACKHOLE, CUT }

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile Mode mode = Mode.PASS;
  private volatile boolean closed;

  private TcpProxy(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
    this.acceptor = new Thread(this::accept, "tcp-proxy-" + server.getLocalPort());
    this.acceptor.setDaemon(true);
  }

  /** A proxy on a free loopback port to {@code 127.0.0.1:targetPort}. */
  public static TcpProxy start(int targetPort) {
    try {
      ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      TcpProxy proxy = new TcpProxy(server, new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
      proxy.acceptor.start();
      return proxy;
    } catch (IOException e) {
      throw new HostSetupException("cannot open a loopback port for a TCP proxy: " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Nothing passes; connections stay open, so both ends only notice by their own timeouts. */
  public void blackhole() {
    mode = Mode.BLACKHOLE;
  }

  /** Every connection is closed now and new ones are closed at once. */
  public void cut() {
    mode = Mode.CUT;
    closeAll();
  }

  /** Traffic passes again (connections closed by {@link #cut()} stay closed; clients reconnect). */
  public void restore() {
    mode = Mode.PASS;
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        if (mode == Mode.CUT) {
          client.close();
          continue;
        }
        Socket upstream = new Socket();
        try {
          upstream.connect(target, 2000);
        } catch (IOException e) {
          client.close();
          upstream.close();
          continue;
        }
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          while (mode == Mode.BLACKHOLE && !closed) {
            Thread.sleep(20); // held, as a dropped packet would be, until the link comes back or is cut
          }
          if (mode == Mode.CUT || closed) {
            break;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
        while (mode == Mode.BLACKHOLE && !closed) {
          Thread.sleep(20); // a close does not cross a black hole either
        }
      } catch (IOException | InterruptedException e) {
        // one side is gone
      } finally {
        quietClose(from);
        quietClose(to);
        sockets.remove(from);
        sockets.remove(to);
      }
    }, "tcp-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void closeAll() {
    for (Socket s : sockets) {
      quietClose(s);
    }
    sockets.clear();
  }

  private static void quietClose(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    closeAll();
  }

  @Override
  public String toString() {
    return "TCP proxy 127.0.0.1:" + port() + " -> " + target.getPort() + " (" + mode + ")";
  }
}
