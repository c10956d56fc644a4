package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;

/**
 * {@code timing-drift}: compares the clocks the pair depends on and the key timeline each node
 * holds. Each node's clock against ZooKeeper's (the time it wrote into its znode against the
 * time the ZooKeeper leader recorded the write), each database's clock against its node's, and
 * the keys as each node's store has them (the standby's is the master's, replicated: a
 * difference means its state was changed outside replication). Each comparison is a step whose
 * verification is the comparison: a pair in good order is done at once; otherwise the run waits
 * for the operator's fix and checks again.
 */
public final class TimingDrift implements Runbook {
  @Override
  public String name() {
    return "timing-drift";
  }

  @Override
  public String summary() {
    return "Compare the nodes', databases' and ZooKeeper's clocks and both nodes' key timelines.";
  }

  @Override
  public String when() {
    return "A timing-drift alert, a node that was down for long or restored from a backup, after a change to the"
        + " time service, and routinely (its dry run changes nothing).";
  }

  @Override
  public String why() {
    return "Signatures' inception and expiry, key timings and the rollovers' waits are computed from the clock of"
        + " the node that signs; a wrong clock makes signatures not yet valid or expired for resolvers, or moves a"
        + " key too early. The standby's store must be the master's: a key timeline that differs there would be"
        + " acted on after a failover.";
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bound", "the largest offset accepted (default PT2S, as the timing-drift alert)");
    return p;
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    return List.of(PairChecks.masterRuns());
  }

  private static long millis(JsonNode node, String field) {
    String text = node.path(field).asText("").replace(" ms", "").trim();
    return text.matches("-?\\d+") ? Long.parseLong(text) : Long.MIN_VALUE;
  }

  private static Check offsets(String name, String field, String against, Duration bound) {
    Check once = once(name, field, against, bound);
    return Check.of(name, p -> {
      Outcome o = once.check(p);
      // a node that has just started has not written its time yet: asked again for a few seconds
      for (int i = 0; i < 5 && !o.pass() && o.evidence().contains(": not reported"); i++) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return o;
        }
        o = once.check(p);
      }
      return o;
    });
  }

  private static Check once(String name, String field, String against, Duration bound) {
    return Check.of(name, p -> {
      List<String> seen = new ArrayList<>();
      List<String> off = new ArrayList<>();
      for (JsonNode n : p.cluster().path("nodes")) {
        long ms = millis(n, field);
        String node = n.path("node").asText();
        if (ms == Long.MIN_VALUE) {
          off.add("node " + node + ": not reported");
          continue;
        }
        String text = "node " + node + " " + (ms >= 0 ? "+" : "") + ms + " ms";
        seen.add(text);
        if (Math.abs(ms) > bound.toMillis()) {
          off.add(text + " against " + against);
        }
      }
      return off.isEmpty() ? Outcome.pass(String.join(", ", seen) + " (bound " + bound.toMillis() + " ms)")
          : Outcome.fail(String.join("; ", off) + " (bound " + bound.toMillis() + " ms)");
    });
  }

  /** A key's timeline, as {@code key list --json} has it, keyed by zone, type and tag. */
  private static Map<String, String> timeline(JsonNode keys) {
    Map<String, String> t = new TreeMap<>();
    for (JsonNode k : keys) {
      t.put(k.path("zone").asText() + " " + k.path("keytype").asText() + " " + k.path("key_tag").asText(), "state "
          + k.path("state").asText() + ", next " + k.path("next_transition").asText() + " at " + k.path("at").asText()
          + ", records " + k.path("records") + ", DS " + k.path("ds_at_parent").asText());
    }
    return t;
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    Duration bound;
    try {
      bound = Duration.parse(params.getOrDefault("bound", "PT2S"));
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("--param bound='" + params.get("bound") + "' is not an ISO-8601 duration"
          + " (PT2S)");
    }
    Check nodes = offsets("every node's clock is within the bound of ZooKeeper's", "clock", "ZooKeeper", bound);
    Check databases = offsets("every database's clock is within the bound of its node's", "database clock",
        "its node", bound);
    Check keys = Check.of("every node's store has the master's key timeline", p -> {
      String master = p.master().orElseThrow(() -> new IllegalStateException("no node is master"));
      Map<String, String> theirs = timeline(p.jsonOn(master, List.of("key", "list", "--json")));
      List<String> differ = new ArrayList<>();
      for (JsonNode n : p.cluster().path("nodes")) {
        String node = n.path("node").asText();
        if (node.equals(master)) {
          continue;
        }
        Map<String, String> mine = timeline(p.jsonOn(node, List.of("key", "list", "--json")));
        for (String key : new java.util.TreeSet<>(theirs.keySet())) {
          if (!theirs.get(key).equals(mine.get(key))) {
            differ.add("node " + node + ": " + key + ": " + (mine.containsKey(key) ? mine.get(key) : "missing")
                + " (master: " + theirs.get(key) + ")");
          }
        }
        mine.keySet().stream().filter(k -> !theirs.containsKey(k)).forEach(k -> differ.add("node " + node + ": " + k
            + " is not the master's"));
      }
      return differ.isEmpty() ? Outcome.pass(theirs.size() + " key(s), the same on every node") : Outcome.fail(
          String.join("; ", differ));
    });
    return List.of(
        Step.human("node-clocks", "The nodes' clocks agree with ZooKeeper's.", null, "fix the time service on the"
            + " nodes named ('chronyc tracking', 'chronyc sources'; 'systemctl restart chrony'), then resume",
            nodes, Duration.ofSeconds(10)),
        Step.human("database-clocks", "Each database's clock agrees with its node's.", null, "fix the time service"
            + " of the database hosts named (on the node's host, as above), then resume", databases,
            Duration.ofSeconds(10)),
        Step.human("key-timeline", "Every standby's store holds the master's key timeline.", null, "a standby whose"
            + " store differs was changed outside replication: rebuild it ('twinsign node rebuild' there, the runbook"
            + " signer-failure-standby), then resume", keys, Duration.ofMinutes(1)));
  }
}
