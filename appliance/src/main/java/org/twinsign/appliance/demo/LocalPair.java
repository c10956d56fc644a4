package org.twinsign.appliance.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.store.Store;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.MariaDbServer;
import org.twinsign.testkit.SoftHsm2Token;
import org.twinsign.testkit.TcpProxy;
import org.twinsign.testkit.ZooKeeperEnsemble;

/**
 * A whole signer pair on this machine, each part a separate process: ZooKeeper servers, one
 * MariaDB and one SoftHSM token per node, and the two node daemons ({@code twinsign node run}).
 * The tokens share a KEK, put there by the offline ceremony of {@code twinsign kek} before the
 * nodes start ({@code keysync=wrap}); or, {@link #sharedHsm()}, both nodes use one token, as two
 * signers sharing a network HSM ({@code keysync=shared}). For the demo and the pair's tests.
 *
 * <p>The fence command is real for local processes: it kills the fenced node's process
 * ({@code kill -9}, by its pid file) and waits until it is gone. Everything lives in one directory
 * (configs, secrets with mode 0600, logs); {@link #close()} stops every process.
 */
public final class LocalPair implements AutoCloseable {
  /** The nodes' names, in start order: the first is the first master. */
  public static final List<String> NODES = List.of("alpha", "beta");

  private final Path dir;
  private final Duration sessionTimeout;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final Map<String, MariaDbServer> databases = new LinkedHashMap<>();
  private final Map<String, Path> configs = new LinkedHashMap<>();
  private final Map<String, LocalProcess> nodes = new LinkedHashMap<>();
  private final Map<String, List<TcpProxy>> zooKeeperLinks = new LinkedHashMap<>();
  private final Map<String, SoftHsm2Token> tokens = new LinkedHashMap<>();
  private boolean shared;
  private boolean ceremony = true;
  private ZooKeeperEnsemble zooKeeper;
  private volatile boolean closed;
  // short pauses: far below the session timeout even for a large zone (as bin/twinsign's)
  private volatile List<String> nodeJavaOptions = List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=50", "-Xmx768m",
      "-XX:+UnlockExperimentalVMOptions", "-XX:G1NewSizePercent=1");

  private LocalPair(Path dir, Duration sessionTimeout) {
    this.dir = dir;
    this.sessionTimeout = sessionTimeout;
  }

  /**
   * Starts the ZooKeeper servers and both databases and writes the nodes' configs; the nodes
   * themselves start with {@link #startNode}.
   */
  public static LocalPair create(Path dir, int zooKeeperServers, Duration sessionTimeout, PrintWriter out) {
    LocalPair pair = allocate(dir, sessionTimeout);
    pair.prepare(zooKeeperServers, out);
    return pair;
  }

  /**
   * A pair with nothing started yet: {@link #close()} may be called from another thread (Ctrl-C)
   * at any time during {@link #prepare}, and stops what has started.
   */
  public static LocalPair allocate(Path dir, Duration sessionTimeout) {
    return new LocalPair(dir, sessionTimeout);
  }

  /** Both nodes use one token ({@code keysync=shared}) instead of one each; before {@link #prepare}. */
  public LocalPair sharedHsm() {
    this.shared = true;
    return this;
  }

  /** Leaves the tokens without a KEK (for {@code kek generate} with the nodes running); before {@link #prepare}. */
  public LocalPair withoutKek() {
    this.ceremony = false;
    return this;
  }

  /** Starts the ZooKeeper servers and both databases and writes the nodes' configs; stops it all on failure. */
  public void prepare(int zooKeeperServers, PrintWriter out) {
    try {
      prepareAll(zooKeeperServers, out);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void prepareAll(int zooKeeperServers, PrintWriter out) {
    if (shared) {
      say(out, "making a SoftHSM2 token (both nodes use it, as a network HSM) ...");
      SoftHsm2Token one = keep(SoftHsm2Token.create(dir.resolve("hsm"), "twinsign-pair",
          SoftHsm2Token.DEFAULT_LIBRARY));
      NODES.forEach(node -> tokens.put(node, one));
    } else {
      say(out, "making a SoftHSM2 token for each node (each node its own HSM) ...");
      for (String node : NODES) {
        // one SoftHSM directory (one softhsm2.conf), so that one process can run the KEK ceremony's steps
        tokens.put(node, keep(SoftHsm2Token.create(dir.resolve("hsm"), "twinsign-" + node,
            SoftHsm2Token.DEFAULT_LIBRARY)));
      }
    }
    say(out, "starting " + zooKeeperServers + " ZooKeeper server(s) ...");
    zooKeeper = keep(ZooKeeperEnsemble.processes(zooKeeperServers));
    String storePassword = secret();
    String adminPassword = secret();
    String replicationPassword = secret();
    write("db.password", storePassword);
    write("db-admin.password", adminPassword);
    write("replication.password", replicationPassword);
    write("admin.token", secret());
    Path fence = fenceScript();
    int serverId = 1;
    for (String node : NODES) {
      say(out, "starting MariaDB of node " + node + " (GTID, semi-sync AFTER_SYNC) ...");
      MariaDbServer db = keep(MariaDbServer.builder().name(node).directory(dir.resolve("db-" + node))
          .replicationReady(serverId++).semiSyncTimeout(Duration.ofSeconds(2)).start());
      try {
        // the accounts exist on both servers before replication starts: not in the binary log
        db.execute("SET SESSION sql_log_bin = 0",
            "CREATE USER 'twinsign'@'127.0.0.1' IDENTIFIED BY '" + storePassword + "'",
            "GRANT ALL ON twinsign.* TO 'twinsign'@'127.0.0.1'",
            "CREATE USER 'twinsign_admin'@'127.0.0.1' IDENTIFIED BY '" + adminPassword + "'",
            "GRANT ALL ON *.* TO 'twinsign_admin'@'127.0.0.1'",
            "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY '" + replicationPassword + "'",
            "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'127.0.0.1'");
      } catch (SQLException e) {
        throw new IllegalStateException("cannot create the accounts on " + db + ": " + e.getMessage(), e);
      }
      databases.put(node, db);
    }
    for (String node : NODES) {
      String peer = NODES.get(1 - NODES.indexOf(node));
      MariaDbServer own = databases.get(node);
      MariaDbServer other = databases.get(peer);
      // each node reaches ZooKeeper through proxies of its own, so that a test can cut it off alone
      List<TcpProxy> links = new ArrayList<>();
      List<String> connect = new ArrayList<>();
      for (int i = 0; i < zooKeeper.size(); i++) {
        TcpProxy link = keep(TcpProxy.start(zooKeeper.clientPort(i)));
        links.add(link);
        connect.add("127.0.0.1:" + link.port());
      }
      zooKeeperLinks.put(node, links);
      Path config = dir.resolve(node + ".conf");
      String text = "node.mode=pair\n"
          + "node.name=" + node + "\ncluster.name=demo\n"
          + "zookeeper.connect=" + String.join(",", connect) + "\nzookeeper.session-timeout=" + sessionTimeout + "\n"
          + "node.history-file=history-" + node + ".jsonl\n"
          + "db.url=" + own.jdbcUrl("twinsign") + "\ndb.user=twinsign\ndb.password.file=db.password\n"
          + "db.admin.user=twinsign_admin\ndb.admin.password.file=db-admin.password\n"
          + "replication.user=repl\nreplication.password.file=replication.password\n"
          + "peer.name=" + peer + "\npeer.db.host=127.0.0.1\npeer.db.port=" + other.port() + "\n"
          + "fence.command=" + fence + "\nfence.timeout=PT10S\n"
          + "admin.address=127.0.0.1:" + org.twinsign.testkit.Ports.freeLoopbackPort() + "\n"
          + "admin.token.file=admin.token\n"
          + "metrics.address=127.0.0.1:" + org.twinsign.testkit.Ports.freeLoopbackPort() + "\n"
          + "dns.listen=127.0.0.1:" + org.twinsign.testkit.Ports.freeLoopbackPort() + "\n"
          + "keysync=" + (shared ? "shared" : "wrap") + "\n"
          + "kek.handover=accept\n" // the demo's ceremony is online; a real pair's receiving node opts in for it
          + "repository.SoftHSM.library=" + tokens.get(node).library() + "\nrepository.SoftHSM.token="
          + tokens.get(node).label() + "\n"
          + "repository.SoftHSM.pin.file=" + tokens.get(node).userPinFile() + "\n";
      try {
        Files.writeString(config, text);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      configs.put(node, config);
    }
    say(out, "creating the store on node " + NODES.get(0) + "'s database ...");
    try {
      databases.get(NODES.get(0)).execute("CREATE DATABASE twinsign");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the store database: " + e.getMessage(), e);
    }
    try (Store store = Store.open(TwinsignConfig.load(configs.get(NODES.get(0))))) {
      store.setup(Store.Mode.PRODUCTION, false, null);
    }
    if (!shared && ceremony) {
      say(out, "the KEK ceremony between the nodes' tokens (twinsign kek, offline steps) ...");
      kekCeremony();
    }
  }

  /**
   * The offline KEK ceremony, as an operator scripts it for SoftHSM: node {@code beta} makes a
   * transport key, {@code alpha} generates the KEK and wraps it under that key, {@code beta} imports
   * it, {@code alpha} seals it. The files passed hold a public key and a wrapped KEK. One process
   * runs the steps (both tokens are in its SoftHSM directory), as the CLI would on each machine.
   */
  private void kekCeremony() {
    List<String> command = java(List.of(), KekCeremony.class, configs.get(NODES.get(0)).toString(),
        configs.get(NODES.get(1)).toString(), dir.toString());
    Path log = dir.resolve("kek-ceremony.log");
    int exit = LocalProcess.run("twinsign kek ceremony", command, tokens.get(NODES.get(0)).environment(), dir, log,
        "", Duration.ofSeconds(120));
    if (exit != 0) {
      String text;
      try {
        text = Files.readString(log);
      } catch (IOException e) {
        text = e.getMessage();
      }
      throw new IllegalStateException("the KEK ceremony failed (exit " + exit + "): " + text);
    }
  }

  /** The fence command: kill -9 of the node's process by its pid file, then wait until it is gone. */
  private Path fenceScript() {
    Path script = dir.resolve("fence-node.sh");
    try {
      Files.writeString(script, "#!/bin/sh\n"
          + "# The demo's STONITH: the fenced node is a local process; kill it and wait until it is gone.\n"
          + "pidfile='" + dir + "'/\"$1.pid\"\n"
          + "[ -f \"$pidfile\" ] || { echo \"node $1 was never started here\"; exit 0; }\n"
          + "pid=$(cat \"$pidfile\")\n"
          + "kill -9 \"$pid\" 2>/dev/null\n"
          + "for i in $(seq 100); do kill -0 \"$pid\" 2>/dev/null || { echo \"node $1 (pid $pid) is down\"; exit 0; };"
          + " sleep 0.1; done\n"
          + "echo \"node $1 (pid $pid) is still running\"; exit 1\n");
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
      return script;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts {@code node}'s daemon as a separate process. */
  public LocalProcess startNode(String node) {
    return startNode(node, Map.of());
  }

  /** Starts {@code node}'s daemon with {@code env} added (e.g. libfaketime's, for a clock offset). */
  public LocalProcess startNode(String node, Map<String, String> env) {
    LocalProcess old = nodes.get(node);
    if (old != null && old.isAlive()) {
      throw new IllegalStateException("node " + node + " runs already (pid " + old.pid() + ")");
    }
    List<String> command = nodeRun(configs.get(node));
    Map<String, String> environment = new LinkedHashMap<>(tokens.get(node).environment());
    environment.putAll(env);
    LocalProcess process = LocalProcess.start("twinsign node " + node, command, environment, dir,
        dir.resolve(node + ".log"));
    synchronized (started) {
      nodes.put(node, process);
      if (closed) {
        process.kill();
        throw new IllegalStateException("the pair was stopped while it started");
      }
    }
    try {
      Files.writeString(dir.resolve(node + ".pid"), process.pid() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return process;
  }

  /**
   * The JVM options of node daemons started from now on, instead of the default (G1 with a 50 ms
   * pause goal, 768 MB of heap): a large zone needs more heap, a benchmark tries other collectors.
   */
  public void nodeJavaOptions(List<String> options) {
    nodeJavaOptions = List.copyOf(options);
  }

  /** The command line of {@code twinsign --config CONFIG node run}, in a JVM of its own. */
  private List<String> nodeRun(Path config) {
    return java(nodeJavaOptions, TwinsignCommand.class, "--config", config.toString(), "node", "run");
  }

  /**
   * A JVM of its own running {@code main} with {@code args}: this JVM's class path, the PKCS#11
   * wrapper opened (the HSM code calls it directly) and {@code options}.
   */
  private static List<String> java(List<String> options, Class<?> main, String... args) {
    List<String> command = new ArrayList<>(List.of(HostTool.currentJava().toString(), "--add-exports",
        "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED"));
    command.addAll(options);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * Runs {@code node run} with {@code config} until it exits (a node that must refuse to start)
   * or {@code limit} passes (then it is killed: exit -1); returns its exit code and output.
   */
  public Answer runNodeUntilExit(Path config, Duration limit) {
    Path log = dir.resolve("node-run-" + System.nanoTime() + ".log");
    try (LocalProcess process = LocalProcess.start("twinsign node run " + config.getFileName(), nodeRun(config),
        tokens.get(NODES.get(0)).environment(), dir, log)) {
      long end = System.nanoTime() + limit.toNanos();
      while (process.isAlive() && System.nanoTime() < end) {
        Thread.sleep(100);
      }
      int exit = process.isAlive() ? -1 : process.exitCodeOrRunning();
      process.kill();
      return new Answer(exit, Files.readString(log), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  /**
   * Runs {@code twinsign --config NODE.conf ARGS} as a process of its own with the node's HSM
   * environment, as an operator on the node's machine (for commands that use the node's HSM with
   * the daemon stopped, such as {@code node rebuild}); its exit code and output.
   */
  public Answer cliProcess(String node, Duration limit, String... args) {
    List<String> command = new ArrayList<>(java(List.of(), TwinsignCommand.class, "--config",
        configs.get(node).toString()));
    command.addAll(List.of(args));
    Path log = dir.resolve("cli-" + node + "-" + System.nanoTime() + ".log");
    int exit = LocalProcess.run("twinsign " + String.join(" ", args), command, tokens.get(node).environment(), dir, log,
        "", limit);
    try {
      return new Answer(exit, Files.readString(log), "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Cuts {@code node} off from every ZooKeeper server (a black hole), leaving its database and clients alone. */
  public void partitionFromZooKeeper(String node) {
    zooKeeperLinks.get(node).forEach(TcpProxy::blackhole);
  }

  /** Ends {@link #partitionFromZooKeeper}. */
  public void healZooKeeperLinks(String node) {
    zooKeeperLinks.get(node).forEach(TcpProxy::restore);
  }

  /** The history files the nodes write ({@code node.history-file}). */
  public List<Path> historyFiles() {
    return NODES.stream().map(n -> dir.resolve("history-" + n + ".jsonl")).toList();
  }

  public LocalProcess process(String node) {
    return nodes.get(node);
  }

  public Path config(String node) {
    return configs.get(node);
  }

  /** The node's admin endpoint, HOST:PORT (from its config). */
  public String adminAddress(String node) {
    return setting(node, "admin.address");
  }

  /** Adds {@code lines} to the node's config (before it starts), e.g. {@code dns.notify=...}. */
  public void configure(String node, String lines) {
    try {
      Files.writeString(configs.get(node), lines.endsWith("\n") ? lines : lines + "\n",
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where the node serves Prometheus metrics, HOST:PORT (from its config). */
  public String metricsAddress(String node) {
    return setting(node, "metrics.address");
  }

  /** Where the node serves DNS (zone transfers, SOA), HOST:PORT (from its config). */
  public String dnsAddress(String node) {
    return setting(node, "dns.listen");
  }

  private String setting(String node, String key) {
    try {
      return Files.readAllLines(configs.get(node)).stream().filter(l -> l.startsWith(key + "="))
          .map(l -> l.substring(key.length() + 1)).findFirst().orElse("?");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public MariaDbServer database(String node) {
    return databases.get(node);
  }

  public ZooKeeperEnsemble zooKeeper() {
    return zooKeeper;
  }

  /** The node's SoftHSM token (with {@link #sharedHsm()}, the same for both). */
  public SoftHsm2Token token(String node) {
    return tokens.get(node);
  }

  public Path directory() {
    return dir;
  }

  /** What a {@code twinsign} command answered. */
  public record Answer(int exit, String out, String err) {}

  /** Runs {@code twinsign --config <node's config> args} in this process; it goes to that node's admin endpoint. */
  public Answer cli(String node, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine commandLine = TwinsignCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(List.of("--config", configs.get(node).toString()));
    all.addAll(List.of(args));
    int exit = commandLine.execute(all.toArray(String[]::new));
    return new Answer(exit, out.toString(), err.toString());
  }

  private void write(String name, String secret) {
    Path file = dir.resolve(name);
    try {
      Files.writeString(file, secret + "\n");
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String secret() {
    byte[] bytes = new byte[18];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static void say(PrintWriter out, String text) {
    if (out != null) {
      out.println(text);
      out.flush();
    }
  }

  private <T extends AutoCloseable> T keep(T component) {
    synchronized (started) {
      if (!closed) {
        started.push(component);
        return component;
      }
    }
    try {
      component.close();
    } catch (Exception e) {
      // stopping anyway
    }
    throw new IllegalStateException("the pair was stopped while it started");
  }

  /** Stops the nodes first (so none fences another while the rest stops), then everything else. */
  @Override
  public void close() {
    List<LocalProcess> running;
    synchronized (started) {
      closed = true;
      running = new ArrayList<>(nodes.values());
    }
    List<Thread> stopping = new ArrayList<>();
    for (LocalProcess node : running) {
      Thread t = new Thread(() -> node.stop(Duration.ofSeconds(10)), "stop-" + node.name());
      t.start();
      stopping.add(t);
    }
    join(stopping);
    stopping.clear();
    while (true) {
      AutoCloseable component;
      synchronized (started) {
        if (started.isEmpty()) {
          break;
        }
        component = started.pop();
      }
      Thread t = new Thread(() -> {
        try {
          component.close();
        } catch (Exception e) {
          // stopping anyway
        }
      }, "stop-component");
      t.start();
      stopping.add(t);
    }
    join(stopping);
  }

  private static void join(List<Thread> threads) {
    for (Thread t : threads) {
      try {
        t.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
