package org.twinsign.appliance.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * What a node of a pair ({@code node.mode=pair}) needs beyond a single signer, in the same file:
 *
 * <pre>
 * node.name=alpha                                  # this node; its peer has another name
 * cluster.name=registry                            # the same on both nodes
 * zookeeper.connect=zk-a:2181,zk-b:2181,zk-c:2181  # three voters: one per site and a witness
 * zookeeper.session-timeout=PT10S                  # optional; a master's loss is noticed within it
 * peer.name=beta
 * peer.db.host=10.0.2.10                           # the peer's MariaDB: followed when it is primary,
 * peer.db.port=3306                                #   fenced (read_only) when it is the old primary
 * db.admin.user=twinsign_admin                     # role changes on both databases (REPLICATION, READ_ONLY ADMIN,
 * db.admin.password.file=/etc/twinsign/db-admin.password   #   CONNECTION ADMIN): not the store's db.user
 * replication.user=repl
 * replication.password.file=/etc/twinsign/repl.password
 * fence.command=/usr/local/sbin/fence-node         # gets the node to fence as its argument; exit 0 = fenced
 * fence.timeout=PT30S                              # optional
 * fence.delay=PT0S                                 # optional: wait before fencing, favouring the last master
 * clock.bound=PT60S                                # optional: a node whose clock is further off ZooKeeper's (and the
 *                                                  #   other node's) does not act as master; PT0S: not judged
 * admin.address=127.0.0.1:8441                     # the node's admin endpoint (HTTP, JSON)
 * admin.token.file=/etc/twinsign/admin.token       # the cluster's admin token, the same on both nodes
 * node.history-file=/var/log/twinsign/history.jsonl # optional: every master action with its epoch (audit, fault tests)
 * keysync=wrap                                     # wrap: each node has its own HSM; keys go to the standby's
 *                                                  #   wrapped under the KEK ('twinsign kek generate'); shared: one
 *                                                  #   network HSM both nodes reach. Either way a key is published
 *                                                  #   only once the standby's HSM was found to hold it
 * kek.handover=refuse                              # accept: this node takes a KEK from its peer over the network
 *                                                  #   ('twinsign kek generate' there); refuse (default): only by the
 *                                                  #   offline steps, so that the admin token is not enough to plant one
 * metrics.address=127.0.0.1:9464                  # optional: Prometheus metrics (GET /metrics, no token: nothing secret)
 * dns.listen=...                                   # optional: zone transfers and NOTIFY ({@link DnsConfig})
 * </pre>
 * Every error names the file and the key.
 */
public record PairConfig(String nodeName, String clusterName, String zookeeperConnect, Duration sessionTimeout,
    String peerName, String peerDbHost, int peerDbPort, String dbAdminUser, Path dbAdminPasswordFile,
    String replicationUser, Path replicationPasswordFile, List<String> fenceCommand, Duration fenceTimeout,
    Duration fenceDelay, String adminHost, int adminPort, Path adminTokenFile, Path historyFile, DnsConfig dns,
    KeySync keySync, boolean kekHandover, String metricsHost, int metricsPort, Duration clockBound) {

  /** How keys reach the standby's HSM ({@code keysync}). */
  public enum KeySync {
    /** Each node has its own HSM: keys are wrapped under the KEK and unwrapped into the standby's. */
    WRAP,
    /** Both nodes reach one (network) HSM: nothing moves; the standby's view of it is still checked. */
    SHARED
  }

  static final Set<String> KEYS = Set.of("node.name", "cluster.name", "zookeeper.connect",
      "zookeeper.session-timeout", "peer.name", "peer.db.host", "peer.db.port", "db.admin.user",
      "db.admin.password.file", "replication.user", "replication.password.file", "fence.command", "fence.timeout",
      "fence.delay", "admin.address", "admin.token.file", "node.history-file", "keysync",
      "kek.handover", "metrics.address", "clock.bound");

  public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(10);

  static PairConfig parse(Path file, Properties p) {
    Path base = file.toAbsolutePath().getParent();
    String node = name(file, p, "node.name");
    String peer = name(file, p, "peer.name");
    if (peer.equals(node)) {
      throw new ConfigException(file + ": peer.name '" + peer + "' is this node's own node.name: name the other node"
          + " of the pair");
    }
    Duration session = duration(file, p, "zookeeper.session-timeout", DEFAULT_SESSION_TIMEOUT);
    if (session.compareTo(Duration.ofSeconds(2)) < 0 || session.compareTo(Duration.ofSeconds(60)) > 0) {
      throw new ConfigException(file + ": zookeeper.session-timeout " + session + " is outside PT2S..PT60S");
    }
    String connect = required(file, p, "zookeeper.connect");
    for (String server : connect.split(",")) {
      hostPort(file, "zookeeper.connect", server.trim());
    }
    String fence = required(file, p, "fence.command");
    String[] admin = hostPort(file, "admin.address", required(file, p, "admin.address"));
    String metricsText = p.getProperty("metrics.address");
    String[] metrics = metricsText == null || metricsText.isBlank() ? null : hostPort(file, "metrics.address",
        metricsText.trim());
    return new PairConfig(node, name(file, p, "cluster.name"), connect, session, peer,
        required(file, p, "peer.db.host"), port(file, "peer.db.port", required(file, p, "peer.db.port")),
        required(file, p, "db.admin.user"), base.resolve(required(file, p, "db.admin.password.file")),
        required(file, p, "replication.user"), base.resolve(required(file, p, "replication.password.file")),
        List.of(fence.split("\\s+")), duration(file, p, "fence.timeout", Duration.ofSeconds(30)),
        duration(file, p, "fence.delay", Duration.ZERO), admin[0], port(file, "admin.address", admin[1]),
        base.resolve(required(file, p, "admin.token.file")),
        p.getProperty("node.history-file") == null ? null : base.resolve(p.getProperty("node.history-file").trim()),
        DnsConfig.parse(file, p), keySync(file, p), kekHandover(file, p), metrics == null ? null : metrics[0],
        metrics == null ? 0 : port(file, "metrics.address", metrics[1]), clockBound(file, p));
  }

  /** Signatures' inception is set back (an hour by default): a minute's error is harmless, more is not. */
  public static final Duration DEFAULT_CLOCK_BOUND = Duration.ofSeconds(60);

  private static Duration clockBound(Path file, Properties p) {
    Duration bound = duration(file, p, "clock.bound", DEFAULT_CLOCK_BOUND);
    if (!bound.isZero() && bound.compareTo(Duration.ofSeconds(2)) < 0) {
      // below the timing-drift alert's 2 s, a write's latency alone would count as an error
      throw new ConfigException(file + ": clock.bound " + bound + " is below PT2S: give PT2S or more, or PT0S to"
          + " turn the judgement off");
    }
    return bound;
  }

  private static KeySync keySync(Path file, Properties p) {
    String value = p.getProperty("keysync", "wrap").trim();
    return switch (value) {
      case "wrap" -> KeySync.WRAP;
      case "shared" -> KeySync.SHARED;
      default -> throw new ConfigException(file + ": keysync '" + value + "' is neither wrap (each node its own HSM)"
          + " nor shared (one network HSM for both)");
    };
  }

  private static boolean kekHandover(Path file, Properties p) {
    String value = p.getProperty("kek.handover", "refuse").trim();
    return switch (value) {
      case "accept" -> true;
      case "refuse" -> false;
      default -> throw new ConfigException(file + ": kek.handover '" + value + "' is neither accept (take a KEK from"
          + " the peer over the network, for the ceremony) nor refuse (only by the offline steps)");
    };
  }

  /** Reads a secret named by one of this config's {@code *.file} keys, refusing an unsafe file. */
  public static String secret(Path path, String key) {
    String unsafe = SecretFile.problem(path, key);
    if (unsafe != null) {
      throw new ConfigException(unsafe);
    }
    try {
      return Files.readString(path, StandardCharsets.UTF_8).strip();
    } catch (NoSuchFileException e) {
      throw new ConfigException(key + " " + path + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("cannot read " + key + " " + path + ": " + e.getMessage());
    }
  }

  private static String required(Path file, Properties p, String key) {
    String value = p.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new ConfigException(file + ": '" + key + "' is missing (node.mode=pair needs it"
          + (key.equals("fence.command") ? ": the program that powers off or isolates the other node, so that a"
              + " standby never takes over from a master that may still act" : "") + ")");
    }
    return value.trim();
  }

  private static String name(Path file, Properties p, String key) {
    String value = required(file, p, key);
    try {
      return org.twinsign.fencing.ClusterPaths.requireName(key, value);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(file + ": " + e.getMessage());
    }
  }

  private static Duration duration(Path file, Properties p, String key, Duration otherwise) {
    String value = p.getProperty(key);
    if (value == null || value.isBlank()) {
      return otherwise;
    }
    try {
      Duration d = Duration.parse(value.trim());
      if (d.isNegative()) {
        throw new ConfigException(file + ": " + key + " " + value.trim() + " is negative");
      }
      return d;
    } catch (java.time.format.DateTimeParseException e) {
      throw new ConfigException(file + ": " + key + " '" + value.trim() + "' is not a duration (e.g. PT10S)");
    }
  }

  private static String[] hostPort(Path file, String key, String value) {
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new ConfigException(file + ": " + key + " '" + value + "' is not HOST:PORT");
    }
    String[] both = {value.substring(0, colon), value.substring(colon + 1)};
    port(file, key, both[1]);
    return both;
  }

  private static int port(Path file, String key, String value) {
    try {
      int port = Integer.parseInt(value.trim());
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new ConfigException(file + ": " + key + ": '" + value + "' is not a port (1-65535)");
  }
}
