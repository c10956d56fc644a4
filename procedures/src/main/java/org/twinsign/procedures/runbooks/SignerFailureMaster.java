package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;

/**
 * {@code signer-failure-master}: the master failed and the standby did not take over by itself
 * (automatic failover paused, or blocked by a fence that failed), or the operator wants to confirm
 * that it did. Establish that the master is really gone (checked again and again over an interval,
 * so that a passing network problem does not cost a failover), fail over to the standby (which
 * fences the old master), turn automatic failover back on, check that exactly one master serves
 * every zone with fresh signatures, then rebuild the old master as the new standby.
 */
public final class SignerFailureMaster implements Runbook {
  private static final Pattern EPOCH_NODE = Pattern.compile(".*\\(node ([^,]+),.*");

  @Override
  public String name() {
    return "signer-failure-master";
  }

  @Override
  public String summary() {
    return "The master failed: make sure it is gone, fail over, check the signing, rebuild the old master.";
  }

  @Override
  public String when() {
    return "The master is down or cannot sign ('twinsign health': no master, node not running, its HSM gone) and"
        + " the standby did not take over by itself (automatic failover paused, or blocked by a failed fence), or"
        + " to confirm that an automatic failover left the pair as it should be.";
  }

  @Override
  public String why() {
    return "A pair without a master signs nothing: signatures run towards expiry and key events wait. Taking over"
        + " from a master that is only cut off for a moment would fence a working node and lose its last writes,"
        + " so the master must be gone over an interval first; the standby then fences it before it promotes"
        + " itself, so that two masters never sign. The old master comes back only rebuilt from the new one.";
  }

  private static final Pattern SERVED = Pattern.compile("^serial (\\d+)");

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("node", "the node that takes over (default: the running node that is not the failed master)");
    p.put("failed", "the failed master (default: the node of the current epoch when it is not running; needed"
        + " when a master runs: itself if it cannot sign, the other node to confirm an automatic failover)");
    p.put("interval", "how long the failed master must stay gone, checked every 2 s (default PT30S)");
    p.put("secondaries", "the zones' secondaries, HOST:PORT,... (optional): each must serve every zone at the new"
        + " master's serial, validating");
    return p;
  }

  private static String failed(Map<String, String> params, PairAccess pair) {
    if (params.containsKey("failed")) {
      return params.get("failed");
    }
    JsonNode cluster = pair.cluster();
    Matcher m = EPOCH_NODE.matcher(cluster.path("cluster").path("epoch").asText(""));
    Optional<String> master = pair.master();
    if (m.matches() && master.isEmpty()) {
      return m.group(1);
    }
    // a master runs: it may be the one that cannot sign, or the one that took over; only the operator knows
    throw new IllegalArgumentException("node " + master.orElse("?") + " is master: say which node failed, --param"
        + " failed=NODE (the master itself if it cannot sign: it is stopped or fenced first; the other node to"
        + " confirm an automatic failover)");
  }

  @Override
  public Map<String, String> resolve(Map<String, String> params, PairAccess pair) {
    Map<String, String> p = new LinkedHashMap<>(params);
    String failed = failed(params, pair);
    p.put("failed", failed);
    p.put("node", successor(params, pair, failed));
    return p;
  }

  private static String successor(Map<String, String> params, PairAccess pair, String failed) {
    return params.getOrDefault("node", failed.equals(pair.node()) ? pair.peer() : pair.node());
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    String failed = failed(params, pair);
    String next = successor(params, pair, failed);
    return List.of(
        Check.of("nodes " + failed + " and " + next + " are this pair's", p -> !failed.equals(next) && List.of(p.node(),
            p.peer()).containsAll(List.of(failed, next)) ? Outcome.pass("the pair is " + p.node() + " and " + p.peer())
            : Outcome.fail("the pair is " + p.node() + " and " + p.peer() + "; failed " + failed + ", next " + next)),
        Check.of("node " + next + " runs, as the eligible standby or already master", p -> p.member(next).map(m -> {
          String role = m.path("role").asText();
          return role.equals("master") || m.path("eligible").asText().equals("yes") ? Outcome.pass("node " + next
              + ": " + role + (role.equals("master") ? "" : ", eligible")) : Outcome.fail("node " + next + " is a"
                  + " standby that is not eligible (" + p.cluster().path("cluster").path("eligible standby").asText()
                  + "): taking over would lose writes; 'twinsign cluster failover --force' is the last resort");
        }).orElse(Outcome.fail("node " + next + " is not running"))));
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    String failed = failed(params, pair);
    String next = successor(params, pair, failed);
    Duration interval;
    try {
      interval = Duration.parse(params.getOrDefault("interval", "PT30S"));
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("--param interval='" + params.get("interval") + "' is not an ISO-8601"
          + " duration (PT30S, PT2M)");
    }
    Check nextIsMaster = Check.of("node " + next + " is master", p -> p.master().filter(next::equals).map(m ->
        Outcome.pass("node " + next + " is master; epoch " + p.cluster().path("cluster").path("epoch").asText()))
        .orElse(Outcome.fail("master: " + p.master().orElse("none"))));
    Check gone = Check.of("node " + failed + " stays gone for " + interval.toSeconds() + " s", p -> {
      Optional<String> master = p.master();
      if (master.isPresent() && !master.get().equals(failed)) {
        return Outcome.pass("node " + master.get() + " is master already (a failover happened)");
      }
      if (p.member(failed).isPresent()) {
        return Outcome.fail("node " + failed + " is running (" + p.member(failed).get().path("state").asText()
            + "): a passing problem, or a master that cannot sign: then stop it ('systemctl stop twinsign' there) or"
            + " fence it (power it off) and resume");
      }
      Instant end = Instant.now().plus(interval);
      int looks = 0;
      while (Instant.now().isBefore(end)) {
        if (p.member(failed).isPresent()) {
          return Outcome.fail("node " + failed + " is running (" + p.member(failed).get().path("state").asText()
              + "): a passing problem, or it came back");
        }
        looks++;
        try {
          Thread.sleep(2000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return Outcome.fail("interrupted");
        }
      }
      return Outcome.pass("node " + failed + " was not running at any of " + looks + " looks over "
          + interval.toSeconds() + " s");
    });
    Check failoverOn = PairChecks.failoverOn();
    Check signing = Check.of("node " + next + " serves every zone, with signatures that are not running out", p -> {
      if (p.master().filter(next::equals).isEmpty()) {
        return Outcome.fail("node " + next + " is not master");
      }
      List<String> problems = new ArrayList<>();
      int zones = 0;
      for (JsonNode z : p.jsonOnMaster(List.of("zone", "list", "--json"))) {
        zones++;
        String name = z.path("zone").asText();
        JsonNode status = p.jsonOnMaster(List.of("zone", "status", "--zone", name, "--json"));
        String served = status.path("served").asText("");
        String expire = status.path("signatures expire").asText("");
        if (!served.startsWith("serial")) {
          problems.add(name + ": served " + served);
        } else if (expire.isEmpty()) {
          problems.add(name + ": no signatures in memory yet");
        } else {
          org.twinsign.procedures.health.Health.signatureProblem(expire, Instant.now()).ifPresent(why ->
              problems.add(name + ": " + why));
        }
      }
      return problems.isEmpty() ? Outcome.pass(zones + " zone(s) served and signed by node " + next)
          : Outcome.fail(String.join("; ", problems));
    });
    List<Step> steps = new ArrayList<>();
    steps.add(Step.await("gone", "Establish that node " + failed + " is really gone: not running at any look over "
        + interval.toSeconds() + " s (a passing network problem is not a failure).", gone, interval.plusSeconds(30)));
    steps.add(Step.operation("failover", "Node " + next + " fences node " + failed + " and takes over (unless it"
        + " already did).", Check.of("node " + failed + " is not running", p -> p.member(failed).isEmpty()
            ? Outcome.pass("not running") : Outcome.fail("node " + failed + " runs again: a failover would fence it")),
        List.of("cluster", "failover", "--to", next), nextIsMaster, Duration.ofMinutes(2)));
    steps.add(Step.operation("resume", "Turn automatic failover back on (a pause or a failed fence turned it off).",
        null, List.of("cluster", "resume"), failoverOn, Duration.ofSeconds(30)));
    steps.add(Step.await("signing", "Check that exactly one master, node " + next + ", serves and signs every zone.",
        signing, Duration.ofMinutes(3)));
    String secondaries = params.get("secondaries");
    if (secondaries != null) {
      steps.add(Step.await("secondaries", "Check that every secondary serves every zone at node " + next + "'s"
          + " serial, and that it validates.", Check.of("every secondary serves node " + next + "'s serial of every"
              + " zone, validating", p -> {
                List<String> good = new ArrayList<>();
                List<String> bad = new ArrayList<>();
                for (JsonNode z : p.jsonOnMaster(List.of("zone", "list", "--json"))) {
                  String zone = z.path("zone").asText();
                  String served = p.jsonOnMaster(List.of("zone", "status", "--zone", zone, "--json")).path("served")
                      .asText("");
                  Matcher m = SERVED.matcher(served);
                  long serial = m.find() ? Long.parseLong(m.group(1)) : -1;
                  for (String server : ServerQuery.servers(secondaries)) {
                    SecondaryValidation v = SecondaryValidation.of(server, zone);
                    if (v.problem() != null) {
                      bad.add(zone + " at " + v.problem());
                    } else if (v.serial() != serial) {
                      bad.add(zone + " at " + server + ": serial " + v.serial() + ", the master serves " + serial);
                    } else {
                      good.add(zone + " at " + server + ": serial " + serial + ", validates");
                    }
                  }
                }
                return bad.isEmpty() ? Outcome.pass(String.join("; ", good)) : Outcome.fail(String.join("; ", bad));
              }), Duration.ofMinutes(3)));
    }
    steps.addAll(StandbyRebuild.steps(failed));
    return steps;
  }
}
