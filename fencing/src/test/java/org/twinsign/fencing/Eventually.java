package org.twinsign.fencing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for a condition in the leadership tests, failing with what was awaited. */
final class Eventually {
  private Eventually() {}

  static void holds(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(20);
    }
  }
}
