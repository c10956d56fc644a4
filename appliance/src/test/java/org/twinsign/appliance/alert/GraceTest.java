package org.twinsign.appliance.alert;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A condition is an alert once it held look after look for the wait; a look without it starts it over. */
class GraceTest {
  @Test
  void aConditionMustHoldAtEveryLookForTheWait() throws Exception {
    Grace grace = new Grace(Duration.ofMillis(200));
    assertFalse(grace.held("a"));
    grace.lookDone();
    Thread.sleep(250);
    assertTrue(grace.held("a"), "held at two looks 250 ms apart");
    grace.lookDone();
    grace.lookDone(); // a look without it
    assertFalse(grace.held("a"), "starts over");
  }

  @Test
  void openAlertsCountAsHeldInANewTermAndZeroWaitsForNothing() {
    Grace grace = new Grace(Duration.ofMinutes(5));
    grace.reset(Set.of("open one"));
    assertTrue(grace.held("open one"));
    assertFalse(grace.held("new one"));
    assertTrue(new Grace(Duration.ZERO).held("x"), "after a whole run (enforce) there is nothing to wait for");
  }
}
