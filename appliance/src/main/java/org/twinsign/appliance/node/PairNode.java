package org.twinsign.appliance.node;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.config.ConfigException;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.service.ExternalCommand;
import org.twinsign.fencing.Lease;
import org.twinsign.fencing.NodeRole;
import org.twinsign.fencing.Promotion;
import org.twinsign.replication.DatabaseStatus;
import org.twinsign.replication.MariaDbRole;
import org.twinsign.replication.ReplicationSource;

/**
 * The appliance's side of the HA loop: this node's MariaDB and its peer's (through
 * {@link MariaDbRole}), the fence command, and the master duties.
 */
final class PairNode implements NodeRole {
  private static final Logger LOG = LoggerFactory.getLogger(PairNode.class);

  /** How long a promotion waits for the replica to apply what it received. */
  static final Duration CATCH_UP = Duration.ofSeconds(30);

  private final TwinsignConfig config;
  private final PairConfig pair;
  private final MariaDbRole local;
  private final MariaDbRole peer;
  private final String localHost;
  private final int localPort;
  private final String localAddress;
  private final String schema; // the store's database, from db.url
  private final String adminPassword;
  private final MasterDuties duties;
  private volatile PairKeys keys;
  private volatile SignedIngest ingest;
  private volatile Fenced lastFence;
  // the database's clock against this node's, measured every DB_CLOCK_EVERY: describe() runs at every
  // tick of the HA loop, and a clock drifts over hours, not ticks
  private static final long DB_CLOCK_EVERY = java.time.Duration.ofSeconds(10).toNanos();
  private long dbClockMillis;
  private long dbClockAt;

  /** A fence this node made of its peer before taking over: when, and how (for the alert). */
  record Fenced(String node, java.time.Instant at, String how) {}

  /** The last fence this node made, or null. */
  Fenced lastFence() {
    return lastFence;
  }

  PairNode(TwinsignConfig config, MasterDuties duties) {
    this.config = config;
    this.pair = config.pair();
    this.duties = duties;
    URI db = URI.create(config.dbUrl().substring("jdbc:".length()));
    this.schema = db.getPath().replaceFirst("^/", "");
    this.localHost = db.getHost() == null ? "127.0.0.1" : db.getHost();
    this.localPort = db.getPort() < 0 ? 3306 : db.getPort();
    this.localAddress = localHost + ":" + localPort;
    this.adminPassword = PairConfig.secret(pair.dbAdminPasswordFile(), "db.admin.password.file");
    this.local = new MariaDbRole("the database of node " + pair.nodeName() + " (" + localAddress + ")",
        () -> connect(localHost, localPort, adminPassword));
    this.peer = new MariaDbRole("the database of node " + pair.peerName() + " (" + pair.peerDbHost() + ":"
        + pair.peerDbPort() + ")", () -> connect(pair.peerDbHost(), pair.peerDbPort(), adminPassword));
  }

  private Connection connect(String host, int port, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", pair.dbAdminUser());
    p.setProperty("password", password);
    // a dead peer must not hold the HA loop: fail fast
    p.setProperty("connectTimeout", "2000");
    p.setProperty("socketTimeout", "10000");
    return DriverManager.getConnection("jdbc:mariadb://" + host + ":" + port + "/", p);
  }

  /**
   * Checks at start that the local database answers with the admin account and, if it holds a
   * store already, that the store belongs to this cluster; names the setting if not.
   */
  void checkDatabase() {
    try {
      local.status();
    } catch (SQLException e) {
      throw new ConfigException("db.admin.user " + pair.dbAdminUser() + " cannot reach the local database at "
          + localAddress + " (from db.url): " + e.getMessage());
    }
    String owner = null;
    try (Connection c = connect(localHost, localPort, adminPassword);
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet r = s.executeQuery("SELECT cluster_name FROM `" + schema.replace("`", "")
            + "`.store_meta WHERE id = 1")) {
      owner = r.next() ? r.getString(1) : null;
    } catch (SQLException e) {
      // no store yet (a fresh standby fills it by replication), or one from before cluster names
    }
    if (owner != null && !owner.equals(pair.clusterName())) {
      throw new ConfigException(config.source() + ": cluster.name=" + pair.clusterName() + ", but the store in the"
          + " database at " + localAddress + " belongs to cluster " + owner + ": a node runs only on its own"
          + " cluster's store (check cluster.name and db.url)");
    }
  }

  @Override
  public Promotion.Data data() {
    try {
      DatabaseStatus status = local.status();
      return status.replica() != null ? Promotion.Data.REPLICA : Promotion.Data.PRIMARY;
    } catch (SQLException e) {
      return Promotion.Data.UNREACHABLE;
    }
  }

  @Override
  public void fence(String node, boolean withCommand) throws Exception {
    if (!node.equals(pair.peerName())) {
      throw new IllegalStateException("node " + node + " is not this node's peer (" + pair.peerName() + ")");
    }
    if (withCommand) {
      List<String> command = new ArrayList<>(pair.fenceCommand());
      command.add(node);
      ExternalCommand.Result result = ExternalCommand.run(command, "", pair.fenceTimeout());
      if (!result.ok()) {
        throw new IllegalStateException("fence.command: " + result.detail());
      }
      LOG.info("fenced node {} with fence.command{}", node, result.detail().isEmpty() ? "" : ": " + result.detail());
    }
    // the program's name only: a fence command's arguments may carry credentials (ipmitool -P)
    String how = withCommand ? "fence.command " + java.nio.file.Path.of(pair.fenceCommand().get(0)).getFileName()
        + " succeeded for node " + node
        : "no fence command (a hand-over)";
    try {
      int killed = peer.fence(List.of(config.dbUser()));
      LOG.info("{} is read-only now; {} client session(s) ended", peer.name(), killed);
      how += "; " + peer.name() + " set read-only, " + killed + " client session(s) ended";
    } catch (SQLException e) {
      // fenced by the command (its database is down with it), or it stopped itself (switchover)
      LOG.info("{} did not answer ({}); {}", peer.name(), e.getMessage(), withCommand ? "fenced by the command alone"
          : "it stopped itself");
      how += "; " + peer.name() + " did not answer (" + e.getMessage() + ")";
    }
    lastFence = new Fenced(node, java.time.Instant.now(), how);
  }

  @Override
  public String promote() throws Exception {
    return local.promote(CATCH_UP).toString();
  }

  @Override
  public Optional<String> replicationProblem() {
    try {
      DatabaseStatus.Replica r = local.status().replica();
      if (r == null || r.healthy()) {
        return Optional.empty();
      }
      String error = firstNonEmpty(r.lastIoError(), r.lastSqlError());
      if (error.contains("1236") || error.contains("not in the master's binlog")) {
        return Optional.of("the master does not have this node's last transactions (" + error + "): run 'twinsign"
            + " node rebuild' on this node");
      }
      return Optional.of(error.isEmpty() ? "replication threads stopped" : error);
    } catch (SQLException e) {
      return Optional.of("database unreachable: " + e.getMessage());
    }
  }

  @Override
  public void follow(String master, String fork) throws Exception {
    if (!master.equals(pair.peerName())) {
      throw new IllegalStateException("the master is node " + master + ", not this node's peer " + pair.peerName()
          + ": check peer.name in " + config.source());
    }
    DatabaseStatus primary = peer.status();
    char[] password = PairConfig.secret(pair.replicationPasswordFile(), "replication.password.file").toCharArray();
    local.follow(new ReplicationSource(pair.peerDbHost(), pair.peerDbPort(), pair.replicationUser(), password),
        primary.current(), fork.isEmpty() ? null : org.twinsign.replication.GtidPosition.parse(fork));
    LOG.info("{} follows {}", local.name(), peer.name());
  }

  /**
   * {@code node rebuild}: replaces this node's database with a clone of the master's (its peer's)
   * and makes it a replica again; for a database with transactions the master lacks. The node
   * daemon must not run meanwhile.
   */
  String rebuild() throws Exception {
    DatabaseStatus primary = peer.status();
    if (!primary.primary()) {
      throw new IllegalStateException(peer.name() + " is not the primary (" + (primary.readOnly() ? "read-only" : "")
          + (primary.replica() != null ? " replicating" : "") + "): rebuild the standby from the master, on the standby");
    }
    char[] admin = adminPassword.toCharArray();
    java.nio.file.Path work = java.nio.file.Files.createTempDirectory("twinsign-rebuild",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    try {
      org.twinsign.replication.DatabaseClone clone = new org.twinsign.replication.DatabaseClone(tool("mariadb-dump"),
          tool("mariadb"), work);
      char[] replication = PairConfig.secret(pair.replicationPasswordFile(), "replication.password.file").toCharArray();
      org.twinsign.replication.GtidPosition at = clone.rebuild(local,
          new org.twinsign.replication.DatabaseClone.Server(localHost, localPort, pair.dbAdminUser(), admin),
          new org.twinsign.replication.DatabaseClone.Server(pair.peerDbHost(), pair.peerDbPort(), pair.dbAdminUser(),
              admin),
          new ReplicationSource(pair.peerDbHost(), pair.peerDbPort(), pair.replicationUser(), replication), schema);
      return "node " + pair.nodeName() + ": " + local.name() + " is a clone of " + peer.name() + " and replicates it"
          + " from GTID " + at;
    } finally {
      try (var files = java.nio.file.Files.list(work)) {
        for (java.nio.file.Path p : files.toList()) {
          java.nio.file.Files.deleteIfExists(p);
        }
      }
      java.nio.file.Files.deleteIfExists(work);
    }
  }

  private static java.nio.file.Path tool(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      java.nio.file.Path p = java.nio.file.Path.of(dir, name);
      if (java.nio.file.Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IllegalStateException(name + " is not installed (Debian package mariadb-client)");
  }

  @Override
  public void becomeMaster(Lease lease) {
    duties.start(lease);
  }

  @Override
  public void stopMaster(String why) {
    duties.stop(why);
  }

  @Override
  public Optional<Boolean> standbyInSync(String standby) {
    try {
      DatabaseStatus status = local.status();
      return Optional.of(status.semiSyncPrimaryActive() && status.semiSyncReplicas() >= 1);
    } catch (SQLException e) {
      return Optional.empty();
    }
  }

  /** The node's copy of the master's output, once it runs: part of what it describes. */
  void useIngest(SignedIngest ingest) {
    this.ingest = ingest;
  }

  /** The node's key sync, once it runs: part of what it describes, and of what a standby needs to be promoted. */
  void useKeys(PairKeys keys) {
    this.keys = keys;
  }

  @Override
  public Optional<String> standbyLacks(String standby) {
    org.twinsign.appliance.service.Services services = duties.services();
    if (keys == null) {
      return Optional.empty();
    }
    if (services == null) {
      return Optional.of("is not checked yet for published keys in its HSM (this node's term is starting)");
    }
    try {
      long missing = services.keySync().publishedNotOn(standby);
      if (missing > 0) {
        return Optional.of("lacks " + missing + " published key(s) in its HSM (key sync)");
      }
      // keys let through while it was not eligible: their publication may commit after this check
      java.util.Set<Long> pending = keys.degradedPending();
      java.util.Set<Long> lacking = services.keySync().notOn(standby, pending);
      java.util.Set<Long> held = new java.util.HashSet<>(pending);
      held.removeAll(lacking);
      keys.synced(held);
      return lacking.isEmpty() ? Optional.empty() : Optional.of("lacks " + lacking.size() + " key(s) being published"
          + " without it in its HSM (key sync)");
    } catch (RuntimeException e) {
      return Optional.of("could not be checked for published keys in its HSM: " + e.getMessage());
    }
  }

  /** The database's clock against this node's, in ms, measured again once it is DB_CLOCK_EVERY old. */
  private synchronized long databaseClock() throws SQLException {
    long now = System.nanoTime();
    if (dbClockAt == 0 || now - dbClockAt > DB_CLOCK_EVERY) {
      dbClockMillis = local.clockOffset().toMillis();
      dbClockAt = now;
    }
    return dbClockMillis;
  }

  @Override
  public Map<String, String> describe() {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("admin", pair.adminHost() + ":" + pair.adminPort());
    info.put("pid", Long.toString(ProcessHandle.current().pid()));
    if (pair.dns() != null) {
      // the standby ingests from here: a wildcard listen address is reached at the admin endpoint's host
      String host = pair.dns().listenHost();
      boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
      info.put("dns", (wildcard ? pair.adminHost() : host) + ":" + pair.dns().listenPort());
    }
    try {
      DatabaseStatus s = local.status();
      info.put("database", s.replica() == null ? (s.readOnly() ? "primary, read-only" : "primary")
          : s.replica().diskFull() ? "replica, its receiver stuck: " + s.replica().lastIoError()
          : "replica of " + s.replica().primaryHost() + ":" + s.replica().primaryPort()
              + (s.replica().healthy() ? "" : " (not running: " + firstNonEmpty(s.replica().lastIoError(),
                  s.replica().lastSqlError()) + ")"));
      info.put("gtid", s.current().toString());
      if (s.replica() == null) {
        info.put("semi-sync", s.semiSyncPrimaryActive() ? "on, " + s.semiSyncReplicas() + " replica(s) acknowledging"
            : s.semiSyncPrimaryEnabled() ? "fallen back to asynchronous (" + s.semiSyncFallbacks() + " time(s)):"
                + " commits are not acknowledged" : "off");
      } else {
        info.put("received", s.replica().diskFull() ? "unknown while the receiver waits for disk space"
            : s.replica().received().toString());
        info.put("applied", s.replica().applied().toString());
      }
      if (s.replica() != null && s.replica().secondsBehind() != null) {
        info.put("lag", s.replica().secondsBehind() + " s");
      }
      info.put("database clock", databaseClock() + " ms"); // against this node's ('timing-drift')
    } catch (SQLException e) {
      info.put("database", "unreachable: " + e.getMessage());
    }
    if (keys != null) {
      info.putAll(keys.describe());
    }
    if (ingest != null) {
      info.putAll(ingest.describe());
    }
    return info;
  }

  private static String firstNonEmpty(String a, String b) {
    return a != null && !a.isEmpty() ? a : b == null ? "" : b;
  }
}
