package org.twinsign.appliance.node;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.dns.SecondaryZone;
import org.twinsign.appliance.dns.TransferLog;
import org.twinsign.appliance.dnssec.SerialPolicy;
import org.twinsign.appliance.service.ZoneService;
import org.twinsign.appliance.store.ZoneTable;
import org.twinsign.replication.IngestedVersions;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;

/**
 * The standby's copy of its master's signed output (the SURFnet design's "pick up where a failing
 * master left off"): the replicated store says which serial of each zone the master published,
 * and the standby takes that version from the master's DNS side by IXFR (AXFR the first time, or
 * when the history does not fit; TSIG with {@code dns.transfer-key}), signatures and all, into
 * memory. Each version's epoch and serial must only go forward ({@link IngestedVersions}). On
 * promotion the new term takes these copies as its own ({@link #take}), so that it continues
 * signing incrementally from the old master's signatures.
 *
 * <p>Lifecycle: {@link #start()}, {@link #close()}. One thread; while this node is master it only
 * lets go of the copies its term took, once that term has lasted ({@link #KEPT}).
 */
final class SignedIngest implements org.twinsign.appliance.dns.Responder.NotifyIn, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SignedIngest.class);
  static final Duration INTERVAL = Duration.ofSeconds(1);
  /**
   * How long a master keeps the copies its term took: a term that ends at once (its ZooKeeper
   * session lost in the first seconds) leaves them to this node's next term.
   */
  static final Duration KEPT = Duration.ofMinutes(1);

  private final String node;
  private final String peer;
  private final AdminCommands commands;
  private final ClusterView view;
  private final TSIG key;
  private final TransferLog log;
  private final Map<String, SecondaryZone> copies = new ConcurrentHashMap<>();
  private final IngestedVersions versions = new IngestedVersions(SerialPolicy::greaterThan);
  private final Map<String, String> problems = new ConcurrentHashMap<>();
  private final Thread thread;
  private final java.util.concurrent.Semaphore wake = new java.util.concurrent.Semaphore(0);
  private volatile boolean running = true;
  private volatile InetSocketAddress source;
  private volatile List<InetSocketAddress> standby = List.of();
  private volatile long standbyReadAt = System.nanoTime() - INTERVAL.toNanos();
  private Long takenAt; // guarded by this: when a term last took the copies, null if none did

  SignedIngest(String node, String peer, AdminCommands commands, ClusterView view, TSIG key, TransferLog log) {
    this.node = node;
    this.peer = peer;
    this.commands = commands;
    this.view = view;
    this.key = key;
    this.log = log;
    this.thread = new Thread(this::run, "signed-ingest-" + node);
    this.thread.setDaemon(true);
  }

  SignedIngest start() {
    thread.start();
    return this;
  }

  private void run() {
    while (running) {
      try {
        if (!"master".equals(view.role())) {
          pass(); // as master it takes no copies: its term took them (take)
        } else {
          release();
        }
      } catch (RuntimeException e) {
        String why = String.valueOf(e.getMessage());
        if (!why.equals(problems.put("", why))) {
          LOG.warn("ingest on node {}: {}", node, why);
        }
      }
      try {
        if (wake.tryAcquire(INTERVAL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
          wake.drainPermits();
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The master's NOTIFY of a new serial: look now, not at the next interval. Taken only as standby, from the master. */
  @Override
  public String notified(Name zone, java.net.InetAddress from, Name key) {
    if ("master".equals(view.role())) {
      return "this node is master";
    }
    InetSocketAddress master = source;
    if (master == null || !master.getAddress().equals(from)) {
      return "not from the master's DNS address (" + (master == null ? "none known yet" : master) + ")";
    }
    wake.release();
    return null;
  }

  /**
   * One look: each zone whose published serial differs from the copy held is transferred from the
   * master. Synchronized with {@link #take}: a promotion takes whole versions, never one half-way.
   */
  synchronized void pass() {
    List<ZoneTable.Published> published = commands.services(false).store().read(ZoneTable::published);
    InetSocketAddress master = masterDns();
    if (master == null) {
      return;
    }
    if (!master.equals(source)) {
      copies.clear(); // another source (or this node was master since): its history is not the copies'
      versions.retain(Set.of());
      takenAt = null;
      source = master;
    }
    problems.remove("");
    Set<String> names = new HashSet<>();
    for (ZoneTable.Published zone : published) {
      names.add(zone.name());
      Long serial = ZoneService.publishedSerial(zone.signedSerial(), zone.publishedDigest());
      if (!running || "master".equals(view.role())) {
        return;
      }
      SecondaryZone copy = copies.computeIfAbsent(zone.name(), z -> SecondaryZone.ofSigned(
          ZoneService.origin(z), List.of(master), key, log));
      if (serial == null || copy.serial() == serial) {
        continue;
      }
      SecondaryZone.Outcome outcome = copy.refresh(Instant.now());
      if (!outcome.changed()) {
        if (copy.serial() != serial) {
          note(zone.name(), outcome.message());
        }
        continue;
      }
      try {
        versions.accept(zone.name(), zone.epoch(), copy.serial(), Instant.now());
        problems.remove(zone.name());
        // here, not in a promoted node's first signing: a whole copy's NSEC3 index costs seconds at a
        // million names. It writes a field of the copy, which only pass and take (one lock) touch
        copy.zone().indexNsec3Owners();
      } catch (IllegalStateException refused) {
        copies.remove(zone.name()); // never promoted from: taken again whole
        note(zone.name(), refused.getMessage());
      }
    }
    copies.keySet().retainAll(names);
    versions.retain(names);
    problems.keySet().removeIf(z -> !z.isEmpty() && !names.contains(z));
  }

  private void note(String zone, String why) {
    if (!why.equals(problems.put(zone, why))) {
      LOG.warn("ingest on node {}: zone {}: {}", node, zone, why);
    }
  }

  /** The master's DNS address, from its member znode; null while no node is master. */
  private InetSocketAddress masterDns() {
    try {
      for (Map<String, String> m : view.members()) {
        if ("master".equals(m.get("role")) && peer.equals(m.get("node")) && m.get("dns") != null) {
          return dnsOf(m);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException("ZooKeeper could not be read: " + e.getMessage(), e);
    }
    return null;
  }

  /** As master: the standby's DNS address to notify of each new serial, while it runs. */
  List<InetSocketAddress> standbyDns() {
    if (!"master".equals(view.role())) {
      return List.of();
    }
    long now = System.nanoTime();
    if (now - standbyReadAt < INTERVAL.toNanos()) {
      return standby; // many zones' serials at once: ZooKeeper is read once a second at most
    }
    standbyReadAt = now;
    standby = readStandbyDns();
    return standby;
  }

  private List<InetSocketAddress> readStandbyDns() {
    try {
      for (Map<String, String> m : view.members()) {
        if (peer.equals(m.get("node")) && "standby".equals(m.get("role")) && m.get("dns") != null) {
          return List.of(dnsOf(m));
        }
      }
    } catch (Exception e) {
      // ZooKeeper away: nobody to notify now; the standby looks every second anyway
    }
    return List.of();
  }

  /** A member's DNS address ({@code dns}: HOST:PORT, IPv6 in brackets or not). */
  private static InetSocketAddress dnsOf(Map<String, String> member) {
    String at = member.get("dns");
    int colon = at.lastIndexOf(':');
    return new InetSocketAddress(at.substring(0, colon).replace("[", "").replace("]", ""),
        Integer.parseInt(at.substring(colon + 1)));
  }

  /**
   * For a new term of this node: the copies whose versions were ingested. They are kept for a
   * next term of this node ({@link #KEPT}); as standby again it starts over from the next
   * master's output.
   */
  synchronized Map<String, ZoneService.Ingested> take() {
    Map<String, ZoneService.Ingested> taken = new LinkedHashMap<>();
    Map<String, IngestedVersions.Version> ingested = versions.all();
    copies.forEach((zone, copy) -> {
      IngestedVersions.Version v = ingested.get(zone);
      if (v != null && copy.zone() != null && copy.serial() == v.serial()) {
        taken.put(zone, new ZoneService.Ingested(copy.serial(), copy.zone(), copy.journal().diffs()));
      }
    });
    // kept a while for a next term of this node (the store says which serials are still the published ones)
    takenAt = System.nanoTime();
    source = null;
    return taken;
  }

  /** As master: the copies go once the term that took them has lasted ({@link #KEPT}). */
  private synchronized void release() {
    if (takenAt != null && System.nanoTime() - takenAt > KEPT.toNanos()) {
      copies.clear();
      versions.retain(Set.of());
      takenAt = null;
    }
  }

  /** For {@code zone status}: the version of {@code zone} held (with {@code digest}, its zone file's SHA-256), or null. */
  String describe(String zone, boolean withDigest) {
    IngestedVersions.Version v = versions.of(zone).orElse(null);
    String problem = problems.get(zone);
    if (v == null && problem == null) {
      return null;
    }
    SecondaryZone copy = copies.get(zone);
    String digest = "";
    if (withDigest && v != null && copy != null && copy.zone() != null) {
      // as the master's signed file would be written from it: the two can be compared
      digest = ", zone file SHA-256 " + org.twinsign.appliance.zone.ZoneFileWriter.digest(copy.zone());
    }
    return (v == null ? "nothing yet" : "serial " + v.serial() + " (epoch " + v.epoch() + ") at " + v.at() + digest)
        + (problem == null ? "" : "; " + problem);
  }

  /** For {@code cluster list}: how many zones are held and how many lag or were refused. */
  Map<String, String> describe() {
    Map<String, String> info = new LinkedHashMap<>();
    if (!"master".equals(view.role())) {
      long behind = problems.keySet().stream().filter(z -> !z.isEmpty()).count();
      info.put("ingest", versions.all().size() + " zone(s) held" + (behind == 0 ? "" : ", " + behind + " behind ("
          + problems.entrySet().stream().filter(e -> !e.getKey().isEmpty()).findFirst().map(e -> e.getKey() + ": "
              + e.getValue()).orElse("") + ")") + (problems.containsKey("") ? "; " + problems.get("") : ""));
    }
    return info;
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
