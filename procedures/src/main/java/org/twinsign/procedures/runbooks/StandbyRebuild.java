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

  /** The run's parameters with {@code node} resolved ({@link #node}). */
  static java.util.Map<String, String> withNode(java.util.Map<String, String> params,
      org.twinsign.procedures.runbook.PairAccess pair) {
    java.util.Map<String, String> p = new java.util.LinkedHashMap<>(params);
    p.put("node", node(params, pair));
    return p;
  }

  /** The node a standby runbook is about: {@code node} if given, else the one that is not master. */
  static String node(java.util.Map<String, String> params, org.twinsign.procedures.runbook.PairAccess pair) {
    String node = params.get("node");
    if (node != null) {
      return node;
    }
    java.util.Optional<String> master = pair.master();
    return master.map(m -> m.equals(pair.node()) ? pair.peer() : pair.node()).orElse(pair.peer());
  }

  /**
   * Node {@code s}'s HSM holds every key the zones use: as it answers itself ({@code key verify}, a
   * fresh listing of its HSM), and as the master's key sync has recorded it (which may lag).
   */
  static Check keysOn(String s) {
    return Check.of("every key the zones use is in node " + s + "'s HSM", p -> {
      Outcome held = PairChecks.keysIn(p, s);
      if (!held.pass()) {
        return held;
      }
      String synced = p.member(p.master().orElseThrow()).orElseThrow().path("keys").asText("");
      boolean sync = p.config().pair() != null && p.config().pair().keySync()
          == org.twinsign.appliance.config.PairConfig.KeySync.WRAP;
      return !sync || synced.equals("in sync") ? Outcome.pass(held.evidence() + (sync ? "; key sync: in sync" : ""))
          : Outcome.fail("node " + s + " holds the keys in use; key"
              + " sync: " + (synced.isEmpty() ? "not reported yet" : synced));
    });
  }

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
    Check keys = keysOn(s);
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
