package org.twinsign.fencing;

import java.util.regex.Pattern;

/**
 * Where a cluster keeps its coordination state in ZooKeeper, all under
 * {@code /twinsign/<cluster.name>}: the leader latch, the fencing epoch and its history, the
 * members' registrations, the standby's eligibility and the failover switches. One place, so that
 * an operator with {@code zkCli.sh} finds the same names as the code.
 */
public record ClusterPaths(String cluster) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

  public ClusterPaths {
    requireName("cluster.name", cluster);
  }

  /** Refuses a node or cluster name that is not a simple lower-case token (it becomes a znode name). */
  public static String requireName(String setting, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(setting + " '" + value + "' is not a valid name: use 1 to 63 of a-z, 0-9,"
          + " '.', '_' and '-', starting with a letter or digit");
    }
    return value;
  }

  public String root() {
    return "/twinsign/" + cluster;
  }

  /** The Curator {@code LeaderLatch}'s parent. */
  public String latch() {
    return root() + "/leader";
  }

  /** The fencing epoch: a persistent znode changed only by compare-and-set ({@link FencingEpoch}). */
  public String epoch() {
    return root() + "/epoch";
  }

  /** One persistent sequential child per epoch taken: {@code cluster history}. */
  public String history() {
    return root() + "/history";
  }

  /** One ephemeral child per running node, named after it. */
  public String members() {
    return root() + "/members";
  }

  public String member(String node) {
    return members() + "/" + node;
  }

  /** Which standby may be promoted without losing an acknowledged write (the synchronous standby). */
  public String eligible() {
    return root() + "/eligible";
  }

  /** An operator's hand-over to one named node (switchover, manual failover). */
  public String handover() {
    return root() + "/handover";
  }

  /** Present while automatic failover is off: paused by an operator, or blocked after a failed failover. */
  public String failoverOff() {
    return root() + "/failover-off";
  }
}
