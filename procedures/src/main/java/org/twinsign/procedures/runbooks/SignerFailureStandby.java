package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
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

  private static String standby(Map<String, String> params, PairAccess pair) {
    String node = params.get("node");
    if (node != null) {
      return node;
    }
    Optional<String> master = pair.master();
    return master.map(m -> m.equals(pair.node()) ? pair.peer() : pair.node()).orElse(pair.peer());
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    String standby = standby(params, pair);
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
    String s = standby(params, pair);
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
      return ingest.contains("behind") || ingest.isEmpty() ? Outcome.fail("master's output: " + (ingest.isEmpty()
          ? "not reported yet" : ingest)) : Outcome.pass("master's output: " + ingest);
    });
    return List.of(
        Step.human("down", "Make sure node " + s + " is down, so that nothing of it acts while it is rebuilt.", null,
            "stop node " + s + " ('systemctl stop twinsign' there, or kill it; if it does not answer, fence it:"
                + " power it off)", down, Duration.ofSeconds(30)),
        Step.human("rebuild", "Rebuild node " + s + " from the master and start it.", down, "on node " + s + ": 'twinsign"
            + " node rebuild' (the database becomes a clone of the master's, the HSM gets every key; run it again"
            + " if it is interrupted), then start it: 'twinsign node run' (systemctl start twinsign)", running,
            Duration.ofMinutes(1)),
        Step.await("eligible", "Wait until node " + s + " is an eligible standby.", eligible, Duration.ofMinutes(10)),
        Step.await("keys", "Wait until node " + s + "'s HSM holds every key.", keys, Duration.ofMinutes(5)),
        Step.await("output", "Wait until node " + s + " holds the master's signed zones.", output,
            Duration.ofMinutes(5)));
  }
}
