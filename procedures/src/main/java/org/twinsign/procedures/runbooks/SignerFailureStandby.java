package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;

/**
 * {@code signer-failure-standby}: the standby failed (it is down, its replication broke, its disk
 * or HSM died). Make sure it is down, rebuild it from the master (database clone, key sync) and
 * start it, until it is an eligible standby again that holds every key and the master's output.
 */
public final class SignerFailureStandby implements Runbook {
  @Override
  public String name() {
    return "signer-failure-standby";
  }

  @Override
  public String summary() {
    return "The standby failed: fence it, rebuild it from the master, until it is eligible again.";
  }

  @Override
  public String when() {
    return "The standby is down or not eligible and does not recover by itself ('twinsign health': node not"
        + " running, replication broken, its HSM gone), or its disk or machine was replaced.";
  }

  @Override
  public String why() {
    return "Without an eligible standby the pair does not survive the master's loss: nobody may take over (a"
        + " standby that lacks transactions or keys would sign with a past state). A standby is rebuilt from the"
        + " master, never repaired by hand: its database becomes a clone of the master's and its HSM gets every key"
        + " the store knows.";
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("node", "the failed standby (default: the node that is not master)");
    return p;
  }

  @Override
  public Map<String, String> resolve(Map<String, String> params, PairAccess pair) {
    return StandbyRebuild.withNode(params, pair);
  }


  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    String standby = StandbyRebuild.node(params, pair);
    return List.of(
        Check.of("node " + standby + " is one of this pair's nodes", p -> standby.equals(p.node())
            || standby.equals(p.peer()) ? Outcome.pass("the pair is " + p.node() + " and " + p.peer())
            : Outcome.fail("the pair is " + p.node() + " and " + p.peer())),
        Check.of("exactly one master, and not node " + standby, p -> {
          Optional<String> master = p.master();
          if (master.isEmpty()) {
            return Outcome.fail("no node is master: run signer-failure-master first");
          }
          return master.get().equals(standby) ? Outcome.fail("node " + standby + " is the master: this runbook"
              + " rebuilds a standby") : Outcome.pass("node " + master.get() + " is master; epoch "
                  + p.cluster().path("cluster").path("epoch").asText());
        }),
        Check.of("the master's HSM answers", p -> {
          JsonNode m = p.member(p.master().orElseThrow()).orElseThrow();
          String kek = m.path("kek").asText("");
          return kek.startsWith("error") ? Outcome.fail(kek) : Outcome.pass("KEK " + kek);
        }));
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    return StandbyRebuild.steps(StandbyRebuild.node(params, pair));
  }
}
