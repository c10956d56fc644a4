package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.junit.jupiter.api.Test;

class ZooKeeperEnsembleTest {

  @Test
  void threeServerProcessesKeepAQuorumWriteWorkingAfterOneIsKilled() throws Exception {
    try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.processes(3);
        CuratorFramework client = client(ensemble)) {
      client.create().forPath("/before", bytes("1"));
      int leader = leaderOf((ProcessZooKeeper) ensemble);
      long leaderPid = ((ProcessZooKeeper) ensemble).process(leader).orElseThrow().pid();

      ensemble.kill(leader);
      assertFalse(ProcessHandle.of(leaderPid).map(ProcessHandle::isAlive).orElse(false), "leader must be dead");

      // a write needs a quorum: two of three servers, after re-election
      client.create().forPath("/after-kill", bytes("2"));
      assertArrayEquals(bytes("1"), client.getData().forPath("/before"));

      ensemble.restart(leader);
      client.create().forPath("/after-restart", bytes("3"));
      assertEquals(3, ensemble.size());
    }
  }

  @Test
  void aPausedServerDoesNotStopTheQuorumAndResumes() throws Exception {
    try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.processes(3);
        CuratorFramework client = client(ensemble)) {
      int follower = (leaderOf((ProcessZooKeeper) ensemble) + 1) % 3;
      ensemble.pause(follower);
      client.create().forPath("/while-paused", bytes("x"));
      ensemble.resume(follower);
      assertTrue(((ProcessZooKeeper) ensemble).mode(follower).isPresent() || awaitMode((ProcessZooKeeper) ensemble,
          follower), "resumed server serves again");
    }
  }

  @Test
  void inProcessEnsembleOfThreeSurvivesAKill() throws Exception {
    try (ZooKeeperEnsemble ensemble = ZooKeeperEnsemble.inProcess(3);
        CuratorFramework client = client(ensemble)) {
      client.create().forPath("/a", bytes("1"));
      ensemble.kill(0);
      client.create().forPath("/b", bytes("2"));
      ensemble.restart(0);
      assertArrayEquals(bytes("2"), client.getData().forPath("/b"));
      assertThrows(UnsupportedOperationException.class, () -> ensemble.pause(1));
    }
  }

  @Test
  void singleServersOfBothKindsServe() throws Exception {
    try (ZooKeeperEnsemble inProcess = ZooKeeperEnsemble.inProcess(1);
        ZooKeeperEnsemble process = ZooKeeperEnsemble.processes(1);
        CuratorFramework a = client(inProcess);
        CuratorFramework b = client(process)) {
      a.create().forPath("/one", bytes("a"));
      b.create().forPath("/one", bytes("b"));
      assertArrayEquals(bytes("a"), a.getData().forPath("/one"));
      assertArrayEquals(bytes("b"), b.getData().forPath("/one"));
      assertEquals("standalone", ((ProcessZooKeeper) process).mode(0).orElseThrow());
    }
  }

  private static CuratorFramework client(ZooKeeperEnsemble ensemble) throws InterruptedException {
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(ensemble.connectString())
        .sessionTimeoutMs(10_000)
        .connectionTimeoutMs(5_000)
        .retryPolicy(new RetryNTimes(60, 250))
        .build();
    client.start();
    assertTrue(client.blockUntilConnected(30, TimeUnit.SECONDS), "client connects to " + ensemble);
    return client;
  }

  private static int leaderOf(ProcessZooKeeper ensemble) {
    for (int i = 0; i < ensemble.size(); i++) {
      if (ensemble.mode(i).map("leader"::equals).orElse(false)) {
        return i;
      }
    }
    throw new AssertionError("no leader in " + ensemble);
  }

  private static boolean awaitMode(ProcessZooKeeper ensemble, int index) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      if (ensemble.mode(index).isPresent()) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
