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

  /**
   * A mail sent directly by a node while the pair has no master, so that nothing could record the
   * alert: not threaded, not followed by a "resolved" mail.
   */
  public static AlertMessage direct(Condition c, String cluster, String node, Instant now) {
    String subject = "[twinsign " + cluster + "] " + c.severity().label().toUpperCase(java.util.Locale.ROOT) + " "
        + c.kind().id() + ": " + c.subject();
    String body = c.summary() + "\n\nWhat to do: " + c.todo() + "\n\nConcerns: " + c.subject() + "\nKind: "
        + c.kind().id() + ", " + c.severity().label() + "\n\nCluster " + cluster + ", sent by node " + node
        + " (not master) at " + time(now) + ", directly: the pair has no master to record this alert. It is sent"
        + " again while it holds, once per rate-limit window; the next master records it.\n";
    return new AlertMessage(subject, body);
  }

  /** The daily digest for one list of recipients: {@code alerts} are those of their roles open or of the last day. */
  public static AlertMessage digest(java.time.LocalDate day, java.util.List<AlertTable.Row> alerts, Instant dayAgo,
      String cluster, String node, long epoch, Instant now) {
    java.util.List<AlertTable.Row> open = alerts.stream().filter(AlertTable.Row::open).toList();
    java.util.List<AlertTable.Row> past = alerts.stream().filter(a -> !a.open()).toList();
    java.util.List<String> counts = new java.util.ArrayList<>();
    if (!open.isEmpty()) {
      counts.add(open.size() + " open");
    }
    if (!past.isEmpty()) {
      counts.add(past.size() + " cleared or past in the last day");
    }
    String subject = "[twinsign " + cluster + "] digest " + day + ": " + (alerts.isEmpty() ? "all quiet"
        : String.join(", ", counts));
    StringBuilder b = new StringBuilder("Daily digest of cluster ").append(cluster).append(", ").append(day)
        .append(" (UTC).\n");
    if (alerts.isEmpty()) {
      b.append("\nAll quiet: no alert of yours is open, and none was raised or resolved since ").append(time(dayAgo))
          .append(".\n");
    }
    if (!open.isEmpty()) {
      b.append("\nOpen (").append(open.size()).append("):\n");
      for (AlertTable.Row a : open) {
        b.append("- ").append(a.severity().toUpperCase(java.util.Locale.ROOT)).append(' ').append(a.kind())
            .append(": ").append(a.subject()).append(", since ").append(time(a.raisedAt()))
            .append(a.ackedAt() != null ? " (acknowledged)" : "").append("\n  What to do: ").append(a.todo())
            .append('\n');
      }
    }
    if (!past.isEmpty()) {
      b.append("\nIn the last day (").append(past.size()).append("):\n");
      for (AlertTable.Row a : past) {
        b.append("- ").append(a.kind()).append(": ").append(a.subject()).append(", ").append(a.state().equals(
            AlertTable.EVENT) ? "at " + time(a.raisedAt()) : "raised " + time(a.raisedAt()) + ", resolved "
                + time(a.resolvedAt())).append('\n');
      }
    }
    b.append("\nCluster ").append(cluster).append(", sent by node ").append(node).append(" (master, epoch ")
        .append(epoch).append(") at ").append(time(now)).append(". 'twinsign alert list' shows every alert.\n");
    return new AlertMessage(subject, b.toString());
  }

  private static String time(Instant at) {
    return at == null ? "?" : at.truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
