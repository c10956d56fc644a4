package org.twinsign.appliance.store;

import java.time.Instant;
import java.util.List;

/** The {@code ds_event} table: the history of a zone's DS exchange with its parent, for audit and for operators. */
public final class DsEventTable {
  private DsEventTable() {}

  public record DsEvent(String zone, int keyTag, String locator, String event, Instant at, String detail) {}

  public static void add(StoreTransaction tx, String zone, int keyTag, String locator, String event, Instant at,
      String detail) {
    tx.update("INSERT INTO ds_event (zone, key_tag, locator, event, at, detail, epoch) VALUES (?, ?, ?, ?, ?, ?, ?)",
        zone, keyTag, locator, event, at, detail, tx.epoch());
  }

  public static List<DsEvent> of(StoreTransaction tx, String zone) {
    return tx.query("SELECT * FROM ds_event WHERE zone = ? ORDER BY at, id", row -> new DsEvent(
        row.getString("zone"), row.getInt("key_tag"), row.getString("locator"), row.getString("event"),
        StoreTransaction.instant(row, "at"), row.getString("detail")), zone);
  }
}
