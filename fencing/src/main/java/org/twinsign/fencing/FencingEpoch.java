package org.twinsign.fencing;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The cluster's fencing epoch: a persistent znode whose number only grows.
 *
 * <p>Semantics: {@link #take} raises the epoch by one with a compare-and-set on the znode's
 * version, in one ZooKeeper transaction that also checks that the caller's leader-latch node still
 * exists and appends the new epoch to the history. So an epoch is only ever taken by a node that
 * holds the latch at that moment, two takers never get the same number, and the history has
 * every epoch exactly once. Whoever holds a lower epoch is fenced: the store refuses its writes
 * and its lease sees the higher number at its next heartbeat.
 */
public final class FencingEpoch {
  private final CuratorFramework client;
  private final ClusterPaths paths;
  private final Clock clock;

  public FencingEpoch(CuratorFramework client, ClusterPaths paths, Clock clock) {
    this.client = client;
    this.paths = paths;
    this.clock = clock;
  }

  /** The latest epoch, or {@link EpochRecord#NONE}. */
  public EpochRecord current() throws Exception {
    try {
      return EpochRecord.parse(paths.epoch(), client.getData().forPath(paths.epoch()));
    } catch (KeeperException.NoNodeException e) {
      return EpochRecord.NONE;
    }
  }

  /**
   * Takes the next epoch for {@code node}, provided {@code latchNode} (the caller's latch znode)
   * still exists.
   *
   * @throws LeaseLostException when the latch node is gone: the caller is no longer the leader
   */
  public EpochRecord take(String node, String reason, String latchNode) throws Exception {
    return take(node, reason, "", latchNode);
  }

  /** As {@link #take(String, String, String)}, recording {@code position} with the epoch. */
  public EpochRecord take(String node, String reason, String position, String latchNode) throws Exception {
    ensureExists();
    for (int attempt = 0; ; attempt++) {
      Stat stat = new Stat();
      EpochRecord now;
      try {
        now = EpochRecord.parse(paths.epoch(), client.getData().storingStatIn(stat).forPath(paths.epoch()));
      } catch (KeeperException.NoNodeException e) {
        ensureExists();
        continue;
      }
      EpochRecord next = new EpochRecord(now.epoch() + 1, node, reason, clock.instant(), position);
      List<CuratorOp> ops = new ArrayList<>();
      ops.add(client.transactionOp().check().forPath(latchNode));
      ops.add(client.transactionOp().setData().withVersion(stat.getVersion()).forPath(paths.epoch(), next.bytes()));
      ops.add(client.transactionOp().create().withMode(CreateMode.PERSISTENT_SEQUENTIAL)
          .forPath(paths.history() + "/epoch-", next.bytes()));
      try {
        client.transaction().forOperations(ops);
        return next;
      } catch (KeeperException.NoNodeException e) {
        // the multi names the first failing op only by its error: the history parent exists (ensureExists)
        throw new LeaseLostException("node " + node + " is no longer the leader (its latch node " + latchNode
            + " is gone): it took no epoch");
      } catch (KeeperException.BadVersionException e) {
        if (attempt >= 10) {
          throw new IllegalStateException("the fencing epoch at " + paths.epoch() + " kept changing under node " + node
              + " (10 attempts): two nodes believe they lead; check that every node has its own node.name", e);
        }
      }
    }
  }

  /**
   * The first epoch another node took after {@code node}'s last one: where that node's history
   * forked from {@code node}'s; empty when {@code node} never held an epoch or held the last one.
   */
  public java.util.Optional<EpochRecord> successorOf(String node) throws Exception {
    List<EpochRecord> all = history();
    int last = -1;
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).node().equals(node)) {
        last = i;
      }
    }
    return last < 0 || last + 1 >= all.size() ? java.util.Optional.empty() : java.util.Optional.of(all.get(last + 1));
  }

  /** Every epoch taken, oldest first. */
  public List<EpochRecord> history() throws Exception {
    List<EpochRecord> records = new ArrayList<>();
    List<String> children;
    try {
      children = new ArrayList<>(client.getChildren().forPath(paths.history()));
    } catch (KeeperException.NoNodeException e) {
      return records;
    }
    children.sort(null); // sequence suffixes are zero-padded
    for (String child : children) {
      String path = paths.history() + "/" + child;
      try {
        records.add(EpochRecord.parse(path, client.getData().forPath(path)));
      } catch (KeeperException.NoNodeException e) {
        // removed by an operator meanwhile: not ours to judge
      }
    }
    return records;
  }

  private void ensureExists() throws Exception {
    for (String path : List.of(paths.history())) {
      try {
        client.create().creatingParentsIfNeeded().forPath(path);
      } catch (KeeperException.NodeExistsException e) {
        // there already
      }
    }
    try {
      client.create().creatingParentsIfNeeded().forPath(paths.epoch(), EpochRecord.NONE.bytes());
    } catch (KeeperException.NodeExistsException e) {
      // there already
    }
  }
}
