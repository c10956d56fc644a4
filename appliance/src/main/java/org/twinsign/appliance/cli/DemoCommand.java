package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.twinsign.appliance.demo.DemoWorkspace;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign demo}: starts a demo workspace on embedded defaults and keeps it running until
 * Ctrl-C (or {@code --run-for}), then stops every process it started.
 */
@Command(name = "demo", description = {
    "Start a demo workspace that signs an example zone, until Ctrl-C.",
    "It runs a SoftHSM2 token, a MariaDB primary/replica pair and a ZooKeeper server on free loopback",
    "ports in temporary directories; sets up the store, imports a KASP policy, adds the",
    "bundled example zone, generate and back up keys, run the enforcer (which signs the zone) and check",
    "it with BIND's dnssec-verify; show 'key list --verbose' and 'rollover list'. With --simulate, leap",
    "through simulated time until a ZSK and a KSK rollover are done. Ctrl-C stops it all."})
final class DemoCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--run-for", paramLabel = "DURATION",
      description = "Stop by itself after this long (ISO-8601 like PT30S, or 30s / 5m / 1h); default: until Ctrl-C.")
  String runFor;

  @Option(names = "--simulate", description = "Leap through simulated time: a ZSK and a KSK rollover, DS step included.")
  boolean simulate;

  @Override
  public void run() {
    Duration limit = runFor == null ? null : Durations.parse(spec.commandLine(), "--run-for", runFor);
    PrintWriter out = spec.commandLine().getOut();
    // the Ctrl-C handler is there before the first component starts: a Ctrl-C in any phase stops all
    DemoWorkspace workspace = DemoWorkspace.create();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      out.println("stopping the demo workspace ...");
      out.flush();
      workspace.close();
      out.println("demo stopped; every process it started has ended");
      out.flush();
      stopped.countDown();
    }, "twinsign-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    workspace.startAll(out, simulate);
    workspace.describe(out);
    out.println("demo ready");
    out.flush();
    if (limit == null) {
      awaitForever(stopped);
      return;
    }
    awaitQuietly(stopped, limit);
    if (Runtime.getRuntime().removeShutdownHook(hook)) {
      hook.run();
    }
  }

  private static void awaitForever(CountDownLatch latch) {
    while (true) {
      try {
        latch.await();
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void awaitQuietly(CountDownLatch latch, Duration limit) {
    try {
      latch.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
