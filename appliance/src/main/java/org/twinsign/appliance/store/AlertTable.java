package org.twinsign.appliance.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The {@code alert} and {@code alert_mail} tables: one row per condition (kind + subject) with
 * what its mails have told so far, and the outbox of mails to send. Written only by the master, in
 * the replicated store: a new master sends what the old one had not.
 */
public final class AlertTable {
  private AlertTable() {}

  /** An alert: a condition's state and what its mails have told. */
  public record Row(long id, String key, String kind, String severity, String subject, String summary, String todo,
      String state, Instant raisedAt, Instant seenAt, Instant resolvedAt, int flaps, Instant ackedAt,
      String mailedState, Instant raisedMailedAt, Instant resolvedMailedAt, int reminders, int mails, long epoch) {
    public boolean open() {
      return state.equals(OPEN);
    }
  }

  /** A mail of the outbox. */
  public record Mail(long id, Long alertId, String messageId, String threadId, String what, String recipients,
      String subject, String body, Instant createdAt, int attempts, Instant nextAttemptAt, String lastError,
      Instant sentAt, Long sentEpoch, Instant givenUpAt) {}

  public static final String OPEN = "open";
  public static final String RESOLVED = "resolved";
  /** An alert about something that happened once: mailed once, nothing to clear. */
  public static final String EVENT = "event";

  private static Row row(java.sql.ResultSet r) throws java.sql.SQLException {
    return new Row(r.getLong("id"), r.getString("condition_key"), r.getString("kind"), r.getString("severity"),
        r.getString("subject"), r.getString("summary"), r.getString("todo"), r.getString("state"),
        StoreTransaction.instant(r, "raised_at"), StoreTransaction.instant(r, "seen_at"),
        StoreTransaction.instant(r, "resolved_at"), r.getInt("flaps"), StoreTransaction.instant(r, "acked_at"),
        r.getString("mailed_state"), StoreTransaction.instant(r, "raised_mailed_at"),
        StoreTransaction.instant(r, "resolved_mailed_at"), r.getInt("reminders"), r.getInt("mails"), r.getLong("epoch"));
  }

  public static Optional<Row> byKey(StoreTransaction tx, String key) {
    return tx.query("SELECT * FROM alert WHERE condition_key = ?", AlertTable::row, key).stream().findFirst();
  }

  public static Optional<Row> byId(StoreTransaction tx, long id) {
    return tx.query("SELECT * FROM alert WHERE id = ?", AlertTable::row, id).stream().findFirst();
  }

  /** Open alerts of the given kinds. */
  public static List<Row> open(StoreTransaction tx, List<String> kinds) {
    if (kinds.isEmpty()) {
      return List.of();
    }
    return tx.query("SELECT * FROM alert WHERE state = 'open' AND kind IN (" + "?,".repeat(kinds.size() - 1) + "?)",
        AlertTable::row, kinds.toArray());
  }

  /** The alerts whose mails may be due: open ones, and those whose state the mails have not told yet. */
  public static List<Row> unsettled(StoreTransaction tx) {
    return tx.query("SELECT * FROM alert WHERE state = 'open' OR mailed_state IS NULL OR mailed_state <> state"
        + " ORDER BY id", AlertTable::row);
  }

  /** Alerts, newest first; {@code openOnly}: those still open. */
  public static List<Row> list(StoreTransaction tx, boolean openOnly, int limit) {
    return tx.query("SELECT * FROM alert" + (openOnly ? " WHERE state = 'open'" : "") + " ORDER BY seen_at DESC, id"
        + " DESC LIMIT ?", AlertTable::row, limit);
  }

  public static long insert(StoreTransaction tx, String key, String kind, String severity, String subject,
      String summary, String todo, String state, Instant now) {
    return tx.insert("INSERT INTO alert (condition_key, kind, severity, subject, summary, todo, state, raised_at,"
        + " seen_at, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", key, kind, severity, subject, summary, todo, state,
        now, now, tx.epoch());
  }

  /** Seen again while open: what it says now. */
  public static void seen(StoreTransaction tx, long id, String severity, String summary, String todo, Instant now) {
    tx.update("UPDATE alert SET severity = ?, summary = ?, todo = ?, seen_at = ?, epoch = ? WHERE id = ?", severity,
        summary, todo, now, tx.epoch(), id);
  }

  /** Back after it had cleared: open again, one flap more; an acknowledgement and reminders start over. */
  public static void reopen(StoreTransaction tx, long id, String severity, String summary, String todo, Instant now) {
    tx.update("UPDATE alert SET state = 'open', severity = ?, summary = ?, todo = ?, raised_at = ?, seen_at = ?,"
        + " resolved_at = NULL, flaps = flaps + 1, acked_at = NULL, reminders = 0, epoch = ? WHERE id = ?", severity,
        summary, todo, now, now, tx.epoch(), id);
  }

  /** Worse than its mails told: mailed again as raised at once (its rate limit starts over). */
  public static void escalate(StoreTransaction tx, long id, String severity, String summary, String todo,
      Instant now) {
    tx.update("UPDATE alert SET severity = ?, summary = ?, todo = ?, seen_at = ?, mailed_state = NULL,"
        + " raised_mailed_at = NULL, epoch = ? WHERE id = ?", severity, summary, todo, now, tx.epoch(), id);
  }

  public static void resolve(StoreTransaction tx, long id, Instant now) {
    tx.update("UPDATE alert SET state = 'resolved', resolved_at = ?, epoch = ? WHERE id = ? AND state = 'open'", now,
        tx.epoch(), id);
  }

  /** Silences reminders until the condition clears and comes back. */
  public static int ack(StoreTransaction tx, long id, Instant now) {
    return tx.update("UPDATE alert SET acked_at = ?, epoch = ? WHERE id = ?", now, tx.epoch(), id);
  }

  /** Records that a mail told {@code state} ({@code reminder}: one reminder more). */
  public static void mailed(StoreTransaction tx, long id, String state, boolean reminder, Instant now) {
    String column = state.equals(RESOLVED) ? "resolved_mailed_at" : "raised_mailed_at";
    tx.update("UPDATE alert SET mailed_state = ?, " + (reminder ? "reminders = reminders + 1" : column + " = ?")
        + ", mails = mails + 1, epoch = ? WHERE id = ?", reminder ? new Object[] {state, tx.epoch(), id}
            : new Object[] {state, now, tx.epoch(), id});
  }

  public static long addMail(StoreTransaction tx, Long alertId, String messageId, String threadId, String what,
      String recipients, String subject, String body, Instant now) {
    // the first attempt on the wall clock, as the later ones: a simulation store's time may be anywhere
    return tx.insert("INSERT INTO alert_mail (alert_id, message_id, thread_id, what, recipients, subject, body,"
        + " created_at, next_attempt_at, epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", alertId, messageId, threadId,
        what, recipients, subject, body, now, Instant.now(), tx.epoch());
  }

  private static Mail mail(java.sql.ResultSet r) throws java.sql.SQLException {
    long alert = r.getLong("alert_id");
    Long alertId = r.wasNull() ? null : alert;
    long epoch = r.getLong("sent_epoch");
    Long sentEpoch = r.wasNull() ? null : epoch;
    return new Mail(r.getLong("id"), alertId, r.getString("message_id"), r.getString("thread_id"),
        r.getString("what"), r.getString("recipients"), r.getString("subject"), r.getString("body"),
        StoreTransaction.instant(r, "created_at"), r.getInt("attempts"), StoreTransaction.instant(r,
            "next_attempt_at"), r.getString("last_error"), StoreTransaction.instant(r, "sent_at"), sentEpoch,
        StoreTransaction.instant(r, "given_up_at"));
  }

  /** Mails not sent yet, oldest first. */
  public static List<Mail> unsent(StoreTransaction tx, int limit) {
    return tx.query("SELECT * FROM alert_mail WHERE sent_at IS NULL AND given_up_at IS NULL ORDER BY id LIMIT ?",
        AlertTable::mail, limit);
  }

  /** The Message-ID of an alert's first mail, if it has one. */
  public static Optional<String> firstMessageId(StoreTransaction tx, long alertId) {
    return tx.query("SELECT message_id FROM alert_mail WHERE alert_id = ? ORDER BY id LIMIT 1", r -> r.getString(1),
        alertId).stream().findFirst();
  }

  /** Every mail of one alert, oldest first. */
  public static List<Mail> mailsOf(StoreTransaction tx, long alertId) {
    return tx.query("SELECT * FROM alert_mail WHERE alert_id = ? ORDER BY id", AlertTable::mail, alertId);
  }

  /** How many mails are not sent yet. */
  public static long unsentCount(StoreTransaction tx) {
    return tx.query("SELECT COUNT(*) FROM alert_mail WHERE sent_at IS NULL AND given_up_at IS NULL",
        r -> r.getLong(1)).get(0);
  }

  /** How many alerts are open. */
  public static long openCount(StoreTransaction tx) {
    return tx.query("SELECT COUNT(*) FROM alert WHERE state = 'open'", r -> r.getLong(1)).get(0);
  }

  /** The SMTP server took the mail. */
  public static void sent(StoreTransaction tx, long id, Instant now) {
    tx.update("UPDATE alert_mail SET sent_at = ?, sent_epoch = ?, attempts = attempts + 1, last_error = NULL"
        + " WHERE id = ? AND sent_at IS NULL", now, tx.epoch(), id);
  }

  /** The server refused the mail for good (every address, or its content): it is not tried again. */
  public static void gaveUp(StoreTransaction tx, long id, String error, Instant now) {
    tx.update("UPDATE alert_mail SET attempts = attempts + 1, last_error = ?, given_up_at = ? WHERE id = ?", error,
        now, id);
  }

  /** The attempt failed: why, and when to try again. */
  public static void failed(StoreTransaction tx, long id, String error, Instant next) {
    tx.update("UPDATE alert_mail SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?",
        error, next, id);
  }
}
