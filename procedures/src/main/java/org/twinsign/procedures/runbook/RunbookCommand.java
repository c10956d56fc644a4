package org.twinsign.procedures.runbook;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.twinsign.appliance.cli.AdminClient;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.procedures.runbooks.Runbooks;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code twinsign runbook list|show|run|history}: the pair's procedures as commands that check
 * their own checklist. A run keeps its state and trail in the replicated store: it is resumed with
 * {@code --resume ID}, on either node.
 */
@Command(name = "runbook", description = {"Executable runbooks ('runbook list' names them).",
    "Each states When, What (a checklist it checks), Why and How (steps it runs",
    "or waits for); runs are kept in the replicated store and resumed on either node."},
    subcommands = {RunbookCommand.ListRunbooks.class, RunbookCommand.Show.class, RunbookCommand.Run.class,
        RunbookCommand.History.class})
public final class RunbookCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static Runbook runbook(String name) {
    return Runbooks.named(name).orElseThrow(() -> new IllegalArgumentException("no runbook '" + name + "';"
        + " 'twinsign runbook list' lists them"));
  }

  /** The pair through this node's admin endpoint (the CLI's configuration). */
  static PairAccess pair(CommandLine.Model.CommandSpec spec) {
    TwinsignConfig config = ((TwinsignCommand) spec.root().userObject()).config();
    PairConfig pair = config.pair();
    if (pair == null) {
      throw new IllegalStateException("runbooks drive a signer pair: " + config.source() + " has no node.mode=pair");
    }
    return new PairAccess(AdminClient.forConfig(config), PairConfig.secret(pair.adminTokenFile(), "admin.token.file"),
        pair.nodeName(), pair.peerName(), config);
  }

  static void printJson(PrintWriter out, Object value) {
    try {
      out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
          .writeValueAsString(value));
      out.flush();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  /** Who acts: the operating system's user on this host (the audit trail's "who"). */
  static String who() {
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      host = "?";
    }
    return System.getProperty("user.name") + "@" + host;
  }

  @Command(name = "list", description = "The runbooks, one line each.")
  static final class ListRunbooks implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    public void run() {
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        printJson(out, Runbooks.all().stream().map(r -> Map.of("name", r.name(), "summary", r.summary())).toList());
        return;
      }
      for (Runbook r : Runbooks.all()) {
        out.printf("%-26s %s%n", r.name(), r.summary());
      }
      out.flush();
    }
  }

  @Command(name = "show", description = "A runbook: When, What, Why, How, and its parameters.")
  static final class Show implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "Parameters, to show the steps they make.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    public void run() {
      Runbook r = runbook(name);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        PairAccess pair = pair(spec);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", r.name());
        doc.put("summary", r.summary());
        doc.put("when", r.when());
        doc.put("why", r.why());
        doc.put("parameters", r.parameters());
        doc.put("checklist", r.checklist(params, pair).stream().map(Check::name).toList());
        doc.put("steps", r.steps(params, pair).stream().map(s -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", s.id());
          m.put("what", s.what());
          m.put("kind", s.late() != null ? "made when reached" : s.human() ? "human" : s.command() != null
              ? "command" : s.operation().isEmpty() ? "wait" : "operation");
          m.put("action", s.late() != null ? null : s.human() ? s.prompt() : s.command() != null ? s.command()
              : s.operation().isEmpty() ? null : "twinsign " + String.join(" ", s.operation()));
          m.put("done_when", s.late() != null ? null : s.verification() == null ? "confirmed (--done " + s.id() + ")"
              : s.verification().name());
          return m;
        }).toList());
        printJson(out, doc);
        return;
      }
      out.println(r.name() + ": " + r.summary());
      out.println("\nWhen: " + r.when());
      out.println("\nWhy: " + r.why());
      out.println("\nParameters:");
      r.parameters().forEach((k, v) -> out.println("  " + k + ": " + v));
      out.flush();
      PairAccess pair = pair(spec);
      List<Check> checklist;
      List<Step> steps;
      try {
        checklist = r.checklist(params, pair);
        steps = r.steps(params, pair);
      } catch (IllegalArgumentException e) { // they depend on parameters the pair does not settle now
        out.println("\nWhat and How depend on its parameters: " + e.getMessage() + " (give them with --param)");
        out.println("\nHow (steps): shown with the parameters");
        out.flush();
        return;
      }
      out.println("\nWhat (checklist):");
      checklist.forEach(c -> out.println("  - " + c.name()));
      out.println("\nHow (steps):");
      int i = 1;
      for (Step s : steps) {
        out.println("  " + i++ + ". " + s.id() + ": " + s.what());
        if (s.late() != null) {
          out.println("     (made when the run reaches it, from what the earlier steps made)");
          continue;
        }
        out.println("     " + (s.human() ? "you: " + s.prompt() : s.command() != null ? "runs here: " + s.command()
            : s.operation().isEmpty() ? "waits (up to " + s.patience().toMinutes() + " min) until: "
                + s.verification().name() : "runs: twinsign " + String.join(" ", s.operation())));
        out.println("     done when: " + (s.verification() == null ? "you confirm it (--done " + s.id() + ")"
            : s.verification().name()));
      }
      out.flush();
    }
  }

  @Command(name = "run", description = {"Run a runbook, or resume a run (--resume ID).",
      "It stops where it must wait: for you (then --done STEP), or for the pair.",
      "Exit 0 done, 1 failed, 4 waiting (resume it)."})
  static final class Run implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "The runbook's parameters ('runbook show').")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--resume", paramLabel = "ID", description = "Go on with run ID (from either node).")
    Long resume;

    @Option(names = "--done", paramLabel = "STEP", description = "You did this human step (repeatable).")
    List<String> done = List.of();

    @Option(names = "--dry-run", description = "Say what would happen and which checks pass now; change nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "As JSON: the run's id, result, exit code and what it printed.")
    boolean json;

    @Override
    public Integer call() {
      Runbook r = runbook(name);
      for (String key : params.keySet()) {
        if (!r.parameters().containsKey(key)) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--param " + key + ": runbook " + name
              + " takes " + r.parameters().keySet());
        }
      }
      PrintWriter out = spec.commandLine().getOut();
      java.io.StringWriter captured = new java.io.StringWriter();
      PairAccess pair = pair(spec);
      RunbookRunner runner = new RunbookRunner(pair, json ? new PrintWriter(captured, true) : out, who() + " via node "
          + pair.node());
      Map<String, String> effective = params;
      if (resume != null) { // a resumed run keeps the parameters it was started with
        if (!params.isEmpty()) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--param with --resume: run " + resume
              + " keeps the parameters it was started with; start a new run for others");
        }
        effective = storedParams(pair, resume);
      } else {
        effective = r.resolve(params, pair);
      }
      RunbookRunner.Result result = dryRun ? runner.dryRun(r, effective) : runner.run(r, effective, resume,
          new LinkedHashSet<>(done));
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("runbook", r.name());
        doc.put("run", dryRun ? null : runner.runId());
        doc.put("dry_run", dryRun);
        doc.put("params", effective);
        doc.put("result", result.name().toLowerCase(java.util.Locale.ROOT));
        doc.put("exit", result.exitCode());
        doc.put("output", captured.toString().lines().toList());
        printJson(out, doc);
      }
      out.flush();
      return result.exitCode();
    }

    private static Map<String, String> storedParams(PairAccess pair, long run) {
      Map<String, String> p = new LinkedHashMap<>();
      try {
        JsonNode stored = new com.fasterxml.jackson.databind.ObjectMapper().readTree(pair.journal().show(run)
            .path("params").asText("{}"));
        stored.properties().forEach(e -> p.put(e.getKey(), e.getValue().asText()));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("run " + run + " has unreadable parameters: " + e.getMessage());
      }
      return p;
    }
  }

  @Command(name = "history", description = {"The runs, newest first.",
      "--run ID: one run's trail (who, when, on which node, what, result)."})
  static final class History implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", paramLabel = "ID")
    Long run;

    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    public void run() {
      PairAccess pair = pair(spec);
      PrintWriter out = spec.commandLine().getOut();
      if (run != null) {
        JsonNode r = pair.journal().show(run);
        if (json) {
          out.println(r.toPrettyString());
        } else {
          out.println("Run " + r.path("id").asText() + " of " + r.path("name").asText() + " " + r.path("params").asText()
              + ": " + r.path("state").asText() + " (started " + r.path("started_at").asText() + " by "
              + r.path("started_by").asText() + ")");
          for (JsonNode e : r.path("events")) {
            out.printf("  %s %-8s %-12s %-12s %-10s %s (%s)%n", e.path("at").asText(), e.path("node").asText(),
                e.path("step").asText(), e.path("kind").asText(), e.path("status").asText(), e.path("evidence")
                    .asText(), e.path("who").asText());
          }
        }
      } else {
        List<JsonNode> runs = pair.journal().runs(50);
        if (json) {
          out.println(new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(runs).toPrettyString());
        } else {
          out.printf("%-6s %-26s %-10s %-28s %s%n", "Run:", "Runbook:", "State:", "Started:", "By:");
          for (JsonNode r : runs) {
            out.printf("%-6s %-26s %-10s %-28s %s%n", r.path("id").asText(), r.path("name").asText(), r.path("state")
                .asText(), r.path("started_at").asText(), r.path("started_by").asText());
          }
        }
      }
      out.flush();
    }
  }
}
