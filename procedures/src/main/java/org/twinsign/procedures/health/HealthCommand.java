package org.twinsign.procedures.health;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.twinsign.appliance.cli.AdminClient;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.config.TwinsignConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign health}: whether the pair is safe, in one screen ({@link Health}); {@code --nagios}
 * one line for a monitoring system, {@code --json} for machines. The exit code is the Nagios
 * plugin's in every form: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
@Command(name = "health", description = {"Whether the pair is safe, in one screen.",
    "Roles, epoch, ZooKeeper, replication, HSMs, key sync and backup, key pools,",
    "DS actions, signature expiry, open alerts: each with what to do.",
    "Exit code as a Nagios plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."})
public final class HealthCommand implements Callable<Integer> {
  @CommandLine.ParentCommand
  TwinsignCommand root;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--nagios", description = "One line and the exit code, as a Nagios/Icinga plugin.")
  boolean nagios;

  @Option(names = "--json", description = "As JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    String cluster;
    List<Finding> findings;
    try {
      TwinsignConfig config = root.config();
      PairConfig pair = config.pair();
      if (pair == null) {
        throw new IllegalStateException("health looks at a signer pair: " + config.source() + " has no"
            + " node.mode=pair");
      }
      cluster = pair.clusterName();
      PairAnswers answers = PairAnswers.ask(AdminClient.forConfig(config), PairConfig.secret(pair.adminTokenFile(),
          "admin.token.file"));
      findings = new Health(pair.nodeName(), pair.peerName(), Instant.now()).findings(answers);
    } catch (RuntimeException e) { // UNKNOWN in every form, as a plugin that cannot look
      cluster = "?";
      findings = List.of(new Finding("health", State.UNKNOWN, String.valueOf(e.getMessage()), "the node"
          + " configuration (--config or TWINSIGN_CONFIG)"));
    }
    State overall = Health.overall(findings);
    if (nagios) {
      out.println(nagiosLine(overall, findings));
    } else if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("cluster", cluster);
      doc.put("state", overall.name());
      doc.put("findings", findings.stream().map(f -> Map.of("area", f.area(), "state", f.state().name(), "text",
          f.text(), "todo", f.todo())).toList());
      out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
          .writeValueAsString(doc));
    } else {
      out.println("Pair " + cluster + ": " + overall + " (" + counts(findings) + ")");
      for (Finding f : findings) {
        out.printf("%-8s %-18s %s%n", f.state(), f.area(), f.text());
        if (!f.todo().isEmpty()) {
          out.printf("%-8s %-18s -> %s%n", "", "", f.todo());
        }
      }
    }
    out.flush();
    return overall.exitCode();
  }

  /** {@code TWINSIGN STATE - the worst finding; what to do (N more) | perfdata}. */
  static String nagiosLine(State overall, List<Finding> findings) {
    List<Finding> worst = findings.stream().filter(f -> f.state() == overall).toList();
    StringBuilder b = new StringBuilder("TWINSIGN ").append(overall).append(" - ");
    if (overall == State.OK) {
      b.append(findings.size()).append(" checks OK");
    } else {
      Finding first = worst.get(0);
      b.append(first.area()).append(": ").append(first.text()).append("; do: ").append(first.todo());
      if (worst.size() > 1) {
        b.append(" (").append(worst.size() - 1).append(" more ").append(overall).append(')');
      }
    }
    b.append(" | ");
    for (State s : State.values()) {
      b.append(s.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(findings.stream().filter(f -> f
          .state() == s).count()).append(s == State.UNKNOWN ? "" : " ");
    }
    // one line, and no '|' before the perfdata's
    int bar = b.lastIndexOf(" | ");
    return (b.substring(0, bar).replace('|', '/') + b.substring(bar)).replace('\n', ' ');
  }

  private static String counts(List<Finding> findings) {
    Map<State, Long> n = new LinkedHashMap<>();
    for (State s : State.values()) {
      n.put(s, findings.stream().filter(f -> f.state() == s).count());
    }
    return n.get(State.CRITICAL) + " critical, " + n.get(State.WARNING) + " warning, " + n.get(State.UNKNOWN)
        + " unknown, " + n.get(State.OK) + " OK";
  }
}
