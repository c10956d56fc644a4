package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class SerialPolicyTest {
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  void counterTakesTheInputOrOneMore() {
    assertEquals(5, SerialPolicy.COUNTER.next(5, null, NOW));
    assertEquals(8, SerialPolicy.COUNTER.next(8, 7L, NOW));
    assertEquals(8, SerialPolicy.COUNTER.next(5, 7L, NOW), "never backwards");
    assertEquals(0, SerialPolicy.COUNTER.next(0xFFFFFFFFL, 0xFFFFFFFFL, NOW), "wraps per RFC 1982");
    assertEquals(5, SerialPolicy.COUNTER.next(5, 0xFFFFFFFFL, NOW), "5 follows 2^32-1 in serial arithmetic");
  }

  @Test
  void datecounterAndUnixtime() {
    assertEquals(2026112200L, SerialPolicy.DATECOUNTER.next(1, null, NOW));
    assertEquals(2026112206L, SerialPolicy.DATECOUNTER.next(1, 2026112205L, NOW));
    assertEquals(NOW.getEpochSecond(), SerialPolicy.UNIXTIME.next(1, null, NOW));
    assertEquals(NOW.getEpochSecond() + 1, SerialPolicy.UNIXTIME.next(1, NOW.getEpochSecond(), NOW));
  }

  @Test
  void theSerialIsNeverBelowTheUnsignedZones() {
    Instant now = Instant.parse("2026-11-30T12:00:00Z"); // unixtime 1796040000 < 2026113002
    assertEquals(2026113002L, SerialPolicy.UNIXTIME.next(2026113002L, null, now), "a zone migrated from BIND");
    assertEquals(2026113099L, SerialPolicy.DATECOUNTER.next(2026113099L, null, now));
    assertEquals(2026113003L, SerialPolicy.UNIXTIME.next(2026113002L, 2026113002L, now));
    assertEquals(now.getEpochSecond(), SerialPolicy.UNIXTIME.next(5, null, now), "a small input changes nothing");
  }

  @Test
  void keepRefusesASerialThatDoesNotIncrease() {
    assertEquals(10, SerialPolicy.KEEP.next(10, 9L, NOW));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SerialPolicy.KEEP.next(9, 9L, NOW));
    assertTrue(e.getMessage().contains("does not increase"), e.getMessage());
  }

  @Test
  void rfc1982Comparison() {
    assertTrue(SerialPolicy.greaterThan(1, 0));
    assertTrue(SerialPolicy.greaterThan(0, 0xFFFFFFFFL));
    assertFalse(SerialPolicy.greaterThan(0xFFFFFFFFL, 0));
    assertFalse(SerialPolicy.greaterThan(5, 5));
  }
}
