package org.twinsign.appliance.service;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tops up the {@link KeyPool} on a background thread of the lowest priority, so that key
 * generation does not hold up signing. Lifecycle: {@link #start()}, then {@link #close()}, which
 * waits for the round in progress and reports what it did.
 */
public final class KeyPoolFiller implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KeyPoolFiller.class);
  private final KeyPool pool;
  private final java.time.Duration budget;
  private final List<String> report = new ArrayList<>();
  private Thread thread;
  private volatile RuntimeException failure;

  /** @param budget how long one round may generate keys (the rest waits for the next round) */
  public KeyPoolFiller(KeyPool pool, java.time.Duration budget) {
    this.pool = pool;
    this.budget = budget;
  }

  public synchronized KeyPoolFiller start() {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    thread = new Thread(() -> {
      try {
        List<String> done = pool.topUp(java.time.Instant.now().plus(budget));
        synchronized (report) {
          report.addAll(done);
        }
      } catch (RuntimeException e) {
        failure = e;
        LOG.debug("key pool top-up failed", e); // the run's report says it, once
      }
    }, "twinsign-key-pool");
    thread.setPriority(Thread.MIN_PRIORITY);
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** What the round generated, and a line for a failure. */
  public List<String> report() {
    synchronized (report) {
      List<String> lines = new ArrayList<>(report);
      if (failure != null) {
        lines.add("warning: key pool top-up failed: " + failure.getMessage());
      }
      return lines;
    }
  }

  @Override
  public void close() {
    Thread running;
    synchronized (this) {
      running = thread;
    }
    if (running != null) {
      try {
        running.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
