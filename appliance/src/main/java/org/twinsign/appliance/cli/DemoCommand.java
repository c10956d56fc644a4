package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.twinsign.appliance.demo.DemoWorkspace;
import org.twinsign.appliance.demo.PairDemo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign demo}: starts a demo workspace on embedded defaults and keeps it running until
 * Ctrl-C (or {@code --run-for}), then stops every process it started.
 */
@Command(name = "demo", description = {
    "Start a signer pair that signs an example zone, until Ctrl-C.",
    "Three ZooKeeper servers (the two sites' and a witness), two node daemons ('node run') each with its own",
    "MariaDB (GTID, semi-sync), one SoftHSM2 token both nodes use; all on free loopback ports in a",
    "temporary directory. It prints each node's config, pid and log: kill -9 the master and watch",
    "'cluster list' show the standby take over. --failover-after does that by itself.",
    "--simulate instead runs one node and leaps through simulated time until a ZSK and a KSK rollover",
    "are done. Ctrl-C stops it all."})
final class DemoCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--run-for", paramLabel = "DURATION",
      description = "Stop by itself after this long (ISO-8601 like PT30S, or 30s / 5m / 1h); default: until Ctrl-C.")
  String runFor;

  @Option(names = "--simulate", description = "Leap through simulated time: a ZSK and a KSK rollover, DS step included.")
  boolean simulate;

  @Option(names = "--failover-after", paramLabel = "DURATION",
      description = "Kill the master (kill -9) after this long, and print how long the standby took to take over.")
  String failoverAfter;

  @Override
  public void run() {
    Duration limit = runFor == null ? null : Durations.parse(spec.commandLine(), "--run-for", runFor);
    Duration failover = failoverAfter == null ? null
        : Durations.parse(spec.commandLine(), "--failover-after", failoverAfter);
    if (failover != null && simulate) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--failover-after is for the pair, not --simulate");
    }
    PrintWriter out = spec.commandLine().getOut();
    if (simulate) {
      DemoWorkspace workspace = DemoWorkspace.create();
      runUntilStopped(out, workspace, () -> {
        workspace.startAll(out, true);
        workspace.describe(out);
      }, null, limit);
    } else {
      PairDemo pair = PairDemo.create(out);
      runUntilStopped(out, pair, () -> {
        pair.start();
        pair.describe();
      }, failover == null ? null : () -> {
        Duration took = pair.failover();
        out.println("failover done in " + took.toMillis() + " ms");
      }, limit, failover);
    }
  }

  private void runUntilStopped(PrintWriter out, AutoCloseable demo, Runnable start, Runnable later, Duration limit) {
    runUntilStopped(out, demo, start, later, limit, null);
  }

  /**
   * Starts the demo with the Ctrl-C handler already in place (a Ctrl-C in any phase stops all),
   * says "demo ready", runs {@code later} after {@code laterAfter} if given, and stops it all on
   * Ctrl-C or after {@code limit}.
   */
  private void runUntilStopped(PrintWriter out, AutoCloseable demo, Runnable start, Runnable later, Duration limit,
      Duration laterAfter) {
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      out.println("stopping the demo ...");
      out.flush();
      try {
        demo.close();
      } catch (Exception e) {
        out.println("stopping the demo: " + e.getMessage());
      }
      out.println("demo stopped; every process it started has ended");
      out.flush();
      stopped.countDown();
    }, "twinsign-demo-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    start.run();
    out.println("demo ready");
    out.flush();
    if (later != null) {
      awaitQuietly(stopped, laterAfter);
      if (stopped.getCount() > 0) {
        later.run();
        out.flush();
      }
    }
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
