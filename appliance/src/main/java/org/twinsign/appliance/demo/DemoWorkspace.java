package org.twinsign.appliance.demo;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.twinsign.testkit.MariaDbReplicaPair;
import org.twinsign.testkit.SoftHsm2Token;
import org.twinsign.testkit.TempDirs;
import org.twinsign.testkit.ZooKeeperEnsemble;

/**
 * The local components of a demo pair: a SoftHSM2 token, a MariaDB primary/replica pair with GTID
 * and semi-sync, and a one-server ZooKeeper, each on free loopback ports in its own temporary
 * directory; and the example zone, run through the store and the key enforcer ({@link DemoEnforcement}).
 *
 * <p>Lifecycle: {@link #start} starts everything or, if one part fails, stops what already runs
 * and rethrows; {@link #close} stops in reverse order and is safe to call twice (from the main
 * thread and from a Ctrl-C shutdown hook).
 */
public final class DemoWorkspace implements AutoCloseable {
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private SoftHsm2Token token;
  private MariaDbReplicaPair database;
  private ZooKeeperEnsemble zooKeeper;
  private Path zones;
  private Path signedZone;

  private DemoWorkspace() {}

  /** Starts every component, reporting progress to {@code out}. */
  public static DemoWorkspace start(PrintWriter out) {
    return start(out, false);
  }

  /** @param simulate leap through simulated time until a ZSK and a KSK rollover are done */
  public static DemoWorkspace start(PrintWriter out, boolean simulate) {
    DemoWorkspace workspace = new DemoWorkspace();
    workspace.startAll(out, simulate);
    return workspace;
  }

  /** An empty workspace, so that a Ctrl-C handler can hold it before anything starts. */
  public static DemoWorkspace create() {
    return new DemoWorkspace();
  }

  /**
   * Starts every component; if one fails, or {@link #close} comes first (Ctrl-C during the start),
   * what already runs is stopped.
   */
  public void startAll(PrintWriter out, boolean simulate) {
    DemoWorkspace workspace = this;
    try {
      out.println("starting SoftHSM2 token ...");
      out.flush();
      workspace.token = workspace.keep(SoftHsm2Token.create("twinsign-demo"));
      out.println("starting MariaDB primary and replica (GTID, semi-sync AFTER_SYNC) ...");
      out.flush();
      workspace.database = workspace.keep(MariaDbReplicaPair.startLocal(Duration.ofSeconds(10)));
      out.println("starting ZooKeeper ...");
      out.flush();
      workspace.zooKeeper = workspace.keep(ZooKeeperEnsemble.processes(1));
      Path zones = TempDirs.create("demo-zones");
      workspace.zones = zones;
      workspace.keep(() -> TempDirs.deleteRecursively(zones));
      out.println("setting up the store, importing the policy, adding and signing the example zone ...");
      out.flush();
      workspace.signedZone = DemoEnforcement.run(workspace.token, workspace.database.primary(), zones, simulate, out);
      if (closed.get()) {
        throw new IllegalStateException("the demo was stopped while it started");
      }
    } catch (RuntimeException e) {
      workspace.close();
      throw e;
    }
  }

  public SoftHsm2Token token() {
    return token;
  }

  public MariaDbReplicaPair database() {
    return database;
  }

  public ZooKeeperEnsemble zooKeeper() {
    return zooKeeper;
  }

  /** What runs where, for the operator. */
  public void describe(PrintWriter out) {
    out.println("Twinsign demo workspace is up:");
    out.printf("  HSM        %s%n", token);
    out.printf("             library %s, user PIN in %s%n", token.library(), token.userPinFile());
    out.printf("  DB primary %s%n", database.primary());
    out.printf("             error log %s%n", database.primary().errorLogLocation());
    out.printf("  DB replica %s%n", database.replica());
    out.printf("             error log %s%n", database.replica().errorLogLocation());
    out.printf("  ZooKeeper  %s%n", zooKeeper);
    out.printf("  Zones      %s (signed: %s)%n", zones, signedZone);
    out.printf("  Node       twinsign --config %s (key list, rollover list, enforce, ...)%n",
        zones.resolve("twinsign.conf"));
    out.println("Connect: mariadb -h 127.0.0.1 -P " + database.primary().port() + " -u root");
    out.println("Press Ctrl-C to stop everything and remove the workspace.");
    out.flush();
  }

  /**
   * Stops every component and removes their directories. The components are independent (each
   * has its own directory and ports), so they stop at the same time: Ctrl-C takes as long as the
   * slowest, not the sum of all graceful shutdowns.
   */
  @Override
  public void close() {
    List<AutoCloseable> stopping;
    synchronized (started) {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      stopping = new ArrayList<>(started);
      started.clear();
    }
    List<Exception> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (AutoCloseable component : stopping) {
      Thread thread = new Thread(() -> {
        try {
          component.close();
        } catch (Exception e) {
          failures.add(e);
        }
      }, "twinsign-demo-stop-" + threads.size());
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("demo workspace did not stop cleanly: " + failures.get(0).getMessage(),
          failures.get(0));
    }
  }

  /** Keeps a started component for {@link #close}; if the workspace is already closing, stops it at once. */
  private <T extends AutoCloseable> T keep(T component) {
    synchronized (started) {
      if (!closed.get()) {
        started.push(component);
        return component;
      }
    }
    try {
      component.close();
    } catch (Exception e) {
      // stopping anyway
    }
    throw new IllegalStateException("the demo was stopped while it started");
  }
}
