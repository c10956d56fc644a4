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
  private final String localAddress;
  private final MasterDuties duties;

  PairNode(TwinsignConfig config, MasterDuties duties) {
    this.config = config;
    this.pair = config.pair();
    this.duties = duties;
    URI db = URI.create(config.dbUrl().substring("jdbc:".length()));
    String host = db.getHost() == null ? "127.0.0.1" : db.getHost();
    int port = db.getPort() < 0 ? 3306 : db.getPort();
    this.localAddress = host + ":" + port;
    String adminPassword = PairConfig.secret(pair.dbAdminPasswordFile(), "db.admin.password.file");
    this.local = new MariaDbRole("the database of node " + pair.nodeName() + " (" + localAddress + ")",
        () -> connect(host, port, adminPassword));
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

  /** Checks at start that the local database answers with the admin account; names the setting if not. */
  void checkDatabase() {
    try {
      local.status();
    } catch (SQLException e) {
      throw new ConfigException("db.admin.user " + pair.dbAdminUser() + " cannot reach the local database at "
          + localAddress + " (from db.url): " + e.getMessage());
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
    try {
      int killed = peer.fence(List.of(config.dbUser()));
      LOG.info("{} is read-only now; {} client session(s) ended", peer.name(), killed);
    } catch (SQLException e) {
      // fenced by the command (its database is down with it), or it stopped itself (switchover)
      LOG.info("{} did not answer ({}); {}", peer.name(), e.getMessage(), withCommand ? "fenced by the command alone"
          : "it stopped itself");
    }
  }

  @Override
  public void promote() throws Exception {
    local.promote(CATCH_UP);
  }

  @Override
  public void follow(String master) throws Exception {
    if (!master.equals(pair.peerName())) {
      throw new IllegalStateException("the master is node " + master + ", not this node's peer " + pair.peerName()
          + ": check peer.name in " + config.source());
    }
    DatabaseStatus primary = peer.status();
    char[] password = PairConfig.secret(pair.replicationPasswordFile(), "replication.password.file").toCharArray();
    local.follow(new ReplicationSource(pair.peerDbHost(), pair.peerDbPort(), pair.replicationUser(), password),
        primary.current());
    LOG.info("{} follows {}", local.name(), peer.name());
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

  @Override
  public Map<String, String> describe() {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("admin", pair.adminHost() + ":" + pair.adminPort());
    info.put("pid", Long.toString(ProcessHandle.current().pid()));
    try {
      DatabaseStatus s = local.status();
      info.put("database", s.replica() == null ? (s.readOnly() ? "primary, read-only" : "primary")
          : "replica of " + s.replica().primaryHost() + ":" + s.replica().primaryPort()
              + (s.replica().healthy() ? "" : " (not running: " + firstNonEmpty(s.replica().lastIoError(),
                  s.replica().lastSqlError()) + ")"));
      info.put("gtid", s.current().toString());
      if (s.replica() != null && s.replica().secondsBehind() != null) {
        info.put("lag", s.replica().secondsBehind() + " s");
      }
    } catch (SQLException e) {
      info.put("database", "unreachable: " + e.getMessage());
    }
    return info;
  }

  private static String firstNonEmpty(String a, String b) {
    return a != null && !a.isEmpty() ? a : b == null ? "" : b;
  }
}
