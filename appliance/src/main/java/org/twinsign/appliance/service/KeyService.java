package org.twinsign.appliance.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.enforcer.DsAtParent;
import org.twinsign.appliance.enforcer.KeyEnforcer;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.RecordType;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.store.DsEventTable;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.StoreException;
import org.twinsign.appliance.store.StoreTransaction;
import org.twinsign.appliance.store.ZoneTable;

/** {@code key list|generate|rollover|export|ds-seen|ds-gone|ksk-retire} and {@code rollover list}. */
public final class KeyService {
  private static final Set<String> KEY_STATES = Set.of("generate", "publish", "ready", "active", "retire", "dead");
  private final Services services;

  KeyService(Services services) {
    this.services = services;
  }

  /** The keys of one zone, or of all, with their next transitions. */
  public List<KeyReport> list(String zone) {
    return services.store().read(tx -> {
      String name = zone == null ? null : ZoneTable.require(tx, ZoneService.canonical(zone)).name();
      Instant now = Store.now(tx);
      java.util.Map<String, KaspPolicy> policies = new java.util.HashMap<>();
      java.util.Map<String, org.twinsign.appliance.enforcer.KeyTimings> timings = new java.util.HashMap<>();
      List<KeyReport> reports = new ArrayList<>();
      KeyReport.DsCommands commands = new KeyReport.DsCommands(!services.config().dsSubmitCommand().isEmpty(),
          !services.config().dsRetractCommand().isEmpty());
      for (KeyTable.StoredKey key : KeyTable.zoneKeys(tx, name)) {
        KaspPolicy policy = policies.computeIfAbsent(key.zone(),
            z -> PolicyTable.require(tx, ZoneTable.require(tx, z).policy()));
        EnforcerService.gate(services, key.state(), key.hsm()); // as the enforcer sees it
        reports.add(KeyReport.of(key.zone(), key, policy,
            timings.computeIfAbsent(policy.name(), p -> PolicyTable.timings(tx, policy, now)), commands));
      }
      return reports;
    });
  }

  public List<String> generate(String policy, int count) {
    if (count < 1) {
      throw new IllegalArgumentException("--count must be at least 1");
    }
    return new KeyPool(services).generate(policy, count);
  }

  /** Asks for a rollover of the zone's (or the policy's zones') current keys of a type at the next enforce. */
  public List<String> rollover(String zone, String policy, KeyRole role) {
    return rollover(zone, policy, role, false);
  }

  /**
   * As {@link #rollover(String, String, KeyRole)}; with {@code lost}, the keys are declared gone
   * from their repository (an emergency rollover), for when the enforcer will not decide that
   * alone because no key of the zone is left there.
   */
  public List<String> rollover(String zone, String policy, KeyRole role, boolean lost) {
    return services.store().write(services.lease(), tx -> {
      List<String> zones = new ArrayList<>();
      if (zone != null) {
        zones.add(ZoneTable.require(tx, ZoneService.canonical(zone)).name());
      } else {
        PolicyTable.require(tx, policy);
        ZoneTable.ofPolicy(tx, policy).forEach(z -> zones.add(z.name()));
      }
      ZoneTable.lockAll(tx, zones);
      Instant now = Store.now(tx);
      List<String> report = new ArrayList<>();
      for (String name : zones) {
        List<KeyState> changed = new ArrayList<>();
        for (KeyTable.StoredKey key : KeyTable.zoneKeys(tx, name)) {
          if (key.state().introducing() && key.state().role() == role) {
            key.state().rolloverRequested(true);
            changed.add(key.state());
            if (lost) {
              KeyTable.markLost(tx, key.hsm().id(), true);
            }
          }
        }
        if (changed.isEmpty()) {
          throw new StoreException("zone " + name + " has no current " + role + " to roll: 'key list --zone " + name
              + "' shows its keys");
        }
        KeyTable.save(tx, name, changed, java.util.Map.of());
        ZoneTable.schedule(tx, name, now, "key rollover requested");
        changed.forEach(k -> report.add("zone " + name + ": " + role + " " + k.keyTag()
            + (lost ? " declared lost: emergency rollover" : " rolls over") + " at the next 'enforce'"));
      }
      return report;
    });
  }

  /**
   * The zone's keys as DNSKEY or DS records in BIND format, as OpenDNSSEC's {@code key export}:
   * by default the KSKs (and CSKs) that are ready or active.
   */
  public String export(String zone, boolean ds, String keystate, String keytype) {
    if (keystate != null && !KEY_STATES.contains(keystate.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("--keystate " + keystate + ": use one of " + KEY_STATES);
    }
    KeyRole role = keytype == null ? null : KeyRole.valueOf(keytype.toUpperCase(Locale.ROOT));
    return services.store().read(tx -> {
      String name = ZoneTable.require(tx, ZoneService.canonical(zone)).name();
      KaspPolicy policy = PolicyTable.require(tx, ZoneTable.require(tx, name).policy());
      StringBuilder out = new StringBuilder();
      for (KeyTable.StoredKey key : KeyTable.zoneKeys(tx, name)) {
        KeyState state = key.state();
        String stateName = KeyReport.stateName(state);
        boolean roleMatches = role == null ? state.role().signsKeys() : state.role() == role;
        boolean stateMatches = keystate == null ? Set.of("ready", "active").contains(stateName)
            : stateName.equals(keystate.toLowerCase(Locale.ROOT));
        if (!roleMatches || !stateMatches) {
          continue;
        }
        String comment = " ; {id = " + state.keyTag() + " (" + state.role().name().toLowerCase(Locale.ROOT)
            + "), size = " + state.bits() + "b}";
        if (ds) {
          out.append(KeyRecords.ds(name, key, policy.keys().ttl().getSeconds(),
              policy.parent().dsTtl().getSeconds())).append(comment).append('\n');
        } else {
          out.append(KeyRecords.dnskey(name, key, policy.keys().ttl().getSeconds())).append(comment).append('\n');
        }
      }
      if (out.length() == 0) {
        // an empty answer would look like success to a script waiting for a DS: say what there is
        List<String> have = new ArrayList<>();
        for (KeyTable.StoredKey key : KeyTable.zoneKeys(tx, name)) {
          have.add(key.state().role() + " " + key.state().keyTag() + " (" + KeyReport.stateName(key.state()) + ")");
        }
        throw new StoreException("zone " + name + " has no " + (role == null ? "KSK or CSK" : role.toString())
            + " in state " + (keystate == null ? "ready or active" : keystate.toLowerCase(Locale.ROOT)) + "; its keys: "
            + (have.isEmpty() ? "none yet (run 'enforce')" : String.join(", ", have))
            + ". Give --keystate with one of those states (e.g. --keystate publish for a KSK being introduced)");
      }
      return out.toString();
    });
  }

  /**
   * The operator took the DS of a key to the parent (OpenDNSSEC's {@code key ds-submit}): the
   * request is handed over, and {@code ds-seen} (or the parent check) follows once it is published.
   */
  public String dsSubmit(String zone, Integer keyTag, String locator) {
    return handedOver(zone, keyTag, locator, DsAtParent.SUBMIT, DsAtParent.SUBMITTED);
  }

  /** The operator asked the parent to remove the DS of a key (OpenDNSSEC's {@code key ds-retract}). */
  public String dsRetract(String zone, Integer keyTag, String locator) {
    return handedOver(zone, keyTag, locator, DsAtParent.RETRACT, DsAtParent.RETRACTED);
  }

  private String handedOver(String zone, Integer keyTag, String locator, DsAtParent from, DsAtParent to) {
    boolean submit = from == DsAtParent.SUBMIT;
    String command = submit ? "ds-submit" : "ds-retract";
    return services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, ZoneService.canonical(zone)); // before reading its keys: see ZoneTable.lock
      KeyTable.StoredKey key = find(tx, zone, keyTag, locator);
      KeyState state = key.state();
      if (state.dsAtParent() != from) {
        throw new StoreException("key " + state.keyTag() + " of zone " + key.zone() + " is not waiting for "
            + command + ": its DS is " + state.dsAtParent().label() + " ('key list --zone " + key.zone()
            + " --verbose' shows which key waits)");
      }
      Instant now = Store.now(tx);
      state.dsAtParent(to, now);
      KeyTable.save(tx, key.zone(), List.of(state), java.util.Map.of());
      DsEventTable.add(tx, key.zone(), state.keyTag(), state.locator(), to.label(), now, "by the operator");
      ZoneTable.schedule(tx, key.zone(), now, command); // the parent check starts asking
      return "zone " + key.zone() + ": DS of " + state.role() + " " + state.keyTag() + " " + to.label()
          + "; 'key ds-" + (submit ? "seen" : "gone") + " --zone " + key.zone() + " --keytag " + state.keyTag()
          + "' once the parent " + (submit ? "publishes it" : "no longer publishes it")
          + " (the parent check notices by itself where the zone has parent servers)";
    });
  }

  /** The parent publishes the DS of a key that was submitted. */
  public String dsSeen(String zone, Integer keyTag, String locator, boolean noRetire) {
    return services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, ZoneService.canonical(zone)); // before reading its keys: see ZoneTable.lock
      KeyTable.StoredKey key = find(tx, zone, keyTag, locator);
      KeyState state = key.state();
      if (state.dsAtParent() != DsAtParent.SUBMITTED && state.dsAtParent() != DsAtParent.SUBMIT) {
        throw new StoreException("key " + state.keyTag() + " of zone " + key.zone()
            + " is not waiting for ds-seen: its DS is " + state.dsAtParent().label()
            + " ('key list --zone " + key.zone() + " --verbose' shows which key waits)");
      }
      Instant now = Store.now(tx);
      KeyEnforcer.dsSeen(state, now);
      List<KeyState> changed = new ArrayList<>(List.of(state));
      if (noRetire) {
        for (KeyTable.StoredKey other : KeyTable.zoneKeys(tx, key.zone())) {
          if (other.state().id() != state.id() && other.state().role().signsKeys() && !other.state().introducing()
              && !other.state().allHidden()) {
            other.state().retireHeld(true);
            changed.add(other.state());
          }
        }
      }
      KeyTable.save(tx, key.zone(), changed, java.util.Map.of());
      DsEventTable.add(tx, key.zone(), state.keyTag(), state.locator(), "seen", now, noRetire ? "--no-retire" : null);
      ZoneTable.schedule(tx, key.zone(), now, "ds-seen");
      return "zone " + key.zone() + ": DS of " + state.role() + " " + state.keyTag() + " seen at the parent"
          + (noRetire ? "; the old KSKs stay until 'key ksk-retire'" : "") + "; 'enforce' takes it from here";
    });
  }

  /** The parent no longer publishes the DS of a key that was retracted. */
  public String dsGone(String zone, Integer keyTag, String locator) {
    return services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, ZoneService.canonical(zone)); // before reading its keys: see ZoneTable.lock
      KeyTable.StoredKey key = find(tx, zone, keyTag, locator);
      KeyState state = key.state();
      if (state.dsAtParent() != DsAtParent.RETRACTED && state.dsAtParent() != DsAtParent.RETRACT) {
        throw new StoreException("key " + state.keyTag() + " of zone " + key.zone()
            + " is not waiting for ds-gone: its DS is " + state.dsAtParent().label());
      }
      Instant now = Store.now(tx);
      KeyEnforcer.dsGone(state, now);
      KeyTable.save(tx, key.zone(), List.of(state), java.util.Map.of());
      DsEventTable.add(tx, key.zone(), state.keyTag(), state.locator(), "gone", now, null);
      ZoneTable.schedule(tx, key.zone(), now, "ds-gone");
      return "zone " + key.zone() + ": DS of " + state.role() + " " + state.keyTag()
          + " gone from the parent; 'enforce' takes it from here";
    });
  }

  /** Retires a KSK: releases one kept by {@code ds-seen --no-retire}, or retires one that has a successor. */
  public String kskRetire(String zone, Integer keyTag, String locator) {
    return services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, ZoneService.canonical(zone)); // before reading its keys: see ZoneTable.lock
      KeyTable.StoredKey key = find(tx, zone, keyTag, locator);
      KeyState state = key.state();
      if (!state.role().signsKeys()) {
        throw new StoreException("key " + state.keyTag() + " of zone " + key.zone() + " is a " + state.role()
            + ", not a KSK or CSK");
      }
      Instant now = Store.now(tx);
      if (state.retireHeld()) {
        state.retireHeld(false);
      } else if (state.introducing()) {
        boolean successor = KeyTable.zoneKeys(tx, key.zone()).stream().anyMatch(k -> k.state().id() != state.id()
            && k.state().introducing() && k.state().role() == state.role()
            && k.state().state(RecordType.DNSKEY) != org.twinsign.appliance.enforcer.RecordState.HIDDEN);
        if (!successor) {
          throw new StoreException("key " + state.keyTag() + " is the only " + state.role() + " of zone " + key.zone()
              + ": 'key rollover --zone " + key.zone() + " --keytype " + state.role() + "' introduces a successor");
        }
        state.retire(now);
      } else {
        throw new StoreException("key " + state.keyTag() + " of zone " + key.zone() + " is already retiring");
      }
      KeyTable.save(tx, key.zone(), List.of(state), java.util.Map.of());
      ZoneTable.schedule(tx, key.zone(), now, "ksk-retire");
      return "zone " + key.zone() + ": " + state.role() + " " + state.keyTag() + " retires";
    });
  }

  /** A key of a zone by key tag or CKA_ID, or an error that says what exists. */
  private static KeyTable.StoredKey find(StoreTransaction tx, String zone, Integer keyTag, String locator) {
    if ((keyTag == null) == (locator == null)) {
      throw new IllegalArgumentException("give the key by --keytag or by --cka-id (one of them)");
    }
    String name = ZoneTable.require(tx, ZoneService.canonical(zone)).name();
    List<KeyTable.StoredKey> matches = KeyTable.zoneKeys(tx, name).stream()
        .filter(k -> keyTag != null ? k.state().keyTag() == keyTag
            : k.state().locator().equalsIgnoreCase(locator.trim()))
        .filter(k -> k.state().role().signsKeys()).toList();
    if (matches.isEmpty()) {
      throw new StoreException("zone " + name + " has no KSK or CSK with " + (keyTag != null ? "key tag " + keyTag
          : "CKA_ID " + locator) + ": 'key list --zone " + name + " --verbose' shows its keys");
    }
    if (matches.size() > 1) {
      throw new StoreException("zone " + name + " has " + matches.size() + " keys with key tag " + keyTag
          + ": give --cka-id instead");
    }
    return matches.get(0);
  }
}
