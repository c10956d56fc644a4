package org.twinsign.fencing;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * Whether automatic failover may happen, as Patroni's {@code pause}: off while an operator has
 * paused it for maintenance, and off after an automatic failover failed (a fence that did not
 * succeed, a candidate that was not eligible), until an operator acts. Also carries an operator's
 * hand-over to one named node ({@code cluster switchover/failover --to}), which that node may act
 * on even while failover is otherwise off.
 */
public final class FailoverSwitch {
  /** Why failover is off: {@code paused} by an operator or {@code blocked} by a failed failover. */
  public record Off(String kind, String reason, String at) {}

  /**
   * An operator's order that {@code target} take over; {@code force} skips the eligibility check;
   * {@code planned} when the master itself handed over (switchover): it has stopped, so it needs
   * no fence command.
   */
  public record Handover(String target, boolean force, boolean planned, String reason, String at) {}

  private final CuratorFramework client;
  private final ClusterPaths paths;
  private final Clock clock;

  public FailoverSwitch(CuratorFramework client, ClusterPaths paths, Clock clock) {
    this.client = client;
    this.paths = paths;
    this.clock = clock;
  }

  public Optional<Off> off() throws Exception {
    Map<String, String> f = read(paths.failoverOff());
    return f == null ? Optional.empty() : Optional.of(new Off(f.getOrDefault("kind", "paused"),
        f.getOrDefault("reason", ""), f.getOrDefault("at", "")));
  }

  public Optional<Handover> handover() throws Exception {
    Map<String, String> f = read(paths.handover());
    return f == null ? Optional.empty() : Optional.of(new Handover(f.getOrDefault("target", ""),
        Boolean.parseBoolean(f.getOrDefault("force", "false")), Boolean.parseBoolean(f.getOrDefault("planned",
        "false")), f.getOrDefault("reason", ""),
        f.getOrDefault("at", "")));
  }

  /** An operator turns automatic failover off. */
  public void pause(String reason) throws Exception {
    write(paths.failoverOff(), Map.of("kind", "paused", "reason", reason));
  }

  /** A failed failover turns it off; an earlier reason is kept if there is one. */
  public void block(String reason) throws Exception {
    if (off().isEmpty()) {
      write(paths.failoverOff(), Map.of("kind", "blocked", "reason", reason));
    }
  }

  /** An operator turns automatic failover on again. */
  public void resume() throws Exception {
    delete(paths.failoverOff());
  }

  public void handOver(String target, boolean force, boolean planned, String reason) throws Exception {
    handOver(target, force, planned, reason, clock.instant());
  }

  /**
   * As above, stamped {@code at}: a node whose clock is known to be off stamps ZooKeeper's time (its
   * clock less its offset), else its hand-over would look stale, or fresh for too long, to the target.
   */
  public void handOver(String target, boolean force, boolean planned, String reason, java.time.Instant at)
      throws Exception {
    Map<String, String> fields = new LinkedHashMap<>(Map.of("target", target, "force", Boolean.toString(force),
        "planned", Boolean.toString(planned), "reason", reason));
    fields.put("at", at.toString());
    write(paths.handover(), fields);
  }

  /** The hand-over is done (or abandoned). */
  public void clearHandover() throws Exception {
    delete(paths.handover());
  }

  private Map<String, String> read(String path) throws Exception {
    try {
      return Znode.decode(client.getData().forPath(path));
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  private void write(String path, Map<String, String> fields) throws Exception {
    Map<String, String> all = new LinkedHashMap<>(fields);
    all.putIfAbsent("at", clock.instant().toString());
    byte[] data = Znode.encode(all);
    try {
      client.create().creatingParentsIfNeeded().forPath(path, data);
    } catch (KeeperException.NodeExistsException e) {
      client.setData().forPath(path, data);
    }
  }

  private void delete(String path) throws Exception {
    try {
      client.delete().forPath(path);
    } catch (KeeperException.NoNodeException e) {
      // already gone
    }
  }
}
