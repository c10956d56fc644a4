package org.twinsign.fencing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ClockSkew}: who is judged off, after how many looks, and when ZooKeeper's clock is the odd one. */
class ClockSkewTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  @Test
  void aNodeOffBeyondTheBoundCountsOnlyAfterLooksInARow() {
    ClockSkew skew = new ClockSkew(BOUND);
    Map<String, Duration> offsets = Map.of("alpha", Duration.ofMillis(40), "beta", Duration.ofSeconds(30));
    for (int i = 1; i < ClockSkew.CONFIRMATIONS; i++) {
      assertEquals(Map.of(), skew.look(offsets), "look " + i);
    }
    Map<String, String> off = skew.look(offsets);
    assertEquals(java.util.Set.of("beta"), off.keySet());
    assertEquals("is +30.0 s off ZooKeeper's clock and the other node's, beyond clock.bound 10 s", off.get("beta"));
  }

  @Test
  void oneStalledWriteInBetweenStartsTheCountAgain() {
    ClockSkew skew = new ClockSkew(BOUND);
    Map<String, Duration> behind = Map.of("alpha", Duration.ofSeconds(-12), "beta", Duration.ZERO);
    Map<String, Duration> fine = Map.of("alpha", Duration.ofMillis(-3), "beta", Duration.ZERO);
    skew.look(behind);
    skew.look(behind);
    skew.look(fine);
    skew.look(behind);
    assertEquals(Map.of(), skew.look(behind), "two looks in a row, not three");
    assertEquals(java.util.Set.of("alpha"), skew.look(behind).keySet());
  }

  @Test
  void bothNodesAgreeingAgainstZooKeeperAreNotJudged() {
    Map<String, Duration> offsets = Map.of("alpha", Duration.ofSeconds(40), "beta", Duration.ofSeconds(41));
    assertTrue(ClockSkew.judge("alpha", offsets, BOUND).isEmpty());
    assertTrue(ClockSkew.judge("beta", offsets, BOUND).isEmpty());
    // alone, ZooKeeper judges
    assertEquals("is -40.0 s off ZooKeeper's clock, beyond clock.bound 10 s", ClockSkew.judge("alpha", Map.of(
        "alpha", Duration.ofSeconds(-40)), BOUND).orElseThrow());
  }

  @Test
  void aZeroBoundJudgesNobody() {
    ClockSkew skew = new ClockSkew(Duration.ZERO);
    for (int i = 0; i < 5; i++) {
      assertEquals(Map.of(), skew.look(Map.of("alpha", Duration.ofHours(1))));
    }
  }

  @Test
  void aNodeIsGoodToTakeOverOnlyWhenItsLastLookWasWithinTheBound() {
    ClockSkew skew = new ClockSkew(BOUND);
    assertTrue(!skew.goodNow("alpha"), "not looked at yet: not known to be good");
    skew.look(Map.of("alpha", Duration.ofMillis(20), "beta", Duration.ofSeconds(30)));
    assertTrue(skew.goodNow("alpha"));
    assertTrue(!skew.goodNow("beta"), "off at one look: not good, though not judged off yet");
    assertEquals(Duration.ofSeconds(30), skew.offset("beta"));
    skew.unknown();
    assertTrue(!skew.goodNow("alpha"), "ZooKeeper unreadable: unknown");
    assertTrue(new ClockSkew(Duration.ZERO).goodNow("alpha"), "a zero bound judges nobody");
    assertEquals("is +30.0 s off ZooKeeper's clock and the other node's, beyond clock.bound 10 s", skew.problem("beta",
        Map.of("alpha", Duration.ZERO, "beta", Duration.ofSeconds(30))).orElseThrow());
  }
}
