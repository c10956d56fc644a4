package org.twinsign.appliance.node;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.config.ConfigException;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.fencing.ClusterMembers;
import org.twinsign.fencing.ClusterPaths;
import org.twinsign.fencing.Eligibility;
import org.twinsign.fencing.FailoverSwitch;
import org.twinsign.fencing.HaLoop;
import org.twinsign.fencing.Leadership;
import org.twinsign.fencing.ZooKeeperConnection;
import org.twinsign.replication.SemiSyncAcknowledgement;

/**
 * One node of a pair ({@code twinsign node run}): its ZooKeeper session, its part in the election,
 * the HA loop that steers its database and duties, and its admin endpoint.
 *
 * <p>Lifecycle: {@link #start} checks everything it can before taking part (configuration,
 * ZooKeeper, the local database, the name not in use) and fails with a message naming the setting;
 * {@link #close} leaves the election first, so that the peer can take over at once.
 */
public final class NodeDaemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeDaemon.class);

  /** The HA loop's tick when nothing wakes it sooner. */
  static final Duration TICK = Duration.ofMillis(500);

  private final TwinsignConfig config;
  private final PairConfig pair;
  private CuratorFramework client;
  private Leadership leadership;
  private HaLoop loop;
  private MasterDuties duties;
  private AdminServer admin;
  private NodeDns dns;
  private PairKeys keys;
  private SignedIngest ingest;
  private AdminCommands commands;
  private ClusterView view;
  private final SystemdNotify systemd = new SystemdNotify();
  private NodeLock hostLock;
  private org.twinsign.appliance.alert.AlertOutbox alerts;
  private NodeMetrics metrics;

  private NodeDaemon(TwinsignConfig config) {
    if (config.pair() == null) {
      throw new ConfigException(config.source() + ": 'node run' is for node.mode=pair; a single signer runs"
          + " 'enforce' from cron or a systemd timer");
    }
    this.config = config;
    this.pair = config.pair();
  }

  public static NodeDaemon start(TwinsignConfig config) throws Exception {
    NodeDaemon daemon = new NodeDaemon(config);
    try {
      daemon.startAll();
      return daemon;
    } catch (Exception | Error e) {
      daemon.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    ClusterPaths paths = new ClusterPaths(pair.clusterName());
    Clock clock = Clock.systemUTC();
    duties = new MasterDuties(config);
    if (pair.historyFile() != null) {
      duties.logActionsTo(new FileActionLog(pair.historyFile(), pair.nodeName()));
    }
    PairNode node = new PairNode(config, duties);
    node.checkDatabase();
    String token = PairConfig.secret(pair.adminTokenFile(), "admin.token.file");
    try {
      client = ZooKeeperConnection.open(pair.zookeeperConnect(), pair.sessionTimeout(), pair.sessionTimeout()
          .multipliedBy(2));
    } catch (IllegalStateException e) {
      throw new ConfigException(config.source() + ": " + e.getMessage());
    }
    hostLock = NodeLock.take(config); // before acting on anything: no rebuild may run under this node
    ClusterMembers members = new ClusterMembers(client, paths, pair.nodeName());
    members.register(Map.of("state", "starting"), pair.sessionTimeout().plusSeconds(2));
    leadership = new Leadership(client, new Leadership.Settings(pair.nodeName(), paths, pair.sessionTimeout(), 0.5));
    Eligibility eligibility = new Eligibility(client, paths, clock);
    Leadership leading = leadership;
    duties.acknowledgeCommitsWith(new SemiSyncAcknowledgement(why -> eligibility.mark("", why, leading.lease())));
    FailoverSwitch failover = new FailoverSwitch(client, paths, clock);
    loop = new HaLoop(leadership, members, eligibility, failover, node, clock, TICK, pair.fenceDelay(),
        pair.clockBound());
    view = new ClusterView(pair.nodeName(), members, leadership, failover, eligibility, loop);
    commands = new AdminCommands(config, duties, view, token);
    keys = new PairKeys(config, duties, commands, view, eligibility, token);
    commands.useKeys(keys);
    node.useKeys(keys);
    PairKeys gate = keys;
    duties.onTerm(services -> {
      services.gateKeysWith(gate);
      if (pair.keySync() == PairConfig.KeySync.WRAP) {
        gate.awaitSyncIdle(); // the standby's last unwrap done: this term writes the HSM from now on
        try {
          // keys the last master wrapped that this node had not taken yet: before the first signing
          services.keySync().completeOwn(pair.nodeName()).forEach(line -> LOG.warn("{}", line));
        } catch (Exception e) {
          LOG.warn("key sync at the start of the term: {}", e.getMessage());
        }
      }
    });
    admin = AdminServer.start(pair.adminHost(), pair.adminPort(), token, commands);
    dns = NodeDns.start(config.source().toString(), pair.dns(), duties);
    commands.useDns(dns);
    if (dns != null) {
      dns.followSourcesAsStandby(() -> commands.services(false)); // a promotion then holds the latest input
      ingest = new SignedIngest(pair.nodeName(), pair.peerName(), commands, view, dns.transferKey(), dns.transfers());
      SignedIngest copies = ingest;
      dns.describeIngestWith((zone, digest) -> copies.describe(org.twinsign.appliance.service.ZoneService.canonical(
          zone.toString()), digest));
      node.useIngest(ingest);
      dns.notifyBetweenNodes(ingest, ingest::standbyDns); // the master notifies the standby too
      // a promoted node continues from the last master's output it ingested, not from a full re-sign
      duties.onTerm(services -> {
        long t0 = System.nanoTime();
        List<String> lines = services.zones().adopt(copies.take());
        lines.forEach(line -> LOG.info("{}", line));
        if (!lines.isEmpty()) {
          LOG.info("the last master's output taken over in {} ms", (System.nanoTime() - t0) / 1_000_000);
        }
      });
    }
    // the master's alert loop: conditions seen in the pair and the keys, mails through the outbox
    PairAlerts pairAlerts = new PairAlerts(pair.nodeName(), pair.peerName(), leadership, members, eligibility, failover,
        node);
    alerts = new org.twinsign.appliance.alert.AlertOutbox(duties::services, config.alerts(), pair.clusterName(),
        pair.nodeName())
        .whenLeaderless(pairAlerts::leaderless)
        .watch(pairAlerts)
        .watch(new org.twinsign.appliance.alert.KeyAlerts())
        .watch(new org.twinsign.appliance.alert.KeyPoolAlerts())
        .watch(new ZoneAlerts(duties));
    if (dns != null) {
      alerts.watch(new TransferAlerts(dns, pair.dns().notifyTo()));
    }
    metrics = NodeMetrics.start(pair.nodeName(), pair.metricsHost(), pair.metricsPort(), view, duties, commands);
    leadership.start();
    keys.start();
    alerts.start();
    if (ingest != null) {
      ingest.start();
    }
    loop.start();
    // a tick can wait on a promotion (database catch-up, fence command): allow for those
    Duration stuck = Duration.ofSeconds(30).plus(PairNode.CATCH_UP).plus(pair.fenceTimeout()).plus(pair.fenceDelay());
    systemd.ready(() -> loop.alive(stuck));
    LOG.info("node {} of cluster {} runs; admin endpoint http://{}:{}/", pair.nodeName(), pair.clusterName(),
        pair.adminHost(), admin.port());
  }

  /**
   * {@code twinsign node rebuild}: clones the master's database into this node's (which must not
   * be running) and makes it a replica; for a node refused because of errant transactions.
   */
  public static String rebuild(TwinsignConfig config, boolean emptyToken) throws Exception {
    if (config.pair() == null) {
      throw new ConfigException(config.source() + ": 'node rebuild' is for node.mode=pair");
    }
    try (NodeLock lock = NodeLock.take(config)) { // the node must not run (or start) meanwhile
      StringBuilder done = new StringBuilder(new PairNode(config, new MasterDuties(config)).rebuild());
      if (config.pair().keySync() == PairConfig.KeySync.WRAP) {
        // the keys from the clone's wrapped copies; the signed zones come by AXFR when the node runs again
        org.twinsign.fencing.EpochLease none = new org.twinsign.fencing.EpochLease(1);
        none.revoke("node rebuild writes nothing to the store");
        try (org.twinsign.appliance.service.Services services = org.twinsign.appliance.service.Services.open(config,
            none)) {
          for (String line : services.keySync().rebuild(config.pair().nodeName(), emptyToken)) {
            done.append('\n').append(line);
          }
        }
      }
      return done.append("\nstart the node again ('twinsign node run'): it takes the master's signed zones and"
          + " is eligible once it acknowledges commits and holds every published key").toString();
    }
  }

  public int adminPort() {
    return admin.port();
  }

  @Override
  public void close() {
    systemd.stopping();
    systemd.close();
    if (loop != null) {
      loop.close();
    }
    if (alerts != null) {
      alerts.close();
    }
    if (metrics != null) {
      metrics.close();
    }
    if (leadership != null) {
      leadership.close();
    }
    if (duties != null) {
      duties.stop("node stopping");
    }
    if (keys != null) {
      keys.close();
    }
    if (ingest != null) {
      ingest.close();
    }
    if (dns != null) {
      dns.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (commands != null) {
      commands.close();
    }
    if (client != null) {
      client.close();
    }
    if (hostLock != null) {
      hostLock.close();
    }
  }
}
