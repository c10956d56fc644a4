package org.twinsign.appliance.cli;

import java.util.List;
import java.util.Map;

/** The cluster commands' view of the pair: what {@code cluster list/history} show and the switches they turn. */
public interface ClusterOperations {
  /** This node's name and role ({@code master} or {@code standby}). */
  String node();

  String role();

  /** One row per node: name, role, state, epoch, eligibility, database, lag, last contact. */
  List<Map<String, String>> members() throws Exception;

  /** This node as it describes itself in its member znode, every field, with its eligibility. */
  Map<String, String> self() throws Exception;

  /** The cluster-wide facts: current epoch and its node, eligible standby, failover switch. */
  Map<String, String> summary() throws Exception;

  /** Every epoch: epoch, node, reason, time. */
  List<Map<String, String>> history() throws Exception;

  void pause(String reason) throws Exception;

  void resume() throws Exception;

  /** Planned: on the master, hands over to {@code to} (or the eligible standby) once it is in sync. */
  String switchover(String to) throws Exception;

  /** Unplanned, by an operator: {@code to} takes over (fencing the master); {@code force} skips eligibility. */
  String failover(String to, boolean force) throws Exception;
}
