package org.twinsign.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * ZooKeeper servers from Debian's {@code zookeeper} package, each its own JVM, with tickTime 500 ms
 * so that elections and session expiry happen within seconds.
 */
final class ProcessZooKeeper implements ZooKeeperEnsemble {
  static final Path ZOOKEEPER_JAR = Path.of("/usr/share/java/zookeeper.jar");
  static final Path SLF4J_SIMPLE_JAR = Path.of("/usr/share/java/slf4j-simple.jar");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Path dir;
  private final List<Server> servers;

  private ProcessZooKeeper(Path dir, List<Server> servers) {
    this.dir = dir;
    this.servers = servers;
  }

  static ProcessZooKeeper start(int size) {
    if (size != 1 && size != 3) {
      throw new IllegalArgumentException("a ZooKeeper ensemble has 1 or 3 servers here, not " + size);
    }
    HostTool.requireFile(ZOOKEEPER_JAR, "ZooKeeper server jar", "zookeeper");
    HostTool.requireFile(SLF4J_SIMPLE_JAR, "SLF4J simple logger jar", "libslf4j-java");
    Path dir = TempDirs.create("zookeeper");
    List<Server> servers = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      servers.add(new Server(i, dir.resolve("zk" + i), Ports.freeLoopbackPort(), Ports.freeLoopbackPort(),
          Ports.freeLoopbackPort()));
    }
    ProcessZooKeeper ensemble = new ProcessZooKeeper(dir, servers);
    try {
      for (Server server : servers) {
        server.writeConfig(servers);
      }
      for (Server server : servers) {
        server.launch();
      }
      for (Server server : servers) {
        server.awaitServing();
      }
      return ensemble;
    } catch (RuntimeException e) {
      ensemble.close();
      throw e;
    }
  }

  @Override
  public String connectString() {
    StringJoiner joiner = new StringJoiner(",");
    servers.forEach(server -> joiner.add("127.0.0.1:" + server.clientPort));
    return joiner.toString();
  }

  @Override
  public int size() {
    return servers.size();
  }

  @Override
  public int clientPort(int index) {
    return servers.get(index).clientPort;
  }

  /** The process of server {@code index}, or empty while it is killed. */
  Optional<LocalProcess> process(int index) {
    return Optional.ofNullable(servers.get(index).process);
  }

  /** What server {@code index} answers to {@code srvr}: leader, follower, standalone, or empty. */
  Optional<String> mode(int index) {
    return servers.get(index).mode();
  }

  @Override
  public void kill(int index) {
    Server server = servers.get(index);
    if (server.process != null) {
      server.process.kill();
      server.process = null;
    }
  }

  @Override
  public void restart(int index) {
    Server server = servers.get(index);
    if (server.process != null && server.process.isAlive()) {
      throw new IllegalStateException("ZooKeeper server " + index + " still runs; kill it first");
    }
    Ports.requireFree(server.clientPort, "ZooKeeper server " + index);
    server.launch();
    server.awaitServing();
  }

  @Override
  public void pause(int index) {
    running(index).pause();
  }

  @Override
  public void resume(int index) {
    running(index).resume();
  }

  @Override
  public void close() {
    try {
      for (Server server : servers) {
        if (server.process != null) {
          server.process.stop(Duration.ofSeconds(10));
        }
      }
    } finally {
      TempDirs.deleteRecursively(dir);
    }
  }

  @Override
  public String toString() {
    return "ZooKeeper (" + servers.size() + " server processes) at " + connectString() + ", data in " + dir;
  }

  private LocalProcess running(int index) {
    LocalProcess process = servers.get(index).process;
    if (process == null) {
      throw new IllegalStateException("ZooKeeper server " + index + " is not running");
    }
    return process;
  }

  /** One server: its directory, ports and process. */
  private static final class Server {
    final int index;
    final Path home;
    final int clientPort;
    final int peerPort;
    final int electionPort;
    LocalProcess process;

    Server(int index, Path home, int clientPort, int peerPort, int electionPort) {
      this.index = index;
      this.home = home;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
      this.electionPort = electionPort;
    }

    Path config() {
      return home.resolve("zoo.cfg");
    }

    void writeConfig(List<Server> all) {
      Path data = TempDirs.ensure(home.resolve("data"));
      StringBuilder cfg = new StringBuilder()
          .append("tickTime=500\n")
          .append("initLimit=20\n")
          .append("syncLimit=4\n")
          .append("dataDir=").append(data).append('\n')
          .append("clientPort=").append(clientPort).append('\n')
          .append("clientPortAddress=127.0.0.1\n")
          .append("admin.enableServer=false\n")
          .append("4lw.commands.whitelist=srvr,ruok,mntr\n")
          .append("maxSessionTimeout=60000\n");
      if (all.size() > 1) {
        cfg.append("standaloneEnabled=false\n");
        for (Server peer : all) {
          cfg.append("server.").append(peer.index + 1).append("=127.0.0.1:").append(peer.peerPort).append(':')
              .append(peer.electionPort).append('\n');
        }
      }
      try {
        Files.writeString(data.resolve("myid"), (index + 1) + "\n");
        Files.writeString(config(), cfg.toString());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write ZooKeeper config in " + home + ": " + e.getMessage(), e);
      }
    }

    void launch() {
      Ports.requireFree(clientPort, "ZooKeeper server " + index);
      List<String> command = List.of(HostTool.currentJava().toString(), "-Xmx192m", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
          "-Dorg.slf4j.simpleLogger.showDateTime=true",
          "-Dzookeeper.jmx.log4j.disable=true",
          "-cp", ZOOKEEPER_JAR + ":" + SLF4J_SIMPLE_JAR,
          "org.apache.zookeeper.server.quorum.QuorumPeerMain", config().toString());
      process = LocalProcess.start("zookeeper-" + index, command, Map.of(), home, home.resolve("zookeeper.log"));
    }

    void awaitServing() {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) {
          String log = process.logTail(20);
          if (log.contains("Address already in use")) {
            throw new HostSetupException(Ports.inUseMessage(clientPort, "ZooKeeper server " + index)
                + " (or its quorum ports " + peerPort + "/" + electionPort + ")");
          }
          throw new IllegalStateException("ZooKeeper server " + index + " exited at start; "
              + process.log() + " says:\n" + log);
        }
        Optional<String> mode = mode();
        if (mode.isPresent()) {
          return;
        }
        MariaDbServer.sleep(100);
      }
      throw new IllegalStateException("ZooKeeper server " + index + " did not serve within " + START_TIMEOUT
          + "; see " + process.log());
    }

    /** Sends {@code srvr} and returns the mode if the server serves clients. */
    Optional<String> mode() {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(Ports.loopback(), clientPort), 500);
        socket.setSoTimeout(1000);
        OutputStream out = socket.getOutputStream();
        out.write("srvr".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        for (String line : reply.split("\n")) {
          if (line.startsWith("Mode: ")) {
            return Optional.of(line.substring("Mode: ".length()).trim());
          }
        }
        return Optional.empty();
      } catch (IOException e) {
        return Optional.empty();
      }
    }
  }
}
