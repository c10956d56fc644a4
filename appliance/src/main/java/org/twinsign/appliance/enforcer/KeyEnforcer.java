package org.twinsign.appliance.enforcer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.twinsign.appliance.dnssec.KeyRole;

/**
 * One run of the key lifecycle enforcer for one zone, without side effects: given the zone's keys,
 * its policy and the time, it decides which keys to retire and introduce, moves every record toward
 * its key's goal as far as {@link ResolverViews} allows, asks for DS submissions and retractions,
 * and says when it must run next. The caller stores the result in one transaction.
 */
public final class KeyEnforcer {
  private static final int MAX_PASSES = 16;
  private static final int EXHAUSTIVE_LIMIT = 12;
  /** How soon to try again a DS hook that failed. */
  public static final Duration HOOK_RETRY = Duration.ofHours(1);

  private KeyEnforcer() {}

  /** Gives the zone a key for a spec: a pool key, a key shared with another zone, or a new one. */
  public interface KeySupply {
    /** A key in its initial state (goal: introduce, all records hidden), or empty if none can be had now. */
    Optional<KeyState> assign(KeySpec spec, Instant now);
  }

  /** What a run decided. {@code keys} are the zone's keys after the run, new ones included. */
  public record Outcome(List<KeyState> keys, List<String> changes, boolean zoneChanged, List<KeyState> purge,
      Instant nextRun, List<String> waiting) {}

  /** A record transition the enforcer may make now. */
  private record Candidate(int key, RecordType type, RecordState to) {}

  public static Outcome run(List<KeySpec> specs, KeyTimings timings, Duration purgeAfter, List<KeyState> zoneKeys,
      Instant now, KeySupply supply) {
    List<KeyState> keys = new ArrayList<>(zoneKeys);
    List<String> changes = new ArrayList<>();
    List<String> waiting = new ArrayList<>();
    plan(specs, keys, now, supply, changes, waiting);
    boolean zoneChanged = false;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
      boolean moved = settle(keys, timings, now, changes);
      boolean events = events(specs, keys, now, changes);
      boolean ds = dsActions(specs, keys, now, changes);
      zoneChanged |= events;
      if (!moved && !events && !ds) {
        break;
      }
    }
    for (KeyState key : keys) {
      if (key.introducing() && key.heldBack() != null && key.state(RecordType.DNSKEY) == RecordState.HIDDEN) {
        waiting.add(key.role() + " " + key.keyTag() + " is not published before " + key.heldBack());
      }
    }
    for (KeyState key : keys) {
      RecordType signing = key.role() == KeyRole.KSK ? RecordType.RRSIG_DNSKEY : RecordType.RRSIG;
      if (key.activeAt() == null && key.published(signing)) {
        key.activeAt(key.since(signing));
      }
    }
    List<KeyState> purge = new ArrayList<>();
    if (purgeAfter != null) {
      for (KeyState key : keys) {
        if (purgeable(key) && !latestChange(key).plus(purgeAfter).isAfter(now)) {
          purge.add(key);
          changes.add(key.role() + " " + key.keyTag() + " purged");
        }
      }
      keys.removeAll(purge);
    }
    return new Outcome(keys, changes, zoneChanged, purge, nextRun(specs, timings, purgeAfter, keys, now), waiting);
  }

  /** Retire keys whose time is up (lifetime, manual or emergency rollover, policy change) and give specs a key. */
  private static void plan(List<KeySpec> specs, List<KeyState> keys, Instant now, KeySupply supply,
      List<String> changes, List<String> waiting) {
    List<KeySpec> lostSpecs = new ArrayList<>();
    for (KeyState key : keys) {
      if (!key.introducing()) {
        continue;
      }
      KeySpec spec = specs.stream().filter(s -> s.matches(key)).findFirst().orElse(null);
      String why = null;
      if (spec == null) {
        why = "the policy no longer asks for this key";
      } else if (key.lost()) {
        why = "its private key is lost (emergency rollover)";
        lostSpecs.add(spec);
      } else if (key.rolloverRequested()) {
        why = "rollover requested";
      } else if (!spec.manualRollover() && key.activeAt() != null
          && !key.activeAt().plus(spec.lifetime()).isAfter(now)) {
        why = "its lifetime (" + org.twinsign.appliance.policy.IsoDuration.human(spec.lifetime()) + ") is over";
      }
      if (why != null) {
        key.retire(now);
        key.rolloverRequested(false);
        changes.add(key.role() + " " + key.keyTag() + " retires: " + why);
      }
    }
    List<KeyState> taken = new ArrayList<>();
    for (KeySpec spec : specs) {
      Optional<KeyState> current = keys.stream()
          .filter(k -> k.introducing() && spec.matches(k) && !taken.contains(k)).findFirst();
      if (current.isPresent()) {
        taken.add(current.get());
        continue;
      }
      Optional<KeyState> fresh = supply.assign(spec, now);
      if (fresh.isEmpty()) {
        waiting.add("no " + spec.role() + " (algorithm " + spec.algorithm() + ") available in repository "
            + spec.repository() + ": generate keys ('key generate')");
        continue;
      }
      KeyState key = fresh.get();
      key.emergency(lostSpecs.contains(spec));
      keys.add(key);
      taken.add(key);
      changes.add(key.role() + " " + key.keyTag() + " assigned" + (key.emergency() ? " (emergency)" : ""));
    }
  }

  /** Rumoured records that have settled become omnipresent, unretentive ones hidden. */
  private static boolean settle(List<KeyState> keys, KeyTimings timings, Instant now, List<String> changes) {
    boolean moved = false;
    for (KeyState key : keys) {
      for (RecordType type : RecordType.values()) {
        if (type == RecordType.RRSIG_DNSKEY || !key.has(type)) {
          continue; // RRSIG(DNSKEY) moves with the DNSKEY
        }
        RecordState state = key.state(type);
        RecordState next = key.next(type);
        boolean settles = (state == RecordState.RUMOURED && next == RecordState.OMNIPRESENT)
            || (state == RecordState.UNRETENTIVE && next == RecordState.HIDDEN);
        if (settles && !key.since(type).plus(timings.settle(type)).isAfter(now)) {
          move(key, type, next, key.since(type).plus(timings.settle(type)), changes);
          moved = true;
        }
      }
    }
    return moved;
  }

  /** Introduce and withdraw DNSKEYs and signatures: the largest set of wanted moves that stays valid. */
  private static boolean events(List<KeySpec> specs, List<KeyState> keys, Instant now, List<String> changes) {
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      KeyState key = keys.get(i);
      for (RecordType type : List.of(RecordType.DNSKEY, RecordType.RRSIG)) {
        RecordState next = key.next(type);
        if (key.has(type) && (next == RecordState.RUMOURED || next == RecordState.UNRETENTIVE)
            && approved(specs, keys, key, type, next)) {
          candidates.add(new Candidate(i, type, next));
        }
      }
    }
    if (candidates.isEmpty()) {
      return false;
    }
    boolean validNow = ResolverViews.problem(keys).isEmpty();
    List<Candidate> chosen = choose(keys, candidates, now, validNow);
    for (Candidate candidate : chosen) {
      move(keys.get(candidate.key()), candidate.type(), candidate.to(), now, changes);
    }
    return !chosen.isEmpty();
  }

  private static List<Candidate> choose(List<KeyState> keys, List<Candidate> candidates, Instant now,
      boolean validNow) {
    if (!validNow) {
      // already broken (a key was lost, the parent changed on its own): only add, never withdraw
      return candidates.stream().filter(c -> c.to() == RecordState.RUMOURED).toList();
    }
    int n = candidates.size();
    if (n <= EXHAUSTIVE_LIMIT) {
      List<Candidate> best = List.of();
      for (int mask = (1 << n) - 1; mask > 0; mask--) {
        if (Integer.bitCount(mask) <= best.size()) {
          continue;
        }
        List<Candidate> subset = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if ((mask & (1 << i)) != 0) {
            subset.add(candidates.get(i));
          }
        }
        if (valid(keys, subset, now)) {
          best = subset;
        }
      }
      return best;
    }
    List<Candidate> greedy = new ArrayList<>();
    for (Candidate candidate : candidates) {
      greedy.add(candidate);
      if (!valid(keys, greedy, now)) {
        greedy.remove(greedy.size() - 1);
      }
    }
    return greedy;
  }

  private static boolean valid(List<KeyState> keys, List<Candidate> subset, Instant now) {
    List<KeyState> what = new ArrayList<>();
    keys.forEach(k -> what.add(k.copy()));
    for (Candidate candidate : subset) {
      move(what.get(candidate.key()), candidate.type(), candidate.to(), now, null);
    }
    return ResolverViews.problem(what).isEmpty();
  }

  /** The policy's part: the rollover method, backups, lost keys and held retirements. */
  private static boolean approved(List<KeySpec> specs, List<KeyState> keys, KeyState key, RecordType type,
      RecordState next) {
    if (type == RecordType.DNSKEY && !key.lost() && !key.emergency() && lostKeySigner(keys)) {
      // the DNSKEY RRset stays as it is while only a lost key's kept signature covers it
      return false;
    }
    if (next == RecordState.UNRETENTIVE) {
      return !key.retireHeld();
    }
    if (key.lost() || !key.backedUp() || key.heldBack() != null) {
      return false;
    }
    RolloverMethod method = method(specs, key);
    if (type == RecordType.DNSKEY) {
      boolean dsFirst = key.has(RecordType.DS) && (method == RolloverMethod.DOUBLE_DS || key.emergency());
      return !dsFirst || key.state(RecordType.DS) == RecordState.OMNIPRESENT || !otherDsPresent(keys, key);
    }
    // zone signatures: a new algorithm signs together with its DNSKEY; otherwise as the method says
    boolean newAlgorithm = keys.stream().noneMatch(k -> k != key && k.algorithm() == key.algorithm()
        && k.has(RecordType.RRSIG) && k.state(RecordType.RRSIG) != RecordState.HIDDEN);
    return newAlgorithm || method == RolloverMethod.DOUBLE_SIGNATURE
        || key.state(RecordType.DNSKEY) == RecordState.OMNIPRESENT;
  }

  private static boolean lostKeySigner(List<KeyState> keys) {
    return keys.stream().anyMatch(k -> k.lost() && k.published(RecordType.RRSIG_DNSKEY)
        && keys.stream().noneMatch(o -> o != k && !o.lost() && o.published(RecordType.RRSIG_DNSKEY)));
  }

  private static boolean otherDsPresent(List<KeyState> keys, KeyState key) {
    return keys.stream().anyMatch(k -> k != key && k.has(RecordType.DS) && k.state(RecordType.DS) != RecordState.HIDDEN);
  }

  private static RolloverMethod method(List<KeySpec> specs, KeyState key) {
    return specs.stream().filter(s -> s.matches(key)).map(KeySpec::method).findFirst()
        .orElse(RolloverMethod.PRE_PUBLICATION);
  }

  /** Ask for a DS at the parent, or for its removal, when the records it depends on allow. */
  private static boolean dsActions(List<KeySpec> specs, List<KeyState> keys, Instant now, List<String> changes) {
    boolean acted = false;
    for (int i = 0; i < keys.size(); i++) {
      KeyState key = keys.get(i);
      if (!key.has(RecordType.DS)) {
        continue;
      }
      DsAtParent ds = key.dsAtParent();
      if (key.introducing() && (ds == DsAtParent.UNSUBMITTED || ds == DsAtParent.GONE) && !key.lost()
          && key.backedUp() && key.heldBack() == null && dsReady(specs, keys, key) && validWithDs(keys, i, RecordState.RUMOURED, now)) {
        key.dsAtParent(DsAtParent.SUBMIT, now);
        changes.add(key.role() + " " + key.keyTag() + " DS: submit to the parent");
        acted = true;
      } else if (!key.introducing() && !key.retireHeld()
          && (ds == DsAtParent.SEEN || ds == DsAtParent.SUBMIT || ds == DsAtParent.SUBMITTED)
          && validWithDs(keys, i, RecordState.UNRETENTIVE, now)) {
        key.dsAtParent(DsAtParent.RETRACT, now);
        changes.add(key.role() + " " + key.keyTag() + " DS: retract from the parent");
        acted = true;
      }
    }
    return acted;
  }

  private static boolean dsReady(List<KeySpec> specs, List<KeyState> keys, KeyState key) {
    RolloverMethod method = method(specs, key);
    if (method == RolloverMethod.DOUBLE_DS || key.emergency()) {
      return true;
    }
    if (method == RolloverMethod.DOUBLE_SIGNATURE) {
      return key.published(RecordType.DNSKEY);
    }
    return key.state(RecordType.DNSKEY) == RecordState.OMNIPRESENT;
  }

  private static boolean validWithDs(List<KeyState> keys, int index, RecordState state, Instant now) {
    List<KeyState> what = new ArrayList<>();
    keys.forEach(k -> what.add(k.copy()));
    KeyState key = what.get(index);
    if (state == RecordState.UNRETENTIVE && key.state(RecordType.DS) == RecordState.HIDDEN) {
      return true; // never published: nothing to wait for
    }
    key.set(RecordType.DS, state, now);
    return ResolverViews.problem(what).isEmpty();
  }

  /** The parent publishes the DS now ({@code ds-seen}): the DS record becomes rumoured. */
  public static void dsSeen(KeyState key, Instant now) {
    key.dsAtParent(DsAtParent.SEEN, now);
    if (key.state(RecordType.DS) == RecordState.HIDDEN || key.state(RecordType.DS) == RecordState.UNRETENTIVE) {
      key.set(RecordType.DS, RecordState.RUMOURED, now);
    }
  }

  /** The parent no longer publishes the DS ({@code ds-gone}): the DS record becomes unretentive. */
  public static void dsGone(KeyState key, Instant now) {
    key.dsAtParent(DsAtParent.GONE, now);
    if (key.state(RecordType.DS) == RecordState.OMNIPRESENT || key.state(RecordType.DS) == RecordState.RUMOURED) {
      key.set(RecordType.DS, RecordState.UNRETENTIVE, now);
    }
  }

  private static void move(KeyState key, RecordType type, RecordState to, Instant at, List<String> changes) {
    if (changes != null) {
      changes.add(key.role() + " " + key.keyTag() + " " + type.label() + " " + key.state(type).label() + " -> "
          + to.label());
    }
    key.set(type, to, at);
    if (type == RecordType.DNSKEY && key.has(RecordType.RRSIG_DNSKEY)) {
      key.set(RecordType.RRSIG_DNSKEY, to, at);
    }
  }

  private static boolean purgeable(KeyState key) {
    return !key.introducing() && key.allHidden() && (key.dsAtParent() == DsAtParent.UNSUBMITTED
        || key.dsAtParent() == DsAtParent.GONE || !key.has(RecordType.DS));
  }

  private static Instant latestChange(KeyState key) {
    Instant latest = key.retiredAt() == null ? key.createdAt() : key.retiredAt();
    for (RecordType type : RecordType.values()) {
      if (key.has(type) && key.since(type).isAfter(latest)) {
        latest = key.since(type);
      }
    }
    return latest;
  }

  /** When something can happen without an operator: a record settles, a lifetime ends, a key is purged. */
  /** How soon a zone whose new key is held back (the standby's HSM) looks again by itself. */
  static final Duration HELD_BACK_LOOK = Duration.ofMinutes(1);

  private static Instant nextRun(List<KeySpec> specs, KeyTimings timings, Duration purgeAfter, List<KeyState> keys,
      Instant now) {
    Instant next = null;
    for (KeyState key : keys) {
      for (RecordType type : RecordType.values()) {
        if (key.has(type) && type != RecordType.RRSIG_DNSKEY && key.state(type).uncertain()) {
          next = earlier(next, key.since(type).plus(timings.settle(type)));
        }
      }
      if (key.introducing() && key.activeAt() != null) {
        KeySpec spec = specs.stream().filter(s -> s.matches(key)).findFirst().orElse(null);
        if (spec != null && !spec.manualRollover()) {
          next = earlier(next, key.activeAt().plus(spec.lifetime()));
        }
      }
      if (purgeAfter != null && purgeable(key)) {
        next = earlier(next, latestChange(key).plus(purgeAfter));
      }
      if (key.dsAtParent() == DsAtParent.SUBMIT || key.dsAtParent() == DsAtParent.RETRACT) {
        next = earlier(next, now.plus(HOOK_RETRY));
      }
      if (key.introducing() && key.heldBack() != null && key.has(RecordType.DNSKEY)
          && key.state(RecordType.DNSKEY) == RecordState.HIDDEN) {
        // waits for the standby's HSM: key sync wakes the zone when it holds the key; this is the fallback
        next = earlier(next, now.plus(HELD_BACK_LOOK));
      }
    }
    if (next == null) {
      return null;
    }
    return next.isBefore(now) ? now : next; // overdue: at once
  }

  private static Instant earlier(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }
}
