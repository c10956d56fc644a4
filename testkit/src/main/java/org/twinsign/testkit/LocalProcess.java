package org.twinsign.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One host process started by a fixture: its output goes to a log file, it is registered with
 * {@link ProcessRegistry} so that nothing outlives the JVM or the test, and it can be stopped,
 * killed, paused and resumed (SIGSTOP/SIGCONT) the way a fault test needs.
 *
 * <p>Lifecycle: {@link #start} → ({@link #pause}/{@link #resume})* → {@link #close}. {@code close}
 * stops the whole process tree and is idempotent.
 */
public final class LocalProcess implements AutoCloseable {
  private static final Duration DEFAULT_GRACE = Duration.ofSeconds(15);

  private final String name;
  private final Process process;
  private final Path log;
  private final long sequence;
  private volatile List<ProcessHandle> lastKnownTree = List.of();

  private LocalProcess(String name, Process process, Path log, long sequence) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.sequence = sequence;
  }

  /**
   * Starts {@code command} with {@code extraEnv} added to this JVM's environment, stdout and stderr
   * appended to {@code log}, and standard input closed.
   */
  public static LocalProcess start(String name, List<String> command, Map<String, String> extraEnv, Path workDir,
      Path log) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(extraEnv);
    builder.directory(workDir.toFile());
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      Process process = builder.start();
      return ProcessRegistry.register(seq -> new LocalProcess(name, process, log, seq));
    } catch (IOException e) {
      throw new HostSetupException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
    }
  }

  /**
   * Runs a short command to completion (for example {@code mariadb-install-db}), feeding
   * {@code stdin} (which may hold a secret: it never reaches a command line or a log), and returns
   * its exit code. Output goes to {@code log}.
   */
  public static int run(String name, List<String> command, Map<String, String> extraEnv, Path workDir, Path log,
      String stdin, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().putAll(extraEnv);
    builder.directory(workDir.toFile());
    builder.redirectErrorStream(true);
    builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    try {
      Process process = builder.start();
      try (LocalProcess tracked = ProcessRegistry.register(seq -> new LocalProcess(name, process, log, seq))) {
        try (var in = process.getOutputStream()) {
          if (stdin != null) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
          }
        }
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException(name + " did not finish within " + timeout + "; see " + log);
        }
        return process.exitValue();
      }
    } catch (IOException e) {
      throw new HostSetupException("cannot run " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + name, e);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  long sequence() {
    return sequence;
  }

  public boolean isAlive() {
    return process.isAlive() || lastKnownTree.stream().anyMatch(ProcessHandle::isAlive);
  }

  /** The exit code, or -1 while it runs. */
  public int exitCodeOrRunning() {
    return process.isAlive() ? -1 : process.exitValue();
  }

  /** The last {@code lines} lines of the log, for error messages. */
  public String logTail(int lines) {
    return tail(log, lines);
  }

  /** Suspends the process (SIGSTOP), as a hung machine or a long GC pause would. */
  public void pause() {
    signal("STOP");
  }

  /** Resumes a paused process (SIGCONT). */
  public void resume() {
    signal("CONT");
  }

  /** Kills the process tree at once (SIGKILL), as a power cut would. */
  public void kill() {
    List<ProcessHandle> tree = tree();
    lastKnownTree = tree;
    tree.forEach(ProcessHandle::destroyForcibly);
    awaitExit(tree, Duration.ofSeconds(10));
  }

  /** Stops the process tree: SIGTERM, then SIGKILL after the grace period. Idempotent. */
  public synchronized void stop(Duration grace) {
    List<ProcessHandle> tree = tree();
    lastKnownTree = tree;
    if (tree.stream().noneMatch(ProcessHandle::isAlive)) {
      return;
    }
    // a paused process cannot act on SIGTERM
    signalQuietly("CONT");
    tree.forEach(ProcessHandle::destroy);
    if (!awaitExit(tree, grace)) {
      tree.forEach(ProcessHandle::destroyForcibly);
      awaitExit(tree, Duration.ofSeconds(10));
    }
  }

  @Override
  public void close() {
    stop(DEFAULT_GRACE);
  }

  @Override
  public String toString() {
    return name + " (pid " + pid() + ", log " + log + ")";
  }

  private List<ProcessHandle> tree() {
    List<ProcessHandle> tree = new ArrayList<>();
    ProcessHandle self = process.toHandle();
    self.descendants().forEach(tree::add);
    tree.add(self);
    return tree;
  }

  private static boolean awaitExit(List<ProcessHandle> tree, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (ProcessHandle handle : tree) {
      long left = deadline - System.nanoTime();
      try {
        handle.onExit().get(Math.max(left, 0), TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return false;
      } catch (java.util.concurrent.ExecutionException e) {
        // the handle vanished: it has exited
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private void signal(String signal) {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " is not running; cannot send SIG" + signal);
    }
    if (!signalQuietly(signal)) {
      throw new IllegalStateException("kill -" + signal + " " + pid() + " failed for " + name);
    }
  }

  private boolean signalQuietly(String signal) {
    List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
    for (ProcessHandle handle : tree()) {
      if (handle.isAlive()) {
        command.add(Long.toString(handle.pid()));
      }
    }
    if (command.size() == 2) {
      return true;
    }
    try {
      return new ProcessBuilder(command).redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  static String tail(Path file, int lines) {
    try {
      if (!Files.exists(file)) {
        return "(no log at " + file + ")";
      }
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }
}
