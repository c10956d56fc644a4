package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;

/**
 * {@code hsm-replacement}: one node's HSM was replaced (or wiped), the other's is intact. The KEK
 * is re-provisioned in the new HSM from that node's last HSM backup (a sealed KEK is never handed
 * over again), the node is rebuilt, so that key sync unwraps every key the store knows into it
 * (also those made after the backup), and it is a standby again whose KEK is the master's.
 */
public final class HsmReplacement implements Runbook {
  @Override
  public String name() {
    return "hsm-replacement";
  }

  @Override
  public String summary() {
    return "One node's HSM replaced: restore its KEK from the backup, re-sync its keys from the other node.";
  }

  @Override
  public String when() {
    return "A node's HSM was replaced, wiped or failed ('twinsign health': hsm error or no KEK on that node) while the"
        + " other node's HSM holds the keys. Both lost: key-recovery.";
  }

  @Override
  public String why() {
    return "A standby without the keys cannot take over, and with keysync=wrap the keys reach it only wrapped under"
        + " the KEK both HSMs hold. The KEK is sealed (never extractable) once both hold it, so it cannot be handed"
        + " over again: it comes back from that HSM's own backup, and the keys the backup lacks come from the store's"
        + " wrapped copies.";
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("node", "the node whose HSM was replaced (default: the node that is not master)");
    return p;
  }

  @Override
  public Map<String, String> resolve(Map<String, String> params, PairAccess pair) {
    return StandbyRebuild.withNode(params, pair);
  }


  private static String kek(PairAccess p, String node) {
    return p.member(node).map(m -> m.path("kek").asText("")).orElse("");
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    String node = StandbyRebuild.node(params, pair);
    return List.of(
        Check.of("node " + node + " is one of this pair's nodes", p -> node.equals(p.node()) || node.equals(p.peer())
            ? Outcome.pass("the pair is " + p.node() + " and " + p.peer()) : Outcome.fail("the pair is " + p.node()
                + " and " + p.peer())),
        Check.of("a node is master, and not node " + node, p -> p.master().map(m -> m.equals(node)
            ? Outcome.fail("node " + node + " is master: hand over first ('cluster switchover'), its HSM cannot sign")
            : Outcome.pass("node " + m + " is master")).orElse(Outcome.fail("no node is master: run"
                + " signer-failure-master first"))),
        Check.of("the pair syncs keys by wrapping them under the KEK", p -> {
          PairConfig config = p.config().pair();
          return config != null && config.keySync() == PairConfig.KeySync.WRAP ? Outcome.pass("keysync=wrap")
              : Outcome.fail("keysync=" + (config == null ? "none" : config.keySync().name().toLowerCase(
                  java.util.Locale.ROOT)) + ": one HSM both nodes reach is replaced with the HSM vendor's tools");
        }),
        Check.of("the master's HSM holds the KEK", p -> {
          String kek = kek(p, p.master().orElseThrow());
          return kek.isEmpty() || kek.startsWith("error") || kek.startsWith("none") ? Outcome.fail("KEK: " + (kek
              .isEmpty() ? "not reported" : kek)) : Outcome.pass("KEK " + kek);
        }));
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    String node = StandbyRebuild.node(params, pair);
    List<Step> rebuild = StandbyRebuild.steps(node);
    Check down = rebuild.get(0).verification();
    Check sameKek = Check.of("node " + node + "'s HSM holds the master's KEK", p -> {
      String master = kek(p, p.master().orElseThrow());
      String mine = kek(p, node);
      return !mine.isEmpty() && mine.equals(master) ? Outcome.pass("KEK " + mine + " on both nodes") : Outcome.fail(
          "node " + node + ": KEK " + (mine.isEmpty() ? "not reported (not running?)" : mine) + "; the master's: "
              + master);
    });
    List<Step> steps = new ArrayList<>();
    steps.add(rebuild.get(0)); // down
    steps.add(Step.confirmed("kek", "Restore the KEK into the new HSM from node " + node + "'s HSM backup.", down,
        "install the new HSM of node " + node + " with the configured token label and PIN, and restore node " + node
            + "'s last HSM backup into it (SoftHSM: its backed-up token directory into directories.tokendir): the"
            + " KEK comes back with it. Without such a backup both nodes need a new KEK (not supported yet)"));
    steps.add(rebuild.get(1)); // rebuild and start
    steps.add(Step.await("same-kek", "Wait until node " + node + " reports the master's KEK.", sameKek,
        Duration.ofMinutes(2)));
    steps.addAll(rebuild.subList(2, rebuild.size())); // eligible, every key, the master's output
    return steps;
  }
}
