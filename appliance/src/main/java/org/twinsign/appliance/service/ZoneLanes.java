package org.twinsign.appliance.service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Which zones of a run are enforced side by side. A run over many small zones spends most of
 * its time waiting for durable commits (each acknowledged by the standby); run side by side, those
 * waits overlap and MariaDB commits them in groups. Zones of one lane run one after the other, in
 * order: zones that share keys (one decides what the next sees), and large zones (their signing
 * takes the memory of one zone each). Lanes are taken by a few workers; the caller is one of them.
 */
final class ZoneLanes {
  private final Map<String, List<Integer>> lanes = new LinkedHashMap<>();

  /** Puts the task numbered {@code index} at the end of {@code lane}. */
  ZoneLanes add(String lane, int index) {
    lanes.computeIfAbsent(lane, l -> new ArrayList<>()).add(index);
    return this;
  }

  /**
   * Runs every task on at most {@code workers} threads and returns when all are done. Once the
   * calling thread is interrupted (the node stops), no further task starts; those already running
   * finish first. {@code task} reports its own failures; an error thrown out of it is thrown here.
   */
  void run(int workers, IntConsumer task) {
    Thread caller = Thread.currentThread();
    Queue<List<Integer>> queue = new ConcurrentLinkedQueue<>(lanes.values());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Runnable worker = () -> {
      try {
        for (List<Integer> lane = queue.poll(); lane != null; lane = queue.poll()) {
          for (int index : lane) {
            if (stop.get() || caller.isInterrupted()) {
              return;
            }
            task.accept(index);
          }
        }
      } catch (RuntimeException | Error e) {
        thrown.compareAndSet(null, e);
        queue.clear();
      }
    };
    List<Thread> threads = new ArrayList<>();
    for (int i = 1; i < Math.min(workers, lanes.size()); i++) {
      Thread thread = new Thread(worker, caller.getName() + "-lane-" + i);
      thread.setDaemon(true);
      thread.start();
      threads.add(thread);
    }
    worker.run();
    boolean interrupted = false;
    for (Thread thread : threads) {
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true; // the flag is cleared by now: tell the workers to start nothing new
          stop.set(true);
        }
      }
    }
    if (interrupted) {
      caller.interrupt();
    }
    Throwable e = thrown.get();
    if (e instanceof RuntimeException r) {
      throw r;
    }
    if (e instanceof Error err) {
      throw err;
    }
  }
}
