package org.twinsign.appliance.service;

import java.time.Instant;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.enforcer.DsAtParent;
import org.twinsign.appliance.enforcer.KeySpec;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.KeyTimings;
import org.twinsign.appliance.enforcer.RecordState;
import org.twinsign.appliance.enforcer.RecordType;
import org.twinsign.appliance.policy.IsoDuration;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.store.KeyTable;

/**
 * What an operator is told about a key: OpenDNSSEC's key state names (generate, publish, ready,
 * active, retire, dead), its next transition with the time and what it waits for.
 */
public record KeyReport(String zone, KeyRole role, int keyTag, String state, String next, Instant at,
    String waitsFor, KeyTable.StoredKey key) {

  /** OpenDNSSEC's name for where a key is in its life. */
  public static String stateName(KeyState key) {
    if (!key.introducing()) {
      return key.allHidden() ? "dead" : "retire";
    }
    RecordState dnskey = key.state(RecordType.DNSKEY);
    if (dnskey == RecordState.HIDDEN) {
      return "generate";
    }
    if (dnskey == RecordState.RUMOURED) {
      return "publish";
    }
    boolean signing = !key.has(RecordType.RRSIG) || key.state(RecordType.RRSIG).published();
    boolean dsIn = !key.has(RecordType.DS) || key.state(RecordType.DS) == RecordState.OMNIPRESENT;
    return signing && dsIn ? "active" : "ready";
  }

  /**
   * Whether a program carries DS requests to the parent ({@code ds.submit-command},
   * {@code ds.retract-command}); without one, the request waits for the operator.
   */
  record DsCommands(boolean submit, boolean retract) {}

  static KeyReport of(String zone, KeyTable.StoredKey stored, KaspPolicy policy, KeyTimings timings,
      DsCommands commands) {
    KeyState key = stored.state();
    String next = null;
    Instant at = null;
    String waits = "-";
    for (RecordType type : RecordType.values()) {
      if (key.has(type) && type != RecordType.RRSIG_DNSKEY && key.state(type).uncertain()) {
        RecordState to = key.state(type) == RecordState.RUMOURED
            ? (key.introducing() ? RecordState.OMNIPRESENT : RecordState.UNRETENTIVE) : RecordState.HIDDEN;
        Instant when = key.since(type).plus(timings.settle(type));
        if (to != RecordState.UNRETENTIVE && (at == null || when.isBefore(at))) {
          at = when;
          next = type.label() + " " + to.label();
          waits = timings.explain(type);
        }
      }
    }
    if (next == null) {
      String[] what = event(zone, key, policy, commands);
      next = what[0];
      waits = what[1];
      if (what.length > 2 && what[2] != null) {
        at = Instant.parse(what[2]);
      }
    }
    return new KeyReport(zone, key.role(), key.keyTag(), stateName(key), next, at, waits, stored);
  }

  /** The next step that waits for an event rather than a time: {next, waits for, [time]}. */
  private static String[] event(String zone, KeyState key, KaspPolicy policy, DsCommands commands) {
    DsAtParent ds = key.dsAtParent();
    if (key.lost()) {
      return new String[] {"retire", "lost from its repository: its successor is being introduced"};
    }
    if (key.introducing()) {
      if (key.state(RecordType.DNSKEY) == RecordState.HIDDEN && !key.backedUp()) {
        return new String[] {"DNSKEY rumoured", "a backup of repository " + key.repository()
            + " ('backup prepare', back up the HSM, 'backup commit')"};
      }
      if (key.state(RecordType.DNSKEY) == RecordState.HIDDEN && key.heldBack() != null) {
        return new String[] {"DNSKEY rumoured", key.heldBack()};
      }
      if (ds == DsAtParent.SUBMIT) {
        return commands.submit()
            ? new String[] {"DS submitted", "the DS submit command to succeed (retried at every run)"}
            : new String[] {"DS submitted", "you to submit the DS to the parent ('key export --zone " + zone
                + " --ds'), then 'key ds-submit --zone " + zone + " --keytag " + key.keyTag() + "'"};
      }
      if (ds == DsAtParent.SUBMITTED) {
        return new String[] {"DS rumoured", "the parent to publish the DS: 'key ds-seen --zone " + zone + " --keytag "
            + key.keyTag() + "' (submitted " + key.dsAtParentSince() + ")"};
      }
      if (key.state(RecordType.DNSKEY) == RecordState.HIDDEN
          || (key.has(RecordType.RRSIG) && key.state(RecordType.RRSIG) == RecordState.HIDDEN)
          || (key.has(RecordType.DS) && key.state(RecordType.DS) == RecordState.HIDDEN)) {
        return new String[] {"next record", "the other keys' records to settle in caches"};
      }
      KeySpec spec = policy.keys().keys().stream().map(KeySpec::of).filter(s -> s.matches(key)).findFirst()
          .orElse(null);
      if (spec == null) {
        return new String[] {"retire", "the next enforce (the policy no longer asks for this key)"};
      }
      if (spec.manualRollover() || key.activeAt() == null) {
        return new String[] {"rollover", spec.manualRollover() ? "'key rollover' (ManualRollover)" : "activation"};
      }
      return new String[] {"rollover", "its lifetime (" + IsoDuration.human(spec.lifetime()) + ")",
          key.activeAt().plus(spec.lifetime()).toString()};
    }
    if (key.retireHeld()) {
      return new String[] {"retire", "'key ksk-retire' (kept by ds-seen --no-retire)"};
    }
    if (ds == DsAtParent.RETRACT) {
      return commands.retract()
          ? new String[] {"DS retracted", "the DS retract command to succeed (retried at every run)"}
          : new String[] {"DS retracted", "you to have the parent remove the DS, then 'key ds-retract --zone " + zone
              + " --keytag " + key.keyTag() + "'"};
    }
    if (ds == DsAtParent.RETRACTED) {
      return new String[] {"DS unretentive", "the parent to remove the DS: 'key ds-gone --zone " + zone + " --keytag "
          + key.keyTag() + "' (retracted " + key.dsAtParentSince() + ")"};
    }
    if (key.allHidden()) {
      return policy.keys().purge() == null ? new String[] {"-", "nothing (no <Purge>: kept)"}
          : new String[] {"purge", "<Purge> of " + IsoDuration.human(policy.keys().purge())};
    }
    return new String[] {"withdrawal", "its successor's records to settle in caches"};
  }
}
