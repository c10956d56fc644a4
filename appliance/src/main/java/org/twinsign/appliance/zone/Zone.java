package org.twinsign.appliance.zone;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
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
 * RRset of their own.
 *
 * <p>Versions: {@link #fork()} gives the next version, sharing all but what either side changes
 * afterwards ({@link CowSortedMap}). A zone is built by {@link #add} (which changes RRsets in
 * place) until it is first forked; from then on it changes only by {@link #put}, which replaces
 * RRsets, so that a version being served is never changed under its readers. Not thread-safe; a
 * version nobody changes any more may be read by any number of threads.
 */
public final class Zone {
  private final Name origin;
  private CowSortedMap<Name, Map<Integer, RRset>> nodes = new CowSortedMap<>();
  // the NSEC3 owners in hash order, built on first use: the incremental signer's way into the chain
  private CowSortedMap<Name, Boolean> nsec3Owners;
  private boolean forked;
  // records of one name usually come together: spare the tree lookup for them
  private Name lastName;
  private Map<Integer, RRset> lastNode;

  public Zone(Name origin) {
    this.origin = origin;
  }

  public Name origin() {
    return origin;
  }

  /**
   * The next version: the same data, sharing its storage with this one until either changes.
   * Both change only by {@link #put} from now on.
   */
  public Zone fork() {
    Zone next = new Zone(origin);
    next.nodes = nodes.fork();
    next.nsec3Owners = nsec3Owners == null ? null : nsec3Owners.fork();
    next.forked = true;
    forked = true;
    lastName = null;
    lastNode = null;
    return next;
  }

  private void building(String what) {
    if (forked) {
      throw new IllegalStateException(what + " on a zone with versions: it changes by put only");
    }
  }

  /** Adds a record: to its RRset, or for an RRSIG to the signatures of the RRset it covers. */
  public void add(Record record) {
    building("add");
    int type = record.getType() == Type.RRSIG ? ((RRSIGRecord) record).getTypeCovered() : record.getType();
    Map<Integer, RRset> node;
    if (lastNode != null && record.getName().equals(lastName)) {
      node = lastNode;
    } else {
      node = nodes.get(record.getName());
      if (node == null) {
        node = new TreeMap<>();
        nodes.put(record.getName(), node);
      }
      lastName = record.getName();
      lastNode = node;
    }
    RRset rrset = node.computeIfAbsent(type, t -> new RRset());
    rrset.addRR(record);
    if (type == Type.NSEC3 && nsec3Owners != null && record.getType() == Type.NSEC3) {
      nsec3Owners.put(record.getName(), Boolean.TRUE);
    }
  }

  /** Replaces (or with null removes) the RRset of {@code type} at {@code name}; the RRset is the zone's now. */
  public void put(Name name, int type, RRset rrset) {
    lastName = null;
    lastNode = null;
    if (type == Type.NSEC3 && nsec3Owners != null) {
      if (rrset == null || rrset.size() == 0) {
        nsec3Owners.remove(name);
      } else {
        nsec3Owners.put(name, Boolean.TRUE);
      }
    }
    Map<Integer, RRset> old = nodes.get(name);
    // a new node map each time: the old one may belong to another version too
    Map<Integer, RRset> node = old == null ? new TreeMap<>() : new TreeMap<>(old);
    if (rrset == null) {
      if (old == null || node.remove(type) == null) {
        return;
      }
    } else {
      node.put(type, rrset);
    }
    if (node.isEmpty()) {
      nodes.remove(name);
    } else {
      nodes.put(name, node);
    }
  }

  /**
   * Puts one single-record RRset of {@code type} per owner, the records given in canonical order of
   * their owners (an NSEC chain is; so is an NSEC3 chain in hash order: base32hex keeps the order of
   * the hashes). Walks the zone and the records together and rebuilds the tree from the merged
   * entries, linear in the zone's size, instead of one tree insertion per owner.
   */
  public void putSorted(List<? extends Record> records, int type) {
    building("putSorted");
    lastName = null;
    lastNode = null;
    nsec3Owners = null;
    List<Map.Entry<Name, Map<Integer, RRset>>> merged = new ArrayList<>(nodes.size() + records.size());
    var existing = nodes.entries().iterator();
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
    }
    while (head != null) {
      merged.add(head);
      head = existing.hasNext() ? existing.next() : null;
    }
    nodes.replaceAll(merged);
    if (type == Type.NSEC3) {
      // the chain in hash order is the index, ready for the first incremental change
      List<Map.Entry<Name, Boolean>> owners = new ArrayList<>(records.size());
      records.forEach(r -> owners.add(Map.entry(r.getName(), Boolean.TRUE)));
      nsec3Owners = new CowSortedMap<>();
      nsec3Owners.replaceAll(owners);
    }
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

  /** The RRsets at {@code name} by type (empty map if none), type-ordered; not to be changed. */
  public Map<Integer, RRset> node(Name name) {
    Map<Integer, RRset> node = nodes.get(name);
    return node == null ? Map.of() : node;
  }

  /** Every owner name with its RRsets, in canonical order; the entries are not to be changed. */
  public Iterable<Map.Entry<Name, Map<Integer, RRset>>> nodes() {
    return nodes.entries();
  }

  /** The RRsets of each owner name, in canonical order of the names; not to be changed. */
  public Iterable<Map<Integer, RRset>> rrsetsByName() {
    return () -> {
      var entries = nodes.entries().iterator();
      return new java.util.Iterator<>() {
        @Override
        public boolean hasNext() {
          return entries.hasNext();
        }

        @Override
        public Map<Integer, RRset> next() {
          return entries.next().getValue();
        }
      };
    };
  }

  /** The owner names, in canonical order (a copy). */
  public List<Name> names() {
    List<Name> names = new ArrayList<>(nodes.size());
    nodes.entries().forEach(e -> names.add(e.getKey()));
    return names;
  }

  /** Whether {@code name} holds data. */
  public boolean contains(Name name) {
    return nodes.containsKey(name);
  }

  /** How many owner names hold data. */
  public int nameCount() {
    return nodes.size();
  }

  /** The owner name just before {@code name} in canonical order, or null. */
  public Name lowerName(Name name) {
    return nodes.lowerKey(name);
  }

  /** The owner name just after {@code name} in canonical order, or null: a name's subtree follows it. */
  public Name higherName(Name name) {
    return nodes.higherKey(name);
  }

  /**
   * Builds the index of NSEC3 owners in hash order now, if it is not there (a zone taken by
   * transfer has none): the first incremental change would otherwise walk the whole zone for it,
   * seconds for a million names. Later versions ({@link #fork}) keep it up to date.
   */
  public void indexNsec3Owners() {
    if (nsec3Owners == null) {
      CowSortedMap<Name, Boolean> owners = new CowSortedMap<>();
      for (Map.Entry<Name, Map<Integer, RRset>> node : nodes.entries()) {
        RRset nsec3 = node.getValue().get(Type.NSEC3);
        if (nsec3 != null && nsec3.size() > 0) {
          owners.put(node.getKey(), Boolean.TRUE);
        }
      }
      nsec3Owners = owners;
    }
  }

  /** The NSEC3 owner just before {@code owner} in hash order, wrapping round to the last (the chain is a ring). */
  public Name previousNsec3Owner(Name owner) {
    indexNsec3Owners();
    Name previous = nsec3Owners.lowerKey(owner);
    return previous != null ? previous : nsec3Owners.lastKey();
  }

  public SOARecord soa() {
    RRset rrset = get(origin, Type.SOA);
    return rrset == null ? null : (SOARecord) rrset.first();
  }

  /** All records (not signatures), in canonical name order, types ascending. */
  public List<Record> records() {
    List<Record> records = new ArrayList<>();
    for (Map.Entry<Name, Map<Integer, RRset>> node : nodes.entries()) {
      for (RRset rrset : node.getValue().values()) {
        records.addAll(rrset.rrs(false));
      }
    }
    return records;
  }

  /** How many records and signatures the zone holds. */
  public long recordCount() {
    long count = 0;
    for (Map.Entry<Name, Map<Integer, RRset>> node : nodes.entries()) {
      for (RRset rrset : node.getValue().values()) {
        count += rrset.size() + rrset.sigs().size();
      }
    }
    return count;
  }

  /** A copy with fresh RRset objects (records are immutable and shared), free to be built on. */
  public Zone copy() {
    Zone copy = new Zone(origin);
    List<Map.Entry<Name, Map<Integer, RRset>>> entries = new ArrayList<>(nodes.size());
    for (Map.Entry<Name, Map<Integer, RRset>> node : nodes.entries()) {
      Map<Integer, RRset> target = new TreeMap<>();
      for (Map.Entry<Integer, RRset> entry : node.getValue().entrySet()) {
        target.put(entry.getKey(), new RRset(entry.getValue()));
      }
      entries.add(Map.entry(node.getKey(), target));
    }
    copy.nodes.replaceAll(entries);
    return copy;
  }

  /** Removes every RRset of these types (and their signatures), and all signatures. */
  public void stripDnssec(Collection<Integer> types) {
    building("stripDnssec");
    lastName = null;
    lastNode = null;
    nsec3Owners = null;
    List<Map.Entry<Name, Map<Integer, RRset>>> kept = new ArrayList<>(nodes.size());
    boolean changed = false;
    for (Map.Entry<Name, Map<Integer, RRset>> entry : nodes.entries()) {
      Map<Integer, RRset> node = entry.getValue();
      changed |= node.keySet().removeAll(types);
      var rrsets = node.entrySet().iterator();
      while (rrsets.hasNext()) {
        Map.Entry<Integer, RRset> e = rrsets.next();
        RRset rrset = e.getValue();
        if (rrset.size() == 0) {
          rrsets.remove();
        } else if (!rrset.sigs().isEmpty()) {
          e.setValue(new RRset(rrset.rrs(false)));
        }
      }
      if (node.isEmpty()) {
        changed = true;
      } else {
        kept.add(entry);
      }
    }
    if (changed) {
      nodes.replaceAll(kept);
    }
  }
}
