package org.twinsign.fencing;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Which standby may be promoted without losing an acknowledged write, as Patroni's
 * {@code synchronous_mode}: only the master writes it, and only under its current epoch.
 *
 * <p>Semantics: the master marks its standby eligible once the standby acknowledges its commits
 * (semi-sync active, replica caught up), and marks it not eligible <em>before</em> it treats any
 * commit that the standby did not acknowledge as done. A candidate that is not the marked node is
 * not promoted automatically. Each write is one ZooKeeper transaction that checks the epoch znode
 * is unchanged since this master read its own epoch there, so a fenced master cannot change it.
 */
public final class Eligibility {
  /** What the master last recorded: the eligible node ("" for none), under which epoch, why. */
  public record Mark(String node, long epoch, String reason, String at, int version) {
    public static final Mark NONE = new Mark("", 0, "no standby has been marked in sync yet", "", -1);

    public boolean eligible(String candidate) {
      return !node.isEmpty() && node.equals(candidate);
    }
  }

  private final CuratorFramework client;
  private final ClusterPaths paths;
  private final Clock clock;

  public Eligibility(CuratorFramework client, ClusterPaths paths, Clock clock) {
    this.client = client;
    this.paths = paths;
    this.clock = clock;
  }

  public Mark read() throws Exception {
    try {
      Stat stat = new Stat();
      Map<String, String> f = Znode.decode(client.getData().storingStatIn(stat).forPath(paths.eligible()));
      return new Mark(f.getOrDefault("node", ""), Long.parseLong(f.getOrDefault("epoch", "0")),
          f.getOrDefault("reason", ""), f.getOrDefault("at", ""), stat.getVersion());
    } catch (KeeperException.NoNodeException e) {
      return Mark.NONE;
    }
  }

  /**
   * Records {@code node} (or nobody, for "") as the eligible standby, under {@code lease}.
   *
   * @throws LeaseLostException when the lease is not valid or its epoch is no longer the cluster's
   */
  public void mark(String node, String reason, Lease lease) throws Exception {
    mark(node, reason, lease, null);
  }

  /**
   * As {@link #mark(String, String, Lease)}, but only if the mark is still {@code seen} (its
   * version): the master's loop marks a standby eligible only over the mark it read before it
   * looked at replication, so a "not eligible" written meanwhile by a commit is never overwritten.
   *
   * @return false when the mark changed since {@code seen}
   */
  public boolean markIfUnchanged(String node, String reason, Lease lease, Mark seen) throws Exception {
    return mark(node, reason, lease, seen);
  }

  private boolean mark(String node, String reason, Lease lease, Mark seen) throws Exception {
    lease.check("mark the standby " + (node.isEmpty() ? "not eligible" : node + " eligible"));
    long epoch = lease.epoch().orElseThrow();
    Stat stat = new Stat();
    EpochRecord current = EpochRecord.parse(paths.epoch(), client.getData().storingStatIn(stat).forPath(paths.epoch()));
    if (current.epoch() != epoch) {
      throw new LeaseLostException("epoch " + current.epoch() + " (node " + current.node() + ") replaced epoch " + epoch
          + ": the standby's eligibility is not this node's to set");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("node", node);
    fields.put("epoch", Long.toString(epoch));
    fields.put("at", clock.instant().toString());
    fields.put("reason", reason);
    byte[] data = Znode.encode(fields);
    boolean exists = seen != null ? seen.version() >= 0 : client.checkExists().forPath(paths.eligible()) != null;
    try {
      client.transaction().forOperations(
          client.transactionOp().check().withVersion(stat.getVersion()).forPath(paths.epoch()),
          !exists ? client.transactionOp().create().forPath(paths.eligible(), data)
              : seen != null ? client.transactionOp().setData().withVersion(seen.version()).forPath(paths.eligible(), data)
              : client.transactionOp().setData().forPath(paths.eligible(), data));
      return true;
    } catch (KeeperException.BadVersionException e) {
      if (seen != null && isEpochUnchanged(epoch)) {
        return false; // the mark moved (a commit marked the standby not eligible): look again next time
      }
      throw new LeaseLostException("the fencing epoch changed while marking the standby: epoch " + epoch
          + " is no longer the cluster's");
    } catch (KeeperException.NodeExistsException e) {
      return false; // created meanwhile: look again next time
    }
  }

  private boolean isEpochUnchanged(long epoch) throws Exception {
    return EpochRecord.parse(paths.epoch(), client.getData().forPath(paths.epoch())).epoch() == epoch;
  }
}
