package org.twinsign.replication;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key sync on a standby: follows the wrapped keys the master writes into the replicated store and
 * unwraps each into this node's HSM ({@link KeyVault#install}), so that at promotion the HSM holds
 * every key the store knows. Keys the store purges are destroyed here too. A key refused (tampered
 * with, another KEK, another key under its id) is tried again at every pass and reported, never
 * skipped silently. Keys must come in epoch order: one written by a lower epoch after a higher
 * epoch wrote is refused, as the store refuses such a writer.
 *
 * <p>Lifecycle: {@link #start()}, then {@link #close()}. One thread; {@link #wake()} from any.
 * Whether the master may publish a key does not depend on this class's word: the master looks the
 * key up in this node's HSM itself (the publication gate).
 */
public final class KeySync<K extends WrappedKey> implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(KeySync.class);
  /** How many wrapped keys one read takes. */
  static final int BATCH = 500;
  /** How often the store's keys are compared with the HSM's for purged ones. */
  static final Duration PURGE_EVERY = Duration.ofMinutes(1);

  /** What key sync has done, for {@code node status} and {@code cluster list}. */
  public record Status(long installed, Map<String, String> refused, String error, Instant lastPass, long seq,
      long epoch) {}

  private final String name;
  private final WrappedKeyStore<K> store;
  private final KeyVault<K> vault;
  private final Duration interval;
  private final Clock clock;
  private final java.util.function.BooleanSupplier active;
  private final Semaphore wake = new Semaphore(0);
  private final Thread thread;
  private volatile boolean running = true;
  // the thread's own state
  private Set<String> installed; // null: read the HSM again
  private final Set<String> seen = new HashSet<>(); // ids that came from the store: only these are ever removed
  private final Map<String, K> retry = new LinkedHashMap<>();
  private final Map<String, String> deposed = new LinkedHashMap<>(); // refused for good: a lower epoch's write
  private long seq;
  private long epoch;
  private Instant purgedAt = Instant.EPOCH;
  private volatile Status status = new Status(0, Map.of(), null, null, 0, 0);

  /**
   * @param active whether this node is a standby now: a master's HSM is where keys come from, not
   *     where they go, so key sync rests while it is false
   */
  public KeySync(String name, WrappedKeyStore<K> store, KeyVault<K> vault, Duration interval, Clock clock,
      java.util.function.BooleanSupplier active) {
    this.name = name;
    this.active = active;
    this.store = store;
    this.vault = vault;
    this.interval = interval;
    this.clock = clock;
    this.thread = new Thread(this::run, "key-sync-" + name);
    this.thread.setDaemon(true);
  }

  public KeySync<K> start() {
    thread.start();
    return this;
  }

  /** Syncs now (the master wrote keys, or an operator asked), not at the next interval. */
  public void wake() {
    wake.release();
  }

  public Status status() {
    return status;
  }

  /**
   * Waits until no pass runs: a node becoming master calls it before its own HSM work (its HSM is
   * then written by its term, and {@code active} keeps later passes away).
   */
  public synchronized void awaitIdle() {
    // the monitor is the pass's: holding it means no pass runs
  }

  private void run() {
    while (running) {
      try {
        synchronized (this) {
          pass();
        }
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        installed = null; // the HSM or the store went away: look again from scratch
        String error = e.getMessage() == null ? e.toString() : e.getMessage();
        if (!error.equals(status.error())) {
          LOG.warn("key sync on node {}: {}", name, error);
        }
        status = new Status(status.installed(), status.refused(), error, clock.instant(), seq, epoch);
      }
      try {
        wake.tryAcquire(interval.toMillis(), TimeUnit.MILLISECONDS);
        wake.drainPermits();
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * One whole pass now, on the caller's thread, for a node that is not running its loop ({@code node
   * rebuild}): every wrapped key the store holds is unwrapped into the HSM unless it is there.
   * Returns what was done; refused keys are in the status, as the loop would report them.
   */
  public synchronized Status syncOnce() throws Exception {
    installed = null;
    pass();
    return status;
  }

  /** One pass: the HSM's keys (once), the store's new wrapped keys and the refused ones again, then purges. */
  void pass() throws Exception {
    if (!active.getAsBoolean()) {
      installed = null; // as master this node may make and destroy keys: look again when standby
      return;
    }
    if (installed == null) {
      installed = new HashSet<>(vault.held());
    }
    List<K> batch;
    do {
      batch = store.after(seq, BATCH);
      for (K key : batch) {
        seq = key.seq();
        seen.add(key.id());
        if (key.epoch() < epoch) {
          LOG.warn("key sync on node {}: key {} was written by epoch {} after epoch {}: refused", name, key.id(),
              key.epoch(), epoch);
          deposed.put(key.id(), "written by epoch " + key.epoch() + " after epoch " + epoch + " had written keys:"
              + " a deposed master's write; not unwrapped");
          continue;
        }
        epoch = key.epoch();
        if (!installed.contains(key.id()) && !retry.containsKey(key.id())) {
          retry.put(key.id(), key);
        }
      }
    } while (batch.size() == BATCH && running);
    Map<String, String> refused = new LinkedHashMap<>(deposed);
    for (var it = retry.values().iterator(); it.hasNext() && running; ) {
      K key = it.next();
      if (refused.containsKey(key.id())) {
        continue; // refused above for its epoch
      }
      if (status.refused().containsKey(key.id())) {
        key = store.current(key.id()); // refused before: as the store has it now
        if (key == null) {
          it.remove();
          continue;
        }
      }
      try {
        vault.install(key);
        installed.add(key.id());
        it.remove();
        LOG.info("key sync on node {}: key {} (epoch {}) unwrapped into this node's HSM", name, key.id(),
            key.epoch());
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        String why = e.getMessage() == null ? e.toString() : e.getMessage();
        if (!why.equals(status.refused().get(key.id()))) {
          LOG.warn("key sync on node {}: key {} refused: {}", name, key.id(), why);
        }
        refused.put(key.id(), why);
      }
    }
    Instant now = clock.instant();
    boolean relook = !now.isBefore(purgedAt.plus(PURGE_EVERY));
    if (relook) {
      purge();
    }
    status = new Status(installed.size(), Map.copyOf(refused), null, now, seq, epoch);
    if (relook) {
      // the HSM listed and the store read again from the start at the next pass: a key lost from the
      // token since is unwrapped again (the epoch order is checked anew over the whole sequence)
      purgedAt = now;
      installed = null;
      seq = 0;
      epoch = 0;
      deposed.clear();
    }
  }

  /** Destroys keys that came from the store and are gone from it now (purged by the master). */
  private void purge() throws Exception {
    Set<String> known = store.known();
    for (String id : List.copyOf(seen)) {
      if (!known.contains(id)) {
        seen.remove(id);
        retry.remove(id);
        deposed.remove(id);
        if (installed.remove(id)) {
          vault.remove(id);
          LOG.info("key sync on node {}: key {} was purged from the store; destroyed in this node's HSM", name, id);
        }
      }
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
