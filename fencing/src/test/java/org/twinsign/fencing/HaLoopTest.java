package org.twinsign.fencing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twinsign.testkit.ZooKeeperEnsemble;

/**
 * The HA loop of two nodes against a real (in-process) ZooKeeper, with the database and duties
 * played by a recording {@link NodeRole}; the real database and node processes are tested in the
 * appliance's pair tests.
 */
class HaLoopTest {
  private static final Duration SESSION = Duration.ofSeconds(2);
  private final List<AutoCloseable> closing = new ArrayList<>();
  private ZooKeeperEnsemble zk;

  @BeforeEach
  void start() {
    zk = ZooKeeperEnsemble.inProcess(1);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    zk.close();
  }

  /** A node's database and duties, as the loop sees them; records what it was asked to do. */
  static final class FakeRole implements NodeRole {
    final List<String> actions = Collections.synchronizedList(new ArrayList<>());
    volatile Promotion.Data data;
    volatile boolean fenceWorks = true;
    volatile boolean inSync = true;
    volatile Lease lease;

    FakeRole(Promotion.Data data) {
      this.data = data;
    }

    @Override
    public Promotion.Data data() {
      return data;
    }

    @Override
    public void fence(String node, boolean withCommand) throws Exception {
      actions.add((withCommand ? "fence " : "fence database of ") + node);
      if (!fenceWorks) {
        throw new Exception("the fence command exited with 1");
      }
    }

    @Override
    public String promote() {
      actions.add("promote");
      data = Promotion.Data.PRIMARY;
      return "position-" + actions.size();
    }

    @Override
    public void follow(String master, String fork) {
      actions.add("follow " + master);
      data = Promotion.Data.REPLICA;
    }

    @Override
    public Optional<String> replicationProblem() {
      return Optional.empty();
    }

    @Override
    public void becomeMaster(Lease lease) {
      if (this.lease != lease) { // called on every tick: record each term once
        actions.add("master " + lease.epoch().getAsLong());
        this.lease = lease;
      }
    }

    @Override
    public void stopMaster(String why) {
      actions.add("stop");
    }

    @Override
    public Optional<Boolean> standbyInSync(String standby) {
      return Optional.of(inSync);
    }

    @Override
    public Map<String, String> describe() {
      return Map.of("database", data.toString());
    }
  }

  record Node(String name, FakeRole role, CuratorFramework client, Leadership leadership, HaLoop loop,
      FailoverSwitch failover, Eligibility eligibility) {}

  private Node node(String name, Promotion.Data data) throws Exception {
    CuratorFramework client = ZooKeeperConnection.open(zk.connectString(), SESSION, Duration.ofSeconds(10));
    closing.add(client);
    ClusterPaths paths = new ClusterPaths("test");
    Leadership leadership = new Leadership(client, new Leadership.Settings(name, paths, SESSION, 0.5));
    ClusterMembers members = new ClusterMembers(client, paths, name);
    members.register(Map.of(), SESSION.plusSeconds(1));
    FakeRole role = new FakeRole(data);
    Eligibility eligibility = new Eligibility(client, paths, Clock.systemUTC());
    FailoverSwitch failover = new FailoverSwitch(client, paths, Clock.systemUTC());
    HaLoop loop = new HaLoop(leadership, members, eligibility, failover, role, Clock.systemUTC(),
        Duration.ofMillis(100), Duration.ZERO);
    closing.add(leadership);
    closing.add(loop);
    leadership.start();
    loop.start();
    return new Node(name, role, client, leadership, loop, failover, eligibility);
  }


  private static boolean marked(Node n, String node) {
    try {
      return n.eligibility().read().node().equals(node);
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void theEligibleStandbyTakesOverOnlyAfterTheMastersSessionIsGoneAndFencesItFirst() throws Exception {
    Node alpha = node("alpha", Promotion.Data.PRIMARY);
    Eventually.holds("alpha master", () -> alpha.leadership().isMaster());
    Node beta = node("beta", Promotion.Data.PRIMARY); // a fresh database: it must start following
    Eventually.holds("beta follows alpha", () -> beta.role().actions.contains("follow alpha"));
    Eventually.holds("beta marked eligible", () -> marked(alpha, "beta"));
    assertEquals(List.of("promote", "master 1"), alpha.role().actions);

    Lease alphaLease = alpha.role().lease;
    crash(alpha);
    assertFalse(alphaLease.valid(), "alpha's lease is gone for good");
    Eventually.holds("beta master", () -> beta.leadership().isMaster());
    assertEquals(List.of("follow alpha", "fence alpha", "promote", "master 2"), beta.role().actions);
    List<EpochRecord> history = beta.leadership().epochs().history();
    assertEquals(List.of("alpha", "beta"), history.stream().map(EpochRecord::node).toList());
    assertTrue(history.get(1).reason().startsWith("failover from node alpha"), history.get(1).reason());

    Node again = node("alpha", Promotion.Data.PRIMARY); // the old master restarted: it follows, it does not resume
    Eventually.holds("alpha follows beta", () -> again.role().actions.contains("follow beta"));
    Eventually.holds("alpha marked eligible by beta", () -> marked(beta, "alpha"));
    assertTrue(beta.leadership().isMaster());
    assertFalse(again.role().actions.contains("promote"), again.role().actions.toString());
  }

  /** The process dies: its client closes, its session and registration end with it. */
  private static void crash(Node n) throws Exception {
    n.loop().close();
    n.leadership().close();
    n.client().close();
  }

  @Test
  void aMasterWhoseSessionExpiredButLivesIsNotFailedOverTwice() throws Exception {
    Node alpha = node("alpha", Promotion.Data.PRIMARY);
    Eventually.holds("alpha master", () -> alpha.leadership().isMaster());
    Node beta = node("beta", Promotion.Data.REPLICA);
    Eventually.holds("beta marked eligible", () -> marked(alpha, "beta"));
    Lease first = alpha.role().lease;
    alpha.client().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
    Eventually.holds("alpha's lease ends", () -> !first.valid());
    // alpha comes straight back with a new session: whichever node wins, there is one master with epoch 2
    Eventually.holds("one master with epoch 2", () -> alpha.leadership().isMaster() != beta.leadership().isMaster()
        && (alpha.leadership().isMaster() ? alpha : beta).leadership().lease().epoch().getAsLong() == 2);
    Thread.sleep(1000);
    assertTrue(alpha.leadership().isMaster() != beta.leadership().isMaster(), "still exactly one master");
    assertEquals(2, beta.leadership().currentEpoch().epoch(), "no further epochs: no flapping");
  }

  @Test
  void aFailedFenceBlocksTheFailoverUntilAnOperatorResumesIt() throws Exception {
    Node alpha = node("alpha", Promotion.Data.PRIMARY);
    Eventually.holds("alpha master", () -> alpha.leadership().isMaster());
    Node beta = node("beta", Promotion.Data.REPLICA);
    Eventually.holds("beta marked eligible", () -> marked(alpha, "beta"));
    beta.role().fenceWorks = false;
    crash(alpha);
    Eventually.holds("beta tried to fence alpha", () -> beta.role().actions.contains("fence alpha"));
    Eventually.holds("failover blocked", () -> {
      try {
        return beta.failover().off().map(o -> o.kind().equals("blocked")).orElse(false);
      } catch (Exception e) {
        return false;
      }
    });
    Thread.sleep(500);
    assertFalse(beta.leadership().isMaster(), "never promoted blindly");
    assertFalse(beta.role().actions.contains("promote"), beta.role().actions.toString());
    assertTrue(beta.loop().state().contains("automatic failover is blocked") || beta.loop().state().contains(
        "fencing node alpha failed"), beta.loop().state());

    beta.role().fenceWorks = true;
    beta.failover().resume(); // the operator fenced alpha by hand and says so
    Eventually.holds("beta master after resume", () -> beta.leadership().isMaster());
    assertEquals(2, beta.leadership().lease().epoch().getAsLong());
  }

  @Test
  void aStandbyThatIsNotInSyncIsNotPromoted() throws Exception {
    Node alpha = node("alpha", Promotion.Data.PRIMARY);
    Eventually.holds("alpha master", () -> alpha.leadership().isMaster());
    alpha.role().inSync = false;
    Node beta = node("beta", Promotion.Data.REPLICA);
    Eventually.holds("alpha marks nobody eligible", () -> {
      try {
        return alpha.eligibility().read().epoch() == 1 && alpha.eligibility().read().node().isEmpty();
      } catch (Exception e) {
        return false;
      }
    });
    crash(alpha);
    Eventually.holds("failover blocked", () -> beta.loop().state().contains("is not the eligible standby")
        || beta.loop().state().contains("automatic failover is blocked"));
    assertFalse(beta.leadership().isMaster());
    assertFalse(beta.role().actions.contains("fence alpha"), beta.role().actions.toString());
  }

  @Test
  void aFailoverAskedOnTheStandbyMakesTheLiveMasterStepDownAndTheStandbyFenceIt() throws Exception {
    Node alpha = node("alpha", Promotion.Data.PRIMARY);
    Eventually.holds("alpha master", () -> alpha.leadership().isMaster());
    Node beta = node("beta", Promotion.Data.REPLICA);
    Eventually.holds("beta marked eligible", () -> marked(alpha, "beta"));
    Lease first = alpha.role().lease;

    beta.failover().handOver("beta", false, false, "failover by an operator"); // as 'cluster failover --to beta' on beta
    Eventually.holds("beta master", () -> beta.leadership().isMaster());
    assertFalse(first.valid(), "alpha stepped down");
    assertEquals(2, beta.leadership().lease().epoch().getAsLong());
    assertTrue(beta.role().actions.contains("fence alpha"), "an unplanned hand-over fences: " + beta.role().actions);
    Eventually.holds("alpha follows beta", () -> alpha.role().actions.contains("follow beta"));
    assertFalse(alpha.leadership().isMaster());
  }
}
