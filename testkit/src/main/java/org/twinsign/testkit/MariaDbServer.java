package org.twinsign.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One private {@code mariadbd} on a loopback port with its own data directory, started with
 * {@code --no-defaults} so the host's {@code /etc/mysql} cannot change it.
 *
 * <p>root@localhost has no password and the server listens on 127.0.0.1 only; it is a test and demo
 * instance. Binary logging with GTID and semi-sync (wait point AFTER_SYNC) is switched on by
 * {@link Builder#replicationReady(int)}; {@link MariaDbReplicaPair} wires two such servers.
 */
public final class MariaDbServer implements MariaDb {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final Path dir;
  private final boolean ownsDir;
  private final int port;
  private final int serverId;
  private final LocalProcess process;

  private MariaDbServer(String name, Path dir, boolean ownsDir, int port, int serverId, LocalProcess process) {
    this.name = name;
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.port = port;
    this.serverId = serverId;
    this.process = process;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts a plain server (no binary log) in a temporary directory on a free port. */
  public static MariaDbServer start() {
    return builder().start();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int port() {
    return port;
  }

  @Override
  public String replicationHost() {
    return "127.0.0.1";
  }

  @Override
  public int replicationPort() {
    return port;
  }

  @Override
  public String replicationClientHost() {
    return "127.0.0.1";
  }

  @Override
  public String errorLogLocation() {
    return errorLog().toString();
  }

  public int serverId() {
    return serverId;
  }

  public Path directory() {
    return dir;
  }

  public Path dataDirectory() {
    return dir.resolve("data");
  }

  public Path errorLog() {
    return dir.resolve("error.log");
  }

  public long pid() {
    return process.pid();
  }

  public LocalProcess process() {
    return process;
  }

  @Override
  public String jdbcUrl(String database) {
    return "jdbc:mariadb://127.0.0.1:" + port + "/" + database;
  }

  @Override
  public Connection rootConnection() throws SQLException {
    return DriverManager.getConnection(jdbcUrl("") + "?user=root&connectTimeout=5000");
  }

  /** Stops the server (SIGTERM: a clean InnoDB shutdown) and removes its temporary directory. */
  @Override
  public void close() {
    process.stop(Duration.ofSeconds(30));
    if (ownsDir) {
      TempDirs.deleteRecursively(dir);
    }
  }

  /** Kills the server at once, as a power cut would; the data directory stays. */
  public void kill() {
    process.kill();
  }

  @Override
  public String toString() {
    return "mariadbd '" + name + "' on 127.0.0.1:" + port + " (server-id " + serverId + ", datadir " + dataDirectory()
        + ")";
  }

  /** Options for one server. */
  public static final class Builder {
    private String name = "mariadb";
    private Path dir;
    private int port;
    private int serverId = 1;
    private boolean binlog;
    private boolean semiSyncPrimary;
    private int semiSyncTimeoutMillis = 10_000;
    private Path binDir;

    /** A name for logs and messages. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** The directory to keep data and logs in (default: a temporary one, removed on close). */
    public Builder directory(Path dir) {
      this.dir = dir;
      return this;
    }

    /** A fixed port (default: a free one). An occupied port is a clear error. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * Binary log with GTID in strict mode, the replica side of semi-sync on, and the primary side
     * configured (wait point AFTER_SYNC) but off until {@link #semiSyncPrimary()}: a replica that
     * logs what it applies must not itself wait for acknowledgements.
     */
    public Builder replicationReady(int serverId) {
      this.serverId = serverId;
      this.binlog = true;
      return this;
    }

    /** Also switches the primary side of semi-sync on: commits wait for a replica's acknowledgement. */
    public Builder semiSyncPrimary() {
      this.semiSyncPrimary = true;
      return this;
    }

    /** How long a commit waits for a replica's acknowledgement before semi-sync falls back to async. */
    public Builder semiSyncTimeout(Duration timeout) {
      this.semiSyncTimeoutMillis = Math.toIntExact(timeout.toMillis());
      return this;
    }

    /** Where {@code mariadbd} and {@code mariadb-install-db} are (default: PATH and /usr/sbin). */
    public Builder binDirectory(Path binDir) {
      this.binDir = binDir;
      return this;
    }

    public MariaDbServer start() {
      Path mariadbd = tool("mariadbd");
      Path installDb = tool("mariadb-install-db");
      int chosenPort = port != 0 ? port : Ports.freeLoopbackPort();
      Ports.requireFree(chosenPort, "mariadbd '" + name + "'");
      boolean ownsDir = dir == null;
      Path home = ownsDir ? TempDirs.create("mariadb") : TempDirs.ensure(dir);
      try {
        return startIn(home, ownsDir, mariadbd, installDb, chosenPort);
      } catch (RuntimeException e) {
        if (ownsDir) {
          TempDirs.deleteRecursively(home);
        }
        throw e;
      }
    }

    private Path tool(String command) {
      return binDir == null
          ? HostTool.require(command, "mariadb-server")
          : HostTool.require(command, "mariadb-server", List.of(binDir));
    }

    private MariaDbServer startIn(Path home, boolean ownsDir, Path mariadbd, Path installDb, int chosenPort) {
      Path data = home.resolve("data");
      if (!Files.isDirectory(data.resolve("mysql"))) {
        List<String> install = new ArrayList<>(List.of(installDb.toString(), "--no-defaults",
            "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db",
            "--skip-name-resolve"));
        if (HostTool.runningAsRoot()) {
          install.add("--user=root");
        }
        Path installLog = home.resolve("install-db.log");
        int exit = LocalProcess.run("mariadb-install-db", install, Map.of(), home, installLog, null,
            Duration.ofMinutes(2));
        if (exit != 0) {
          throw new IllegalStateException("mariadb-install-db failed (exit " + exit + ") for " + data + ":\n"
              + LocalProcess.tail(installLog, 15));
        }
      }
      List<String> command = new ArrayList<>(List.of(mariadbd.toString(), "--no-defaults",
          "--datadir=" + data,
          "--port=" + chosenPort,
          "--bind-address=127.0.0.1",
          "--socket=" + home.resolve("mysqld.sock"),
          "--pid-file=" + home.resolve("mysqld.pid"),
          "--log-error=" + home.resolve("error.log"),
          "--skip-name-resolve",
          "--server-id=" + serverId,
          "--innodb-buffer-pool-size=64M",
          "--performance-schema=OFF",
          "--max-connections=200"));
      if (binlog) {
        // a directory of its own, which a test can mount a small file system on (a full relay-log disk)
        command.add("--relay-log=" + TempDirs.ensure(home.resolve("relay-log")).resolve("relay"));
        command.addAll(ReplicationOptions.of(home.resolve("binlog").toString(), semiSyncPrimary,
            semiSyncTimeoutMillis));
      }
      if (HostTool.runningAsRoot()) {
        command.add("--user=root");
      }
      Map<String, String> env = new HashMap<>();
      env.put("TZ", "UTC");
      LocalProcess process = LocalProcess.start("mariadbd " + name, command, env, home, home.resolve("stdout.log"));
      MariaDbServer server = new MariaDbServer(name, home, ownsDir, chosenPort, serverId, process);
      try {
        awaitReady(server);
        return server;
      } catch (RuntimeException e) {
        process.stop(Duration.ofSeconds(10));
        throw e;
      }
    }

    private static void awaitReady(MariaDbServer server) {
      long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
      SQLException last = null;
      while (System.nanoTime() < deadline) {
        if (!server.process.isAlive()) {
          String log = LocalProcess.tail(server.errorLog(), 20);
          if (log.contains("Address already in use") || log.contains("Can't start server: Bind")) {
            throw new HostSetupException(Ports.inUseMessage(server.port, "mariadbd '" + server.name + "'"));
          }
          throw new IllegalStateException("mariadbd '" + server.name + "' exited at start; " + server.errorLog()
              + " says:\n" + log);
        }
        try (Connection ignored = server.rootConnection()) {
          return;
        } catch (SQLException e) {
          last = e;
        }
        sleep(100);
      }
      throw new IllegalStateException("mariadbd '" + server.name + "' did not accept connections within "
          + START_TIMEOUT + " (" + (last == null ? "" : last.getMessage()) + "); see " + server.errorLog());
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
