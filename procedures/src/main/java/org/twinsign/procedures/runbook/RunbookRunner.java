package org.twinsign.procedures.runbook;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a runbook: its checklist, then each step not done yet (precondition, action, verification),
 * recording every check and step in the run's journal with who, when and what came of it. A run
 * stops, resumable, where it must wait: for a person ({@code --done STEP}), or for a verification
 * that has not passed within the step's patience. A dry run asks the same checks and says what
 * each step would do, and changes nothing.
 */
public final class RunbookRunner {
  /** How a run ended this time. */
  public enum Result {
    DONE(0), FAILED(1), WAITING(4);

    private final int exitCode;

    Result(int exitCode) {
      this.exitCode = exitCode;
    }

    /** 0 done, 1 failed, 4 waiting (resume with {@code --resume ID}). */
    public int exitCode() {
      return exitCode;
    }
  }

  /** How often a verification is asked again while the run waits for it. */
  static final Duration POLL = Duration.ofSeconds(2);
  /** How long a host command (an HSM backup) may run before it is stopped and the step waits. */
  static final Duration COMMAND_LIMIT = Duration.ofHours(1);

  private final PairAccess pair;
  private final PrintWriter out;
  private final String who;

  private Long runId;

  /** The run's id in the journal after {@link #run}: null while no master could record it. */
  public Long runId() {
    return runId;
  }

  public RunbookRunner(PairAccess pair, PrintWriter out, String who) {
    this.pair = pair;
    this.out = out;
    this.who = who;
  }

  /** Prints what the run would do now; asks only checks. */
  public Result dryRun(Runbook runbook, Map<String, String> params) {
    out.println("Dry run of " + runbook.name() + " " + params + ": nothing is changed.");
    boolean all = true;
    out.println("What (checklist), as of now:");
    for (Check check : runbook.checklist(params, pair)) {
      Outcome o = safely(check);
      all &= o.pass();
      out.println("  [" + (o.pass() ? "pass" : "FAIL") + "] " + check.name() + ": " + o.evidence());
    }
    out.println("How (steps):");
    int i = 1;
    for (Step listed : runbook.steps(params, pair)) {
      Step step = listed;
      if (listed.late() != null) {
        try {
          step = listed.late().apply(pair);
        } catch (RuntimeException e) {
          out.println("  " + i++ + ". " + listed.id() + ": " + listed.what());
          out.println("     made when the run reaches it (now: " + e.getMessage() + ")");
          continue;
        }
      }
      Outcome done = step.verification() == null ? Outcome.fail("confirmed by you") : safely(step.verification());
      String action = step.human() ? "wait for you: " + step.prompt() : step.command() != null ? "run '"
          + step.command() + "' on this machine" : step.operation().isEmpty() ? "wait until: "
              + step.verification().name() : "run 'twinsign " + String.join(" ", step.operation()) + "'";
      out.println("  " + i++ + ". " + step.id() + ": " + step.what());
      out.println("     " + (done.pass() ? "already done (" + done.evidence() + "): skipped" : "would " + action));
      if (!done.pass() && step.verification() != null) {
        out.println("     now: " + step.verification().name() + ": no (" + done.evidence() + ")");
      }
      if (step.precondition() != null) {
        Outcome pre = safely(step.precondition());
        out.println("     precondition " + step.precondition().name() + ": " + (pre.pass() ? "holds" : "does not hold")
            + " now (" + pre.evidence() + ")");
      }
    }
    out.println(all ? "The checklist passes now." : "The checklist does not pass now: a run would stop there.");
    return all ? Result.DONE : Result.FAILED;
  }

  /**
   * Runs (or resumes, with {@code resume} not null) a run; {@code confirmed}: the human steps the
   * operator says are done ({@code --done}).
   */
  public Result run(Runbook runbook, Map<String, String> params, Long resume, Set<String> confirmed) {
    Trail trail = new Trail(runbook, params);
    Set<String> done = new HashSet<>();
    boolean checked = false; // a resumed run whose checklist passed when it started
    if (resume == null) {
      trail.begin();
    } else {
      JsonNode run = pair.journal().show(resume);
      if (!run.path("name").asText().equals(runbook.name())) {
        throw new IllegalArgumentException("run " + resume + " is of runbook " + run.path("name").asText() + ", not "
            + runbook.name());
      }
      String state = run.path("state").asText();
      if (List.of("done", "failed", "abandoned").contains(state)) {
        throw new IllegalStateException("run " + resume + " is " + state + ": start a new run");
      }
      boolean checks = false;
      boolean failed = false;
      for (JsonNode e : run.path("events")) {
        if (e.path("kind").asText().equals("check")) {
          checks = true;
          failed |= !e.path("status").asText().equals("pass");
        }
        if (e.path("kind").asText().equals("step") && e.path("status").asText().equals("done")) {
          done.add(e.path("step").asText());
          try {
            pair.stepDone(e.path("step").asText(), java.time.Instant.parse(e.path("at").asText()));
          } catch (java.time.format.DateTimeParseException unknown) {
            // an entry without its time: waits counted from it start now
          }
        }
      }
      trail.id = resume;
      runId = resume;
      checked = checks && !failed;
      out.println("Run " + resume + " of " + runbook.name() + " resumed on node " + pair.node() + "; done before: "
          + (done.isEmpty() ? "no step" : String.join(", ", done)) + (checks && !failed
              ? "; its checklist passed when it started" : ""));
      trail.state("running");
    }
    // the checklist is what must hold before the steps start: once it passed, a resumed run does not ask it
    // again (the steps change what it saw: a DS replaced at the parent, a deadline that came closer)
    for (Check check : checked ? List.<Check>of() : runbook.checklist(params, pair)) {
      Outcome o = safely(check);
      trail.record(check.name(), "check", o.pass() ? "pass" : "fail", o.evidence());
      out.println("[" + (o.pass() ? "pass" : "FAIL") + "] " + check.name() + ": " + o.evidence());
      if (!o.pass()) {
        trail.state("failed");
        out.println("The checklist does not pass: the run stops here" + (trail.id == null ? "" : " (run " + trail.id
            + " failed)") + ". Fix it and start a new run.");
        return Result.FAILED;
      }
    }
    for (Step step : runbook.steps(params, pair)) {
      if (done.contains(step.id())) {
        out.println("[done] " + step.id() + " (before)");
        continue;
      }
      Result r = step(trail, step, confirmed);
      if (r != Result.DONE) {
        if (trail.id == null) {
          out.println("No node is master, so this run is not recorded: run it again (its steps done are not done"
              + " twice).");
        }
        trail.unrecorded();
        return r;
      }
    }
    report(trail, runbook.report(params, pair));
    trail.state("done");
    trail.unrecorded();
    out.println("Run " + (trail.id == null ? "(not recorded: no master)" : trail.id) + " of " + runbook.name()
        + " is done.");
    return Result.DONE;
  }

  /**
   * A run's trail: in the journal (the replicated store), or held here while no node is master and
   * nothing can be written (a master that failed is what some runbooks are for); written, with the
   * time each entry was made, as soon as a master takes it.
   */
  private final class Trail {
    private final Runbook runbook;
    private final Map<String, String> params;
    private final List<String[]> held = new java.util.ArrayList<>();
    private Long id;
    private boolean said;

    Trail(Runbook runbook, Map<String, String> params) {
      this.runbook = runbook;
      this.params = params;
    }

    void begin() {
      try {
        id = pair.journal().start(runbook.name(), new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(params)
            .toString(), who);
        runId = id;
        out.println("Run " + id + " of " + runbook.name() + " " + params + " (resume with 'twinsign runbook run "
            + runbook.name() + " --resume " + id + "')");
      } catch (IllegalStateException e) {
        if (!noMaster(e)) {
          throw e;
        }
        if (!said) {
          said = true;
          out.println("Run of " + runbook.name() + " " + params + ": no node is master, so its trail is held here"
              + " and recorded once one is.");
        }
      }
      if (id != null && !held.isEmpty()) {
        for (String[] e : held) {
          pair.journal().record(id, e[0], e[1], e[2], e[3], who);
        }
        held.clear();
      }
    }

    void record(String step, String kind, String status, String evidence) {
      if (id == null) {
        begin();
      } else {
        flush();
      }
      String[] entry = {step, kind, status, evidence};
      if (id != null && held.isEmpty()) {
        try {
          pair.journal().record(id, step, kind, status, evidence, who);
          return;
        } catch (IllegalStateException e) {
          if (!noMaster(e)) {
            throw e;
          }
        }
      }
      entry[3] = evidence + " (at " + java.time.Instant.now() + ", no master to record it then)";
      held.add(entry);
    }

    /** Writes what is held, if a master takes it now. */
    private void flush() {
      try {
        while (!held.isEmpty()) {
          String[] e = held.get(0);
          pair.journal().record(id, e[0], e[1], e[2], e[3], who);
          held.remove(0);
        }
      } catch (IllegalStateException e) {
        if (!noMaster(e)) {
          throw e;
        }
      }
    }

    void state(String state) {
      if (id == null) {
        begin();
      } else {
        flush();
      }
      if (id != null) {
        try {
          pair.journal().state(id, state);
        } catch (IllegalStateException e) {
          if (!noMaster(e)) {
            throw e;
          }
          out.println("(no master to record the run's state '" + state + "' now: resume it once there is one)");
        }
      }
    }

    /** Says what could not be recorded (the CLI ends here). */
    void unrecorded() {
      for (String[] e : held) {
        out.println("not recorded (no master): " + e[0] + " " + e[1] + " " + e[2] + ": " + e[3]);
      }
    }
  }

  /** The master is away (none, or one stepping down or promoting): what is written waits. */
  private static boolean noMaster(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains("no node is master") || m.contains("is not master") || m.contains("lease");
  }

  private Result step(Trail trail, Step listed, Set<String> confirmed) {
    Step step = listed;
    if (listed.late() != null) {
      try {
        step = listed.late().apply(pair);
      } catch (RuntimeException e) {
        trail.record(listed.id(), "precondition", "fail", String.valueOf(e.getMessage()));
        trail.state("waiting");
        out.println("[wait] " + listed.id() + ": cannot be made yet: " + e.getMessage() + ". Resume once it can.");
        return Result.WAITING;
      }
    }
    // a step without a verification is done once the operator confirms it
    Outcome already = step.verification() == null ? Outcome.fail("not confirmed") : safely(step.verification());
    if (already.pass()) { // idempotent: what is done is not done again
      trail.record(step.id(), "step", "done", "already: " + already.evidence());
      pair.stepDone(step.id(), java.time.Instant.now());
      out.println("[done] " + step.id() + ": already (" + already.evidence() + ")");
      return Result.DONE;
    }
    boolean confirmedNow = step.human() && confirmed.contains(step.id());
    if (step.precondition() != null && !confirmedNow) { // a person who did the step may have changed what held before
      Outcome pre = safely(step.precondition());
      trail.record(step.id(), "precondition", pre.pass() ? "pass" : "fail", pre.evidence());
      if (!pre.pass()) {
        trail.state("waiting");
        out.println("[wait] " + step.id() + ": its precondition does not hold: " + step.precondition().name() + " ("
            + pre.evidence() + "). Resume once it does.");
        return Result.WAITING;
      }
    }
    if (step.human()) {
      if (!confirmed.contains(step.id())) {
        trail.record(step.id(), "human", "waiting", step.prompt());
        trail.state("waiting");
        out.println("[you] " + step.id() + ": " + step.prompt());
        if (step.verification() != null) {
          out.println("      now: " + step.verification().name() + ": no (" + already.evidence() + ")");
        }
        out.println("      then: twinsign runbook run " + trail.runbook.name() + (trail.id == null ? "" : " --resume "
            + trail.id) + " --done " + step.id());
        return Result.WAITING;
      }
      trail.record(step.id(), "human", "confirmed", "the operator says it is done");
      if (step.verification() == null) {
        trail.record(step.id(), "step", "done", "confirmed by " + who);
        pair.stepDone(step.id(), java.time.Instant.now());
        out.println("[done] " + step.id() + ": confirmed by you");
        return Result.DONE;
      }
    } else if (step.command() != null) {
      HostCommand.Result r = HostCommand.run(step.command(), COMMAND_LIMIT);
      trail.record(step.id(), "command", r.exit() == 0 ? "ok" : "error", "'" + step.command() + "': " + r.summary());
      out.println("[run] " + step.id() + ": " + step.command() + "\n      " + r.summary().replace("\n", "\n      "));
      if (r.exit() != 0) {
        trail.state("waiting");
        out.println("      it failed: resume once the cause is gone");
        return Result.WAITING;
      }
    } else if (!step.operation().isEmpty()) {
      org.twinsign.appliance.cli.AdminClient.Answer a;
      try {
        a = pair.call(step.operation());
      } catch (RuntimeException e) { // the node does not answer: nothing is known to be done
        a = new org.twinsign.appliance.cli.AdminClient.Answer(1, "", String.valueOf(e.getMessage()), "?", "?");
      }
      String said = (a.out() + a.err()).strip();
      trail.record(step.id(), "operation", a.exit() == 0 ? "ok" : "error", "'twinsign " + String.join(
          " ", step.operation()) + "': " + said);
      out.println("[run] " + step.id() + ": twinsign " + String.join(" ", step.operation()) + (said.isEmpty() ? ""
          : "\n      " + said.replace("\n", "\n      ")));
      if (a.exit() != 0) {
        trail.state("waiting");
        out.println("      it failed: resume once the cause is gone");
        return Result.WAITING;
      }
    }
    long end = System.nanoTime() + step.patience().toNanos();
    Outcome v = safely(step.verification());
    while (!v.pass() && System.nanoTime() < end) {
      try {
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      v = safely(step.verification());
    }
    if (!v.pass()) {
      trail.record(step.id(), "verification", "fail", v.evidence());
      trail.state("waiting");
      out.println("[wait] " + step.id() + ": not yet: " + step.verification().name() + " (" + v.evidence()
          + "). Resume later.");
      return Result.WAITING;
    }
    trail.record(step.id(), "step", "done", v.evidence());
    pair.stepDone(step.id(), java.time.Instant.now());
    out.println("[done] " + step.id() + ": " + v.evidence());
    return Result.DONE;
  }

  /** A finished run's report: each check recorded; one that does not pass is a warning, not a failure. */
  private void report(Trail trail, List<Check> checks) {
    for (Check check : checks) {
      Outcome o = safely(check);
      trail.record(check.name(), "report", o.pass() ? "pass" : "warning", o.evidence());
      out.println("[" + (o.pass() ? "pass" : "WARN") + "] " + check.name() + ": " + o.evidence());
    }
  }

  /** A check that throws (a node that does not answer) fails with what it said. */
  private Outcome safely(Check check) {
    try {
      Outcome o = check.check(pair);
      return o == null ? Outcome.fail("no answer") : o;
    } catch (RuntimeException e) {
      return Outcome.fail(String.valueOf(e.getMessage()));
    }
  }
}
