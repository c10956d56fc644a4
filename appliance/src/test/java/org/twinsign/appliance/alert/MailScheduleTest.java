package org.twinsign.appliance.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.store.AlertTable;

/** The mail rules over alert rows as the store holds them: rate limit, settle, reminders, events. */
class MailScheduleTest {
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final Duration WINDOW = Duration.ofMinutes(60);
  private static final Duration SETTLE = Duration.ofSeconds(30);

  private static AlertTable.Row row(AlertKind kind, String state, Instant raised, Instant resolved, String mailed,
      Instant raisedMailed, Instant resolvedMailed, int reminders, Instant acked) {
    return new AlertTable.Row(1, kind.id() + " x", kind.id(), kind.severity().label(), "x", "what", "todo", state,
        raised, raised, resolved, 0, acked, mailed, raisedMailed, resolvedMailed, reminders, 0, 1);
  }

  private static Optional<MailSchedule.What> due(AlertTable.Row r, Instant now) {
    return MailSchedule.due(r, now, WINDOW, SETTLE);
  }

  @Test
  void aNewConditionIsMailedAtOnceAndNotAgainWhileOpen() {
    AlertTable.Row fresh = row(AlertKind.REPLICATION_BROKEN, "open", T0, null, null, null, null, 0, null);
    assertEquals(Optional.of(MailSchedule.What.RAISED), due(fresh, T0));
    AlertTable.Row mailed = row(AlertKind.REPLICATION_BROKEN, "open", T0, null, "open", T0, null, 0, null);
    assertEquals(Optional.empty(), due(mailed, T0.plus(Duration.ofDays(3))), "no reminders for this kind");
  }

  @Test
  void aClearedConditionIsMailedResolvedOnceItSettled() {
    Instant cleared = T0.plusSeconds(100);
    AlertTable.Row r = row(AlertKind.REPLICATION_BROKEN, "resolved", T0, cleared, "open", T0, null, 0, null);
    assertEquals(Optional.empty(), due(r, cleared.plusSeconds(29)));
    assertEquals(Optional.of(MailSchedule.What.RESOLVED), due(r, cleared.plusSeconds(30)));
    AlertTable.Row told = row(AlertKind.REPLICATION_BROKEN, "resolved", T0, cleared, "resolved", T0,
        cleared.plusSeconds(30), 0, null);
    assertEquals(Optional.empty(), due(told, cleared.plusSeconds(3600)));
  }

  @Test
  void aFlappingConditionIsMailedOnceRaisedAndOnceResolvedPerWindow() {
    // raised at T0 and mailed; resolved at +100 and mailed at +130; back at +200
    AlertTable.Row back = row(AlertKind.REPLICATION_BROKEN, "open", T0.plusSeconds(200), null, "resolved", T0,
        T0.plusSeconds(130), 0, null);
    assertEquals(Optional.empty(), due(back, T0.plusSeconds(201)), "within the window of the last 'raised' mail");
    assertEquals(Optional.of(MailSchedule.What.RAISED_AGAIN), due(back, T0.plus(WINDOW)));
    // resolved again at +300, while the last 'resolved' mail was at +130: not before +130 + window
    AlertTable.Row again = row(AlertKind.REPLICATION_BROKEN, "resolved", T0.plusSeconds(200), T0.plusSeconds(300),
        "open", T0.plus(WINDOW), T0.plusSeconds(130), 0, null);
    assertEquals(Optional.empty(), due(again, T0.plusSeconds(400)));
    assertEquals(Optional.of(MailSchedule.What.RESOLVED), due(again, T0.plusSeconds(130).plus(WINDOW)));
  }

  @Test
  void aDsNotSeenRemindsAtThreeDaysAndAWeekUnlessAcknowledged() {
    // raised one day after the submission
    AlertTable.Row r = row(AlertKind.DS_NOT_SEEN, "open", T0, null, "open", T0, null, 0, null);
    assertEquals(Optional.empty(), due(r, T0.plus(Duration.ofDays(2)).minusSeconds(1)));
    assertEquals(Optional.of(MailSchedule.What.REMINDER), due(r, T0.plus(Duration.ofDays(2))));
    AlertTable.Row once = row(AlertKind.DS_NOT_SEEN, "open", T0, null, "open", T0, null, 1, null);
    assertEquals(Optional.empty(), due(once, T0.plus(Duration.ofDays(5))));
    assertEquals(Optional.of(MailSchedule.What.REMINDER), due(once, T0.plus(Duration.ofDays(6))));
    AlertTable.Row twice = row(AlertKind.DS_NOT_SEEN, "open", T0, null, "open", T0, null, 2, null);
    assertEquals(Optional.empty(), due(twice, T0.plus(Duration.ofDays(30))), "two reminders, then silence");
    AlertTable.Row acked = row(AlertKind.DS_NOT_SEEN, "open", T0, null, "open", T0, null, 0, T0.plusSeconds(5));
    assertEquals(Optional.empty(), due(acked, T0.plus(Duration.ofDays(7))), "acknowledged: no reminders");
  }

  @Test
  void anEventIsMailedOnce() {
    AlertTable.Row e = row(AlertKind.FAILOVER, "event", T0, null, null, null, null, 0, null);
    assertEquals(Optional.of(MailSchedule.What.RAISED), due(e, T0));
    AlertTable.Row told = row(AlertKind.FAILOVER, "event", T0, null, "event", T0, null, 0, null);
    assertEquals(Optional.empty(), due(told, T0.plus(Duration.ofDays(1))));
  }
}
