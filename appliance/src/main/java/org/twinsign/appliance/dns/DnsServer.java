package org.twinsign.appliance.dns;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.WireParseException;

/**
 * A small DNS server on one address, UDP and TCP (RFC 7766), that hands each well-formed
 * message to a {@link Handler}. Bounded: at most {@link Limits#tcpConnections()} TCP connections
 * at a time (more are closed at once), each closed after {@link Limits#idle()} without progress
 * (a client that stops reading a transfer included), TCP messages up to 65,535 bytes (the
 * protocol's limit), UDP answers within the client's EDNS size (512 without). A message that
 * does not parse gets FORMERR if its header does, and nothing otherwise. Lifecycle:
 * {@link #start} → {@link #close}.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);

  /** Answers a message. For TCP it may send several (a zone transfer); for UDP one. */
  public interface Handler {
    void handle(Request request, Replies replies) throws IOException;
  }

  /** A parsed message, its bytes as received (TSIG verifies them), where it came from and how. */
  public record Request(Message message, byte[] wire, InetSocketAddress client, boolean tcp) {}

  /** Where a handler's answers go. */
  public interface Replies {
    void send(Message message) throws IOException;
  }

  /**
   * The server's bounds: TCP connections in all and from one address (so that one client cannot
   * take every slot), and how long a connection may make no progress.
   */
  public record Limits(int tcpConnections, int perClient, Duration idle) {
    public static final Limits DEFAULT = new Limits(32, 8, Duration.ofSeconds(10));
  }

  private final Handler handler;
  private final Limits limits;
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final ExecutorService connections;
  private final ScheduledExecutorService reaper;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger active = new AtomicInteger();
  // counted by compute so that a count never leaves the map while it is being raised
  private final java.util.Map<java.net.InetAddress, Integer> perClient = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private Thread udpThread;
  private Thread acceptThread;

  private DnsServer(Handler handler, Limits limits, DatagramSocket udp, ServerSocket tcp) {
    this.handler = handler;
    this.limits = limits;
    this.udp = udp;
    this.tcp = tcp;
    this.connections = Executors.newFixedThreadPool(limits.tcpConnections(), r -> daemon(r, "dns-tcp"));
    this.reaper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "dns-reaper"));
  }

  /** Binds UDP and TCP on {@code address} (port 0: a free port, the same for both) and starts serving. */
  public static DnsServer start(InetSocketAddress address, Handler handler, Limits limits) throws IOException {
    DatagramSocket udp = null;
    ServerSocket tcp = null;
    for (int attempt = 0; ; attempt++) {
      try {
        tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(address, 64);
        udp = new DatagramSocket(new InetSocketAddress(address.getAddress(), tcp.getLocalPort()));
        break;
      } catch (SocketException e) {
        if (tcp != null) {
          tcp.close();
        }
        if (address.getPort() != 0 || attempt > 10) {
          throw new IOException("cannot serve DNS on " + address + ": " + e.getMessage(), e);
        }
      }
    }
    DnsServer server = new DnsServer(handler, limits, udp, tcp);
    server.udpThread = daemon(server::serveUdp, "dns-udp");
    server.acceptThread = daemon(server::acceptTcp, "dns-accept");
    server.udpThread.start();
    server.acceptThread.start();
    long period = Math.max(100, limits.idle().toMillis() / 4);
    server.reaper.scheduleWithFixedDelay(server::reap, period, period, TimeUnit.MILLISECONDS);
    return server;
  }

  public int port() {
    return tcp.getLocalPort();
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(tcp.getInetAddress(), tcp.getLocalPort());
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private void serveUdp() {
    byte[] buffer = new byte[65535];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        udp.receive(packet);
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("DNS server on {}: UDP receive failed: {}", address(), e.toString());
          pause();
        }
        continue;
      }
      byte[] wire = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
      InetSocketAddress client = (InetSocketAddress) packet.getSocketAddress();
      Message query = parse(wire, client, false);
      if (query == null) {
        continue;
      }
      int max = query.getOPT() == null ? 512 : Math.max(512, query.getOPT().getPayloadSize());
      try {
        boolean[] sent = {false};
        handler.handle(new Request(query, wire, client, false), message -> {
          if (sent[0]) {
            throw new IOException("one answer per UDP query");
          }
          sent[0] = true;
          byte[] out = message.toWire(max);
          udp.send(new DatagramPacket(out, out.length, client));
        });
      } catch (IOException | RuntimeException e) {
        LOG.warn("DNS server on {}: answering {} over UDP failed: {}", address(), client, e.toString());
      }
    }
  }

  /** The message, or null; a message whose header parses gets FORMERR (over UDP now, over TCP by the caller). */
  private Message parse(byte[] wire, InetSocketAddress client, boolean tcp) {
    try {
      return new Message(wire);
    } catch (IOException e) {
      LOG.info("DNS server on {}: malformed message from {} over {} ({}): {}", address(), client,
          tcp ? "TCP" : "UDP", wire.length + " bytes", e.getMessage());
      if (!tcp && wire.length >= Header.LENGTH) {
        try {
          byte[] out = formerr(wire).toWire(512);
          udp.send(new DatagramPacket(out, out.length, client));
        } catch (IOException ignored) {
          // nothing more to say to it
        }
      }
      return null;
    }
  }

  private static Message formerr(byte[] wire) throws IOException {
    Header header = new Header(java.util.Arrays.copyOf(wire, Header.LENGTH));
    Message reply = new Message(header.getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setOpcode(header.getOpcode());
    reply.getHeader().setRcode(Rcode.FORMERR);
    return reply;
  }

  private void acceptTcp() {
    while (!closed) {
      Socket socket;
      try {
        socket = tcp.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("DNS server on {}: TCP accept failed: {}", address(), e.toString());
          pause(); // out of file descriptors, say: no busy loop while it lasts
        }
        continue;
      }
      java.net.InetAddress from = socket.getInetAddress();
      boolean[] refused = {false};
      perClient.compute(from, (a, n) -> {
        int count = n == null ? 0 : n;
        refused[0] = count >= limits.perClient();
        return refused[0] ? n : Integer.valueOf(count + 1);
      });
      if (refused[0]) {
        LOG.info("DNS server on {}: {} has {} TCP connections open already: closing another", address(),
            from.getHostAddress(), limits.perClient());
        closeQuietly(socket);
        continue;
      }
      if (active.incrementAndGet() > limits.tcpConnections()) {
        active.decrementAndGet();
        release(from);
        LOG.info("DNS server on {}: {} TCP connections open already: closing the one from {}", address(),
            limits.tcpConnections(), socket.getRemoteSocketAddress());
        closeQuietly(socket);
        continue;
      }
      Connection connection = new Connection(socket);
      open.add(connection);
      try {
        connections.execute(connection);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        connection.close();
      }
    }
  }

  /** Closes connections that made no progress for the idle time (a client that stopped reading included). */
  private void reap() {
    long now = System.nanoTime();
    for (Connection c : open) {
      if (now - c.progress > limits.idle().toNanos()) {
        LOG.info("DNS server on {}: closing the idle TCP connection from {}", address(), c.client);
        c.close();
      }
    }
  }

  private final class Connection implements Runnable {
    private final Socket socket;
    private final InetSocketAddress client;
    private volatile long progress = System.nanoTime();

    Connection(Socket socket) {
      this.socket = socket;
      this.client = (InetSocketAddress) socket.getRemoteSocketAddress();
    }

    @Override
    public void run() {
      try {
        socket.setSoTimeout((int) limits.idle().toMillis());
        socket.setTcpNoDelay(true);
        DataInputStream in = new DataInputStream(socket.getInputStream());
        OutputStream out = socket.getOutputStream();
        while (!closed) {
          int length;
          try {
            length = in.readUnsignedShort();
          } catch (EOFException | SocketTimeoutException e) {
            return; // the client is done, or idle
          }
          byte[] wire = new byte[length];
          in.readFully(wire);
          progress = System.nanoTime();
          Message query = parse(wire, client, true);
          if (query == null) {
            if (length >= Header.LENGTH) {
              write(out, formerr(wire).toWire());
            }
            return; // the stream cannot be trusted after a malformed message
          }
          handler.handle(new Request(query, wire, client, true), message -> write(out, message.toWire()));
        }
      } catch (WireParseException e) {
        LOG.info("DNS server on {}: malformed TCP stream from {}: {}", address(), client, e.getMessage());
      } catch (IOException e) {
        if (!closed && !socket.isClosed()) {
          LOG.info("DNS server on {}: TCP connection from {} ended: {}", address(), client, e.toString());
        }
      } catch (RuntimeException e) {
        LOG.warn("DNS server on {}: answering {} over TCP failed: {}", address(), client, e.toString());
      } finally {
        close();
      }
    }

    private void write(OutputStream out, byte[] message) throws IOException {
      if (message.length > 65535) {
        throw new IOException("an answer of " + message.length + " bytes does not fit a TCP DNS message");
      }
      byte[] framed = new byte[message.length + 2];
      framed[0] = (byte) (message.length >>> 8);
      framed[1] = (byte) message.length;
      System.arraycopy(message, 0, framed, 2, message.length);
      out.write(framed);
      out.flush();
      progress = System.nanoTime();
    }

    void close() {
      if (open.remove(this)) {
        active.decrementAndGet();
        release(socket.getInetAddress());
      }
      closeQuietly(socket);
    }
  }

  private void release(java.net.InetAddress client) {
    perClient.computeIfPresent(client, (a, n) -> n <= 1 ? null : n - 1);
  }

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    closeQuietly(tcp);
    for (Connection c : open) {
      c.close();
    }
    connections.shutdownNow();
    reaper.shutdownNow();
    // a socket closed while a thread is blocked on it is released when that thread lets go: wait,
    // so that the address can be bound again at once (a restart of the DNS side)
    for (Thread t : new Thread[] {udpThread, acceptThread}) {
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
