package org.twinsign.appliance.cli;

import org.twinsign.appliance.service.Services;

/**
 * What a command gets when a node daemon executes it for an operator (its admin endpoint): the
 * node's services instead of ones the command would open itself, and the cluster view.
 */
public interface NodeContext {
  /**
   * The services to act with: the master's (under its lease) for a command that changes state,
   * the node's read-only view of its own database otherwise.
   *
   * @throws IllegalStateException when the command changes state and this node is not master
   */
  Services services(boolean changesState);

  /** The cluster as this node sees it, for {@code cluster ...}. */
  ClusterOperations cluster();

  /** The node's DNS side, or null if it has none ({@code dns.listen} unset). */
  org.twinsign.appliance.dns.DnsOperations dns();

  /** The KEK ceremony between this node's HSMs and its peer's. */
  KekOperations kek();
}
