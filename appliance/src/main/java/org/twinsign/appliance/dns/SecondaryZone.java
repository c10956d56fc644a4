package org.twinsign.appliance.dns;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.twinsign.appliance.dnssec.SerialPolicy;
import org.twinsign.appliance.zone.FileLag;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneFileException;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.twinsign.appliance.zone.ZoneFileWriter;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;
import org.xbill.DNS.ZoneTransferException;
import org.xbill.DNS.ZoneTransferIn;

/**
 * One zone that the signer takes from hidden primaries, as a secondary would (RFC 1034 §4.3.5,
 * RFC 1995, RFC 1996): ask each primary for its SOA, transfer what is newer (IXFR from the serial
 * held, AXFR when the primary cannot), and keep the result in the zone's input file, where the
 * signer reads it. Refresh, retry and expire come from the primary's SOA. A transfer that is
 * malformed, that serves a lower serial, or whose diff does not apply is refused, naming the
 * peer and the zone; the last good copy stays. One thread refreshes; {@link #due()} may come from any.
 */
public final class SecondaryZone {
  /** The shortest refresh and retry honoured, whatever a SOA says: a typo must not hammer a primary. */
  static final Duration FLOOR = Duration.ofSeconds(10);
  static final Duration QUERY_TIMEOUT = Duration.ofSeconds(3);
  /** For the whole transfer (dnsjava has no idle timeout): a million names take well under a minute on loopback. */
  static final Duration TRANSFER_TIMEOUT = Duration.ofMinutes(10);

  /** What a refresh did. {@code changed}: a newer copy is in the file now. */
  public record Outcome(boolean changed, String message) {}

  private final Name origin;
  private final List<InetSocketAddress> primaries;
  private final TSIG key;
  private final Path file; // null: the copy lives in memory only
  private final boolean keepSignatures;
  private final TransferLog log;
  private volatile Zone zone; // never changed once here: the signer reads it from another thread
  private final org.twinsign.appliance.zone.Journal journal = new org.twinsign.appliance.zone.Journal();
  private volatile java.util.concurrent.ScheduledExecutorService fileWriter; // null: written at once
  private final java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile Zone written;
  private boolean fileRead; // guarded by this: the file is read once, at the first look
  // how far the file lags behind the copy held; null: it does not
  private final java.util.concurrent.atomic.AtomicReference<FileLag> fileLag =
      new java.util.concurrent.atomic.AtomicReference<>();
  private Instant lastSuccess;
  private Instant next = Instant.EPOCH; // guarded by this
  private boolean notified; // guarded by this: a NOTIFY came during a refresh, which must not push it back
  private volatile boolean expired;
  private volatile String problem; // the last refresh's failure, until one succeeds
  private volatile Instant failingSince;

  public SecondaryZone(Name origin, List<InetSocketAddress> primaries, TSIG key, Path file) {
    this(origin, primaries, key, file, new TransferLog());
  }

  /** As above, recording each transfer in in {@code log}. */
  public SecondaryZone(Name origin, List<InetSocketAddress> primaries, TSIG key, Path file, TransferLog log) {
    this(origin, primaries, key, file, false, log);
  }

  private SecondaryZone(Name origin, List<InetSocketAddress> primaries, TSIG key, Path file, boolean keepSignatures,
      TransferLog log) {
    this.log = log;
    this.origin = origin;
    this.primaries = List.copyOf(primaries);
    this.key = key;
    this.file = file;
    this.keepSignatures = keepSignatures;
  }

  /**
   * A copy of a signed zone as another signer serves it, kept whole (signatures, NSEC/NSEC3 and
   * all) in memory only, with the signed diffs between the versions held: a standby's copy of its
   * master's output, from which it goes on signing after a promotion.
   */
  public static SecondaryZone ofSigned(Name origin, List<InetSocketAddress> primaries, TSIG key, TransferLog log) {
    return new SecondaryZone(origin, primaries, key, null, true, log);
  }

  /**
   * Writes the input file on {@code executor}, once the zone has had no new copy for a while
   * ({@link FileLag}), instead of
   * before a new copy counts: the signer takes the copy from memory ({@link #zone()}), and a large
   * zone's file then costs a stream of changes nothing. The newest copy is written, the ones in
   * between skipped. Without an executor the file is written at once.
   */
  public SecondaryZone writeFileWith(java.util.concurrent.ScheduledExecutorService executor) {
    this.fileWriter = executor;
    return this;
  }

  /** The copy held (never changed: a new transfer makes a new version), or null. */
  public Zone zone() {
    serial();
    return zone;
  }

  /** The unsigned diffs between the copies held (IXFR's, RRSIGs left out); an AXFR starts it over. */
  public org.twinsign.appliance.zone.Journal journal() {
    return journal;
  }

  /** The serial held, or -1 when nothing is (the file is read once, on the first call). */
  public synchronized long serial() {
    if (zone == null && !fileRead && file != null && Files.isRegularFile(file)) {
      fileRead = true;
      try {
        zone = ZoneFileReader.read(file, origin);
        written = zone;
      } catch (ZoneFileException e) {
        // an unreadable copy: transferred anew in full
      }
    }
    Zone held = zone;
    return held == null || held.soa() == null ? -1 : held.soa().getSerial();
  }

  /** When the next refresh is due (at once after {@link #due()}). */
  public synchronized Instant next() {
    return next;
  }

  /** A NOTIFY came, or an operator asked: refresh at the next chance, also if a refresh is running now. */
  public synchronized void due() {
    notified = true;
    next = Instant.EPOCH;
  }

  /** The next refresh at {@code at}, unless a NOTIFY came since the refresh began: then at once. */
  private synchronized void schedule(Instant at) {
    next = notified ? Instant.EPOCH : at;
  }

  /** Why the refresh fails, since when; null while the last refresh succeeded (for the alert). */
  public Failing failing() {
    String why = problem;
    Instant since = failingSince;
    return why == null || since == null ? null : new Failing(why, since, expired);
  }

  /** A source whose refreshes fail: the last failure, since when, and whether the copy is past its expire. */
  public record Failing(String why, Instant since, boolean expired) {}

  /** Whether no primary answered for longer than the SOA's expire: the copy held is stale. */
  public boolean expired() {
    return expired;
  }

  public List<InetSocketAddress> primaries() {
    return primaries;
  }

  /** Asks the primaries in turn; transfers from the first with a newer serial. */
  public Outcome refresh(Instant now) {
    synchronized (this) {
      notified = false; // a NOTIFY from here on asks for another refresh after this one
    }
    long held = serial();
    StringBuilder problems = new StringBuilder();
    for (InetSocketAddress primary : primaries) {
      String peer = ServerAddress.format(primary);
      SOARecord soa;
      try {
        soa = soa(primary);
      } catch (IOException | RuntimeException e) {
        problems.append("; ").append(peer).append(": ").append(e.getMessage());
        continue;
      }
      if (held >= 0 && soa.getSerial() == held) {
        succeeded(now, soa);
        return new Outcome(false, "zone " + origin + ": serial " + held + " is current at " + peer);
      }
      if (held >= 0 && !SerialPolicy.greaterThan(soa.getSerial(), held)) {
        problems.append("; ").append(peer).append(" serves serial ").append(soa.getSerial())
            .append(", lower than the ").append(held).append(" held: refused");
        continue;
      }
      try {
        String how = transfer(primary, held, false);
        succeeded(now, soa);
        if (how == null) {
          return new Outcome(false, "zone " + origin + ": serial " + held + " is current at " + peer);
        }
        log.in(origin, peer, how);
        return new Outcome(true, "zone " + origin + ": " + how + " from " + peer);
      } catch (DiffDoesNotApply e) {
        // the primary's history and ours differ (its journal was reset, say): the whole zone once
        try {
          String how = transfer(primary, held, true) + " after an IXFR refused (" + e.getMessage() + ")";
          succeeded(now, zone.soa());
          log.in(origin, peer, how);
          return new Outcome(true, "zone " + origin + ": " + how + " from " + peer);
        } catch (IOException | ZoneTransferException | RuntimeException again) {
          problems.append("; ").append(peer).append(": IXFR refused (").append(e.getMessage())
              .append("), then AXFR refused (").append(again.getMessage()).append(')');
        }
      } catch (IOException | ZoneTransferException | RuntimeException e) {
        problems.append("; ").append(peer).append(": transfer refused (").append(e.getMessage()).append(')');
      }
    }
    failed(now);
    problem = "no primary gave a newer copy" + problems;
    if (failingSince == null) {
      failingSince = now;
    }
    return new Outcome(false, "zone " + origin + ": no primary gave a newer copy" + problems
        + (expired ? "; the copy held (serial " + held + ") is past its expire time" : "")
        + "; serial " + held + " stays, next try at " + next());
  }

  private void succeeded(Instant now, SOARecord soa) {
    lastSuccess = now;
    expired = false;
    problem = null;
    failingSince = null;
    schedule(now.plus(max(Duration.ofSeconds(soa.getRefresh()), FLOOR)));
  }

  private void failed(Instant now) {
    SOARecord soa = zone == null ? null : zone.soa();
    Duration retry = soa == null ? FLOOR : max(Duration.ofSeconds(soa.getRetry()), FLOOR);
    schedule(now.plus(retry));
    if (soa != null && lastSuccess != null && now.isAfter(lastSuccess.plusSeconds(soa.getExpire()))) {
      expired = true;
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private SOARecord soa(InetSocketAddress primary) throws IOException {
    SimpleResolver resolver = new SimpleResolver(primary);
    resolver.setTimeout(QUERY_TIMEOUT);
    if (key != null) {
      resolver.setTSIGKey(key);
    }
    Message answer = resolver.send(Message.newQuery(Record.newRecord(origin, Type.SOA, DClass.IN)));
    if (key != null && !answer.isVerified()) {
      // an unsigned or forged answer must not make us think the copy is current (or newer)
      throw new IOException("the SOA answer carries no valid signature with the zone's TSIG key");
    }
    if (answer.getRcode() != Rcode.NOERROR) {
      throw new IOException("SOA query answered " + Rcode.string(answer.getRcode()));
    }
    for (Record r : answer.getSection(Section.ANSWER)) {
      if (r instanceof SOARecord soa && soa.getName().equals(origin)) {
        return soa;
      }
    }
    throw new IOException("SOA query answered without the zone's SOA");
  }

  /** An IXFR whose diffs do not fit the copy held. */
  private static final class DiffDoesNotApply extends IOException {
    DiffDoesNotApply(String message) {
      super(message);
    }
  }

  /**
   * IXFR from {@code held} (AXFR if -1, if {@code axfr}, or if the primary falls back); the file is
   * replaced only by a good copy. Null: the primary says the copy held is current. RRSIGs are
   * left out: the signer makes its own.
   */
  private String transfer(InetSocketAddress primary, long held, boolean axfr)
      throws IOException, ZoneTransferException {
    ZoneTransferIn xfr = held < 0 || axfr ? ZoneTransferIn.newAXFR(origin, primary, key)
        : ZoneTransferIn.newIXFR(origin, held, true, primary, key);
    xfr.setTimeout(TRANSFER_TIMEOUT);
    xfr.run();
    Zone next;
    String how;
    List<org.twinsign.appliance.zone.ZoneDiff> diffs = new java.util.ArrayList<>();
    if (xfr.isAXFR()) {
      next = new Zone(origin);
      for (Record r : xfr.getAXFR()) {
        if (!r.getName().subdomain(origin)) {
          throw new IOException("the AXFR holds " + r.getName() + ", outside the zone");
        }
        if (keepSignatures || r.getType() != Type.RRSIG) {
          next.add(r);
        }
      }
      how = "AXFR";
    } else if (xfr.isCurrent()) {
      return null;
    } else {
      next = zone.fork(); // the copy held stays as it is: the signer may be reading it
      for (ZoneTransferIn.Delta delta : xfr.getIXFR()) {
        diffs.add(apply(next, delta));
      }
      how = "IXFR (" + xfr.getIXFR().size() + " diff(s))";
    }
    if (next.soa() == null) {
      throw new IOException("the transfer holds no SOA for " + origin);
    }
    long serial = next.soa().getSerial();
    if (held >= 0 && !SerialPolicy.greaterThan(serial, held)) {
      throw new IOException("the transfer brings serial " + serial + ", not above the " + held + " held");
    }
    if (diffs.isEmpty()) {
      journal.clear(); // a whole new copy: no diff leads to it
    }
    diffs.forEach(journal::append); // before the copy: whoever sees the copy finds the diffs to it
    synchronized (this) {
      zone = next;
      fileRead = true;
    }
    java.util.concurrent.ScheduledExecutorService files = fileWriter;
    if (file == null) {
      // in memory only
    } else if (files == null) {
      writeFile();
    } else {
      long now = System.nanoTime();
      fileLag.updateAndGet(lag -> FileLag.changed(lag, now));
      files.schedule(this::fileDue, FileLag.QUIET.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    return how + " to serial " + serial + (held < 0 ? "" : " (was " + held + ")");
  }

  /** Each new copy looks once, {@link FileLag#QUIET} after it: the last of a burst finds the zone quiet. */
  private void fileDue() {
    FileLag lag = fileLag.get();
    // a copy that comes meanwhile changes the lag, and its own look writes it
    if (lag != null && lag.due(System.nanoTime()) && fileLag.compareAndSet(lag, null)) {
      writeFile();
    }
  }

  /** Writes the newest copy to the input file, unless a write of it is under way or done. */
  private void writeFile() {
    if (!writing.compareAndSet(false, true)) {
      return; // the write under way looks again when it is done
    }
    try {
      Zone latest;
      while ((latest = zone) != written) {
        Path staged = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName() + ".", ".xfr");
        try {
          ZoneFileWriter.write(latest, staged);
          Files.move(staged, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(staged);
        }
        written = latest;
      }
    } catch (IOException | RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(SecondaryZone.class).warn("zone {}: the copy could not be written to {}"
          + " ({}); the signer has it in memory, and it is written again after the next transfer", origin, file,
          e.getMessage());
    } finally {
      writing.set(false);
    }
    // a copy that came while this one wrote has its own look scheduled
  }

  /**
   * One IXFR diff onto {@code zone}: it must start at the zone's serial, and every deleted record
   * must be there (else nothing of it is applied). RRSIGs are left out: the signer makes its own.
   */
  private org.twinsign.appliance.zone.ZoneDiff apply(Zone zone, ZoneTransferIn.Delta delta) throws IOException {
    long at = zone.soa().getSerial();
    if (delta.start != at) {
      throw new DiffDoesNotApply("an IXFR diff starts at serial " + delta.start + ", not at the " + at + " held");
    }
    SOARecord from = null;
    SOARecord to = null;
    List<Record> removed = new java.util.ArrayList<>();
    List<Record> added = new java.util.ArrayList<>();
    for (Record r : delta.deletes) {
      if (r.getType() == Type.SOA && r.getName().equals(origin)) {
        from = (SOARecord) r;
      } else if (keepSignatures || r.getType() != Type.RRSIG) {
        removed.add(r);
      }
    }
    for (Record r : delta.adds) {
      if (r.getType() == Type.SOA && r.getName().equals(origin)) {
        to = (SOARecord) r;
      } else if (!r.getName().subdomain(origin)) {
        throw new IOException("the IXFR diff adds " + r.getName() + ", outside the zone");
      } else if (keepSignatures || r.getType() != Type.RRSIG) {
        added.add(r);
      }
    }
    if (from == null || to == null || to.getSerial() != delta.end) {
      throw new IOException("an IXFR diff " + delta.start + " -> " + delta.end + " lacks its SOA records");
    }
    org.twinsign.appliance.zone.ZoneDiff diff = new org.twinsign.appliance.zone.ZoneDiff(zone.soa(), removed, to,
        added);
    try {
      diff.applyTo(zone);
    } catch (IllegalArgumentException e) {
      throw new DiffDoesNotApply("the IXFR diff " + delta.start + " -> " + delta.end + " does not apply: "
          + e.getMessage());
    }
    return diff;
  }

  @Override
  public String toString() {
    return "zone " + origin + " from " + primaries;
  }
}
