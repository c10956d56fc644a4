package org.twinsign.appliance.node;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.service.EnforcerService;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.SignedZones;
import org.twinsign.appliance.zone.FileLag;

/**
 * Writes the signed zone files that incremental changes left behind (those changes are published
 * to the zone's journal, which secondaries get by IXFR at once): once a zone has been quiet for a
 * while ({@link FileLag}), as Knot's {@code zonefile-sync} does. A file is written from the version in memory, on this thread, so a
 * large zone's file costs the signer nothing; it is put in place by the master's duties between
 * two passes, so that no signing of the zone races it. Only a master with a valid lease writes. Lifecycle:
 * {@link #start} → {@link #close}.
 */
final class ZoneFileSync implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ZoneFileSync.class);
  static final Duration TICK = Duration.ofSeconds(1);

  /** The serial a zone's version had at the last look, and how far its file lags. */
  private record Behind(long serial, FileLag lag) {}

  private final MasterDuties duties;
  private final Map<String, Behind> behind = new HashMap<>();
  // zones whose written file waits for the duties' thread: not written again meanwhile
  private final java.util.Set<String> installing = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final Thread thread = new Thread(this::run, "zone-file-sync");
  private volatile boolean closed;
  private Services term;

  ZoneFileSync(MasterDuties duties) {
    this.duties = duties;
    thread.setDaemon(true);
  }

  ZoneFileSync start() {
    thread.start();
    return this;
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(TICK.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      Services services = duties.services();
      if (services != term) {
        term = services; // a new term drops the files waiting for the last one's thread
        installing.clear();
        behind.clear();
      }
      if (services == null || !services.lease().valid()) {
        continue;
      }
      long now = System.nanoTime();
      Map<String, Behind> seen = new HashMap<>();
      for (SignedZones.Version v : services.signedZones().behindTheirFiles()) {
        Behind was = behind.get(v.name());
        Behind is = was != null && was.serial() == v.serial() ? was
            : new Behind(v.serial(), FileLag.changed(was == null ? null : was.lag(), now));
        seen.put(v.name(), is);
        if (is.lag().due(now) && installing.add(v.name())) {
          try {
            // written here, put in place between two passes of the duties: no signing of it runs beside
            EnforcerService.StagedFile file = services.enforcer().stageFile(v);
            duties.runBetweenPasses(term -> {
              try {
                String done = term.enforcer().installFile(file);
                if (done != null) {
                  LOG.info("{}", done);
                }
              } finally {
                installing.remove(v.name());
              }
            });
          } catch (RuntimeException e) {
            installing.remove(v.name());
            LOG.warn("zone {}: the signed file could not be written yet: {}", v.name(), e.getMessage());
          }
        }
      }
      behind.clear();
      behind.putAll(seen);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
