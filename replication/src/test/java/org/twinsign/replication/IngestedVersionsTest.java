package org.twinsign.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class IngestedVersionsTest {
  private final IngestedVersions versions = new IngestedVersions((a, b) -> a > b);

  @Test
  void onlyForwardInEpochAndSerial() {
    Instant now = Instant.now();
    versions.accept("example.test", 3, 10, now);
    versions.accept("example.test", 3, 10, now); // the same again: no change
    versions.accept("example.test", 4, 11, now);
    IllegalStateException stale = assertThrows(IllegalStateException.class,
        () -> versions.accept("example.test", 3, 12, now));
    assertTrue(stale.getMessage().contains("deposed master"), stale.getMessage());
    IllegalStateException back = assertThrows(IllegalStateException.class,
        () -> versions.accept("example.test", 4, 9, now));
    assertTrue(back.getMessage().contains("not newer"), back.getMessage());
    assertEquals(11, versions.of("example.test").orElseThrow().serial());
    assertEquals(4, versions.of("example.test").orElseThrow().epoch());
  }
}
