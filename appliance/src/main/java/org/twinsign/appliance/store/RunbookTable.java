package org.twinsign.appliance.store;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Runbook runs and their audit trail ({@code runbook_run}, {@code runbook_event}). */
public final class RunbookTable {
  private RunbookTable() {}

  /** One run: which runbook, with what parameters, how it stands, who started it and when. */
  public record Run(long id, String name, String params, String state, Instant startedAt, String startedBy,
      Instant updatedAt, Instant finishedAt, long epoch) {}

  /** One entry of a run's trail: a check, step, wait or confirmation, and what came of it. */
  public record Event(long id, long runId, String step, String kind, String status, String evidence, String who,
      String node, Instant at, long epoch) {}

  public static long start(StoreTransaction tx, String name, String params, String who, Instant now) {
    return tx.insert("INSERT INTO runbook_run (name, params, state, started_at, started_by, updated_at, epoch)"
        + " VALUES (?, ?, 'running', ?, ?, ?, ?)", name, params, now, who, now, tx.epoch());
  }

  public static long record(StoreTransaction tx, long run, String step, String kind, String status, String evidence,
      String who, String node, Instant now) {
    tx.update("UPDATE runbook_run SET updated_at = ?, epoch = ? WHERE id = ?", now, tx.epoch(), run);
    return tx.insert("INSERT INTO runbook_event (run_id, step, kind, status, evidence, who, node, at, epoch) VALUES"
        + " (?, ?, ?, ?, ?, ?, ?, ?, ?)", run, step.length() > 255 ? step.substring(0, 255) : step, kind, status,
        evidence, who.length() > 200 ? who.substring(0, 200) : who, node, now, tx.epoch());
  }

  /** Sets the run's state; a final one (done, failed, abandoned) also its end. */
  public static void state(StoreTransaction tx, long run, String state, boolean finished, Instant now) {
    tx.update("UPDATE runbook_run SET state = ?, updated_at = ?, finished_at = ?, epoch = ? WHERE id = ?", state, now,
        finished ? now : null, tx.epoch(), run);
  }

  public static Optional<Run> run(StoreTransaction tx, long id) {
    return tx.query("SELECT * FROM runbook_run WHERE id = ?", RunbookTable::run, id).stream().findFirst();
  }

  /** The newest runs first. */
  public static List<Run> runs(StoreTransaction tx, int limit) {
    return tx.query("SELECT * FROM runbook_run ORDER BY id DESC LIMIT ?", RunbookTable::run, limit);
  }

  public static List<Event> events(StoreTransaction tx, long run) {
    return tx.query("SELECT * FROM runbook_event WHERE run_id = ? ORDER BY id", RunbookTable::event, run);
  }

  private static Run run(ResultSet r) throws SQLException {
    return new Run(r.getLong("id"), r.getString("name"), r.getString("params"), r.getString("state"),
        StoreTransaction.instant(r, "started_at"), r.getString("started_by"), StoreTransaction.instant(r,
            "updated_at"), StoreTransaction.instant(r, "finished_at"), r.getLong("epoch"));
  }

  private static Event event(ResultSet r) throws SQLException {
    return new Event(r.getLong("id"), r.getLong("run_id"), r.getString("step"), r.getString("kind"),
        r.getString("status"), r.getString("evidence"), r.getString("who"), r.getString("node"),
        StoreTransaction.instant(r, "at"), r.getLong("epoch"));
  }
}
