package org.twinsign.procedures.runbook;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs' state and audit trail, kept by the appliance in the replicated store through its
 * {@code runbook-journal} admin operations: a run begun on one node is resumed on the other after
 * a failover.
 */
public final class RunJournal {
  private final PairAccess pair;

  RunJournal(PairAccess pair) {
    this.pair = pair;
  }

  public long start(String name, String params, String who) {
    // --key=VALUE: a free text that starts with "-" is still a value
    return pair.json(List.of("runbook-journal", "start", "--name=" + name, "--params=" + params, "--who=" + who))
        .path("id").asLong();
  }

  public void record(long run, String step, String kind, String status, String evidence, String who) {
    pair.json(List.of("runbook-journal", "record", "--run=" + run, "--step=" + step, "--kind=" + kind, "--status="
        + status, "--evidence=" + evidence, "--who=" + who));
  }

  public void state(long run, String state) {
    pair.json(List.of("runbook-journal", "state", "--run", Long.toString(run), "--state", state));
  }

  /** A run with its {@code events}. */
  public JsonNode show(long run) {
    return pair.json(List.of("runbook-journal", "show", "--run", Long.toString(run)));
  }

  public List<JsonNode> runs(int limit) {
    List<JsonNode> out = new ArrayList<>();
    pair.json(List.of("runbook-journal", "list", "--limit", Integer.toString(limit))).forEach(out::add);
    return out;
  }
}
