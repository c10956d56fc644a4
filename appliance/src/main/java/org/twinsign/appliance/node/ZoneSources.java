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
 * The zones the pair takes from hidden primaries ({@code zone add --primary}): one
 * {@link SecondaryZone} each, refreshed on its SOA timers and at once on a primary's NOTIFY (the
 * primaries notify both signers), its copy held in memory, where the signer takes it, and in the
 * zone's input file; a new copy wakes the master's duties. The standby follows the primaries too
 * ({@link #followAsStandby}), as any secondary does: a promoted node then holds the unsigned
 * changes since the last master's signing and signs them incrementally at once, instead of
 * transferring a large zone whole first. Lifecycle: {@link #start} → {@link #close}.
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
  // sources not refreshed yet in this term: their copy (perhaps read from the input file, which the
  // other node may have written) is news to the signer even when the primary has nothing newer
  private final Set<Name> fresh = ConcurrentHashMap.newKeySet();
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
  private volatile java.util.function.Supplier<Services> standbyView;
  // whether this node follows the primaries now, as the last tick found: NOTIFY (on the DNS
  // server's thread) reads this instead of opening the standby's store view itself
  private volatile boolean following;
  private Services term;
  private long loadedAt;

  ZoneSources(MasterDuties duties, TsigKeys keys, org.twinsign.appliance.dns.TransferLog log) {
    this.duties = duties;
    this.keys = keys;
    this.log = log;
    thread.setDaemon(true);
  }

  /**
   * Follows the primaries also while this node is not master, reading the zone list from
   * {@code view} (the node's read-only view of its replicated store).
   */
  ZoneSources followAsStandby(java.util.function.Supplier<Services> view) {
    this.standbyView = view;
    return this;
  }

  /** The store to read the zone list from while this node may transfer: its master term's, or the standby's view; else null. */
  private Services active() {
    Services master = duties.services();
    if (master != null && master.lease().valid()) {
      return master;
    }
    java.util.function.Supplier<Services> view = standbyView;
    try {
      return view == null ? null : view.get();
    } catch (RuntimeException e) {
      return null; // the standby's database away: its own checks report that; the copies wait
    }
  }

  ZoneSources start() {
    thread.start();
    return this;
  }

  @Override
  public String notified(Name zone, InetAddress from, Name key) {
    if (!following) {
      return "this node is not master, and does not follow the primaries now";
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
    Services services = active();
    following = services != null;
    if (services == null) {
      return;
    }
    if (services != term) {
      term = services; // a new term: every zone is checked at once
      sources.values().forEach(s -> s.zone().due());
      fresh.addAll(sources.keySet());
      loadedAt = 0;
    }
    // a master with no source yet looks every tick (a zone just added); a standby every RELOAD
    if (System.nanoTime() - loadedAt > RELOAD.toNanos() || loadedAt == 0
        || sources.isEmpty() && services == duties.services()) {
      reload(services);
      loadedAt = System.nanoTime();
    }
    Instant now = Instant.now();
    List<java.util.concurrent.Callable<Void>> due = new ArrayList<>();
    for (Source source : sources.values()) {
      if (!source.zone().next().isAfter(now)) {
        due.add(() -> {
          try {
            if (!closed && active() != null) {
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
    boolean first = fresh.remove(ZoneService.origin(source.row().name()));
    SecondaryZone.Outcome outcome = source.zone().refresh(now);
    if (outcome.changed()) {
      LOG.info("{}", outcome.message());
    } else if (outcome.message().contains("no primary")) {
      LOG.warn("{}", outcome.message());
    } else {
      LOG.debug("{}", outcome.message());
    }
    if (outcome.changed() || first && source.zone().serial() >= 0) {
      duties.wake(source.row().name());
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
        fresh.add(origin);
      } catch (IllegalArgumentException e) {
        LOG.warn("zone {}: cannot take it by transfer: {}", row.name(), e.getMessage());
      }
    }
    sources.keySet().removeIf(origin -> !seen.contains(origin));
    fresh.retainAll(seen);
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
  /** The sources whose refreshes fail now, by zone name (the master's alert). */
  Map<String, SecondaryZone.Failing> failing() {
    Map<String, SecondaryZone.Failing> out = new java.util.TreeMap<>();
    sources.forEach((name, source) -> {
      SecondaryZone.Failing f = source.zone().failing();
      if (f != null) {
        out.put(source.row().name(), f);
      }
    });
    return out;
  }

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
