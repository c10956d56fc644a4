package org.twinsign.fencing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;

/** Opens the Curator client a node uses for everything it does in ZooKeeper. */
public final class ZooKeeperConnection {
  private ZooKeeperConnection() {}

  /**
   * A started client, connected within {@code connectTimeout}.
   *
   * @throws IllegalStateException naming {@code zookeeper.connect} when no server answered in time
   */
  public static CuratorFramework open(String connectString, Duration sessionTimeout, Duration connectTimeout)
      throws InterruptedException {
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(connectString)
        .sessionTimeoutMs((int) sessionTimeout.toMillis())
        // a dead server is given up on well within the session, so another one is tried in time
        .connectionTimeoutMs((int) Math.min(sessionTimeout.toMillis() / 3, 5000))
        .retryPolicy(new BoundedExponentialBackoffRetry(100, 1000, 3))
        .build();
    client.start();
    if (!client.blockUntilConnected((int) connectTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
      client.close();
      throw new IllegalStateException("zookeeper.connect=" + connectString + ": no ZooKeeper server answered within "
          + connectTimeout.toSeconds() + " s; check the addresses and that a quorum of the ensemble runs");
    }
    return client;
  }
}
