package org.twinsign.fencing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The running nodes of a cluster: one ephemeral znode per node, named after {@code node.name},
 * holding what {@code cluster list} shows (role, admin address, database state), refreshed by the
 * node. A second process with the same name is refused, since two nodes of one name would fence
 * and follow each other by mistake; a registration left by a killed process of the same node is
 * waited out (it ends with its session).
 */
public final class ClusterMembers {
  private final CuratorFramework client;
  private final ClusterPaths paths;
  private final String node;
  private final String instance = UUID.randomUUID().toString();

  public ClusterMembers(CuratorFramework client, ClusterPaths paths, String node) {
    this.client = client;
    this.paths = paths;
    this.node = ClusterPaths.requireName("node.name", node);
  }

  /**
   * Registers this node, waiting up to {@code staleFor} (the session timeout and a little) for a
   * registration of a previous process of this node to expire.
   *
   * @throws IllegalStateException when another live process holds the name
   */
  public void register(Map<String, String> info, Duration staleFor) throws Exception {
    long deadline = System.nanoTime() + staleFor.toNanos();
    while (true) {
      try {
        client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
            .forPath(paths.member(node), encode(info));
        return;
      } catch (KeeperException.NodeExistsException e) {
        if (System.nanoTime() > deadline) {
          Map<String, String> other = read(node);
          throw new IllegalStateException("node.name=" + node + " is already in use in cluster " + paths.cluster()
              + " by a running node" + (other.containsKey("host") ? " on " + other.get("host") : "")
              + (other.containsKey("pid") ? " (pid " + other.get("pid") + ")" : "")
              + ": every node of a cluster needs a name of its own");
        }
        Thread.sleep(200);
      }
    }
  }

  /** Replaces what this node publishes about itself. */
  public void update(Map<String, String> info) throws Exception {
    try {
      client.setData().forPath(paths.member(node), encode(info));
    } catch (KeeperException.NoNodeException e) {
      // the session was lost and with it the registration: register again (nobody else took the name meanwhile)
      client.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath(paths.member(node), encode(info));
    }
  }

  /** Every registered node and what it says of itself. */
  public Map<String, Map<String, String>> list() throws Exception {
    Map<String, Map<String, String>> all = new LinkedHashMap<>();
    List<String> names;
    try {
      names = new ArrayList<>(client.getChildren().forPath(paths.members()));
    } catch (KeeperException.NoNodeException e) {
      return all;
    }
    names.sort(null);
    for (String name : names) {
      Map<String, String> info = read(name);
      if (info != null) {
        all.put(name, info);
      }
    }
    return all;
  }

  /**
   * How far each node's clock is from ZooKeeper's: the time a node wrote into its {@code seen}
   * field minus the time the ZooKeeper leader recorded that write (the znode's mtime). Off by the
   * write's latency (milliseconds): a node whose offset is seconds has a clock that is wrong.
   */
  public Map<String, java.time.Duration> clockOffsets() throws Exception {
    Map<String, java.time.Duration> offsets = new LinkedHashMap<>();
    for (String name : list().keySet()) {
      org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
      Map<String, String> info;
      try {
        info = Znode.decode(client.getData().storingStatIn(stat).forPath(paths.member(name)));
      } catch (KeeperException.NoNodeException e) {
        continue;
      }
      String seen = info.get("seen");
      if (seen != null && !seen.isEmpty()) {
        try {
          offsets.put(name, java.time.Duration.between(java.time.Instant.ofEpochMilli(stat.getMtime()),
              java.time.Instant.parse(seen)));
        } catch (java.time.format.DateTimeParseException e) {
          // that node's field is unreadable: its clock is unknown, the others' still count
        }
      }
    }
    return offsets;
  }

  private Map<String, String> read(String name) throws Exception {
    try {
      return Znode.decode(client.getData().forPath(paths.member(name)));
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
  }

  private byte[] encode(Map<String, String> info) {
    Map<String, String> fields = new LinkedHashMap<>();
    fields.put("instance", instance);
    fields.putAll(info);
    return Znode.encode(fields);
  }
}
