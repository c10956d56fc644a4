package org.twinsign.appliance.service;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.zone.Journal;
import org.twinsign.appliance.zone.JournalFile;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneDiff;

/**
 * The signed version of each zone that this process published last, kept in memory: the next
 * signing of the zone starts from it (its signatures reused, only what changed signed anew)
 * instead of reading the published file back, which for a million names takes most of a minute;
 * and the node's DNS server serves it. A version is used for signing only while the store still
 * records it as the published one (by digest): another process or node that published since has
 * its own version, and then the file is read. Lives as long as its {@link Services} (for the node
 * daemon: one term as master); thread-safe.
 */
public final class SignedZones {
  private static final Logger LOG = LoggerFactory.getLogger(SignedZones.class);
  /**
   * A published signed zone; {@code zone} is never changed once here, so readers need no lock.
   * {@code journal} holds the diffs that led to it (IXFR), shared by the zone's versions.
   */
  public record Version(String name, long serial, String digest, Zone zone, Journal journal, Long inputSerial) {}

  private final Map<String, Version> versions = new ConcurrentHashMap<>();
  private final Map<String, Journal> journals = new ConcurrentHashMap<>();
  /** Zones whose version came from elsewhere (a standby's ingest) while this node's file is not the published one. */
  private final java.util.Set<String> filesBehind = ConcurrentHashMap.newKeySet();
  private final List<Consumer<Version>> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean journaling;
  private final java.util.concurrent.atomic.LongAdder signaturesMade = new java.util.concurrent.atomic.LongAdder();

  /** How many signatures the versions published here made (the node's signing rate, for its metrics). */
  public long signaturesMade() {
    return signaturesMade.sum();
  }

  private final Map<Version, Long> expiries = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * When the first signature of a published version expires (Unix seconds; 0 without any), for
   * alerts and metrics: a walk of the zone once per version.
   */
  public long earliestExpiry(Version version) {
    return expiries.computeIfAbsent(version, v -> org.twinsign.appliance.dnssec.SignatureExpiry.of(v.zone()));
  }

  void countSignatures(long made) {
    signaturesMade.add(made);
  }

  /**
   * Keeps journals (in memory and on disk) from now on: a node that serves IXFR asks for them;
   * without one, a publication computes no diff (for a large zone, a walk of both versions).
   */
  public void keepJournals() {
    journaling = true;
  }

  /** The zone's version in memory, if it is the one the store records as published ({@code digest}). */
  Version published(String zone, String digest) {
    Version v = versions.get(zone);
    return v != null && digest != null && v.digest().equals(digest) ? v : null;
  }

  /** Whether journals are kept: publication by journal (incremental changes) needs one. */
  boolean journaling() {
    return journaling;
  }

  /** The zone's current version (lower case, no final dot), or null. */
  public Version current(String zone) {
    return versions.get(zone);
  }

  /** Tells {@code listener} of every version published from now on (after its commit), on the publishing thread. */
  public void addListener(Consumer<Version> listener) {
    listeners.add(listener);
  }

  /**
   * The zone's newly published (and committed) version; its diff from the version before goes
   * into the journal, in memory and in {@code journalFile}.
   *
   * @param diff the diff from the version before, when the signer made it (and published it by
   *     appending it to {@code journalFile} already); null to have it computed here
   * @param inputSerial the serial of the unsigned input it was made from, when held in memory, or null
   */
  void publish(String zone, long serial, String digest, Zone signed, Path journalFile, ZoneDiff diff,
      Long inputSerial) {
    Journal journal = journals.computeIfAbsent(zone, z -> new Journal());
    Version before = versions.get(zone);
    boolean chains = diff == null || before != null && diff.from().getSerial() == before.serial();
    if (!chains) {
      // cannot happen while the signer starts from the version here; if it did, IXFR from memory
      // would skip a step: the journal starts over (the file's blocks still chain on disk)
      LOG.warn("zone {}: the diff to serial {} starts at {}, not at the version held ({}): the journal in memory"
          + " starts over", zone, serial, diff.from().getSerial(), before == null ? "none" : before.serial());
      journal.clear();
    }
    if (journaling && before != null && before.zone().soa() != null && signed.soa() != null
        && before.serial() != serial && chains) {
      // the diff is made before the version is served: a secondary never sees a serial it cannot get by IXFR
      boolean onDisk = diff != null;
      ZoneDiff made = onDisk ? diff : ZoneDiff.between(before.zone(), signed);
      boolean rewrite = journal.append(made);
      try {
        if (rewrite) {
          JournalFile.rewrite(journalFile, journal.diffs());
        } else if (!onDisk) {
          JournalFile.append(journalFile, made);
        }
      } catch (IOException e) {
        // IXFR still works from memory; after a restart the secondaries transfer the whole zone once
        LOG.warn("zone {}: the journal {} could not be written ({}): IXFR history is lost at the next restart",
            zone, journalFile, e.getMessage());
      }
    }
    Version version = new Version(zone, serial, digest, signed, journal, inputSerial);
    if (diff == null) {
      filesBehind.remove(zone); // a whole file was published
    }
    versions.put(zone, version);
    for (Consumer<Version> listener : listeners) {
      try {
        listener.accept(version);
      } catch (RuntimeException e) {
        // a listener's failure (a NOTIFY) is its own to report; the version stands
      }
    }
  }

  /**
   * A version read back from the published file at the start of a term, with the journal on disk
   * that leads to it: no listener is told (nothing new).
   */
  void loaded(String zone, long serial, String digest, Zone signed, Path journalFile, Long inputSerial) {
    Journal journal = journals.computeIfAbsent(zone, z -> {
      Journal fresh = new Journal();
      if (journaling) {
        JournalFile.read(journalFile, serial).forEach(fresh::append);
        if (java.nio.file.Files.exists(journalFile)) {
          // written back as kept: appends after a tail torn by a crash would never be read again
          try {
            JournalFile.rewrite(journalFile, fresh.diffs());
          } catch (IOException e) {
            LOG.warn("zone {}: the journal {} could not be rewritten ({}): IXFR history is lost at the next restart",
                zone, journalFile, e.getMessage());
          }
        }
      }
      return fresh;
    });
    versions.putIfAbsent(zone, new Version(zone, serial, digest, signed, journal, inputSerial));
  }

  /**
   * The last master's version of a zone, as this node ingested it while standby (IXFR from the
   * master, signatures and all), taken as this term's own: the next signing starts from it and
   * reuses its signatures. {@code diffs} (the signed diffs the ingest saw) become the journal, so
   * secondaries go on by IXFR across the failover; {@code fileBehind}: this node's signed file is
   * not the published version, and is written from memory. No listener is told (nothing new).
   */
  void adopted(String zone, long serial, String digest, Zone signed, List<ZoneDiff> diffs, Path journalFile,
      Long inputSerial, boolean fileBehind) {
    Journal journal = new Journal();
    diffs.forEach(journal::append);
    if (journaling) {
      try {
        JournalFile.rewrite(journalFile, journal.diffs());
      } catch (IOException e) {
        LOG.warn("zone {}: the journal {} could not be written ({}): IXFR history is lost at the next restart", zone,
            journalFile, e.getMessage());
      }
    }
    journals.put(zone, journal);
    versions.put(zone, new Version(zone, serial, digest, signed, journal, inputSerial));
    if (fileBehind) {
      filesBehind.add(zone);
    }
  }

  /** The zones whose signed files are behind: published by journal only since, or adopted from the last master. */
  public List<Version> behindTheirFiles() {
    return versions.values().stream().filter(v -> PublishedDigest.parse(v.digest()).journalSerial() != null
        || filesBehind.contains(v.name())).toList();
  }

  /** Whether the zone's version was adopted while this node's signed file is not it (see {@link #adopted}). */
  boolean fileBehind(String zone) {
    return filesBehind.contains(zone);
  }

  /** The version's signed file was written: the store records it by the file's digest alone now. */
  void flushed(String zone, String digest, String fileDigest) {
    filesBehind.remove(zone);
    versions.computeIfPresent(zone, (z, v) -> v.digest().equals(digest)
        ? new Version(v.name(), v.serial(), fileDigest, v.zone(), v.journal(), v.inputSerial()) : v);
  }

  /** Forgets the zone's version: its published file is what counts (passed through, deleted, unknown commit). */
  void forget(String zone) {
    filesBehind.remove(zone);
    versions.remove(zone);
    journals.remove(zone);
  }
}
