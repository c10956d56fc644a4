package org.twinsign.appliance.alert;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.twinsign.appliance.store.AlertTable;

/**
 * The text of an alert mail: plain text a person can act on from a phone. The subject says the
 * cluster, how severe, the kind and what it concerns; the body what happened, since when and what
 * to do, first. Nothing in it comes from a secret: summaries and commands are the same text the
 * node logs.
 */
public record AlertMessage(String subject, String body) {

  public static AlertMessage of(AlertTable.Row alert, MailSchedule.What what, String cluster, String node, long epoch,
      Instant now) {
    String tag = switch (what) {
      case RESOLVED -> "RESOLVED";
      case REMINDER -> "REMINDER " + (alert.reminders() + 1) + ": " + alert.severity().toUpperCase(java.util.Locale.ROOT);
      default -> alert.severity().toUpperCase(java.util.Locale.ROOT);
    };
    String subject = "[twinsign " + cluster + "] " + tag + " " + alert.kind() + ": " + alert.subject();
    StringBuilder b = new StringBuilder();
    switch (what) {
      case RESOLVED -> b.append("Resolved: ").append(alert.subject()).append(" is fine again (since ")
          .append(time(alert.resolvedAt())).append(").\n\nIt was: ").append(alert.summary()).append('\n');
      case REMINDER -> b.append("Still not done, since ").append(time(alert.raisedAt())).append(":\n")
          .append(alert.summary()).append("\n\nWhat to do: ").append(alert.todo()).append('\n');
      case RAISED_AGAIN -> b.append(alert.summary()).append("\n\nWhat to do: ").append(alert.todo())
          .append("\n\nThis came back: it cleared and came back ").append(alert.flaps()).append(" time(s); mails for it"
              + " are limited to one per rate-limit window.\n");
      default -> b.append(alert.summary()).append("\n\nWhat to do: ").append(alert.todo()).append('\n');
    }
    b.append("\nConcerns: ").append(alert.subject())
        .append("\nKind: ").append(alert.kind()).append(", ").append(alert.severity())
        .append("\nRaised: ").append(time(alert.raisedAt()));
    AlertKind kind = AlertKind.parse(alert.kind());
    if (what != MailSchedule.What.RESOLVED && !alert.state().equals(AlertTable.EVENT)) {
      b.append("\nAlert ").append(alert.id()).append(": 'twinsign alert ack ").append(alert.id()).append('\'')
          .append(kind != null && !kind.reminders().isEmpty() ? " stops the reminders" : " acknowledges it");
    }
    b.append("\n\nCluster ").append(cluster).append(", sent by node ").append(node).append(" (master, epoch ")
        .append(epoch).append(") at ").append(time(now)).append(".\n");
    return new AlertMessage(subject, b.toString());
  }

  private static String time(Instant at) {
    return at == null ? "?" : at.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
