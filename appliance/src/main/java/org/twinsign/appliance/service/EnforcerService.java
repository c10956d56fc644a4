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

/**
 * {@code enforce} and {@code time leap}: runs the {@link KeyEnforcer} for every zone and signs the
 * zones whose keys, records, input or signatures need it. One zone is one transaction: the key
 * states, the schedule and the signing record commit together, the signed zone being moved into
 * place just before the commit; if anything fails, the zone's stored state and its published file
 * stay as they were. DS commands run after that commit, and their outcome is recorded apart.
 */
public final class EnforcerService {
  private final Services services;

  EnforcerService(Services services) {
    this.services = services;
  }

  /** How long one run tops up the key pool at most; a large pool fills over several runs. */
  static final java.time.Duration POOL_BUDGET = java.time.Duration.ofSeconds(20);

  /** What one run did: a line per change, and the zones that failed (their state unchanged). */
  public record Report(List<String> lines, List<String> failures) {}

  public Report enforce() {
    services.store().write(tx -> {
      RepositoryTable.sync(tx, services.config().repositories());
      return null;
    });
    List<String> zones = services.store().read(tx -> ZoneTable.all(tx).stream().map(ZoneTable.ZoneRow::name).toList());
    List<String> lines = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    try (KeyPoolFiller filler = new KeyPoolFiller(new KeyPool(services), POOL_BUDGET).start()) {
      for (String zone : zones) {
        try {
          lines.addAll(enforce(zone));
        } catch (RuntimeException e) {
          failures.add("zone " + zone + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
      }
      filler.close();
      lines.addAll(filler.report());
    }
    return new Report(lines, failures);
  }

  /** Moves a simulation store's clock to the next scheduled event (or to {@code to}), then enforces. */
  public Report leap(Instant to) {
    Instant[] moved = new Instant[2];
    services.store().write(tx -> {
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
    List<String> lines = new ArrayList<>();
    lines.add("time leap: " + moved[0] + " -> " + moved[1]);
    lines.addAll(report.lines());
    return new Report(lines, report.failures());
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

  /**
   * One zone, one transaction. The signed zone is published just before the commit. If the
   * commit fails, the store is asked whether it went through anyway: if not, the previous file is
   * put back and keys generated for the zone are deleted from their repository; if the store
   * cannot say, the new file stays (a published change the store does not know of yet is redone
   * later, which is safe; a recorded change that was never published is not).
   */
  private List<String> enforce(String zoneName) {
    ZoneTable.ZoneRow zone = services.store().read(tx -> ZoneTable.require(tx, zoneName));
    try (ZoneFileLock lock = ZoneFileLock.of(zone.output())) {
      ZoneRun run = new ZoneRun();
      List<String> lines;
      try {
        lines = services.store().write(tx -> {
          PolicySigner.sweep(zone.output());
          List<String> made = decide(tx, zoneName, run);
          if (run.signed != null) {
            run.signed.publish();
          }
          run.decided = true;
          return made;
        });
      } catch (RuntimeException e) {
        Boolean committed = run.decided ? committed(zoneName, run.signed, run.generated, e) : Boolean.FALSE;
        if (committed == null) {
          throw new IllegalStateException(e.getMessage() + "; the database did not confirm the commit: the signed zone"
              + " stays published, and the next 'enforce' brings the store up to date", e);
        }
        if (!committed) {
          undo(run.signed, run.generated, e);
          throw e;
        }
        lines = new ArrayList<>(List.of("zone " + zoneName + ": the commit's answer was lost, but it went through"));
      }
      if (run.signed != null) {
        run.signed.settle();
      }
      for (KeyTable.HsmKeyRow key : run.destroy) {
        if (!key.lost()) {
          services.repositories().get(key.repository()).delete(new KeyLocator(key.locator()));
        }
      }
      if (!run.hooksDue) {
        return lines;
      }
      lines = new ArrayList<>(lines);
      lines.addAll(runHooks(zoneName));
      return lines;
    }
  }

  /** What one zone's decision does outside its transaction, for {@link #enforce(String)} to finish or undo. */
  private static final class ZoneRun {
    /** Purged keys to delete from their repositories once committed. */
    final List<KeyTable.HsmKeyRow> destroy = new ArrayList<>();
    /** Keys generated inside the transaction: deleted again if it does not commit. */
    final List<KeyTable.HsmKeyRow> generated = new ArrayList<>();
    /** The signed zone, if the zone was signed. */
    PolicySigner.Signed signed;
    /** Whether the decision ran to its end (a failure after that is the commit's). */
    boolean decided;
    /** Whether DS commands wait to run after the commit. */
    boolean hooksDue;
  }

  /** Whether a transaction whose commit failed went through: TRUE, FALSE, or null if the store cannot say. */
  private Boolean committed(String zoneName, PolicySigner.Signed signed, List<KeyTable.HsmKeyRow> generated,
      RuntimeException failure) {
    if (signed == null && generated.isEmpty()) {
      return Boolean.FALSE; // nothing outside the store to undo
    }
    try {
      return services.store().read(tx -> {
        if (!generated.isEmpty()) {
          return KeyTable.hsmKeyExists(tx, generated.get(0).id());
        }
        ZoneTable.ZoneRow row = ZoneTable.require(tx, zoneName);
        return signed.serial() == (row.signedSerial() == null ? -1 : row.signedSerial())
            && signed.inputDigest().equals(row.inputDigest()) && signed.resignAt().equals(row.resignAt());
      });
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
      return null;
    }
  }

  /** Puts the previous zone file back and deletes the keys generated in the failed transaction. */
  private void undo(PolicySigner.Signed signed, List<KeyTable.HsmKeyRow> generated, RuntimeException failure) {
    if (signed != null) {
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
    for (KeyTable.HsmKeyRow key : generated) {
      try {
        services.repositories().get(key.repository()).delete(new KeyLocator(key.locator()));
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }

  /**
   * Keys that are gone from their repository are lost (an emergency rollover follows), unless every
   * key the zone has there is gone: that is a wrong token or configuration, not lost keys, and the
   * run stops. A lost key that is found again can sign again.
   */
  private void checkKeysPresent(StoreTransaction tx, String zoneName, List<KeyTable.StoredKey> stored,
      List<String> lines) {
    java.util.Map<String, List<KeyTable.StoredKey>> byRepository = new java.util.TreeMap<>();
    for (KeyTable.StoredKey key : stored) {
      if (!key.state().allHidden()) {
        byRepository.computeIfAbsent(key.state().repository(), r -> new ArrayList<>()).add(key);
      }
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
          KeyTable.markLost(tx, key.hsm().id(), false);
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
        KeyTable.markLost(tx, key.hsm().id(), true);
        key.state().lost(true);
        lines.add("zone " + zoneName + ": " + key.state().role() + " " + key.state().keyTag() + " ("
            + key.state().locator() + ") is gone from repository " + entry.getKey() + ": emergency rollover");
      }
    }
  }

  private List<String> decide(StoreTransaction tx, String zoneName, ZoneRun run) {
    Instant now = Store.now(tx);
    ZoneTable.ZoneRow zone = ZoneTable.require(tx, zoneName);
    KaspPolicy policy = PolicyTable.require(tx, zone.policy());
    List<String> lines = new ArrayList<>();
    List<KeyTable.StoredKey> stored = KeyTable.zoneKeys(tx, zoneName);
    Map<Long, KeyTable.HsmKeyRow> hsmOf = new HashMap<>();
    List<KeyState> states = new ArrayList<>();
    checkKeysPresent(tx, zoneName, stored, lines);
    for (KeyTable.StoredKey key : stored) {
      KeyState state = key.state();
      state.backedUp(backedUp(key.hsm()));
      hsmOf.put(state.id(), key.hsm());
      states.add(state);
    }
    java.util.Set<Integer> cdsBefore = PolicySigner.cdsKeys(states);
    Instant parentNext = zone.parentServers().isEmpty() ? null : checkParent(tx, zone, policy, stored, now, lines);
    List<KeySpec> specs = policy.keys().keys().stream().map(KeySpec::of).toList();
    Map<KeyState, KeyTable.HsmKeyRow> assigned = new HashMap<>();
    KeyEnforcer.Outcome outcome = KeyEnforcer.run(specs, PolicyTable.timings(tx, policy, now), policy.keys().purge(), states, now,
        (spec, at) -> assign(tx, zone, policy, spec, at, assigned, run.generated, lines));
    outcome.changes().forEach(change -> lines.add("zone " + zoneName + ": " + change));
    outcome.waiting().forEach(wait -> lines.add("zone " + zoneName + ": waiting: " + wait));

    List<KeyTable.StoredKey> current = new ArrayList<>();
    for (KeyState key : outcome.keys()) {
      KeyTable.HsmKeyRow hsm = key.id() == 0 ? assigned.get(key) : hsmOf.get(key.id());
      key.backedUp(backedUp(hsm));
      current.add(new KeyTable.StoredKey(zoneName, key, hsm));
    }
    handOver(tx, zone, current, now, lines);
    run.hooksDue = current.stream().anyMatch(k -> k.state().dsAtParent() == DsAtParent.SUBMIT
        || k.state().dsAtParent() == DsAtParent.RETRACT);
    boolean cdsChanged = zone.publishCds() && !cdsBefore.equals(PolicySigner.cdsKeys(outcome.keys()));
    Map<KeyState, Long> newIds = new HashMap<>();
    assigned.forEach((key, hsm) -> newIds.put(key, hsm.id()));
    KeyTable.save(tx, zoneName, outcome.keys(), newIds);
    for (KeyState purged : outcome.purge()) {
      KeyTable.deleteZoneKey(tx, purged.id());
      KeyTable.HsmKeyRow hsm = hsmOf.get(purged.id());
      if (!KeyTable.inUse(tx, hsm.id())) {
        KeyTable.deleteHsmKey(tx, hsm.id());
        run.destroy.add(hsm);
      }
    }
    Instant due = outcome.nextRun();
    String reason = "next key transition, lifetime end or purge";
    if (parentNext != null && (due == null || parentNext.isBefore(due))) {
      due = parentNext;
      reason = "parent check";
    }
    ZoneTable.schedule(tx, zoneName, due, due == null ? "nothing scheduled" : reason);

    boolean inputChanged = !PolicySigner.digest(zone.input()).equals(zone.inputDigest());
    boolean resignDue = zone.resignAt() == null || !zone.resignAt().isAfter(now);
    boolean publishes = outcome.keys().stream().anyMatch(k -> k.published(RecordType.DNSKEY));
    if (publishes && (outcome.zoneChanged() || cdsChanged || zone.signNeeded() || inputChanged || resignDue
        || !Files.isRegularFile(zone.output()))) {
      List<KeyTable.StoredKey> signing = new ArrayList<>();
      for (KeyTable.StoredKey key : current) {
        if (!outcome.purge().contains(key.state())) {
          signing.add(key);
        }
      }
      PolicySigner.Signed signed = PolicySigner.sign(policy, zone, signing, services.repositories(), now);
      run.signed = signed;
      ZoneTable.signed(tx, zoneName, now, signed.serial(), signed.inputDigest(), signed.resignAt(), signed.salt(),
          signed.saltAt());
      if (zone.signedAt() == null || zone.signedAt().isBefore(PolicyTable.importedAt(tx, policy.name()))) {
        PolicyTable.extendHold(tx, policy.name(), now);
      }
      lines.add("zone " + zoneName + ": " + signed.summary() + " -> " + zone.output());
    }
    if (lines.isEmpty()) {
      lines.add("zone " + zoneName + ": nothing to do" + (due == null ? "" : " until " + due));
    }
    return lines;
  }

  /**
   * Asks the parent's servers about the DS of keys that wait for {@code ds-seen} or {@code ds-gone},
   * and reports those itself once the answer has held for the DS TTL plus the parent's
   * propagation delay; returns when to ask again.
   */
  private Instant checkParent(StoreTransaction tx, ZoneTable.ZoneRow zone, KaspPolicy policy,
      List<KeyTable.StoredKey> stored, Instant now, List<String> lines) {
    List<KeyTable.StoredKey> waiting = stored.stream().filter(k -> k.state().dsAtParent() == DsAtParent.SUBMITTED
        || k.state().dsAtParent() == DsAtParent.RETRACTED).toList();
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
    java.time.Duration stable = PolicyTable.timings(tx, policy, now).settle(RecordType.DS);
    Instant next = null;
    for (KeyTable.StoredKey key : waiting) {
      KeyState state = key.state();
      boolean submitted = state.dsAtParent() == DsAtParent.SUBMITTED;
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
      DsEventTable.add(tx, zone.name(), state.keyTag(), state.locator(), submitted ? "seen" : "gone", now,
          "parent check: stable since " + since);
      lines.add("zone " + zone.name() + ": parent check: DS of " + state.role() + " " + state.keyTag() + " "
          + (submitted ? "seen" : "gone") + " (stable since " + since + ")");
    }
    return next;
  }

  /** How often the parent is asked while a DS exchange waits for it. */
  static final java.time.Duration PARENT_POLL = java.time.Duration.ofHours(1);

  private boolean backedUp(KeyTable.HsmKeyRow hsm) {
    return !services.repositories().configured(hsm.repository()).requireBackup()
        || hsm.backup() == KeyTable.Backup.BACKED_UP;
  }

  /** A key for a spec: a shared one (ShareKeys), a pool key (backed up first), or a new one. */
  private Optional<KeyState> assign(StoreTransaction tx, ZoneTable.ZoneRow zone, KaspPolicy policy, KeySpec spec,
      Instant now, Map<KeyState, KeyTable.HsmKeyRow> assigned, List<KeyTable.HsmKeyRow> generated,
      List<String> lines) {
    KeyTable.HsmKeyRow chosen = null;
    if (policy.keys().shareKeys()) {
      for (KeyTable.StoredKey other : KeyTable.zoneKeys(tx, null)) {
        if (!other.zone().equals(zone.name()) && other.state().introducing() && spec.matches(other.state())
            && policy.name().equals(ZoneTable.require(tx, other.zone()).policy()) && !other.state().lost()) {
          chosen = other.hsm();
          break;
        }
      }
    }
    if (chosen == null) {
      for (KeyTable.HsmKeyRow pool : KeyTable.pool(tx, spec.repository(), spec.role(), spec.algorithm())) {
        if (spec.fits(pool.algorithm(), pool.bits()) && assigned.values().stream().noneMatch(a -> a.id() == pool.id())) {
          chosen = pool;
          break;
        }
      }
    }
    if (chosen == null) {
      chosen = new KeyPool(services).generateOne(tx, policy.name(), spec);
      generated.add(chosen);
      lines.add("zone " + zone.name() + ": the key pool had no " + spec.role() + " for algorithm " + spec.algorithm()
          + " in " + spec.repository() + ": generated one now" + (services.repositories()
          .configured(spec.repository()).requireBackup() ? "; it is not published before 'backup commit'" : ""));
    }
    KeyState key = new KeyState(0, chosen.locator(), chosen.repository(), spec.role(), chosen.algorithm(),
        chosen.bits(), KeyRecords.keyTag(spec.role(), chosen.algorithm(), chosen.publicKey()), now);
    key.backedUp(backedUp(chosen));
    assigned.put(key, chosen);
    return Optional.of(key);
  }

  /**
   * Without a DS command the operator (or the parent check) takes the DS to the parent: the
   * request counts as handed over at once, in the zone's transaction. With one, the command runs
   * after the commit ({@link #runHooks}), so that it does not hold the store while it works.
   */
  private void handOver(StoreTransaction tx, ZoneTable.ZoneRow row, List<KeyTable.StoredKey> keys, Instant now,
      List<String> lines) {
    String zone = row.name();
    for (KeyTable.StoredKey key : keys) {
      KeyState state = key.state();
      boolean submit = state.dsAtParent() == DsAtParent.SUBMIT;
      if ((!submit && state.dsAtParent() != DsAtParent.RETRACT) || !command(submit).isEmpty()) {
        continue;
      }
      String detail = "no ds." + (submit ? "submit" : "retract") + "-command configured: "
          + (submit ? "submit" : "retract") + " the DS yourself ('key export --zone " + zone + " --ds')"
          + (row.parentServers().isEmpty() ? ", then 'key ds-" + (submit ? "seen" : "gone") + "'"
              : (row.publishCds() ? " or let the parent follow the CDS records" : "")
                  + "; the parent check notices when it is done");
      state.dsAtParent(submit ? DsAtParent.SUBMITTED : DsAtParent.RETRACTED, now);
      DsEventTable.add(tx, zone, state.keyTag(), state.locator(), submit ? "submitted" : "retracted", now, detail);
      lines.add("zone " + zone + ": " + state.role() + " " + state.keyTag() + " DS " + (submit ? "submit" : "retract")
          + ": " + detail);
    }
  }

  private List<String> command(boolean submit) {
    return submit ? services.config().dsSubmitCommand() : services.config().dsRetractCommand();
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
      DsHook.Result result = DsHook.run(command(submit), dnskeys.toString());
      String what = submit ? "DS submit command" : "DS retract command";
      try {
        services.store().write(tx -> {
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
