package org.twinsign.appliance.zone;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * What changed from one version of a zone to the next, as IXFR carries it (RFC 1995): the old
 * SOA and the records removed, the new SOA and the records added. Signatures count as records;
 * a changed TTL is a removal and an addition. The apex SOA is not among the records: it is the
 * diff's frame.
 */
public record ZoneDiff(SOARecord from, List<Record> removed, SOARecord to, List<Record> added) {

  public ZoneDiff {
    removed = List.copyOf(removed);
    added = List.copyOf(added);
  }

  /** The difference from {@code older} to {@code newer}, walking both in canonical order once. */
  public static ZoneDiff between(Zone older, Zone newer) {
    return between(older, newer, (name, type) -> true, true);
  }

  /**
   * As {@link #between(Zone, Zone)}, counting only the RRsets for which {@code counts} holds (by
   * owner and type), and their signatures only with {@code sigs}: the data of a signed zone against
   * an unsigned one, say.
   */
  public static ZoneDiff between(Zone older, Zone newer,
      java.util.function.BiPredicate<org.xbill.DNS.Name, Integer> counts, boolean sigs) {
    List<Record> removed = new ArrayList<>();
    List<Record> added = new ArrayList<>();
    Iterator<Map.Entry<org.xbill.DNS.Name, Map<Integer, RRset>>> a = older.nodes().iterator();
    Iterator<Map.Entry<org.xbill.DNS.Name, Map<Integer, RRset>>> b = newer.nodes().iterator();
    Map.Entry<org.xbill.DNS.Name, Map<Integer, RRset>> x = next(a);
    Map.Entry<org.xbill.DNS.Name, Map<Integer, RRset>> y = next(b);
    while (x != null || y != null) {
      int order = x == null ? 1 : y == null ? -1 : x.getKey().compareTo(y.getKey());
      if (order < 0) {
        node(x.getKey(), x.getValue(), Map.of(), counts, sigs, removed, added);
        x = next(a);
      } else if (order > 0) {
        node(y.getKey(), Map.of(), y.getValue(), counts, sigs, removed, added);
        y = next(b);
      } else {
        node(x.getKey(), x.getValue(), y.getValue(), counts, sigs, removed, added);
        x = next(a);
        y = next(b);
      }
    }
    removed.removeIf(r -> isApexSoa(r, older));
    added.removeIf(r -> isApexSoa(r, newer));
    return new ZoneDiff(older.soa(), removed, newer.soa(), added);
  }

  private static boolean isApexSoa(Record r, Zone zone) {
    return r.getType() == Type.SOA && r.getName().equals(zone.origin());
  }

  private static <T> T next(Iterator<T> it) {
    return it.hasNext() ? it.next() : null;
  }

  private static void node(org.xbill.DNS.Name name, Map<Integer, RRset> old, Map<Integer, RRset> now,
      java.util.function.BiPredicate<org.xbill.DNS.Name, Integer> counts, boolean sigs, List<Record> removed,
      List<Record> added) {
    TreeSet<Integer> types = new TreeSet<>(old.keySet());
    types.addAll(now.keySet());
    for (int type : types) {
      RRset o = old.get(type);
      RRset n = now.get(type);
      if (o == n || !counts.test(name, type)) {
        continue; // the same RRset object: shared, unchanged
      }
      compare(o == null ? List.of() : o.rrs(false), n == null ? List.of() : n.rrs(false), removed, added);
      if (sigs) {
        compare(o == null ? List.of() : o.sigs(), n == null ? List.of() : n.sigs(), removed, added);
      }
    }
  }

  /** Records in {@code o} not in {@code n} are removed, the reverse added; TTL counts (Record.equals ignores it). */
  private static void compare(List<? extends Record> o, List<? extends Record> n, List<Record> removed,
      List<Record> added) {
    Map<Key, Record> before = new LinkedHashMap<>();
    for (Record r : o) {
      before.put(new Key(r), r);
    }
    for (Record r : n) {
      if (before.remove(new Key(r)) == null) {
        added.add(r);
      }
    }
    removed.addAll(before.values());
  }

  /** A record with its TTL, for equality. */
  private record Key(Record record, long ttl) {
    Key(Record record) {
      this(record, record.getTTL());
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Key k && k.ttl == ttl && k.record.equals(record);
    }

    @Override
    public int hashCode() {
      return Objects.hash(record, ttl);
    }
  }

  /**
   * The diff of RRsets replaced in a zone: each change is the RRset before and the one after (either
   * may be null), signatures included; the apex SOA itself is the frame, its signatures are records.
   */
  public static ZoneDiff ofRRsets(SOARecord from, SOARecord to, List<RRset[]> changes) {
    List<Record> removed = new ArrayList<>();
    List<Record> added = new ArrayList<>();
    for (RRset[] change : changes) {
      RRset o = change[0];
      RRset n = change[1];
      compare(o == null ? List.of() : o.rrs(false), n == null ? List.of() : n.rrs(false), removed, added);
      compare(o == null ? List.of() : o.sigs(), n == null ? List.of() : n.sigs(), removed, added);
    }
    removed.removeIf(r -> r.getType() == Type.SOA && r.getName().equals(from.getName()));
    added.removeIf(r -> r.getType() == Type.SOA && r.getName().equals(to.getName()));
    return new ZoneDiff(from, removed, to, added);
  }

  /**
   * Applies the diff to {@code zone}, which must hold the diff's starting version: every record
   * removed must be there ({@link IllegalArgumentException} if not, and then the zone is unchanged).
   */
  public void applyTo(Zone zone) {
    SOARecord held = zone.soa();
    if (held == null || held.getSerial() != from.getSerial()) {
      throw new IllegalArgumentException("the diff starts at serial " + from.getSerial() + ", the zone is at "
          + (held == null ? "none" : held.getSerial()));
    }
    Map<org.xbill.DNS.Name, Map<Integer, RRset>> changed = new LinkedHashMap<>();
    java.util.function.BiFunction<org.xbill.DNS.Name, Integer, RRset> working = (name, type) -> changed
        .computeIfAbsent(name, k -> new java.util.HashMap<>()).computeIfAbsent(type, t -> {
          RRset now = zone.node(name).get(t);
          return now == null ? new RRset() : new RRset(now);
        });
    List<Record> gone = new ArrayList<>(removed);
    gone.add(from);
    for (Record r : gone) {
      RRset rrset = working.apply(r.getName(), covered(r));
      List<? extends Record> present = r.getType() == Type.RRSIG ? rrset.sigs() : rrset.rrs(false);
      if (!present.contains(r)) {
        throw new IllegalArgumentException("the diff " + from.getSerial() + " -> " + to.getSerial() + " removes " + r
            + ", which the zone does not hold");
      }
      rrset.deleteRR(r);
    }
    List<Record> come = new ArrayList<>(added);
    come.add(to);
    for (Record r : come) {
      working.apply(r.getName(), covered(r)).addRR(r);
    }
    for (Map.Entry<org.xbill.DNS.Name, Map<Integer, RRset>> node : changed.entrySet()) {
      for (Map.Entry<Integer, RRset> rrset : node.getValue().entrySet()) {
        RRset r = rrset.getValue();
        zone.put(node.getKey(), rrset.getKey(), r.size() == 0 && r.sigs().isEmpty() ? null : r);
      }
    }
  }

  private static int covered(Record r) {
    return r instanceof org.xbill.DNS.RRSIGRecord sig ? sig.getTypeCovered() : r.getType();
  }

  /** Whether nothing but the SOA changed. */
  public boolean isEmpty() {
    return removed.isEmpty() && added.isEmpty();
  }

  /**
   * Consecutive diffs as one (RFC 1995 §4, "condensed"), in one pass: a record added by one and
   * removed by a later one appears in neither.
   */
  public static ZoneDiff condense(List<ZoneDiff> diffs) {
    Map<Key, Record> gone = new LinkedHashMap<>();
    Map<Key, Record> come = new LinkedHashMap<>();
    for (ZoneDiff diff : diffs) {
      for (Record r : diff.removed()) {
        if (come.remove(new Key(r)) == null) {
          gone.put(new Key(r), r);
        }
      }
      for (Record r : diff.added()) {
        if (gone.remove(new Key(r)) == null) {
          come.put(new Key(r), r);
        }
      }
    }
    return new ZoneDiff(diffs.get(0).from(), new ArrayList<>(gone.values()), diffs.get(diffs.size() - 1).to(),
        new ArrayList<>(come.values()));
  }

  /** How many records the diff carries (for a journal's size bound). */
  public long size() {
    return removed.size() + added.size() + 2;
  }
}
