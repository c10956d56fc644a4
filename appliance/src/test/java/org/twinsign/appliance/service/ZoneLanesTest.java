package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ZoneLanesTest {

  @Test
  void lanesRunSideBySideAndTheZonesOfALaneInOrder() {
    ZoneLanes lanes = new ZoneLanes();
    for (int i = 0; i < 40; i++) {
      lanes.add(i % 4 == 0 ? "shared" : "zone " + i, i);
    }
    List<Integer> shared = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Map<Integer, String> ranOn = new ConcurrentHashMap<>();
    lanes.run(4, i -> {
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      ranOn.put(i, Thread.currentThread().getName());
      if (i % 4 == 0) {
        shared.add(i);
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      running.decrementAndGet();
    });
    assertEquals(40, ranOn.size(), "every zone ran once");
    assertEquals(List.of(0, 4, 8, 12, 16, 20, 24, 28, 32, 36), shared, "a lane's zones in order");
    assertTrue(most.get() > 1 && most.get() <= 4, "side by side, at most 4 at once: " + most.get());
  }

  @Test
  void aStoppedRunStartsNoFurtherZoneButFinishesThoseRunning() throws Exception {
    ZoneLanes lanes = new ZoneLanes();
    for (int i = 0; i < 100; i++) {
      lanes.add("zone " + i, i);
    }
    CountDownLatch started = new CountDownLatch(2);
    AtomicInteger finished = new AtomicInteger();
    AtomicInteger ran = new AtomicInteger();
    Thread caller = new Thread(() -> lanes.run(2, i -> {
      ran.incrementAndGet();
      started.countDown();
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      while (System.nanoTime() < end) {
        Thread.onSpinWait(); // a zone does not give up when interrupted: it finishes
      }
      finished.incrementAndGet();
    }));
    caller.start();
    assertTrue(started.await(10, TimeUnit.SECONDS));
    caller.interrupt();
    caller.join(10_000);
    assertTrue(!caller.isAlive());
    assertTrue(ran.get() < 100, "no new zone after the stop: " + ran.get());
    assertEquals(ran.get(), finished.get(), "each zone started finished");
  }

  @Test
  void anErrorOutOfATaskReachesTheCaller() {
    ZoneLanes lanes = new ZoneLanes();
    for (int i = 0; i < 10; i++) {
      lanes.add("zone " + i, i);
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> lanes.run(3, i -> {
      if (i == 5) {
        throw new IllegalStateException("zone 5 broke");
      }
    }));
    assertEquals("zone 5 broke", e.getMessage());
  }
}
