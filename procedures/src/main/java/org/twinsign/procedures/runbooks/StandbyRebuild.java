package org.twinsign.procedures.runbooks;

import java.time.Duration;
import java.util.List;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.Step;

/**
 * The steps that make a failed node an eligible standby again, shared by the runbooks for a failed
 * standby and for a failed master (whose old master is rebuilt after the failover): make sure it
 * is down, rebuild it from the master and start it (a person, on that machine), then wait until it
 * is eligible, holds every key and holds the master's signed zones.
 */
final class StandbyRebuild {
  private StandbyRebuild() {}

  static List<Step> steps(String s) {
    Check down = Check.of("node " + s + " is not running", p -> p.member(s).isEmpty()
        ? Outcome.pass("node " + s + " is not in ZooKeeper's list of running nodes")
        : Outcome.fail("node " + s + " runs (" + p.member(s).get().path("state").asText() + ")"));
    Check running = Check.of("node " + s + " runs as a standby", p -> p.member(s).filter(m -> m.path("role").asText()
        .equals("standby")).map(m -> Outcome.pass("node " + s + ": " + m.path("state").asText())).orElse(Outcome.fail(
            "node " + s + " is not running")));
    Check eligible = Check.of("node " + s + " is an eligible standby", p -> p.member(s).filter(m -> m.path("eligible")
        .asText().equals("yes")).map(m -> Outcome.pass("eligible; database " + m.path("database").asText() + ", lag "
            + m.path("lag").asText())).orElse(Outcome.fail("not eligible: " + p.cluster().path("cluster").path(
                "eligible standby").asText())));
    Check keys = Check.of("the master's keys are all in node " + s + "'s HSM", p -> {
      String k = p.member(p.master().orElseThrow()).orElseThrow().path("keys").asText("");
      return k.equals("in sync") || k.isEmpty() ? Outcome.pass("keys " + (k.isEmpty() ? "(no key sync)" : k))
          : Outcome.fail("keys: " + k);
    });
    Check output = Check.of("node " + s + " holds the master's signed zones", p -> {
      String ingest = p.member(s).map(m -> m.path("ingest").asText("")).orElse("");
      int zones = p.jsonOnMaster(java.util.List.of("zone", "list", "--json")).size();
      // "N zone(s) held", and nothing after it (", M behind (...)" or a problem)
      return ingest.equals(zones + " zone(s) held") ? Outcome.pass("master's output: " + ingest + " of " + zones)
          : Outcome.fail("master's output: " + (ingest.isEmpty() ? "not reported yet" : ingest) + "; the master has "
              + zones + " zone(s)");
    });
    return List.of(
        Step.human("down", "Make sure node " + s + " is down, so that nothing of it acts while it is rebuilt.", null,
            "stop node " + s + " ('systemctl stop twinsign' there, or kill it; if it does not answer, fence it:"
                + " power it off)", down, Duration.ofSeconds(30)),
        Step.human("rebuild", "Rebuild node " + s + " from the master and start it.", down, "on node " + s
            + ": 'twinsign node rebuild' (the database becomes a clone of the master's, the HSM gets every key; run it"
            + " again if it is interrupted), then start it: 'twinsign node run' (systemctl start twinsign)", running,
            Duration.ofMinutes(1)),
        Step.await("eligible", "Wait until node " + s + " is an eligible standby.", eligible, Duration.ofMinutes(10)),
        Step.await("keys", "Wait until node " + s + "'s HSM holds every key.", keys, Duration.ofMinutes(5)),
        Step.await("output", "Wait until node " + s + " holds the master's signed zones.", output,
            Duration.ofMinutes(5)));
  }
}
