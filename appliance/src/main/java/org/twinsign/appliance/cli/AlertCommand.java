package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.service.AlertService;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code twinsign alert test|list|ack}: the alerts the signer raised and the mails that told people. */
@Command(name = "alert", description = "Alerts: what the signer needs people for, and the mails that told them.",
    subcommands = {AlertCommand.Test.class, AlertCommand.ListAlerts.class, AlertCommand.Ack.class})
final class AlertCommand extends CommandGroup {

  /** The cluster's name in mails and Message-IDs; a single node's is "single". */
  static String cluster(TwinsignConfig config) {
    return config.pair() == null ? "single" : config.pair().clusterName();
  }

  static String node(TwinsignConfig config) {
    return config.pair() == null ? "single" : config.pair().nodeName();
  }

  @Command(name = "test", description = {"Queue a test mail to ADDRESS; the master's outbox sends it.",
      "'alert list --mails' shows whether the SMTP server took it."})
  static final class Test extends ServiceCommand {
    @Option(names = "--to", required = true, paramLabel = "ADDRESS", description = "Where the test mail goes.")
    String to;

    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.alerts().test(services.config().alerts(), to, cluster(services.config()),
          node(services.config())));
    }
  }

  @Command(name = "list", description = {"Alerts, newest first, with the delivery state of their mails.",
      "--open: only those still open."})
  static final class ListAlerts extends ServiceCommand {
    @Option(names = "--open", description = "Only alerts still open.")
    boolean open;

    @Option(names = "--mails", description = "Each alert's mails: Message-ID, what, to whom, sent or pending.")
    boolean mails;

    @Option(names = "--json", description = "Print as JSON (with the mails).")
    boolean json;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N alerts (default 100).")
    int limit;

    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    void run(Services services, PrintWriter out) {
      List<AlertService.Listed> alerts = services.alerts().list(open, limit);
      if (json) {
        JsonOutput.print(out, alerts.stream().map(AlertService.Listed::json).toList());
        return;
      }
      if (alerts.isEmpty()) {
        out.println(open ? "no open alerts" : "no alerts");
        return;
      }
      out.printf("%-5s %-24s %-9s %-9s %-21s %-11s %s%n", "ID", "KIND", "SEVERITY", "STATE", "RAISED", "MAILS",
          "SUBJECT");
      for (AlertService.Listed l : alerts) {
        long sent = l.mails().stream().filter(m -> m.sentAt() != null).count();
        String state = l.alert().state() + (l.alert().ackedAt() != null ? ",ack" : "");
        out.printf("%-5d %-24s %-9s %-9s %-21s %-11s %s%n", l.alert().id(), l.alert().kind(), l.alert().severity(),
            state, l.alert().raisedAt().truncatedTo(ChronoUnit.SECONDS), sent + " sent" + (l.mails().size() > sent
                ? ", " + (l.mails().size() - sent) + " pending" : ""), l.alert().subject());
        out.println("      " + l.alert().summary());
        if (l.alert().open()) {
          out.println("      to do: " + l.alert().todo());
        }
        if (mails) {
          for (var m : l.mails()) {
            out.println("      mail " + m.what() + " " + m.messageId() + " to " + m.recipients() + ": " + (m.sentAt()
                != null ? "sent " + m.sentAt().truncatedTo(ChronoUnit.SECONDS) : (m.givenUpAt() != null
                ? "refused for good" : "pending") + ", " + m.attempts() + " attempt(s)" + (m.lastError() == null ? ""
                : ", last: " + m.lastError())));
          }
        }
      }
    }
  }

  @Command(name = "ack", description = "Silence the reminders of alert ID until it clears and comes back.")
  static final class Ack extends ServiceCommand {
    @Parameters(paramLabel = "ID", description = "The alert's number ('alert list').")
    long id;

    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.alerts().ack(id));
    }
  }
}
