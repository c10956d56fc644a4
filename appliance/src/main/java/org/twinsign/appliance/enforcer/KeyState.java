package org.twinsign.appliance.enforcer;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.twinsign.appliance.dnssec.KeyRole;

/**
 * One key of one zone as the enforcer sees it: what it is (role, algorithm, where it lives), its
 * goal (introduce it, or retire it), the state of each of its records and since when, and where
 * its DS stands with the parent. Mutable: the enforcer moves it; {@link #copy()} for what-ifs.
 */
public final class KeyState {
  private final long id;
  private final String locator;
  private final String repository;
  private final KeyRole role;
  private final int algorithm;
  private final int bits;
  private final int keyTag;
  private final Instant createdAt;
  private boolean introducing;
  private final Map<RecordType, RecordState> states = new EnumMap<>(RecordType.class);
  private final Map<RecordType, Instant> since = new EnumMap<>(RecordType.class);
  private DsAtParent dsAtParent = DsAtParent.UNSUBMITTED;
  private Instant dsAtParentSince;
  private Instant activeAt;
  private Instant retiredAt;
  private boolean lost;
  private boolean backedUp;
  private String heldBack;
  private boolean rolloverRequested;
  private boolean emergency;
  private boolean retireHeld;
  private Instant parentSeenSince;

  public KeyState(long id, String locator, String repository, KeyRole role, int algorithm, int bits, int keyTag,
      Instant createdAt) {
    this.id = id;
    this.locator = locator;
    this.repository = repository;
    this.role = role;
    this.algorithm = algorithm;
    this.bits = bits;
    this.keyTag = keyTag;
    this.createdAt = createdAt;
    this.introducing = true;
    for (RecordType type : RecordType.values()) {
      if (type.appliesTo(role)) {
        states.put(type, RecordState.HIDDEN);
        since.put(type, createdAt);
      }
    }
    this.dsAtParentSince = createdAt;
  }

  public KeyState copy() {
    KeyState copy = new KeyState(id, locator, repository, role, algorithm, bits, keyTag, createdAt);
    copy.introducing = introducing;
    copy.states.putAll(states);
    copy.since.putAll(since);
    copy.dsAtParent = dsAtParent;
    copy.dsAtParentSince = dsAtParentSince;
    copy.activeAt = activeAt;
    copy.retiredAt = retiredAt;
    copy.lost = lost;
    copy.backedUp = backedUp;
    copy.heldBack = heldBack;
    copy.rolloverRequested = rolloverRequested;
    copy.emergency = emergency;
    copy.retireHeld = retireHeld;
    copy.parentSeenSince = parentSeenSince;
    return copy;
  }

  public long id() {
    return id;
  }

  public String locator() {
    return locator;
  }

  public String repository() {
    return repository;
  }

  public KeyRole role() {
    return role;
  }

  public int algorithm() {
    return algorithm;
  }

  public int bits() {
    return bits;
  }

  public int keyTag() {
    return keyTag;
  }

  public Instant createdAt() {
    return createdAt;
  }

  /** True while the goal is to make every record omnipresent; false once the key is retiring. */
  public boolean introducing() {
    return introducing;
  }

  /** The key's record of {@code type}, or null if it has none (a ZSK has no DS). */
  public RecordState state(RecordType type) {
    return states.get(type);
  }

  public Instant since(RecordType type) {
    return since.get(type);
  }

  public boolean has(RecordType type) {
    return states.containsKey(type);
  }

  /** Whether the key has a record of {@code type} and it is in the zone (or at the parent) now. */
  public boolean published(RecordType type) {
    RecordState state = states.get(type);
    return state != null && state.published();
  }

  public void set(RecordType type, RecordState state, Instant at) {
    if (!states.containsKey(type)) {
      throw new IllegalArgumentException(role + " " + keyTag + " has no " + type.label() + " record");
    }
    states.put(type, state);
    since.put(type, at);
  }

  /** The state a record moves to next toward the goal, or null if it is there. */
  public RecordState next(RecordType type) {
    RecordState state = states.get(type);
    if (state == null) {
      return null;
    }
    if (introducing) {
      return state == RecordState.HIDDEN ? RecordState.RUMOURED
          : state == RecordState.RUMOURED ? RecordState.OMNIPRESENT
          : state == RecordState.UNRETENTIVE ? RecordState.RUMOURED : null;
    }
    return state == RecordState.OMNIPRESENT || state == RecordState.RUMOURED ? RecordState.UNRETENTIVE
        : state == RecordState.UNRETENTIVE ? RecordState.HIDDEN : null;
  }

  /** Whether every record is hidden (a retired key that is gone from every cache). */
  public boolean allHidden() {
    return states.values().stream().allMatch(s -> s == RecordState.HIDDEN);
  }

  public DsAtParent dsAtParent() {
    return dsAtParent;
  }

  public Instant dsAtParentSince() {
    return dsAtParentSince;
  }

  public void dsAtParent(DsAtParent value, Instant at) {
    dsAtParent = value;
    dsAtParentSince = at;
    parentSeenSince = null;
  }

  /** When the key first signed (its RRSIG or RRSIG(DNSKEY) became rumoured); its lifetime counts from here. */
  public Instant activeAt() {
    return activeAt;
  }

  public void activeAt(Instant at) {
    activeAt = at;
  }

  public Instant retiredAt() {
    return retiredAt;
  }

  /** Sets the goal to hidden: from now on the key's records are withdrawn as soon as that is safe. */
  public void retire(Instant at) {
    if (introducing) {
      introducing = false;
      retiredAt = at;
    }
  }

  /** For the store: the goal and retire time as they were saved. */
  public void goal(boolean introducing, Instant retiredAt) {
    this.introducing = introducing;
    this.retiredAt = retiredAt;
  }

  /** The private key is gone from its repository: the key cannot sign any more. */
  public boolean lost() {
    return lost;
  }

  public void lost(boolean value) {
    lost = value;
  }

  /** Whether the backup requirement of the key's repository is met (always true where none is required). */
  public boolean backedUp() {
    return backedUp;
  }

  public void backedUp(boolean value) {
    backedUp = value;
  }

  /**
   * What keeps the key from being published beyond the policy, or null: in a pair, the standby's
   * HSM not yet holding it (the publication gate).
   */
  public String heldBack() {
    return heldBack;
  }

  public void heldBack(String why) {
    heldBack = why;
  }

  public boolean rolloverRequested() {
    return rolloverRequested;
  }

  public void rolloverRequested(boolean value) {
    rolloverRequested = value;
  }

  /** A successor of a lost key: introduced by the fastest safe method. */
  public boolean emergency() {
    return emergency;
  }

  public void emergency(boolean value) {
    emergency = value;
  }

  /** A retiring KSK kept by {@code ds-seen --no-retire} until {@code key ksk-retire}. */
  public boolean retireHeld() {
    return retireHeld;
  }

  public void retireHeld(boolean value) {
    retireHeld = value;
  }

  /**
   * Since when the parent check has seen the parent's servers agree on what this key's DS exchange
   * waits for (the DS present after a submission, gone after a retraction); null if not (yet).
   */
  public Instant parentSeenSince() {
    return parentSeenSince;
  }

  public void parentSeenSince(Instant at) {
    parentSeenSince = at;
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(role + " " + keyTag + (introducing ? " +" : " -"));
    for (Map.Entry<RecordType, RecordState> entry : states.entrySet()) {
      text.append(' ').append(entry.getKey().label()).append('=').append(entry.getValue().label());
    }
    return text.toString();
  }
}
