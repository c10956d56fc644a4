package org.twinsign.appliance.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.service.EnforcerService;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.store.MasterActionLog;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.ZoneTable;
import org.twinsign.fencing.Lease;
import org.twinsign.replication.CommitAcknowledgement;

/**
 * What a master does, one term (epoch) at a time: the enforcer and signer on the schedule the
 * enforcer computes, plus any zone whose input file changed, all under the term's lease. A term
 * has its own {@link Services} (and so its own store pool and HSM sessions), opened when it starts
 * and closed when it ends: nothing of an old epoch carries into a new one.
 */
final class MasterDuties {
  private static final Logger LOG = LoggerFactory.getLogger(MasterDuties.class);

  /** How often the master looks for due zones and changed input files when nothing is due sooner. */
  static final Duration POLL = Duration.ofSeconds(5);
  /** When a zone whose run failed is tried again (a conflict, the store or the HSM away for a moment). */
  static final Duration RETRY = Duration.ofSeconds(10);
  /** The longest wait before a zone that keeps failing is tried again (the wait doubles from {@link #RETRY}). */
  static final Duration RETRY_MAX = Duration.ofMinutes(10);

  private final TwinsignConfig config;
  private volatile CommitAcknowledgement acknowledgement = CommitAcknowledgement.NONE;
  private volatile MasterActionLog actions = MasterActionLog.NONE;
  private volatile Term term;
  private volatile java.util.function.Consumer<Services> termListener = services -> { };
  private final java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
  private final java.util.Set<String> woken = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final java.util.Queue<java.util.function.Consumer<Services>> between =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  MasterDuties(TwinsignConfig config) {
    this.config = config;
  }

  /** Where the terms record their actions ({@code node.history-file}); set before the first term. */
  void logActionsTo(MasterActionLog log) {
    this.actions = log;
  }

  /** Told of each term's services when the term starts (the DNS side listens to its versions); add before the first term. */
  void onTerm(java.util.function.Consumer<Services> listener) {
    this.termListener = this.termListener.andThen(listener);
  }

  /** What decides after each commit whether it counts as done (see the store); set before the first term. */
  void acknowledgeCommitsWith(CommitAcknowledgement acknowledgement) {
    this.acknowledgement = acknowledgement;
  }

  /**
   * Makes sure a term runs under {@code lease}: starts one for a new lease (ending the previous),
   * and starts it again if its thread died. Called on every tick of the HA loop.
   */
  synchronized void start(Lease lease) {
    Term current = term;
    if (current != null && current.lease == lease && current.thread.isAlive()) {
      return;
    }
    if (current != null && current.lease == lease && current.fatal != null) {
      return; // it refused for good (another cluster's store): not again every tick
    }
    stop(current != null && current.lease == lease ? "its thread ended" : "a new epoch starts");
    term = new Term(lease);
    term.thread.start();
  }

  /** Has the running term sign {@code zone} now (a new copy came by transfer), not at its next poll. */
  void wake(String zone) {
    woken.add(zone);
    wake.release();
  }

  /**
   * Runs {@code task} on the running term's thread between two passes, where no signing runs
   * beside it (a signed file put in place); tasks left when a term ends are dropped.
   */
  void runBetweenPasses(java.util.function.Consumer<Services> task) {
    between.add(task);
    wake.release();
  }

  synchronized void stop(String why) {
    Term current = term;
    term = null;
    if (current != null) {
      current.stop(why);
    }
  }

  /** Why a zone's last run failed, since when (wall clock), and whether a key repository failed it. */
  record Failure(String why, java.time.Instant since, boolean hsm) {}

  /** Whether the running term has run every zone once (what it knows of failures and versions is whole). */
  boolean firstPassDone() {
    Term current = term;
    return current != null && current.firstPassDone;
  }

  /** The zones whose last run failed in the running term (empty when this node is not master). */
  Map<String, Failure> failures() {
    Term current = term;
    Map<String, Failure> failures = new HashMap<>();
    if (current != null) {
      current.retries.forEach((zone, retry) -> failures.put(zone, retry.failure()));
    }
    return failures;
  }

  /** The services of the running term, or null when this node is not master. */
  Services services() {
    Term current = term;
    return current == null ? null : current.services;
  }

  /** When a failed zone is tried again, the wait that led there, and why it fails since when. */
  private record Retry(Instant at, Duration after, Failure failure) {
    /**
     * The next try of a zone that failed at {@code failed} (store time): {@link #RETRY} after, then
     * twice the last wait; it fails since the first of these failures (wall clock).
     */
    static Retry next(Retry last, Instant failed, String why, boolean hsm) {
      Duration wait = last == null ? RETRY : last.after().multipliedBy(2);
      wait = wait.compareTo(RETRY_MAX) > 0 ? RETRY_MAX : wait;
      return new Retry(failed.plus(wait), wait, new Failure(why, last == null ? Instant.now() : last.failure().since(),
          hsm));
    }
  }

  private final class Term implements Runnable {
    private final Lease lease;
    private final Thread thread;
    private final Map<String, String> inputSeen = new HashMap<>();
    /** Zones whose last run failed: when (store time) they are tried again, after how long a wait. */
    private final Map<String, Retry> retries = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean stopped;
    private volatile Services services;
    private volatile String fatal;
    private volatile boolean firstPassDone;

    Term(Lease lease) {
      this.lease = lease;
      this.thread = new Thread(this, "master-duties-epoch-" + lease.epoch().orElse(0));
      this.thread.setDaemon(true);
    }

    @Override
    public void run() {
      Services opened = null;
      try {
        opened = Services.open(config, lease);
        opened.store().acknowledgeCommitsWith(acknowledgement);
        opened.store().logActionsTo(actions);
        termListener.accept(opened);
        between.clear(); // an earlier term's
        services = opened; // operators' commands may use them from now
        LOG.info("master duties start under epoch {}", lease.epoch().orElse(0));
        String cluster = config.pair().clusterName();
        String owner = opened.store().write(lease, tx -> Store.claimClusterName(tx, cluster));
        if (!cluster.equals(owner)) {
          fatal = "this node's cluster.name is " + cluster + ", but the store belongs to cluster " + owner;
          LOG.error("{}: no master duties", fatal);
          return;
        }
        // a new term starts with no zone in memory: what this node (or the last master) published is read back
        opened.zones().loadPublished().forEach(line -> LOG.info("{}", line));
        boolean first = true;
        while (!stopped) {
          if (!lease.valid()) {
            Thread.sleep(100); // a late heartbeat; if the lease is gone for good, stop() ends this term
            continue;
          }
          for (java.util.function.Consumer<Services> task; (task = between.poll()) != null; ) {
            try {
              task.accept(services);
            } catch (RuntimeException e) {
              LOG.warn("master duties of epoch {}: {}", lease.epoch().orElse(0), e.getMessage());
            }
          }
          Instant next;
          try {
            next = pass(first);
            firstPassDone |= first;
            first = false;
          } catch (RuntimeException e) {
            LOG.warn("master duties of epoch {}: {}; trying again in {} s", lease.epoch().orElse(0), e.getMessage(),
                POLL.toSeconds());
            next = Instant.now().plus(POLL);
          }
          long wait = Math.max(50, Math.min(POLL.toMillis(), Duration.between(Instant.now(), next).toMillis()));
          if (wake.tryAcquire(wait, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            wake.drainPermits();
          }
        }
      } catch (InterruptedException e) {
        // stopped
      } catch (RuntimeException e) {
        LOG.error("master duties of epoch {} stopped: {}", lease.epoch().orElse(0), e.getMessage());
      } finally {
        services = null;
        if (opened != null) {
          opened.close();
        }
      }
    }

    /** One pass: enforce what is due or changed; returns when the next zone is due. */
    private Instant pass(boolean all) {
      // one snapshot for the schedule, the clock and the input files
      List<ZoneTable.Due> schedule = new ArrayList<>();
      Map<String, Path> inputs = new HashMap<>();
      Instant now = services.store().read(tx -> {
        schedule.addAll(ZoneTable.schedule(tx));
        // a transferred zone's file is this node's own copy, written after the fact: its transfers wake it
        ZoneTable.all(tx).forEach(z -> inputs.put(z.name(), z.transferredIn() ? null : z.input()));
        return Store.now(tx);
      });
      List<String> zones = new ArrayList<>();
      Instant next = now.plus(POLL);
      retries.keySet().retainAll(inputs.keySet()); // deleted zones
      for (ZoneTable.Due due : schedule) {
        String seen = stamp(inputs.get(due.zone()));
        boolean changed = !seen.equals(inputSeen.put(due.zone(), seen)) | woken.remove(due.zone());
        Retry failed = retries.get(due.zone());
        Instant retry = failed == null ? null : failed.at();
        if (all || changed || due.at() == null || !due.at().isAfter(now) || retry != null && !retry.isAfter(now)) {
          zones.add(due.zone());
        } else {
          for (Instant at : new Instant[] {due.at(), retry}) {
            next = at != null && at.isBefore(next) ? at : next;
          }
        }
      }
      if (!zones.isEmpty() && lease.valid()) {
        long started = System.nanoTime();
        // each zone's lines as it is done: a pass over many zones does not hold the log back
        EnforcerService.Report report = services.enforcer().enforce(zones, zone -> {
          zone.lines().forEach(line -> LOG.info("{}", line));
          if (zone.failure() != null) {
            // a change that came in (by transfer, a file) must not wait for the zone's next scheduled run
            // from when it failed, in store time: the pass may have run long
            Retry retry = Retry.next(retries.get(zone.zone()), now.plusNanos(System.nanoTime() - started),
                zone.failure(), zone.hsmFault());
            retries.put(zone.zone(), retry);
            LOG.warn("zone {}: {}; trying again in {} s", zone.zone(), zone.failure(), retry.after().toSeconds());
          } else {
            retries.remove(zone.zone());
          }
          zone.warnings().forEach(w -> LOG.warn("zone {}: {}", zone.zone(), w));
        });
        report.notes().forEach(line -> LOG.info("{}", line));
        LOG.info("enforced {} zone(s) in {} ms", zones.size(), (System.nanoTime() - started) / 1_000_000);
        return now; // look again soon: a run may have scheduled more
      }
      return next;
    }

    private String stamp(Path input) {
      try {
        return input == null ? "" : Files.getLastModifiedTime(input).toMillis() + "/" + Files.size(input);
      } catch (java.io.IOException e) {
        return "missing";
      }
    }

    void stop(String why) {
      stopped = true;
      LOG.info("master duties of epoch {} stop: {}", lease.epoch().orElse(0), why);
      thread.interrupt();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
