package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.store.RunbookTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign runbook-journal ...} (hidden): the admin operations through which the runbooks
 * of {@code procedures/} keep their runs' state and audit trail in the replicated store. Operators
 * use {@code twinsign runbook}; these are its plumbing, routed like every command (writes to the
 * master).
 */
@Command(name = "runbook-journal", hidden = true, description = "Runbook runs' state (for 'twinsign runbook').",
    subcommands = {RunbookJournalCommand.Start.class, RunbookJournalCommand.Record.class,
        RunbookJournalCommand.State.class, RunbookJournalCommand.Show.class, RunbookJournalCommand.ListRuns.class})
final class RunbookJournalCommand extends CommandGroup {

  @Command(name = "start", description = "Start a run; prints its id as JSON.")
  static final class Start extends ServiceCommand {
    @Option(names = "--name", required = true)
    String name;

    @Option(names = "--params", defaultValue = "{}")
    String params;

    @Option(names = "--who", required = true)
    String who;

    @Override
    void run(Services services, PrintWriter out) {
      JsonOutput.print(out, Map.of("id", services.runbooks().start(name, params, who)));
    }
  }

  @Command(name = "record", description = "Add an entry to a run's trail.")
  static final class Record extends ServiceCommand {
    @Option(names = "--run", required = true)
    long run;

    @Option(names = "--step", required = true)
    String step;

    @Option(names = "--kind", required = true)
    String kind;

    @Option(names = "--status", required = true)
    String status;

    @Option(names = "--evidence", defaultValue = "")
    String evidence;

    @Option(names = "--who", required = true)
    String who;

    @Override
    void run(Services services, PrintWriter out) {
      JsonOutput.print(out, Map.of("id", services.runbooks().record(run, step, kind, status, evidence, who)));
    }
  }

  @Command(name = "state", description = "Set a run's state.")
  static final class State extends ServiceCommand {
    @Option(names = "--run", required = true)
    long run;

    @Option(names = "--state", required = true)
    String state;

    @Override
    void run(Services services, PrintWriter out) {
      services.runbooks().state(run, state);
      JsonOutput.print(out, Map.of("id", run, "state", state));
    }
  }

  @Command(name = "show", description = "A run and its trail, as JSON.")
  static final class Show extends ServiceCommand {
    @Option(names = "--run", required = true)
    long run;

    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    void run(Services services, PrintWriter out) {
      Map<String, Object> doc = new LinkedHashMap<>(json(services.runbooks().run(run)));
      doc.put("events", services.runbooks().events(run).stream().map(e -> {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", e.step());
        m.put("kind", e.kind());
        m.put("status", e.status());
        m.put("evidence", e.evidence());
        m.put("who", e.who());
        m.put("node", e.node());
        m.put("at", e.at().toString());
        m.put("epoch", e.epoch());
        return m;
      }).toList());
      JsonOutput.print(out, doc);
    }
  }

  @Command(name = "list", description = "The newest runs, as JSON.")
  static final class ListRuns extends ServiceCommand {
    @Option(names = "--limit", defaultValue = "50")
    int limit;

    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    void run(Services services, PrintWriter out) {
      List<Map<String, Object>> runs = services.runbooks().runs(limit).stream().map(RunbookJournalCommand::json)
          .toList();
      JsonOutput.print(out, runs);
    }
  }

  static Map<String, Object> json(RunbookTable.Run r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id());
    m.put("name", r.name());
    m.put("params", r.params());
    m.put("state", r.state());
    m.put("started_at", r.startedAt().toString());
    m.put("started_by", r.startedBy());
    m.put("updated_at", r.updatedAt().toString());
    m.put("finished_at", r.finishedAt() == null ? null : r.finishedAt().toString());
    m.put("epoch", r.epoch());
    return m;
  }
}
