package org.twinsign.appliance.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.twinsign.appliance.store.AlertTable;

/**
 * Which mail an alert needs now, if any: the rules that keep a person informed without a storm.
 *
 * <ul>
 *   <li>An event is mailed once.
 *   <li>A condition is mailed when it is raised, and again when it clears once it has stayed clear
 *       for {@link MailSettings#settle()}.
 *   <li>Per condition, at most one "raised" and one "resolved" mail in each rate-limit window: a
 *       condition that flaps is mailed "raised again" (with how often it flapped) once the window
 *       since its last "raised" mail has passed, if it is open then; likewise "resolved".
 *   <li>An open condition that is not acknowledged reminds at its kind's delays from when it was
 *       raised ({@code ds-not-seen}: at three days and at a week).
 * </ul>
 * Store time throughout: a failover does not reset a window, and a simulation store's clock moves reminders.
 */
public final class MailSchedule {
  private MailSchedule() {}

  /** What a mail tells. */
  public enum What {
    RAISED, RAISED_AGAIN, REMINDER, RESOLVED;

    /** The alert state the mail tells. */
    public String state() {
      return this == RESOLVED ? AlertTable.RESOLVED : AlertTable.OPEN;
    }
  }

  public static Optional<What> due(AlertTable.Row alert, Instant now, Duration window, Duration settle) {
    AlertKind kind = AlertKind.parse(alert.kind());
    if (kind == null) {
      return Optional.empty(); // written by a newer release: it sends its own mails
    }
    if (alert.state().equals(AlertTable.EVENT)) {
      return alert.mailedState() == null ? Optional.of(What.RAISED) : Optional.empty();
    }
    if (alert.open()) {
      if (!AlertTable.OPEN.equals(alert.mailedState())) {
        if (alert.raisedMailedAt() == null) {
          return Optional.of(What.RAISED);
        }
        return passed(alert.raisedMailedAt(), window, now) ? Optional.of(What.RAISED_AGAIN) : Optional.empty();
      }
      if (alert.ackedAt() == null && alert.reminders() < kind.reminders().size()
          && passed(alert.raisedAt(), kind.reminders().get(alert.reminders()), now)) {
        return Optional.of(What.REMINDER);
      }
      return Optional.empty();
    }
    if (AlertTable.OPEN.equals(alert.mailedState()) && alert.resolvedAt() != null
        && passed(alert.resolvedAt(), settle, now)
        && (alert.resolvedMailedAt() == null || passed(alert.resolvedMailedAt(), window, now))) {
      return Optional.of(What.RESOLVED);
    }
    return Optional.empty();
  }

  private static boolean passed(Instant since, Duration wait, Instant now) {
    return !now.isBefore(since.plus(wait));
  }
}
