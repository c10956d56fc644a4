package org.twinsign.appliance.service;

import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.twinsign.appliance.enforcer.DsAtParent;
import org.twinsign.appliance.enforcer.KeyEnforcer;
import org.twinsign.appliance.enforcer.KeySpec;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.RecordType;
import org.twinsign.appliance.hsm.KeyLocator;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.store.DsEventTable;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.RepositoryTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.StoreTransaction;
import org.twinsign.appliance.store.ZoneTable;
import org.twinsign.appliance.store.StoreConflictException;
import org.twinsign.fencing.Lease;

/**
 * {@code enforce} and {@code time leap}: runs the {@link KeyEnforcer} for every zone and signs the
 * zones whose keys, records, input or signatures need it. Each zone reads its state, decides and
 * signs outside any transaction, then commits the key states, the schedule and the signing record
 * in one short transaction guarded by the zone's row version and the lease, the signed zone being
 * moved into place just before the commit; if anything fails, the zone's stored state and its
 * published file stay as they were. DS commands run after that commit, and their outcome is
 * recorded apart. Zones do not wait for each other.
 */
public final class EnforcerService {
  private final Services services;

  EnforcerService(Services services) {
    this.services = services;
  }

  /** How long one run tops up the key pool at most; a large pool fills over several runs. */
  static final java.time.Duration POOL_BUDGET = java.time.Duration.ofSeconds(20);

  /**
   * What one run did: per zone ({@link ZoneReport}), and notes that concern no single zone (the key
   * pool, a time leap).
   */
  public record Report(List<ZoneReport> zones, List<String> notes) {
    /** Every line an operator reads, zone by zone, then the notes. */
    public List<String> lines() {
      List<String> lines = new ArrayList<>();
      zones.forEach(zone -> lines.addAll(zone.lines()));
      lines.addAll(notes);
      return lines;
    }

    /** The zones that failed, each with why (their state unchanged). */
    public List<String> failures() {
      return zones.stream().filter(z -> z.failure() != null).map(z -> "zone " + z.zone() + ": " + z.failure())
          .toList();
    }

    /** What failed after a zone's change was committed (the change stands). */
    public List<String> warnings() {
      List<String> warnings = new ArrayList<>();
      zones.forEach(z -> z.warnings().forEach(w -> warnings.add("zone " + z.zone() + ": " + w)));
      return warnings;
    }
  }

  public Report enforce() {
    return enforce(List.of());
  }

  /** Runs the enforcer for the named zones (all zones if none are named); zones do not wait for each other. */
  public Report enforce(List<String> only) {
    return enforce(only, zone -> { });
  }

  /**
   * As {@link #enforce(List)}, telling {@code done} of each zone as soon as it is done, so that a long
   * pass's log follows the zones instead of arriving at its end.
   */
  public Report enforce(List<String> only, java.util.function.Consumer<ZoneReport> done) {
    services.store().write(services.lease(), tx -> {
      RepositoryTable.sync(tx, services.config().repositories());
      return null;
    });
    List<ZoneTable.ZoneRow> zones = new ArrayList<>();
    Map<String, Boolean> sharing = new HashMap<>();
    services.store().read(tx -> {
      if (only.isEmpty()) {
        zones.addAll(ZoneTable.all(tx));
      } else {
        only.forEach(name -> zones.add(ZoneTable.require(tx, ZoneService.canonical(name))));
      }
      zones.forEach(z -> sharing.computeIfAbsent(z.policy(), p -> PolicyTable.require(tx, p).keys().shareKeys()));
      return null;
    });
    ZoneLanes lanes = new ZoneLanes();
    for (int i = 0; i < zones.size(); i++) {
      ZoneTable.ZoneRow zone = zones.get(i);
      lanes.add(sharing.get(zone.policy()) ? "keys shared in policy " + zone.policy()
          : large(zone) ? "large zones" : "zone " + zone.name(), i);
    }
    ZoneReport[] reports = new ZoneReport[zones.size()];
    List<String> notes = new ArrayList<>();
    try (KeyPoolFiller filler = new KeyPoolFiller(new KeyPool(services), POOL_BUDGET).start()) {
      lanes.run(WORKERS, i -> {
        String zone = zones.get(i).name();
        ZoneReport report;
        try {
          report = enforce(zone);
        } catch (RuntimeException e) {
          report = ZoneReport.failed(zone, e);
        }
        reports[i] = report;
        done.accept(report);
      });
      filler.close();
      notes.addAll(filler.report());
    }
    // stopped early (the node stops or steps down): the zones not started say so, and nothing is purged now
    for (int i = 0; i < reports.length; i++) {
      reports[i] = reports[i] != null ? reports[i] : ZoneReport.failed(zones.get(i).name(),
          new IllegalStateException("not run: the run was stopped before it came to this zone"));
    }
    if (!Thread.currentThread().isInterrupted()) {
      notes.addAll(purgeRetired());
    }
    return new Report(List.of(reports), notes);
  }

  /** How many zones are enforced side by side ({@link ZoneLanes}); the store's pool has room for them. */
  static final int WORKERS = 4;
  /** A zone with more names than this is a large one: signed one at a time with the other large ones. */
  static final int LARGE_NAMES = 20_000;
  /** An input file larger than this makes a zone not yet in memory a large one. */
  static final long LARGE_INPUT_BYTES = 1L << 20;

  private boolean large(ZoneTable.ZoneRow zone) {
    SignedZones.Version version = services.signedZones().current(zone.name());
    if (version != null) {
      return version.zone().nameCount() > LARGE_NAMES;
    }
    ZoneInputs.Input input = services.inputs().current(zone.name());
    if (input != null) {
      return input.zone().nameCount() > LARGE_NAMES;
    }
    try {
      return zone.input() != null && Files.size(zone.input()) > LARGE_INPUT_BYTES;
    } catch (java.io.IOException e) {
      return false; // its run says what is wrong with it
    }
  }

  /**
   * Destroys the keys of deleted zones whose policy's {@code <Purge>} has passed since they were
   * retired (a policy without one keeps them until {@code key purge --force}).
   */
  private List<String> purgeRetired() {
    record Due(KeyTable.RetiredKey key, java.time.Duration purge) {}
    List<Due> due = services.store().read(tx -> {
      Instant now = Store.now(tx);
      List<Due> list = new ArrayList<>();
      for (KeyTable.RetiredKey key : KeyTable.retired(tx)) {
        java.time.Duration purge = key.policy() == null ? null : PolicyTable.find(tx, key.policy())
            .map(p -> p.keys().purge()).orElse(null);
        if (purge != null && !key.retiredAt().plus(purge).isAfter(now)) {
          list.add(new Due(key, purge));
        }
      }
      return list;
    });
    List<String> lines = new ArrayList<>();
    for (Due d : due) {
      try {
        services.zones().destroyRetired(d.key());
        lines.add("purged key " + d.key().locator() + " of deleted zone " + d.key().zone() + " from repository "
            + d.key().repository() + " (retired " + d.key().retiredAt() + ", policy " + d.key().policy() + " purges"
            + " after " + d.purge() + ")");
      } catch (RuntimeException e) {
        lines.add("warning: purging key " + d.key().locator() + " failed: " + e.getMessage());
      }
    }
    return lines;
  }

  /** Moves a simulation store's clock to the next scheduled event (or to {@code to}), then enforces. */
  public Report leap(Instant to) {
    Instant[] moved = new Instant[2];
    services.store().write(services.lease(), tx -> {
      Instant now = Store.now(tx);
      Instant target = to;
      if (Store.mode(tx) != Store.Mode.SIMULATION) {
        Store.setSimulatedNow(tx, now); // refuses, naming the reason
      }
      if (target == null) {
        // an event already due (a zone that failed, a ds-seen just reported) runs now
        target = nextEvent(tx).filter(next -> next.isAfter(now)).orElse(now);
      }
      if (target.isBefore(now)) {
        throw new IllegalArgumentException("cannot leap back in time: the clock is at " + now + ", not before "
            + target);
      }
      Store.setSimulatedNow(tx, target);
      moved[0] = now;
      moved[1] = target;
      return null;
    });
    Report report = enforce();
    List<String> notes = new ArrayList<>();
    notes.add("time leap: " + moved[0] + " -> " + moved[1]);
    notes.addAll(report.notes());
    return new Report(report.zones(), notes);
  }

  /** The earliest time the enforcer or the signer has work: a scheduled run or a re-signing. */
  static Optional<Instant> nextEvent(StoreTransaction tx) {
    Instant next = null;
    for (ZoneTable.Due due : ZoneTable.schedule(tx)) {
      if (due.at() != null && (next == null || due.at().isBefore(next))) {
        next = due.at();
      }
    }
    for (ZoneTable.ZoneRow zone : ZoneTable.all(tx)) {
      if (zone.resignAt() != null && (next == null || zone.resignAt().isBefore(next))) {
        next = zone.resignAt();
      }
    }
    return Optional.ofNullable(next);
  }

  /** How often a zone's run starts over when another writer moved the zone first, before it gives up. */
  static final int MAX_ATTEMPTS = 3;

  /** One zone: read, decide and sign outside any transaction, then a short guarded commit; again if the zone moved. */
  private ZoneReport enforce(String zoneName) {
    for (int attempt = 1; ; attempt++) {
      try {
        return enforceOnce(zoneName);
      } catch (StoreConflictException e) {
        if (attempt >= MAX_ATTEMPTS) {
          throw new IllegalStateException(e.getMessage() + ", " + attempt + " times in a row: nothing was published;"
              + " the next 'enforce' tries again", e);
        }
      }
    }
  }

  /**
   * One attempt, in the shape every master action takes: read the zone's state (one read-only
   * transaction) → decide, look at the HSM and the parent, and sign, outside any transaction and
   * lock (the signing stops as soon as the lease is gone) → reserve the new serial → a short
   * commit guarded by the zone's row version and the lease, in which the signed zone is published
   * (durably) just before the commit. If the commit fails the previous file is put back; if its
   * answer is lost the store is asked whether it went through, and if it cannot say the new file
   * stays (its serial is reserved, so it is never reused for other content).
   */
  private ZoneReport enforceOnce(String zoneName) {
    ZoneRun run = new ZoneRun();
    try {
      return enforceOnce(zoneName, run);
    } catch (RuntimeException | Error e) {
      // given up: the keys stay in the pool for other runs; once committed they left it, and stay claimed
      // here, so that a run whose snapshot is older than that commit does not choose them again
      run.fromPool.forEach(key -> services.poolClaims().release(key.id()));
      throw e;
    }
  }

  private ZoneReport enforceOnce(String zoneName, ZoneRun run) {
    Lease lease = services.lease();
    ZoneSnapshot snapshot = services.store().read(tx -> ZoneSnapshot.load(tx, zoneName));
    List<String> lines = decide(snapshot, run);
    ZoneTable.ZoneRow zone = snapshot.zone();
    try {
      if (run.signing != null) {
        PolicySigner.Signed signed = PolicySigner.sign(snapshot.policy(), zone, run.signing, services.repositories(),
            snapshot.now(), new PolicySigner.Memory(services.signedZones(), services.fileDigests(), services.inputs()),
            () -> !lease.valid(), run.onlyInputChanged);
        run.signed = signed;
        run.writes.add(tx -> ZoneTable.signed(tx, zoneName, snapshot.now(), signed.serial(), signed.inputDigest(),
            signed.resignAt(), signed.salt(), signed.saltAt(), run.id, signed.publishedDigest()));
        lines.add("zone " + zoneName + ": " + signed.summary() + " -> " + zone.output());
        if (!signed.passthrough()) {
          services.store().write(lease, tx -> {
            ZoneTable.reserveSerial(tx, zoneName, signed.serial());
            return null;
          });
        }
      }
      try (ZoneFileLock lock = ZoneFileLock.of(zone.output())) {
        lines.addAll(commit(snapshot, run));
      }
    } finally {
      if (run.signed != null) {
        run.signed.discard();
      }
    }
    // committed and published: what follows can fail without undoing that, so it is reported as a
    // warning on the zone's result, not as the zone's failure
    List<String> warnings = new ArrayList<>();
    for (KeyTable.HsmKeyRow key : run.destroy) {
      if (!key.lost()) {
        try {
          services.repositories().get(key.repository()).delete(new KeyLocator(key.locator()));
        } catch (RuntimeException e) {
          warnings.add("purged key " + key.locator() + " could not be deleted from repository " + key.repository()
              + " (" + e.getMessage() + "); the store no longer knows it: delete it there by hand ('twinsign hsm"
              + " delete --locator " + key.locator() + "')");
        }
      }
    }
    if (run.hooksDue) {
      try {
        lines.addAll(runHooksOneAtATime(zoneName));
      } catch (RuntimeException e) {
        warnings.add(e.getMessage());
      }
    }
    for (String warning : warnings) {
      lines.add("zone " + zoneName + ": warning: " + warning);
    }
    PolicySigner.Signed signed = run.signed;
    ZoneReport.Status status = signed != null ? ZoneReport.Status.SIGNED
        : run.quiet && warnings.isEmpty() ? ZoneReport.Status.UNCHANGED : ZoneReport.Status.CHANGED;
    return new ZoneReport(zoneName, status, signed == null ? null : signed.serial(),
        signed == null ? 0 : signed.signaturesMade(), signed == null ? 0 : signed.signaturesReused(),
        run.keyChanges, run.waiting, lines, warnings, null, false);
  }

  /** The short commit: the zone's version guard, the pool keys taken, the decision's writes, the publication. */
  private List<String> commit(ZoneSnapshot snapshot, ZoneRun run) {
    String zoneName = snapshot.zone().name();
    PolicySigner.sweep(snapshot.zone().output());
    try {
      services.store().write(services.lease(), tx -> {
        ZoneTable.claim(tx, zoneName, snapshot.zone().version());
        // pool keys in id order: two zones' commits lock them in the same order
        run.fromPool.stream().mapToLong(KeyTable.HsmKeyRow::id).sorted().forEach(id -> KeyTable.claimPoolKey(tx, id));
        run.writes.forEach(write -> write.accept(tx));
        if (run.signed != null) {
          long started = System.nanoTime();
          tx.lease().check("publish zone " + zoneName + " to " + snapshot.zone().output());
          run.signed.publish();
          services.store().actions().acted("publish", tx.epoch(), zoneName + " " + run.signed.serial(), started);
        }
        return null;
      });
    } catch (RuntimeException e) {
      if (run.signed == null || !run.signed.published()) {
        undo(run.signed, e);
        throw e;
      }
      // published, and the commit failed: whatever the error says, the store decides what happens
      // to the file (a commit can go through and still report an error)
      Boolean committed = committed(zoneName, run.id, e);
      if (committed == null) {
        services.signedZones().forget(zoneName);
        services.fileDigests().forget(run.signed.output());
        throw new IllegalStateException(e.getMessage() + "; whether the store holds the new version is unknown:"
            + " the signed zone (serial " + run.signed.serial() + ", reserved: no other content gets it) stays"
            + " published, and the next 'enforce' carries on from what the store holds", e);
      }
      if (!committed) {
        undo(run.signed, e);
        throw e;
      }
      published(zoneName, run.signed);
      return List.of("zone " + zoneName + ": the commit reported an error (" + e.getMessage()
          + "), but it went through");
    }
    if (run.signed != null) {
      published(zoneName, run.signed);
    }
    return List.of();
  }

  /** A signed file written next to a zone's output, waiting to be put in place by {@link #installFile}. */
  public record StagedFile(String zone, java.nio.file.Path path, String digest, long serial) {}

  /**
   * Writes the signed file of a version published by journal next to its output (the slow part,
   * on any thread: the version never changes). {@link #installFile} puts it in place.
   */
  public StagedFile stageFile(SignedZones.Version version) {
    ZoneTable.ZoneRow row = services.store().read(tx -> ZoneTable.require(tx, version.name()));
    java.nio.file.Path staged = PolicySigner.staging(row.output());
    try {
      return new StagedFile(version.name(), staged, org.twinsign.appliance.zone.ZoneFileWriter.write(version.zone(),
          staged), version.serial());
    } catch (RuntimeException e) {
      PolicySigner.deleteQuietly(staged);
      throw e;
    }
  }

  /**
   * Puts a staged signed file in place when changes were published to the zone's journal only
   * since its file was last written (as Knot's {@code zonefile-sync}): the store records the new
   * file's digest, and the journal's serial if newer versions were published since the staged
   * one, in one guarded commit, as for a signing; if the commit fails the previous file comes
   * back. Must run where no signing of the zone runs beside it (the master's duties thread).
   *
   * @return what was done, or null when the file was not needed any more (then it is deleted)
   */
  public String installFile(StagedFile file) {
    String name = file.zone();
    ZoneTable.ZoneRow row = services.store().read(tx -> ZoneTable.require(tx, name));
    PublishedDigest published = PublishedDigest.parse(row.publishedDigest());
    SignedZones.Version current = services.signedZones().published(name, row.publishedDigest());
    // a version adopted from the last master whose file this node lacks is written whole, as it was published
    boolean restoring = services.signedZones().fileBehind(name);
    if (published == null || published.journalSerial() == null && !restoring || current == null
        || org.twinsign.appliance.dnssec.SerialPolicy.greaterThan(file.serial(), current.serial())) {
      PolicySigner.deleteQuietly(file.path()); // a whole file was published since, or the version is not this process's
      return null;
    }
    String digest = current.serial() == file.serial() ? file.digest()
        : new PublishedDigest(file.digest(), current.serial()).text();
    PolicySigner.Signed signed = new PolicySigner.Signed(file.path(), row.output(), file.serial(), row.resignAt(),
        row.nsec3Salt(), row.nsec3SaltAt(), row.inputDigest(), "written", 0, 0, false, file.digest(), null);
    try (ZoneFileLock lock = ZoneFileLock.of(row.output())) {
      services.store().write(services.lease(), tx -> {
        ZoneTable.claim(tx, name, row.version());
        tx.lease().check("write the signed file of zone " + name + " to " + row.output());
        ZoneTable.flushed(tx, name, digest);
        signed.publish();
        return null;
      });
      signed.settle();
    } catch (RuntimeException e) {
      undo(signed, e);
      throw e;
    }
    services.fileDigests().wrote(row.output(), file.digest());
    services.signedZones().flushed(name, row.publishedDigest(), digest);
    return "zone " + name + ": serial " + file.serial() + " written to " + row.output()
        + (current.serial() == file.serial() ? "" : " (the journal leads on to serial " + current.serial() + ")");
  }

  /** Published and committed: the previous file goes, and the new version stays in memory for the next signing. */
  private void published(String zoneName, PolicySigner.Signed signed) {
    signed.settle();
    services.signedZones().countSignatures(signed.signaturesMade());
    if (signed.journalDiff() == null) {
      services.fileDigests().wrote(signed.output(), signed.publishedDigest());
    }
    if (signed.zone() == null) {
      services.signedZones().forget(zoneName);
    } else {
      services.signedZones().publish(zoneName, signed.serial(), signed.publishedDigest(), signed.zone(),
          org.twinsign.appliance.zone.JournalFile.of(signed.output()), signed.journalDiff(), signed.inputSerial());
    }
  }

  /** What one zone's decision does, for {@link #enforceOnce} to carry out in its commit or after it. */
  private static final class ZoneRun {
    /** This attempt's id, recorded with the signed state it commits. */
    final String id = java.util.UUID.randomUUID().toString();
    /** The decision's writes, applied in the zone's commit. */
    final List<java.util.function.Consumer<StoreTransaction>> writes = new ArrayList<>();
    /** Pool keys the decision took: the commit checks no other zone took them first. */
    final List<KeyTable.HsmKeyRow> fromPool = new ArrayList<>();
    /** Purged keys to delete from their repositories once committed (filled by the commit). */
    final List<KeyTable.HsmKeyRow> destroy = new ArrayList<>();
    /** Nothing but the input changed: the signer may apply the change incrementally. */
    boolean onlyInputChanged;
    /** The keys to sign with, if the zone needs signing. */
    List<KeyTable.StoredKey> signing;
    /** The signed zone, once signed. */
    PolicySigner.Signed signed;
    /** Whether DS commands wait to run after the commit. */
    boolean hooksDue;
    /** Whether the decision changed nothing and has nothing to say but what keys wait for. */
    boolean quiet;
    /** The keys' record-state moves and what they wait for, for the report. */
    List<String> keyChanges = List.of();
    List<String> waiting = List.of();
  }

  /** Whether a commit whose answer was lost went through: TRUE, FALSE, or null if the store cannot say. */
  private Boolean committed(String zoneName, String runId, RuntimeException failure) {
    try {
      // a locking read: it waits for the commit if that is still in flight (slow fsync, semi-sync)
      return services.store().inspect(tx -> ZoneTable.signedBy(tx, zoneName, runId));
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
      return null;
    }
  }

  /** Puts the previous zone file back (or drops the staged one). */
  private static void undo(PolicySigner.Signed signed, RuntimeException failure) {
    if (signed == null) {
      return;
    }
    try {
      if (signed.published()) {
        signed.restore();
      } else {
        signed.discard();
      }
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Keys that are gone from their repository are lost (an emergency rollover follows), unless every
   * key the zone has there is gone: that is a wrong token or configuration, not lost keys, and the
   * run stops. A lost key that is found again can sign again.
   */
  private void checkKeysPresent(ZoneRun run, String zoneName, List<KeyTable.StoredKey> stored, List<String> lines) {
    java.util.Map<String, List<KeyTable.StoredKey>> byRepository = new java.util.TreeMap<>();
    // hidden keys too: a pair's new master may lack a key the last one made and never wrapped;
    // declared lost while hidden, it is replaced before it is ever published
    for (KeyTable.StoredKey key : stored) {
      byRepository.computeIfAbsent(key.state().repository(), r -> new ArrayList<>()).add(key);
    }
    for (java.util.Map.Entry<String, List<KeyTable.StoredKey>> entry : byRepository.entrySet()) {
      List<KeyTable.StoredKey> missing = new ArrayList<>();
      int present = 0;
      for (KeyTable.StoredKey key : entry.getValue()) {
        boolean found = services.repositories().holds(entry.getKey(), new KeyLocator(key.state().locator()));
        present += found ? 1 : 0;
        boolean foundAgain = found && key.state().lost();
        if (!found && !key.state().lost()) {
          missing.add(key);
        } else if (foundAgain) {
          long id = key.hsm().id();
          run.writes.add(tx -> KeyTable.markLost(tx, id, false));
          key.state().lost(false);
          lines.add("zone " + zoneName + ": " + key.state().role() + " " + key.state().keyTag()
              + " is back in repository " + entry.getKey() + ": it signs again");
        }
      }
      if (!missing.isEmpty() && present == 0) {
        throw new IllegalStateException("none of the zone's " + entry.getValue().size() + " keys is in repository "
            + entry.getKey() + " (" + services.repositories().get(entry.getKey()).describe() + "): is it the right"
            + " token? Not declaring them lost: check repository." + entry.getKey() + " in the configuration; if the"
            + " keys are really gone, 'key rollover --zone " + zoneName + " --keytype T --lost' starts the emergency"
            + " rollover");
      }
      for (KeyTable.StoredKey key : missing) {
        long id = key.hsm().id();
        run.writes.add(tx -> KeyTable.markLost(tx, id, true));
        key.state().lost(true);
        lines.add("zone " + zoneName + ": " + key.state().role() + " " + key.state().keyTag() + " ("
            + key.state().locator() + ") is gone from repository " + entry.getKey() + ": emergency rollover");
      }
    }
  }

  /**
   * The zone's decision, outside any transaction: key presence, the parent check, the enforcer's
   * moves, the schedule, and whether to sign. Writes go into {@code run} for the commit.
   */
  private List<String> decide(ZoneSnapshot snapshot, ZoneRun run) {
    Instant now = snapshot.now();
    ZoneTable.ZoneRow zone = snapshot.zone();
    String zoneName = zone.name();
    KaspPolicy policy = snapshot.policy();
    List<String> lines = new ArrayList<>();
    List<KeyTable.StoredKey> stored = snapshot.keys();
    Map<Long, KeyTable.HsmKeyRow> hsmOf = new HashMap<>();
    List<KeyState> states = new ArrayList<>();
    checkKeysPresent(run, zoneName, stored, lines);
    for (KeyTable.StoredKey key : stored) {
      KeyState state = key.state();
      gate(services, state, key.hsm());
      hsmOf.put(state.id(), key.hsm());
      states.add(state);
    }
    java.util.Set<Integer> cdsBefore = PolicySigner.cdsKeys(states);
    Instant parentNext = zone.parentServers().isEmpty() ? null : checkParent(snapshot, run, lines);
    List<KeySpec> specs = policy.keys().keys().stream().map(KeySpec::of).toList();
    Map<KeyState, KeyTable.HsmKeyRow> assigned = new HashMap<>();
    KeyEnforcer.Outcome outcome = KeyEnforcer.run(specs, snapshot.timings(), policy.keys().purge(), states, now,
        (spec, at) -> assign(snapshot, run, spec, at, assigned, lines));
    outcome.changes().forEach(change -> lines.add("zone " + zoneName + ": " + change));
    outcome.waiting().forEach(wait -> lines.add("zone " + zoneName + ": waiting: " + wait));
    run.keyChanges = List.copyOf(outcome.changes());
    run.waiting = List.copyOf(outcome.waiting());

    List<KeyTable.StoredKey> current = new ArrayList<>();
    for (KeyState key : outcome.keys()) {
      KeyTable.HsmKeyRow hsm = key.id() == 0 ? assigned.get(key) : hsmOf.get(key.id());
      gate(services, key, hsm);
      current.add(new KeyTable.StoredKey(zoneName, key, hsm));
    }
    tellOperator(zone, current, now, lines);
    run.hooksDue = current.stream().anyMatch(k -> (k.state().dsAtParent() == DsAtParent.SUBMIT
        || k.state().dsAtParent() == DsAtParent.RETRACT) && !command(k.state().dsAtParent() == DsAtParent.SUBMIT)
        .isEmpty());
    boolean cdsChanged = zone.publishCds() && !cdsBefore.equals(PolicySigner.cdsKeys(outcome.keys()));
    Map<KeyState, Long> newIds = new HashMap<>();
    assigned.forEach((key, hsm) -> newIds.put(key, hsm.id()));
    List<KeyState> keys = outcome.keys();
    run.writes.add(tx -> KeyTable.save(tx, zoneName, keys, newIds));
    for (KeyState purged : outcome.purge()) {
      KeyTable.HsmKeyRow hsm = hsmOf.get(purged.id());
      run.writes.add(tx -> {
        // two zones purging a shared key at once: one after the other, so the last one destroys it
        KeyTable.lock(tx, hsm.id());
        KeyTable.deleteZoneKey(tx, purged.id());
        if (!KeyTable.inUse(tx, hsm.id())) {
          KeyTable.deleteHsmKey(tx, hsm.id());
          run.destroy.add(hsm);
        }
      });
    }
    Instant due = outcome.nextRun();
    String reason = "next key transition, lifetime end or purge";
    if (parentNext != null && (due == null || parentNext.isBefore(due))) {
      due = parentNext;
      reason = "parent check";
    }
    Instant dueAt = due;
    String why = due == null ? "nothing scheduled" : reason;
    run.writes.add(tx -> {
      // the next re-signing too (Resign): a node's duties run a zone when its schedule says so, and
      // signatures must be refreshed between key events. Read at the commit: this run's signing is done
      // then. A run that did not sign although its re-signing was due (no copy from the primaries yet, no
      // key published) looks again one Resign later, not at once: never a zone in a tight loop. A
      // passthrough zone has no signatures to refresh.
      Instant resign = policy.passthrough() ? null : run.signed != null ? run.signed.resignAt()
          : zone.resignAt() != null && zone.resignAt().isAfter(now) ? zone.resignAt()
          : zone.resignAt() == null ? null : now.plus(policy.signatures().resign());
      boolean sooner = resign != null && (dueAt == null || resign.isBefore(dueAt));
      ZoneTable.schedule(tx, zoneName, sooner ? resign : dueAt, sooner ? "re-signing (Resign)" : why);
    });

    ZoneInputs.Input held = services.inputs().current(zoneName);
    Long signedInput = ZoneInputs.Input.serialOf(zone.inputDigest());
    if (zone.transferredIn() && signedInput != null && (held == null
        || org.twinsign.appliance.dnssec.SerialPolicy.greaterThan(signedInput, held.serial()))) {
      // a copy older than the one signed last (a file a crash left behind, another node's term
      // since) would take changes back: wait for the transfer that brings this one up to date
      lines.add("zone " + zoneName + ": " + (held == null ? "no copy" : "only serial " + held.serial())
          + " of the source held here, and serial " + signedInput + " was signed last: waiting for a transfer from "
          + zone.primaries());
      run.quiet = false;
      return lines;
    }
    if (zone.transferredIn() && held == null && !Files.isRegularFile(zone.input())) {
      // the keys move on; there is nothing to sign until the first copy is in
      lines.add("zone " + zoneName + ": no copy transferred from its primaries " + zone.primaries()
          + " yet: nothing to sign");
      run.quiet = false;
      return lines;
    }
    // an input held in memory is recorded by its serial (its file is written after), a file by its digest
    boolean inputChanged = !(held != null ? held.identity() : services.fileDigests().of(zone.input()))
        .equals(zone.inputDigest());
    PublishedDigest publishedNow = PublishedDigest.parse(zone.publishedDigest());
    // a version taken over from the last master: this node's file is behind it and written from memory
    boolean adopted = services.signedZones().fileBehind(zoneName);
    boolean outputChanged = !adopted && publishedNow != null && Files.isRegularFile(zone.output())
        && !services.fileDigests().of(zone.output()).equals(publishedNow.file());
    if (!outputChanged && publishedNow != null && publishedNow.journalSerial() != null
        && services.signedZones().journaling() && services.signedZones().published(zoneName,
        zone.publishedDigest()) == null) {
      // published by journal, and the file plus journal could not be loaded: only a new signing serves it again
      outputChanged = true;
    }
    if (outputChanged) {
      lines.add("zone " + zoneName + ": the published file " + zone.output() + " no longer holds what was published"
          + " (something else wrote it): publishing again");
    }
    boolean resignDue = zone.resignAt() == null || !zone.resignAt().isAfter(now);
    boolean publishes = outcome.keys().stream().anyMatch(k -> k.published(RecordType.DNSKEY));
    if (publishes && (outcome.zoneChanged() || cdsChanged || zone.signNeeded() || inputChanged || outputChanged
        || resignDue
        || !adopted && !Files.isRegularFile(zone.output()))) {
      List<KeyTable.StoredKey> signing = new ArrayList<>();
      for (KeyTable.StoredKey key : current) {
        if (!outcome.purge().contains(key.state())) {
          signing.add(key);
        }
      }
      run.signing = signing;
      run.onlyInputChanged = inputChanged && !outcome.zoneChanged() && !cdsChanged && !zone.signNeeded()
          && !outputChanged && !resignDue && (adopted || Files.isRegularFile(zone.output()));
      if (zone.signedAt() == null || zone.signedAt().isBefore(snapshot.policyImportedAt())) {
        run.writes.add(tx -> PolicyTable.extendHold(tx, policy.name(), now));
      }
    }
    // nothing moved, nothing to sign, nothing to report but what the keys wait for
    run.quiet = run.signing == null && outcome.changes().isEmpty() && outcome.purge().isEmpty() && !run.hooksDue
        && lines.size() == outcome.waiting().size();
    if (run.signing == null && lines.isEmpty()) {
      lines.add("zone " + zoneName + ": nothing to do" + (due == null ? "" : " until " + due));
    }
    return lines;
  }

  /**
   * Asks the parent's servers about the DS of keys that wait for {@code ds-seen} or {@code ds-gone}
   * (also before the request is handed over: an operator may have taken it to the parent without
   * saying so), and reports those itself once the answer has held for the DS TTL plus the parent's
   * propagation delay; returns when to ask again.
   */
  private Instant checkParent(ZoneSnapshot snapshot, ZoneRun run, List<String> lines) {
    ZoneTable.ZoneRow zone = snapshot.zone();
    List<KeyTable.StoredKey> stored = snapshot.keys();
    Instant now = snapshot.now();
    List<KeyTable.StoredKey> waiting = stored.stream().filter(k -> wanted(k.state().dsAtParent()) != null).toList();
    List<KeyTable.StoredKey> published = stored.stream().filter(k -> k.state().dsAtParent() == DsAtParent.SEEN)
        .toList();
    if (waiting.isEmpty() && published.isEmpty()) {
      return null;
    }
    Instant poll = now.plus(PARENT_POLL);
    ParentCheck.Answer answer = ParentCheck.ask(zone.name(), zone.parentServers());
    if (!answer.agreed()) {
      lines.add("zone " + zone.name() + ": parent check: " + answer.problem() + "; asking again later");
      return waiting.isEmpty() ? null : poll;
    }
    for (KeyTable.StoredKey key : published) {
      if (!ParentCheck.holds(answer.ds(), KeyRecords.dnskey(zone.name(), key, 0))) {
        // the parent changed on its own: the enforcer's picture is wrong, a person must look
        lines.add("zone " + zone.name() + ": warning: parent check: the parent no longer serves the DS of "
            + key.state().role() + " " + key.state().keyTag() + ", which was not retracted");
      }
    }
    if (waiting.isEmpty()) {
      return null;
    }
    java.time.Duration stable = snapshot.timings().settle(RecordType.DS);
    Instant next = null;
    for (KeyTable.StoredKey key : waiting) {
      KeyState state = key.state();
      boolean submitted = wanted(state.dsAtParent());
      boolean present = ParentCheck.holds(answer.ds(), KeyRecords.dnskey(zone.name(), key, 0));
      if (present != submitted) {
        state.parentSeenSince(null);
        next = next == null || poll.isBefore(next) ? poll : next;
        continue;
      }
      if (state.parentSeenSince() == null) {
        state.parentSeenSince(now);
        lines.add("zone " + zone.name() + ": parent check: the DS of " + state.role() + " " + state.keyTag() + " is "
            + (submitted ? "at" : "gone from") + " every parent server; " + (submitted ? "seen" : "gone")
            + " once that holds for " + stable.toMinutes() + " minutes");
      }
      Instant since = state.parentSeenSince();
      if (since.plus(stable).isAfter(now)) {
        Instant at = since.plus(stable);
        next = next == null || at.isBefore(next) ? at : next;
        continue;
      }
      if (submitted) {
        KeyEnforcer.dsSeen(state, since);
      } else {
        KeyEnforcer.dsGone(state, since);
      }
      run.writes.add(tx -> DsEventTable.add(tx, zone.name(), state.keyTag(), state.locator(),
          submitted ? "seen" : "gone", now, "parent check: stable since " + since));
      lines.add("zone " + zone.name() + ": parent check: DS of " + state.role() + " " + state.keyTag() + " "
          + (submitted ? "seen" : "gone") + " (stable since " + since + ")");
    }
    return next;
  }

  /** Whether the DS is wanted at the parent (true) or gone from it (false); null when no exchange waits. */
  private static Boolean wanted(DsAtParent ds) {
    return switch (ds) {
      case SUBMIT, SUBMITTED -> true;
      case RETRACT, RETRACTED -> false;
      default -> null;
    };
  }

  /** How often the parent is asked while a DS exchange waits for it. */
  static final java.time.Duration PARENT_POLL = java.time.Duration.ofHours(1);

  /**
   * What may keep {@code key} from being published beyond the policy, from its row: its
   * repository's backup requirement, and the publication gate (the standby's HSM, in a pair).
   */
  static void gate(Services services, KeyState key, KeyTable.HsmKeyRow hsm) {
    key.backedUp(!services.repositories().configured(hsm.repository()).requireBackup()
        || hsm.backup() == KeyTable.Backup.BACKED_UP);
    key.heldBack(services.gate().waitsFor(hsm));
  }

  /** How many of the pool's first keys a run looks at: more than the runs beside it can have claimed. */
  static final int POOL_LOOK = 64;

  /**
   * The pool's first {@code limit} keys for {@code spec}, read when a run needs one (its own short
   * read; the claim at commit is the guard), not in every run's snapshot: with thousands of zones
   * the pool holds thousands of keys, and reading them for each zone made a pass quadratic.
   */
  private List<KeyTable.HsmKeyRow> poolKeys(KeySpec spec, int limit) {
    int bits = org.twinsign.appliance.dnssec.DnssecAlgorithm.isRsa(spec.algorithm()) ? spec.bits() : 0;
    return services.store().read(tx -> KeyTable.pool(tx, spec.repository(), spec.role(), spec.algorithm(), bits,
        limit));
  }

  /** The first key of {@code pool} that fits, is not the zone's yet and no run beside has claimed; claimed now. */
  private KeyTable.HsmKeyRow firstFree(List<KeyTable.HsmKeyRow> pool, KeySpec spec,
      Map<KeyState, KeyTable.HsmKeyRow> assigned, java.util.Set<String> taken) {
    for (KeyTable.HsmKeyRow key : pool) {
      if (spec.fits(key.algorithm(), key.bits()) && assigned.values().stream().noneMatch(a -> a.id() == key.id())
          && !taken.contains(tagOf(spec, key)) && services.poolClaims().claim(key.id())) {
        return key;
      }
    }
    return null;
  }

  /**
   * A key for a spec: a shared one (ShareKeys), a pool key (backed up first), or a new one. A key
   * whose tag and algorithm equal those of a key the zone already has is never taken (as Knot
   * does): a key tag must name one key of the zone, or validators try the wrong key.
   */
  private Optional<KeyState> assign(ZoneSnapshot snapshot, ZoneRun run, KeySpec spec, Instant now,
      Map<KeyState, KeyTable.HsmKeyRow> assigned, List<String> lines) {
    ZoneTable.ZoneRow zone = snapshot.zone();
    KaspPolicy policy = snapshot.policy();
    java.util.Set<String> taken = new java.util.HashSet<>();
    snapshot.keys().forEach(k -> taken.add(k.state().keyTag() + "/" + k.state().algorithm()));
    assigned.keySet().forEach(k -> taken.add(k.keyTag() + "/" + k.algorithm()));
    KeyTable.HsmKeyRow chosen = null;
    if (policy.keys().shareKeys()) {
      for (KeyTable.StoredKey other : snapshot.shared()) {
        if (other.state().introducing() && spec.matches(other.state()) && !other.state().lost()
            && !taken.contains(tagOf(spec, other.hsm()))) {
          chosen = other.hsm();
          break;
        }
      }
    }
    if (chosen == null) {
      // the pool's first keys; all of them taken by the runs beside this one (a rare crowd): the whole pool
      List<KeyTable.HsmKeyRow> window = poolKeys(spec, POOL_LOOK);
      chosen = firstFree(window, spec, assigned, taken);
      if (chosen == null && window.size() == POOL_LOOK) {
        chosen = firstFree(poolKeys(spec, Integer.MAX_VALUE), spec, assigned, taken);
      }
      if (chosen != null) {
        run.fromPool.add(chosen);
      }
    }
    while (chosen == null) {
      // recorded in the pool at once (its own transaction): a crash leaves no key the store does not know
      KeyTable.HsmKeyRow made = new KeyPool(services).generateOne(policy.name(), spec);
      if (taken.contains(tagOf(spec, made))) {
        lines.add("zone " + zone.name() + ": a new " + spec.role() + " has key tag " + KeyRecords.keyTag(spec.role(),
            made.algorithm(), made.publicKey()) + " like a key of the zone: it stays in the pool, another is made");
        continue;
      }
      chosen = made;
      services.poolClaims().claim(made.id()); // it is in the pool now, where other runs see it
      run.fromPool.add(made);
      lines.add("zone " + zone.name() + ": the key pool had no " + spec.role() + " for algorithm " + spec.algorithm()
          + " in " + spec.repository() + ": generated one now" + (services.repositories()
          .configured(spec.repository()).requireBackup() ? "; it is not published before 'backup commit'" : ""));
    }
    KeyState key = new KeyState(0, chosen.locator(), chosen.repository(), spec.role(), chosen.algorithm(),
        chosen.bits(), KeyRecords.keyTag(spec.role(), chosen.algorithm(), chosen.publicKey()), now);
    gate(services, key, chosen);
    assigned.put(key, chosen);
    return Optional.of(key);
  }

  private static String tagOf(KeySpec spec, KeyTable.HsmKeyRow key) {
    return KeyRecords.keyTag(spec.role(), key.algorithm(), key.publicKey()) + "/" + key.algorithm();
  }

  /**
   * Without a DS command the operator takes the DS to the parent, as with OpenDNSSEC: the request
   * waits (SUBMIT, RETRACT) until {@code key ds-submit} / {@code ds-retract}, or until the parent
   * check sees the parent follow. Told once, in the run that makes the request. With a command,
   * it runs after the commit ({@link #runHooks}), so that it does not hold the store while it works.
   */
  private void tellOperator(ZoneTable.ZoneRow row, List<KeyTable.StoredKey> keys, Instant now, List<String> lines) {
    String zone = row.name();
    for (KeyTable.StoredKey key : keys) {
      KeyState state = key.state();
      boolean submit = state.dsAtParent() == DsAtParent.SUBMIT;
      if ((!submit && state.dsAtParent() != DsAtParent.RETRACT) || !command(submit).isEmpty()
          || !now.equals(state.dsAtParentSince())) {
        continue;
      }
      lines.add("zone " + zone + ": " + state.role() + " " + state.keyTag() + " DS " + (submit ? "submit" : "retract")
          + ": waiting for you (no ds." + (submit ? "submit" : "retract") + "-command configured): "
          + (submit ? "submit the DS to the parent ('key export --zone " + zone + " --ds')"
              : "have the parent remove the DS")
          + ", then 'key ds-" + (submit ? "submit" : "retract") + " --zone " + zone + " --keytag " + state.keyTag()
          + "'" + (row.parentServers().isEmpty() ? ""
              : (submit && row.publishCds() ? "; or let the parent follow the CDS records" : "")
                  + "; the parent check notices when the parent has done it"));
    }
  }

  private List<String> command(boolean submit) {
    return submit ? services.config().dsSubmitCommand() : services.config().dsRetractCommand();
  }

  /** The operator's DS commands run one at a time, as with one zone after the other: scripts may count on it. */
  private static final Object HOOKS = new Object();

  private List<String> runHooksOneAtATime(String zone) {
    synchronized (HOOKS) {
      return runHooks(zone);
    }
  }

  /**
   * Runs the DS submit and retract commands the committed state asks for, then records their
   * outcome in a transaction of its own. A command that ran but whose outcome could not be
   * recorded runs again at the next run: submissions must be safe to repeat.
   */
  private List<String> runHooks(String zone) {
    record Due(KeyTable.StoredKey key, String dnskey) {}
    List<Due> due = services.store().read(tx -> {
      KaspPolicy policy = PolicyTable.require(tx, ZoneTable.require(tx, zone).policy());
      List<Due> list = new ArrayList<>();
      for (KeyTable.StoredKey key : KeyTable.zoneKeys(tx, zone)) {
        DsAtParent ds = key.state().dsAtParent();
        if ((ds == DsAtParent.SUBMIT || ds == DsAtParent.RETRACT) && !command(ds == DsAtParent.SUBMIT).isEmpty()) {
          list.add(new Due(key, KeyRecords.dnskey(zone, key, policy.keys().ttl().getSeconds()).toString()));
        }
      }
      return list;
    });
    List<String> lines = new ArrayList<>();
    for (DsAtParent wanted : List.of(DsAtParent.SUBMIT, DsAtParent.RETRACT)) {
      List<Due> keys = due.stream().filter(d -> d.key().state().dsAtParent() == wanted).toList();
      if (keys.isEmpty()) {
        continue;
      }
      boolean submit = wanted == DsAtParent.SUBMIT;
      StringBuilder dnskeys = new StringBuilder();
      keys.forEach(d -> dnskeys.append(d.dnskey()).append('\n'));
      services.lease().check("run the " + (submit ? "DS submit" : "DS retract") + " command for zone " + zone);
      ExternalCommand.Result result = DsHook.run(command(submit), dnskeys.toString());
      String what = submit ? "DS submit command" : "DS retract command";
      try {
        services.store().write(services.lease(), tx -> {
          ZoneTable.lock(tx, zone);
          Instant now = Store.now(tx);
          for (Due d : keys) {
            KeyTable.StoredKey key = KeyTable.byId(tx, d.key().state().id()).orElse(null);
            if (key == null || key.state().dsAtParent() != wanted) {
              continue; // changed meanwhile (zone deleted, ds-seen by hand): nothing to record
            }
            KeyState state = key.state();
            if (result.ok()) {
              state.dsAtParent(submit ? DsAtParent.SUBMITTED : DsAtParent.RETRACTED, now);
              KeyTable.save(tx, zone, List.of(state), Map.of());
            }
            String event = result.ok() ? (submit ? "submitted" : "retracted")
                : (submit ? "submit-failed" : "retract-failed");
            DsEventTable.add(tx, zone, state.keyTag(), state.locator(), event, now, result.detail());
            lines.add("zone " + zone + ": " + state.role() + " " + state.keyTag() + " DS "
                + (result.ok() ? (submit ? "submitted to the parent" : "retraction sent to the parent")
                    : (submit ? "submit" : "retract") + " failed (retried at the next run): " + result.detail()));
          }
          ZoneTable.touch(tx, zone);
          return null;
        });
      } catch (RuntimeException e) {
        throw new IllegalStateException("the " + what + " ran, but recording its outcome failed: " + e.getMessage()
            + "; it runs again at the next 'enforce'", e);
      }
    }
    return lines;
  }
}
