package org.twinsign.appliance.enforcer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.dnssec.KeyRole;

/**
 * The enforcer alone, against a parent that takes a day to act on DS submissions and an
 * independent {@link ResolverCacheModel}: two years of rollovers without a moment a cache could
 * fail to validate.
 */
class KeyEnforcerTest {
  private static final Duration HOUR = Duration.ofHours(1);
  private static final KeyTimings TIMINGS = new KeyTimings(HOUR, HOUR, HOUR, HOUR, Duration.ofDays(1), HOUR, HOUR,
      HOUR);
  private static final Duration REGISTRATION = Duration.ofDays(1);

  private final Instant start = Instant.parse("2026-01-01T00:00:00Z");
  private int nextTag = 1000;
  private long nextId = 1;

  private KeyEnforcer.KeySupply supply() {
    return (spec, now) -> {
      KeyState key = new KeyState(nextId++, "loc" + nextId, spec.repository(), spec.role(), spec.algorithm(),
          spec.bits(), nextTag++, now);
      key.backedUp(true);
      return Optional.of(key);
    };
  }

  private static List<KeySpec> specs(int algorithm, KeyRole... roles) {
    return specs(algorithm, RolloverMethod.PRE_PUBLICATION, RolloverMethod.PRE_PUBLICATION, roles);
  }

  private static List<KeySpec> specs(int algorithm, RolloverMethod kskMethod, RolloverMethod zskMethod,
      KeyRole... roles) {
    List<KeySpec> specs = new ArrayList<>();
    for (KeyRole role : roles) {
      Duration lifetime = role == KeyRole.ZSK ? Duration.ofDays(30) : Duration.ofDays(120);
      specs.add(new KeySpec(role, algorithm, 256, "SoftHSM", lifetime, false,
          role == KeyRole.ZSK ? zskMethod : kskMethod));
    }
    return specs;
  }

  /** The parent: acts on a submitted or retracted DS a registration delay later. */
  private final Map<KeyState, Instant> parentActs = new HashMap<>();

  @Test
  void twoYearsOfRolloversNeverBreakValidation() {
    List<KeySpec> specs = specs(13, KeyRole.KSK, KeyRole.ZSK);
    ResolverCacheModel caches = new ResolverCacheModel(HOUR.plus(HOUR), HOUR.plus(HOUR), Duration.ofDays(1).plus(HOUR));
    List<KeyState> keys = new ArrayList<>();
    Instant now = start;
    Map<KeyRole, Integer> introduced = new TreeMap<>();
    boolean rolledAlgorithm = false;
    boolean lostOne = false;
    int runs = 0;
    while (now.isBefore(start.plus(Duration.ofDays(730)))) {
      if (!rolledAlgorithm && now.isAfter(start.plus(Duration.ofDays(300)))) {
        specs = specs(15, KeyRole.KSK, KeyRole.ZSK);
        rolledAlgorithm = true;
      }
      if (!lostOne && now.isAfter(start.plus(Duration.ofDays(500)))) {
        keys.stream().filter(k -> k.role() == KeyRole.ZSK && k.introducing()
            && k.state(RecordType.RRSIG) == RecordState.OMNIPRESENT).findFirst().ifPresent(k -> k.lost(true));
        lostOne = true;
      }
      parentAct(keys, now);
      KeyEnforcer.Outcome outcome = KeyEnforcer.run(specs, TIMINGS, Duration.ofDays(7), keys, now, supply());
      keys = new ArrayList<>(outcome.keys());
      for (KeyState key : keys) {
        if (key.dsAtParent() == DsAtParent.SUBMIT) {
          key.dsAtParent(DsAtParent.SUBMITTED, now); // the submit hook ran
          parentActs.put(key, now.plus(REGISTRATION));
        } else if (key.dsAtParent() == DsAtParent.RETRACT) {
          key.dsAtParent(DsAtParent.RETRACTED, now);
          parentActs.put(key, now.plus(REGISTRATION));
        }
      }
      for (String change : outcome.changes()) {
        if (change.endsWith("assigned") || change.endsWith("(emergency)")) {
          KeyRole role = KeyRole.valueOf(change.substring(0, 3));
          introduced.merge(role, 1, Integer::sum);
        }
      }
      publish(caches, keys, now);
      assertTrue(ResolverViews.problem(keys).isEmpty(), now + ": " + ResolverViews.problem(keys) + " " + keys);
      Instant next = outcome.nextRun();
      for (Instant act : parentActs.values()) {
        next = next == null || act.isBefore(next) ? act : next;
      }
      assertNotNull(next, "the enforcer has nothing left to do at " + now + ": " + keys);
      assertTrue(next.isAfter(now) || next.equals(now), "next run " + next + " before " + now);
      now = next.equals(now) ? now.plusSeconds(1) : next;
      runs++;
      assertTrue(runs < 5000, "the enforcer does not settle: " + keys);
    }
    assertTrue(introduced.get(KeyRole.ZSK) >= 15, "ZSKs introduced: " + introduced);
    assertTrue(introduced.get(KeyRole.KSK) >= 4, "KSKs introduced: " + introduced);
    assertTrue(caches.checks() > 300, "cache combinations checked: " + caches.checks());
    assertTrue(keys.stream().filter(KeyState::introducing).allMatch(k -> k.algorithm() == 15), keys.toString());
    assertFalse(keys.stream().anyMatch(k -> k.algorithm() == 13 && k.state(RecordType.DNSKEY) != RecordState.HIDDEN),
        "the old algorithm is gone: " + keys);
  }

  private void parentAct(List<KeyState> keys, Instant now) {
    for (KeyState key : keys) {
      Instant at = parentActs.get(key);
      if (at != null && !at.isAfter(now)) {
        parentActs.remove(key);
        if (key.dsAtParent() == DsAtParent.SUBMITTED) {
          KeyEnforcer.dsSeen(key, now);
        } else if (key.dsAtParent() == DsAtParent.RETRACTED) {
          KeyEnforcer.dsGone(key, now);
        }
      }
    }
    parentActs.keySet().removeIf(k -> !keys.contains(k));
  }

  private static void publish(ResolverCacheModel caches, List<KeyState> keys, Instant now) {
    caches.parentDs(now, tags(keys, k -> k.dsAtParent() == DsAtParent.SEEN || k.dsAtParent() == DsAtParent.RETRACT
        || k.dsAtParent() == DsAtParent.RETRACTED));
    caches.zone(now, tags(keys, k -> k.state(RecordType.DNSKEY).published()),
        tags(keys, k -> k.has(RecordType.RRSIG_DNSKEY) && k.state(RecordType.RRSIG_DNSKEY).published()),
        tags(keys, k -> k.has(RecordType.RRSIG) && k.state(RecordType.RRSIG).published()));
    caches.check(now);
  }

  private static Set<Integer> tags(List<KeyState> keys, java.util.function.Predicate<KeyState> which) {
    return keys.stream().filter(which).map(KeyState::keyTag).collect(Collectors.toSet());
  }

  @Test
  void theCacheModelSeesAZskSwappedWithoutPrePublication() {
    ResolverCacheModel caches = new ResolverCacheModel(HOUR, HOUR, HOUR);
    caches.parentDs(start, Set.of(1));
    caches.zone(start, Set.of(1, 2), Set.of(1), Set.of(2));
    caches.check(start);
    Instant later = start.plus(Duration.ofMinutes(10));
    caches.zone(later, Set.of(1, 3), Set.of(1), Set.of(3)); // new ZSK 3 replaces 2 in one step
    AssertionError error = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> caches.check(later));
    assertTrue(error.getMessage().contains("bogus"), error.getMessage());
    caches.check(later.plus(Duration.ofHours(2))); // once the old versions expired, all is well
  }

  @Test
  void csksRollWithTheirDs() {
    assertEquals(4, rollFor(specs(13, KeyRole.CSK), 400), "a CSK every 120 days over 400 days");
  }

  @Test
  void doubleDsKskAndDoubleSignatureZskRollToo() {
    List<KeySpec> specs = specs(13, RolloverMethod.DOUBLE_DS, RolloverMethod.DOUBLE_SIGNATURE, KeyRole.KSK,
        KeyRole.ZSK);
    assertEquals(4 + 14, rollFor(specs, 400), "KSKs every 120 days and ZSKs every 30 days over 400 days");
  }

  @Test
  void aLostKskIsReplacedByDoubleDs() {
    List<KeySpec> specs = specs(13, KeyRole.KSK, KeyRole.ZSK);
    lose = KeyRole.KSK;
    assertTrue(rollFor(specs, 100) >= 3, "the lost KSK's successor came in");
  }

  @Test
  void aKeyHeldBackByTheStandbyIsNotPublishedAndLooksAgainByItself() {
    List<KeySpec> specs = specs(13, KeyRole.KSK, KeyRole.ZSK);
    String why = "node beta's HSM holds it (key sync)";
    KeyEnforcer.KeySupply held = (spec, now) -> {
      KeyState key = new KeyState(nextId++, "loc" + nextId, spec.repository(), spec.role(), spec.algorithm(),
          spec.bits(), nextTag++, now);
      key.backedUp(true);
      key.heldBack(why);
      return Optional.of(key);
    };
    KeyEnforcer.Outcome first = KeyEnforcer.run(specs, TIMINGS, Duration.ofDays(7), List.of(), start, held);
    assertTrue(first.keys().stream().noneMatch(k -> k.published(RecordType.DNSKEY)), "nothing published");
    assertTrue(first.waiting().stream().anyMatch(w -> w.contains(why)), first.waiting().toString());
    assertEquals(start.plus(KeyEnforcer.HELD_BACK_LOOK), first.nextRun(), "looks again later, not at once");
    List<KeyState> keys = new ArrayList<>(first.keys());
    keys.forEach(k -> k.heldBack(null)); // the standby's HSM holds them now
    KeyEnforcer.Outcome second = KeyEnforcer.run(specs, TIMINGS, Duration.ofDays(7), keys, start.plusSeconds(5),
        supply());
    assertTrue(second.keys().stream().allMatch(k -> k.published(RecordType.DNSKEY)), "published once released");
  }

  private KeyRole lose;

  /** Runs the enforcer against the parent and the cache model for {@code days}; returns how many keys it assigned. */
  private int rollFor(List<KeySpec> specs, int days) {
    ResolverCacheModel caches = new ResolverCacheModel(HOUR.plus(HOUR), HOUR.plus(HOUR).plus(HOUR),
        Duration.ofDays(1).plus(HOUR).plus(HOUR));
    List<KeyState> keys = new ArrayList<>();
    Instant now = start;
    int assigned = 0;
    for (int runs = 0; runs < 3000 && now.isBefore(start.plus(Duration.ofDays(days))); runs++) {
      if (lose != null && now.isAfter(start.plus(Duration.ofDays(20)))) {
        keys.stream().filter(k -> k.role() == lose && k.introducing()).findFirst().ifPresent(k -> k.lost(true));
        lose = null;
      }
      parentAct(keys, now);
      KeyEnforcer.Outcome outcome = KeyEnforcer.run(specs, TIMINGS, Duration.ofDays(7), keys, now, supply());
      keys = new ArrayList<>(outcome.keys());
      for (KeyState key : keys) {
        if (key.dsAtParent() == DsAtParent.SUBMIT || key.dsAtParent() == DsAtParent.RETRACT) {
          key.dsAtParent(key.dsAtParent() == DsAtParent.SUBMIT ? DsAtParent.SUBMITTED : DsAtParent.RETRACTED, now);
          parentActs.put(key, now.plus(REGISTRATION));
        }
      }
      assigned += (int) outcome.changes().stream().filter(c -> c.contains(" assigned")).count();
      publish(caches, keys, now);
      Instant next = outcome.nextRun();
      for (Instant act : parentActs.values()) {
        next = next == null || act.isBefore(next) ? act : next;
      }
      assertNotNull(next, "nothing left to do at " + now + ": " + keys);
      now = next.equals(now) ? now.plusSeconds(1) : next;
    }
    return assigned;
  }
}
