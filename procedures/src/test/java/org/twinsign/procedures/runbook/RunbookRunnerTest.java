package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The runner's rules, against an in-memory journal (the real one is the replicated store, tested
 * by the runbook ITs): a checklist that fails stops the run; a step already done is not done
 * again; a human step waits for --done; a resumed run skips what was done; a dry run records
 * nothing; while no node is master the trail is held and written once one is.
 */
class RunbookRunnerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A pair whose only answers are the journal's, kept in memory. */
  static final class FakePair extends PairAccess {
    final List<ObjectNode> runs = new ArrayList<>();
    final List<List<String>> calls = new ArrayList<>();
    final AtomicBoolean master = new AtomicBoolean(true);

    FakePair() {
      super(null, "token", "alpha", "beta");
    }

    @Override
    public org.twinsign.appliance.cli.AdminClient.Answer call(List<String> args) {
      calls.add(args);
      return new org.twinsign.appliance.cli.AdminClient.Answer(0, "done", "", "alpha", "master");
    }

    private static String value(List<String> args, String option) {
      for (String a : args) {
        if (a.startsWith(option + "=")) {
          return a.substring(option.length() + 1);
        }
      }
      return null;
    }

    @Override
    public JsonNode json(List<String> args) {
      if (!args.get(0).equals("runbook-journal")) {
        throw new IllegalStateException("not faked: " + args);
      }
      String op = args.get(1);
      if (!master.get() && !op.equals("show") && !op.equals("list")) {
        throw new IllegalStateException("'twinsign " + String.join(" ", args) + "': no node is master now, so nothing"
            + " can change state");
      }
      switch (op) {
        case "start" -> {
          ObjectNode run = JSON.createObjectNode().put("id", runs.size() + 1).put("name", value(args, "--name"))
              .put("params", value(args, "--params")).put("state", "running");
          run.putArray("events");
          runs.add(run);
          return JSON.createObjectNode().put("id", runs.size());
        }
        case "record" -> {
          ObjectNode run = runs.get(Integer.parseInt(value(args, "--run")) - 1);
          ((ArrayNode) run.get("events")).addObject().put("step", value(args, "--step")).put("kind", value(args,
              "--kind")).put("status", value(args, "--status")).put("evidence", value(args, "--evidence"));
          return JSON.createObjectNode().put("id", 1);
        }
        case "state" -> {
          runs.get(Integer.parseInt(args.get(args.indexOf("--run") + 1)) - 1).put("state", args.get(args.indexOf(
              "--state") + 1));
          return JSON.createObjectNode();
        }
        case "show" -> {
          return runs.get(Integer.parseInt(args.get(args.indexOf("--run") + 1)) - 1);
        }
        default -> throw new IllegalStateException(op);
      }
    }
  }

  /** A runbook of a checklist item, an operation whose verification follows it, a human step and a wait. */
  static class Sample implements Runbook {
    final AtomicBoolean checklist = new AtomicBoolean(true);
    final AtomicBoolean operated = new AtomicBoolean(false);
    final AtomicBoolean humanDone = new AtomicBoolean(false);
    final AtomicInteger waits = new AtomicInteger(0);

    @Override
    public String name() {
      return "sample";
    }

    @Override
    public String summary() {
      return "a sample";
    }

    @Override
    public String when() {
      return "in tests";
    }

    @Override
    public String why() {
      return "to test the runner";
    }

    @Override
    public Map<String, String> parameters() {
      return Map.of();
    }

    @Override
    public List<Check> checklist(Map<String, String> params, PairAccess pair) {
      return List.of(Check.of("the pair is ready", p -> checklist.get() ? Outcome.pass("ready") : Outcome.fail(
          "not ready")));
    }

    @Override
    public List<Step> steps(Map<String, String> params, PairAccess pair) {
      return List.of(
          Step.operation("operate", "runs a command", null, List.of("cluster", "resume"), Check.of("operated",
              p -> operated.get() || ((FakePair) p).calls.size() > 0 ? Outcome.pass("operated") : Outcome.fail("no")),
              Duration.ofSeconds(1)),
          Step.human("person", "a person acts", null, "do the thing", Check.of("the thing is done", p ->
              humanDone.get() ? Outcome.pass("done") : Outcome.fail("not done")), Duration.ofMillis(10)),
          Step.await("settle", "waits", Check.of("settled", p -> waits.incrementAndGet() >= 2 ? Outcome.pass(
              "settled") : Outcome.fail("not yet")), Duration.ofSeconds(10)));
    }
  }

  private static String runText(FakePair pair, Sample sample, Long resume, Set<String> done, RunbookRunner.Result
      expected) {
    StringWriter text = new StringWriter();
    RunbookRunner.Result r = new RunbookRunner(pair, new PrintWriter(text, true), "tester").run(sample, Map.of(),
        resume, done);
    assertEquals(expected, r, text.toString());
    return text.toString();
  }

  @Test
  void aRunWaitsForThePersonAndAResumedRunDoesNothingTwice() {
    FakePair pair = new FakePair();
    Sample sample = new Sample();
    String first = runText(pair, sample, null, Set.of(), RunbookRunner.Result.WAITING);
    assertTrue(first.contains("[run] operate: twinsign cluster resume") && first.contains("[you] person: do the"
        + " thing") && first.contains("--resume 1 --done person"), first);
    assertEquals(1, pair.calls.size());
    assertEquals("waiting", pair.runs.get(0).path("state").asText());

    sample.humanDone.set(true);
    String second = runText(pair, sample, 1L, Set.of("person"), RunbookRunner.Result.DONE);
    assertTrue(second.contains("[done] operate (before)") && second.contains("[done] person: already (done)")
        && second.contains("[done] settle: settled"), second);
    assertEquals(1, pair.calls.size(), "the operation is not run again");
    assertEquals("done", pair.runs.get(0).path("state").asText());
    StringWriter text = new StringWriter();
    try {
      new RunbookRunner(pair, new PrintWriter(text), "tester").run(sample, Map.of(), 1L, Set.of());
      throw new AssertionError("a finished run was resumed");
    } catch (IllegalStateException e) {
      assertTrue(e.getMessage().contains("is done: start a new run"), e.getMessage());
    }
  }

  @Test
  void aChecklistThatFailsStopsTheRunBeforeAnyStep() {
    FakePair pair = new FakePair();
    Sample sample = new Sample();
    sample.checklist.set(false);
    String out = runText(pair, sample, null, Set.of(), RunbookRunner.Result.FAILED);
    assertTrue(out.contains("[FAIL] the pair is ready: not ready"), out);
    assertEquals(List.of(), pair.calls);
    assertEquals("failed", pair.runs.get(0).path("state").asText());
  }

  @Test
  void aDryRunRecordsNothingAndActsOnNothing() {
    FakePair pair = new FakePair();
    StringWriter text = new StringWriter();
    RunbookRunner.Result r = new RunbookRunner(pair, new PrintWriter(text, true), "tester").dryRun(new Sample(),
        Map.of());
    assertEquals(RunbookRunner.Result.DONE, r);
    assertTrue(text.toString().contains("would run 'twinsign cluster resume'") && text.toString().contains(
        "would wait for you: do the thing"), text.toString());
    assertEquals(List.of(), pair.runs);
    assertEquals(List.of(), pair.calls);
  }

  @Test
  void withoutAMasterTheTrailIsHeldAndWrittenOnceOneIs() {
    FakePair pair = new FakePair();
    pair.master.set(false);
    Sample sample = new Sample() {
      @Override
      public List<Step> steps(Map<String, String> params, PairAccess p) {
        // the operation makes a master (as a failover does)
        return List.of(Step.operation("failover", "makes a master", null, List.of("cluster", "failover"), Check.of(
            "a master", x -> {
              if (!((FakePair) x).calls.isEmpty()) {
                pair.master.set(true);
              }
              return pair.master.get() ? Outcome.pass("master") : Outcome.fail("none");
            }), Duration.ofSeconds(1)));
      }
    };
    String out = runText(pair, sample, null, Set.of(), RunbookRunner.Result.DONE);
    assertTrue(out.startsWith("Run of sample {}: no node is master, so its trail is held here"), out);
    assertTrue(out.contains("Run 1 of sample"), out);
    JsonNode events = pair.runs.get(0).path("events");
    assertEquals("check", events.get(0).path("kind").asText(), events.toString());
    assertTrue(events.get(0).path("evidence").asText().contains("no master to record it then"), events.toString());
    assertFalse(events.get(events.size() - 1).path("evidence").asText().contains("no master to record it then"));
    assertEquals("done", pair.runs.get(0).path("state").asText());
  }

  /** A runbook of a step made when reached, one confirmed by the operator, a host command, and a report. */
  static final class Later extends Sample {
    final AtomicInteger made = new AtomicInteger();
    final java.nio.file.Path marker;

    Later(java.nio.file.Path marker) {
      this.marker = marker;
    }

    @Override
    public List<Step> steps(Map<String, String> params, PairAccess pair) {
      return List.of(
          Step.late("late", "made when reached", p -> {
            if (made.incrementAndGet() < 2) {
              throw new IllegalStateException("nothing to make it from yet");
            }
            return Step.operation("late", "runs what earlier steps decided", null, List.of("key", "ds-seen",
                "--keytag", "4711"), Check.of("ran", q -> ((FakePair) q).calls.isEmpty() ? Outcome.fail("no")
                    : Outcome.pass("ran " + ((FakePair) q).calls.get(0))), Duration.ofSeconds(1));
          }),
          Step.confirmed("tell", "a person tells the registry", null, "tell the registry"),
          Step.command("touch", "a host command", null, "echo making it; touch '" + marker + "'", Check.of(
              "the marker exists", p -> java.nio.file.Files.exists(marker) ? Outcome.pass("exists") : Outcome.fail(
                  "missing")), Duration.ofSeconds(2)),
          Step.await("after", "waits from the confirmation", Check.of("the confirmation's time is known", p ->
              p.stepDoneAt("tell").map(t -> Outcome.pass("told at " + t)).orElse(Outcome.fail("unknown"))),
              Duration.ofSeconds(1)));
    }

    @Override
    public List<Check> report(Map<String, String> params, PairAccess pair) {
      return List.of(Check.of("enough of something", p -> Outcome.fail("short by one")));
    }
  }

  @Test
  void lateConfirmedAndCommandStepsAndTheReport(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    FakePair pair = new FakePair();
    Later later = new Later(dir.resolve("marker"));
    StringWriter text = new StringWriter();
    RunbookRunner runner = new RunbookRunner(pair, new PrintWriter(text, true), "tester");
    assertEquals(RunbookRunner.Result.WAITING, runner.run(later, Map.of(), null, Set.of()), text.toString());
    assertTrue(text.toString().contains("[wait] late: cannot be made yet: nothing to make it from yet"),
        text.toString());
    assertEquals(RunbookRunner.Result.WAITING, runner.run(later, Map.of(), 1L, Set.of()), text.toString());
    assertTrue(text.toString().contains("[run] late: twinsign key ds-seen --keytag 4711") && text.toString()
        .contains("[you] tell: tell the registry"), text.toString());
    assertEquals(RunbookRunner.Result.DONE, runner.run(later, Map.of(), 1L, Set.of("tell")), text.toString());
    assertTrue(text.toString().contains("[done] tell: confirmed by you") && text.toString().contains(
        "[run] touch: echo making it; touch") && text.toString().contains("exit 0; making it") && text.toString()
        .contains("[done] after: already (told at ") && text.toString().contains("[WARN] enough of something: short by one"),
        text.toString());
    JsonNode events = pair.runs.get(0).get("events");
    assertTrue(events.toString().contains("\"kind\":\"command\"") && events.toString().contains(
        "\"kind\":\"report\",\"status\":\"warning\""), events.toString());
    assertEquals(1, pair.calls.size(), "the late operation ran once");
  }
}
