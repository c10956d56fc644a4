package org.twinsign.appliance.node;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.dns.Responder;
import org.twinsign.appliance.dns.SecondaryZone;
import org.twinsign.appliance.dns.ServerAddress;
import org.twinsign.appliance.dns.TsigKeys;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.ZoneService;
import org.twinsign.appliance.store.ZoneTable;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * The zones the master takes from hidden primaries ({@code zone add --primary}): one
 * {@link SecondaryZone} each, refreshed on its SOA timers and at once on a primary's NOTIFY, its
 * copy kept in the zone's input file, where the signer reads it; a new copy wakes the master's
 * duties. Only a master with a valid lease transfers; a standby refuses NOTIFY (the primaries
 * notify both signers). Lifecycle: {@link #start} → {@link #close}.
 */
final class ZoneSources implements Responder.NotifyIn, org.twinsign.appliance.service.ZoneInputs, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ZoneSources.class);
  /** How often the zone list is read again (zones added or deleted) and timers looked at. */
  static final Duration TICK = Duration.ofSeconds(1);
  static final Duration RELOAD = Duration.ofSeconds(10);

  private record Source(ZoneTable.ZoneRow row, SecondaryZone zone) {}

  private final MasterDuties duties;
  private final TsigKeys keys;
  private final org.twinsign.appliance.dns.TransferLog log;
  private final Map<Name, Source> sources = new ConcurrentHashMap<>();
  private final Semaphore wake = new Semaphore(0);
  private final Thread thread = new Thread(this::run, "zone-sources");
  // input files are written after a transfer, off the way from the primary to the secondaries
  private final java.util.concurrent.ScheduledExecutorService files = java.util.concurrent.Executors
      .newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "zone-sources-files");
        t.setDaemon(true);
        return t;
      });
  /** Zones refreshed side by side, as a secondary's transfer workers: the waits for the primaries overlap. */
  static final int TRANSFERS = 4;
  private final java.util.concurrent.ExecutorService transfers = java.util.concurrent.Executors.newFixedThreadPool(
      TRANSFERS, r -> {
        Thread t = new Thread(r, "zone-sources-transfer");
        t.setDaemon(true);
        return t;
      });
  private volatile boolean closed;
  private Services term;
  private long loadedAt;

  ZoneSources(MasterDuties duties, TsigKeys keys, org.twinsign.appliance.dns.TransferLog log) {
    this.duties = duties;
    this.keys = keys;
    this.log = log;
    thread.setDaemon(true);
  }

  ZoneSources start() {
    thread.start();
    return this;
  }

  @Override
  public String notified(Name zone, InetAddress from, Name key) {
    Services services = duties.services();
    if (services == null || !services.lease().valid()) {
      return "this node is not master";
    }
    Source source = sources.get(zone);
    if (source == null) {
      wake.release(); // perhaps just added: the list is read again
      return "not a zone this signer takes by transfer (yet)";
    }
    List<String> addresses = new ArrayList<>();
    boolean known = false;
    for (InetSocketAddress primary : source.zone().primaries()) {
      addresses.add(primary.getAddress().getHostAddress());
      known |= primary.getAddress().equals(from);
    }
    if (!known) {
      return "not from one of its primaries " + addresses;
    }
    String wanted = source.row().primaryKey();
    if (wanted != null && (key == null || !key.equals(name(wanted)))) {
      return "not signed with its TSIG key " + wanted;
    }
    source.zone().due();
    wake.release();
    return null;
  }

  private void run() {
    while (!closed) {
      try {
        tick();
      } catch (RuntimeException e) {
        LOG.warn("zone sources: {}", e.getMessage());
      }
      try {
        if (wake.tryAcquire(TICK.toMillis(), TimeUnit.MILLISECONDS)) {
          wake.drainPermits();
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void tick() {
    Services services = duties.services();
    if (services == null || !services.lease().valid()) {
      return;
    }
    if (services != term) {
      term = services; // a new term: every zone is checked at once
      sources.values().forEach(s -> s.zone().due());
      loadedAt = 0;
    }
    if (System.nanoTime() - loadedAt > RELOAD.toNanos() || loadedAt == 0 || sources.isEmpty()) {
      reload(services);
      loadedAt = System.nanoTime();
    }
    Instant now = Instant.now();
    List<java.util.concurrent.Callable<Void>> due = new ArrayList<>();
    for (Source source : sources.values()) {
      if (!source.zone().next().isAfter(now)) {
        due.add(() -> {
          try {
            if (!closed && services.lease().valid()) {
              refresh(source, now);
            }
          } catch (RuntimeException e) {
            LOG.warn("zone {}: refresh failed: {}", source.row().name(), e.getMessage());
          }
          return null;
        });
      }
    }
    try {
      transfers.invokeAll(due);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closed
    }
  }

  private void refresh(Source source, Instant now) {
    SecondaryZone.Outcome outcome = source.zone().refresh(now);
    if (outcome.changed()) {
      LOG.info("{}", outcome.message());
      duties.wake(source.row().name());
    } else if (outcome.message().contains("no primary")) {
      LOG.warn("{}", outcome.message());
    } else {
      LOG.debug("{}", outcome.message());
    }
  }

  /** The zones taken by transfer, as the store lists them now. */
  private void reload(Services services) {
    Set<Name> seen = new java.util.HashSet<>();
    for (ZoneTable.ZoneRow row : services.zones().list()) {
      if (!row.transferredIn()) {
        continue;
      }
      Name origin = ZoneService.origin(row.name());
      seen.add(origin);
      Source known = sources.get(origin);
      if (known != null && known.row().primaries().equals(row.primaries())
          && java.util.Objects.equals(known.row().primaryKey(), row.primaryKey())
          && known.row().input().equals(row.input())) {
        continue;
      }
      try {
        List<InetSocketAddress> primaries = new ArrayList<>();
        for (String p : row.primaries()) {
          primaries.add(ServerAddress.parse("zone " + row.name() + " primary", p));
        }
        TSIG key = row.primaryKey() == null ? null : keys.require(row.primaryKey(), "zone " + row.name()
            + " --primary-key");
        sources.put(origin, new Source(row, new SecondaryZone(origin, primaries, key, row.input(), log)
            .writeFileWith(files)));
      } catch (IllegalArgumentException e) {
        LOG.warn("zone {}: cannot take it by transfer: {}", row.name(), e.getMessage());
      }
    }
    sources.keySet().removeIf(origin -> !seen.contains(origin));
  }

  @Override
  public Input current(String zone) {
    Source source = sources.get(ZoneService.origin(zone));
    if (source == null) {
      return null;
    }
    org.twinsign.appliance.zone.Zone copy = source.zone().zone();
    return copy == null || copy.soa() == null ? null
        : new Input(copy.soa().getSerial(), copy, source.zone().journal());
  }

  /** What this node's master holds of a zone taken by transfer ("serial N from P, next refresh T"), or null. */
  String describe(Name zone) {
    Source source = sources.get(zone);
    if (source == null) {
      return null;
    }
    SecondaryZone z = source.zone();
    return "serial " + z.serial() + " from " + String.join(", ", source.row().primaries()) + "; next refresh "
        + z.next() + (z.expired() ? "; EXPIRED: no primary answered within the SOA's expire" : "");
  }

  private static Name name(String key) {
    return Name.fromConstantString(key.endsWith(".") ? key : key + ".");
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    transfers.shutdownNow();
    files.shutdown();
  }
}
