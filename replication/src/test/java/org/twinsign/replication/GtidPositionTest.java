package org.twinsign.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GtidPositionTest {
  @Test
  void aServerBehindOrLevelWithThePrimaryMayFollowIt() {
    GtidPosition primary = GtidPosition.parse("0-2-40,1-1-7");
    assertEquals("", GtidPosition.parse("0-1-35").errantAgainst(primary));
    assertEquals("", GtidPosition.parse("0-2-40, 1-1-7").errantAgainst(primary));
    assertEquals("", GtidPosition.EMPTY.errantAgainst(primary));
    assertTrue(primary.covers(GtidPosition.parse("0-1-35")));
    assertEquals("0-2-40,1-1-7", primary.toString());
  }

  @Test
  void aheadDivergedOrUnknownDomainsAreErrant() {
    GtidPosition primary = GtidPosition.parse("0-2-40");
    assertTrue(GtidPosition.parse("0-1-41").errantAgainst(primary).startsWith("0-1-41 (the primary has 0-2-40)"));
    assertFalse(GtidPosition.parse("0-1-40").errantAgainst(primary).isEmpty(), "same number, other server");
    assertTrue(GtidPosition.parse("0-2-40,5-1-1").errantAgainst(primary).contains("nothing in domain 5"));
    assertThrows(IllegalArgumentException.class, () -> GtidPosition.parse("0-1"));
  }
}
