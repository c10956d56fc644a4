package org.twinsign.appliance.zone;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * A zone's data: owner names in canonical order (RFC 4034 §6.1), each with its RRsets by type.
 * RRSIG records are kept with the RRset they cover (dnsjava's {@link RRset#sigs()}), not as an
 * RRset of their own. Not thread-safe.
 */
public final class Zone {
  private final Name origin;
  private NavigableMap<Name, Map<Integer, RRset>> nodes = new TreeMap<>();
  // records of one name usually come together: spare the tree lookup for them
  private Name lastName;
  private Map<Integer, RRset> lastNode;
  // the NSEC3 owners in hash order, built on first use: the incremental signer's way into the chain
  private java.util.TreeSet<Name> nsec3Owners;

  public Zone(Name origin) {
    this.origin = origin;
  }

  public Name origin() {
    return origin;
  }

  /** Adds a record: to its RRset, or for an RRSIG to the signatures of the RRset it covers. */
  public void add(Record record) {
    int type = record.getType() == Type.RRSIG ? ((RRSIGRecord) record).getTypeCovered() : record.getType();
    Map<Integer, RRset> node;
    if (lastNode != null && record.getName().equals(lastName)) {
      node = lastNode;
    } else {
      node = nodes.computeIfAbsent(record.getName(), name -> new TreeMap<>());
      lastName = record.getName();
      lastNode = node;
    }
    RRset rrset = node.computeIfAbsent(type, t -> new RRset());
    rrset.addRR(record);
    if (type == Type.NSEC3 && nsec3Owners != null && record.getType() == Type.NSEC3) {
      nsec3Owners.add(record.getName());
    }
  }

  /** Replaces (or with null removes) the RRset of {@code type} at {@code name}. */
  public void put(Name name, int type, RRset rrset) {
    lastName = null;
    lastNode = null;
    if (type == Type.NSEC3 && nsec3Owners != null) {
      if (rrset == null || rrset.size() == 0) {
        nsec3Owners.remove(name);
      } else {
        nsec3Owners.add(name);
      }
    }
    if (rrset == null) {
      Map<Integer, RRset> node = nodes.get(name);
      if (node != null) {
        node.remove(type);
        if (node.isEmpty()) {
          nodes.remove(name);
        }
      }
      return;
    }
    nodes.computeIfAbsent(name, n -> new TreeMap<>()).put(type, rrset);
  }

  /**
   * Puts one single-record RRset of {@code type} per owner, the records given in canonical order of
   * their owners (an NSEC chain is; so is an NSEC3 chain in hash order: base32hex keeps the order of
   * the hashes). Walks the zone and the records together; if owners are new, the tree is rebuilt
   * from the merged entries, linear in the zone's size, instead of one tree insertion per owner.
   */
  public void putSorted(List<? extends Record> records, int type) {
    lastName = null;
    lastNode = null;
    nsec3Owners = null;
    List<Map.Entry<Name, Map<Integer, RRset>>> merged = new ArrayList<>(nodes.size() + records.size());
    boolean added = false;
    var existing = nodes.entrySet().iterator();
    Map.Entry<Name, Map<Integer, RRset>> head = existing.hasNext() ? existing.next() : null;
    for (Record record : records) {
      while (head != null && head.getKey().compareTo(record.getName()) < 0) {
        merged.add(head);
        head = existing.hasNext() ? existing.next() : null;
      }
      if (head != null && head.getKey().equals(record.getName())) {
        head.getValue().put(type, new RRset(record));
        continue;
      }
      Map<Integer, RRset> node = new TreeMap<>();
      node.put(type, new RRset(record));
      merged.add(Map.entry(record.getName(), node));
      added = true;
    }
    if (!added) {
      return;
    }
    while (head != null) {
      merged.add(head);
      head = existing.hasNext() ? existing.next() : null;
    }
    nodes = new TreeMap<>(new SortedEntries(merged));
  }

  /** The RRset, or null. An RRset with only signatures (size 0) counts as absent. */
  public RRset get(Name name, int type) {
    Map<Integer, RRset> node = nodes.get(name);
    if (node == null) {
      return null;
    }
    RRset rrset = node.get(type);
    return rrset == null || rrset.size() == 0 ? null : rrset;
  }

  /** The RRsets at {@code name} by type (empty map if none); the live map, type-ordered. */
  public Map<Integer, RRset> node(Name name) {
    Map<Integer, RRset> node = nodes.get(name);
    return node == null ? Map.of() : node;
  }

  /**
   * The owners of NSEC3 records, in canonical order, which for them is hash order (base32hex keeps
   * it). A view kept up to date by {@link #add}, {@link #put} and the bulk changes.
   */
  public java.util.NavigableSet<Name> nsec3Owners() {
    if (nsec3Owners == null) {
      java.util.TreeSet<Name> owners = new java.util.TreeSet<>();
      for (Map.Entry<Name, Map<Integer, RRset>> node : nodes.entrySet()) {
        RRset nsec3 = node.getValue().get(Type.NSEC3);
        if (nsec3 != null && nsec3.size() > 0) {
          owners.add(node.getKey());
        }
      }
      nsec3Owners = owners;
    }
    return java.util.Collections.unmodifiableNavigableSet(nsec3Owners);
  }

  /** Every owner name with data, in canonical order. Structural changes go through this class's methods only. */
  public NavigableMap<Name, Map<Integer, RRset>> nodes() {
    lastName = null;
    lastNode = null;
    return nodes;
  }

  public SOARecord soa() {
    RRset rrset = get(origin, Type.SOA);
    return rrset == null ? null : (SOARecord) rrset.first();
  }

  /** All records (not signatures), in canonical name order, types ascending. */
  public List<Record> records() {
    List<Record> records = new ArrayList<>();
    for (Map<Integer, RRset> node : nodes.values()) {
      for (RRset rrset : node.values()) {
        records.addAll(rrset.rrs(false));
      }
    }
    return records;
  }

  /** How many records and signatures the zone holds. */
  public long recordCount() {
    long count = 0;
    for (Map<Integer, RRset> node : nodes.values()) {
      for (RRset rrset : node.values()) {
        count += rrset.size() + rrset.sigs().size();
      }
    }
    return count;
  }

  /** A copy with fresh RRset objects (records are immutable and shared). */
  public Zone copy() {
    Zone copy = new Zone(origin);
    for (Map.Entry<Name, Map<Integer, RRset>> node : nodes.entrySet()) {
      Map<Integer, RRset> target = new TreeMap<>();
      for (Map.Entry<Integer, RRset> entry : node.getValue().entrySet()) {
        target.put(entry.getKey(), new RRset(entry.getValue()));
      }
      copy.nodes.put(node.getKey(), target);
    }
    return copy;
  }

  /** Removes every RRset of these types (and their signatures), and all signatures. */
  public void stripDnssec(Collection<Integer> types) {
    lastName = null;
    lastNode = null;
    nsec3Owners = null;
    var names = nodes.entrySet().iterator();
    while (names.hasNext()) {
      Map<Integer, RRset> node = names.next().getValue();
      node.keySet().removeAll(types);
      var rrsets = node.entrySet().iterator();
      while (rrsets.hasNext()) {
        Map.Entry<Integer, RRset> entry = rrsets.next();
        RRset rrset = entry.getValue();
        if (rrset.size() == 0) {
          rrsets.remove();
        } else if (!rrset.sigs().isEmpty()) {
          entry.setValue(new RRset(rrset.rrs(false)));
        }
      }
      if (node.isEmpty()) {
        names.remove();
      }
    }
  }

  /**
   * Already sorted entries seen as a SortedMap, only so that {@code new TreeMap<>(sorted)} builds
   * its tree in linear time; nothing else is supported.
   */
  private static final class SortedEntries extends AbstractMap<Name, Map<Integer, RRset>>
      implements SortedMap<Name, Map<Integer, RRset>> {
    private final List<Map.Entry<Name, Map<Integer, RRset>>> entries;

    SortedEntries(List<Map.Entry<Name, Map<Integer, RRset>>> entries) {
      this.entries = entries;
    }

    @Override
    public Set<Map.Entry<Name, Map<Integer, RRset>>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public java.util.Iterator<Map.Entry<Name, Map<Integer, RRset>>> iterator() {
          return entries.iterator();
        }

        @Override
        public int size() {
          return entries.size();
        }
      };
    }

    @Override
    public int size() {
      return entries.size();
    }

    @Override
    public Comparator<? super Name> comparator() {
      return null;
    }

    @Override
    public SortedMap<Name, Map<Integer, RRset>> subMap(Name fromKey, Name toKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<Name, Map<Integer, RRset>> headMap(Name toKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public SortedMap<Name, Map<Integer, RRset>> tailMap(Name fromKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Name firstKey() {
      return entries.get(0).getKey();
    }

    @Override
    public Name lastKey() {
      return entries.get(entries.size() - 1).getKey();
    }
  }
}
