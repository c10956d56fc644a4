package org.twinsign.fencing;

import java.util.Map;
import java.util.Optional;

/**
 * What the {@link HaLoop} asks of the node it steers: the node's database role, fencing another
 * node, and the master duties. Implemented by the appliance (which knows the database, the fence
 * command and the signer); this module knows none of them.
 */
public interface NodeRole {
  /** The local database's role now. */
  Promotion.Data data();

  /**
   * Makes sure {@code node} no longer acts: its fence command (power, hypervisor, cloud API) when
   * {@code withCommand}, and, when its database answers, read-only plus its client sessions killed.
   * Without the command (a planned switchover: the node stopped itself) only the database part
   * runs.
   *
   * @throws Exception when the fence could not be confirmed: then nobody is promoted
   */
  void fence(String node, boolean withCommand) throws Exception;

  /**
   * Makes the local database the primary, with everything it received applied.
   *
   * @return where the data stands now (recorded with the epoch: the point other nodes' histories
   *     fork from)
   */
  String promote() throws Exception;

  /**
   * Makes the local database a replica of {@code master}'s; refuses when it has transactions the
   * master lacks, judged also against {@code fork} (the position recorded with the first epoch
   * another node took after this node's last one; empty when there is none).
   */
  void follow(String master, String fork) throws Exception;

  /** As a replica: what is wrong with replication, if anything (shown, and a reason to rebuild). */
  Optional<String> replicationProblem();

  /** Makes sure the master duties run under {@code lease} (starts them, or restarts them if they died); returns at once. */
  void becomeMaster(Lease lease);

  /** Stops every master duty now (cancels running work); idempotent. */
  void stopMaster(String why);

  /** As master: whether {@code standby} acknowledges this node's commits; empty when unknown. */
  Optional<Boolean> standbyInSync(String standby);

  /**
   * As master: what else {@code standby} lacks to take over, although it acknowledges commits (in
   * the appliance: published keys its HSM is not known to hold); empty when nothing.
   */
  default Optional<String> standbyLacks(String standby) {
    return Optional.empty();
  }

  /** What this node publishes about itself for {@code cluster list} (database state, lag, admin address). */
  Map<String, String> describe();
}
