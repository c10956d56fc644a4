package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;

/** Checks several runbooks ask the same way: a master runs, automatic failover is on, a node's HSM holds the keys. */
final class PairChecks {
  private PairChecks() {}

  /** A node is master: the runbooks that change state need one (their operations run there). */
  static Check masterRuns() {
    return Check.of("a node is master", p -> p.master().map(m -> Outcome.pass("node " + m)).orElse(Outcome.fail(
        "no node is master: run signer-failure-master first")));
  }

  /** Automatic failover is on ({@code cluster list}'s summary). */
  static Check failoverOn() {
    return Check.of("automatic failover is on", p -> {
      String state = p.cluster().path("cluster").path("automatic failover").asText("on");
      return state.equals("on") ? Outcome.pass("automatic failover is on") : Outcome.fail("automatic failover is "
          + state);
    });
  }

  /** Whether node {@code node}'s HSM holds every key the zones use, as it answers itself ({@code key verify}). */
  static Outcome keysIn(PairAccess p, String node) {
    List<String> missing = new ArrayList<>();
    int all = 0;
    for (JsonNode k : p.jsonOn(node, List.of("key", "verify", "--json"))) {
      all++;
      if (!k.path("present").asBoolean()) {
        missing.add(k.path("zone").asText() + " " + k.path("keytype").asText() + " " + k.path("key_tag").asText());
      }
    }
    return missing.isEmpty() ? Outcome.pass("all " + all + " key(s) in use are in node " + node + "'s HSM")
        : Outcome.fail("missing from node " + node + "'s HSM: " + String.join(", ", missing));
  }
}
