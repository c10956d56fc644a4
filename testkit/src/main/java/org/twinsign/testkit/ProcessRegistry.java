package org.twinsign.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * Every {@link LocalProcess} this JVM started. A shutdown hook stops those still running when the
 * JVM exits (also on Ctrl-C), and the NoLeakedProcesses JUnit extension (testkit test-jar) checks after each test class that the
 * class stopped what it started.
 */
public final class ProcessRegistry {
  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static final List<LocalProcess> PROCESSES = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(ProcessRegistry::stopAll, "twinsign-process-reaper"));
  }

  private ProcessRegistry() {}

  static LocalProcess register(LongFunction<LocalProcess> factory) {
    LocalProcess process = factory.apply(SEQUENCE.incrementAndGet());
    PROCESSES.add(process);
    return process;
  }

  /** A mark to pass to {@link #aliveSince(long)}. */
  public static long mark() {
    return SEQUENCE.get();
  }

  /** The processes started after {@code mark} that still run. */
  public static List<LocalProcess> aliveSince(long mark) {
    List<LocalProcess> alive = new ArrayList<>();
    for (LocalProcess process : PROCESSES) {
      if (process.sequence() > mark && process.isAlive()) {
        alive.add(process);
      }
    }
    return alive;
  }

  /** Processes of this host (started by anyone) whose command line mentions {@code text}. */
  public static List<ProcessHandle> hostProcessesMentioning(String text) {
    List<ProcessHandle> found = new ArrayList<>();
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses()
        .filter(handle -> handle.pid() != self)
        .filter(handle -> handle.info().commandLine().map(line -> line.contains(text)).orElse(false))
        .forEach(found::add);
    return found;
  }

  static void stopAll() {
    for (LocalProcess process : PROCESSES) {
      process.stop(Duration.ofSeconds(5));
    }
  }
}
