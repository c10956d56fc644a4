package org.twinsign.testkit;

import java.io.IOException;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;

/** curator-test servers in this JVM. Their threads may outlive {@link #close()} (a curator-test trait). */
final class InProcessZooKeeper implements ZooKeeperEnsemble {
  private final TestingServer single;
  private final TestingCluster cluster;
  private final List<InstanceSpec> specs;

  private InProcessZooKeeper(TestingServer single, TestingCluster cluster) {
    this.single = single;
    this.cluster = cluster;
    this.specs = cluster == null ? List.of() : List.copyOf(cluster.getInstances());
  }

  /**
   * One server that grants sessions of at most {@code maxSessionTimeout} (its tick a tenth of
   * that), whatever a client asks for: as an operator's {@code maxSessionTimeout} does.
   */
  static InProcessZooKeeper granting(java.time.Duration maxSessionTimeout) {
    int max = (int) maxSessionTimeout.toMillis();
    try {
      InstanceSpec spec = new InstanceSpec(null, Ports.freeLoopbackPort(), -1, -1, true, -1, Math.max(1, max / 10),
          -1, java.util.Map.of("maxSessionTimeout", String.valueOf(max), "minSessionTimeout",
              String.valueOf(Math.max(2, max / 5))));
      return new InProcessZooKeeper(new TestingServer(spec, true), null);
    } catch (Exception e) {
      throw new IllegalStateException("in-process ZooKeeper did not start: " + e.getMessage(), e);
    }
  }

  static InProcessZooKeeper start(int size) {
    try {
      if (size == 1) {
        return new InProcessZooKeeper(new TestingServer(Ports.freeLoopbackPort(), true), null);
      }
      if (size == 3) {
        TestingCluster cluster = new TestingCluster(size);
        cluster.start();
        return new InProcessZooKeeper(null, cluster);
      }
      throw new IllegalArgumentException("a ZooKeeper ensemble has 1 or 3 servers here, not " + size);
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("in-process ZooKeeper did not start: " + e.getMessage(), e);
    }
  }

  @Override
  public String connectString() {
    return single != null ? single.getConnectString() : cluster.getConnectString();
  }

  @Override
  public int size() {
    return single != null ? 1 : specs.size();
  }

  @Override
  public int clientPort(int index) {
    return single != null ? single.getPort() : specs.get(index).getPort();
  }

  @Override
  public void kill(int index) {
    try {
      if (single != null) {
        single.stop();
      } else {
        cluster.killServer(specs.get(index));
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop in-process ZooKeeper server " + index + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void restart(int index) {
    try {
      if (single != null) {
        single.restart();
      } else {
        cluster.restartServer(specs.get(index));
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot restart in-process ZooKeeper server " + index + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public void pause(int index) {
    throw new UnsupportedOperationException(
        "an in-process ZooKeeper server cannot be paused: use ZooKeeperEnsemble.processes(n) for SIGSTOP tests");
  }

  @Override
  public void resume(int index) {
    throw new UnsupportedOperationException(
        "an in-process ZooKeeper server cannot be paused: use ZooKeeperEnsemble.processes(n) for SIGSTOP tests");
  }

  @Override
  public void close() {
    try {
      if (single != null) {
        single.close();
      } else {
        cluster.close();
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot close in-process ZooKeeper: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "in-process ZooKeeper (" + size() + " servers) at " + connectString();
  }
}
