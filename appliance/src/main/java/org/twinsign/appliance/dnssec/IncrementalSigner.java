package org.twinsign.appliance.dnssec;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneCuts;
import org.twinsign.appliance.zone.ZoneDiff;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.NSEC3PARAMRecord;
import org.xbill.DNS.NSEC3Record;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Applies a change of a zone's unsigned data to its signed version in place, as Knot's and BIND's
 * incremental signing do: the changed RRsets are signed anew, the NSEC or NSEC3 chain is mended
 * around the names that came, went or changed types (their neighbours, and for NSEC3 the empty
 * non-terminals above them, RFC 5155 §7.1), and the SOA gets its new serial and signature. All
 * other signatures stay, so the work is the change's, not the zone's. The result is the zone a
 * full {@link ZoneSigner} run over the new unsigned data would give (with its signatures reused),
 * and the signed diff (for the journal and IXFR).
 *
 * <p>Some changes are left to a full signing, which the outcome says: a change of the keys or
 * their roles, of the zone's own DNSSEC records, of the denial parameters or the denial TTL; an
 * opt-out chain; a delegation or DNAME appearing or going where names below it exist (their
 * status changes); data changed below a DNAME. The zone is not touched then.
 */
public final class IncrementalSigner {
  private static final Set<Integer> SIGNER_TYPES = Set.of(Type.DNSKEY, Type.CDS, Type.CDNSKEY, Type.NSEC,
      Type.NSEC3, Type.NSEC3PARAM, Type.RRSIG);

  private IncrementalSigner() {}

  /**
   * A change to apply. {@code removed} and {@code added} are unsigned records (the apex SOA left
   * out: {@code unsignedSoa} is the new input's SOA, as the policy shaped it).
   */
  public record Request(Zone signed, SOARecord unsignedSoa, List<Record> removed, List<Record> added,
      List<ZoneKey> keys, DenialPolicy denial, SignatureTiming timing, SerialPolicy serialPolicy, Long serialFloor,
      Instant now, Random random, Long denialTtl) {}

  /** The diff made, or why the change needs a full signing ({@code diff} null; the zone untouched). */
  public record Outcome(ZoneDiff diff, long serial, long signaturesMade, String fullSigningBecause) {
    public boolean applied() {
      return diff != null;
    }
  }

  public static Outcome apply(Request request) {
    return new Run(request).apply();
  }

  /**
   * What changed in a reloaded input file against the signed version: its data, without what the
   * signer adds (the chain and signatures anywhere; the SOA, keys and CDS at the apex). The diff's
   * SOAs are the signed version's and the input's.
   */
  public static ZoneDiff inputChange(Zone signed, Zone input) {
    return ZoneDiff.between(signed, input, (name, type) -> type != Type.NSEC && type != Type.NSEC3
        && type != Type.RRSIG && !(name.equals(signed.origin()) && (SIGNER_TYPES.contains(type) || type == Type.SOA)),
        false);
  }

  private static final class Run {
    private final Request request;
    private final Zone zone;
    private final Name origin;
    private final Map<Name, Map<Integer, RRset>> before = new LinkedHashMap<>();
    private final List<ZoneKey> signers = new ArrayList<>();
    private long made;

    Run(Request request) {
      this.request = request;
      this.zone = request.signed();
      this.origin = zone.origin();
    }

    Outcome apply() {
      String refusal = refusal();
      if (refusal != null) {
        return new Outcome(null, 0, 0, refusal);
      }
      // the new unsigned RRsets, worked out before anything is touched
      Map<Name, Map<Integer, RRset>> data = new java.util.TreeMap<>();
      for (Record r : request.removed()) {
        RRset rrset = working(data, r);
        if (!rrset.rrs(false).contains(r)) {
          return new Outcome(null, 0, 0, "the change removes " + r + ", which the signed zone does not hold");
        }
        rrset.deleteRR(r);
      }
      for (Record r : request.added()) {
        working(data, r).addRR(r);
      }
      String structural = structural(data);
      if (structural != null) {
        return new Outcome(null, 0, 0, structural);
      }
      SOARecord oldSoa = zone.soa();
      long serial = serial(oldSoa);
      SOARecord input = request.unsignedSoa();
      SOARecord newSoa = new SOARecord(origin, DClass.IN, input.getTTL(), input.getHost(), input.getAdmin(), serial,
          input.getRefresh(), input.getRetry(), input.getExpire(), input.getMinimum());
      long denialTtl = request.denialTtl() != null ? request.denialTtl() : DenialTtl.of(newSoa);
      Long oldDenialTtl = denialTtl();
      if (oldDenialTtl == null || oldDenialTtl != denialTtl) {
        return new Outcome(null, 0, 0, "the denial TTL changes (" + oldDenialTtl + " -> " + denialTtl + ")");
      }

      for (Map.Entry<Name, Map<Integer, RRset>> node : data.entrySet()) {
        for (Map.Entry<Integer, RRset> rrset : node.getValue().entrySet()) {
          put(node.getKey(), rrset.getKey(), rrset.getValue().size() == 0 ? null : rrset.getValue());
        }
      }
      put(origin, Type.SOA, new RRset(newSoa));
      if (request.denial().isNsec3()) {
        mendNsec3(data.keySet(), denialTtl);
      } else {
        mendNsec(data.keySet(), denialTtl);
      }
      List<RRset[]> changes = sign();
      return new Outcome(ZoneDiff.ofRRsets(oldSoa, newSoa, changes), serial, made, null);
    }

    /** Why this change cannot be applied incrementally at all, or null. */
    private String refusal() {
      if (zone.soa() == null) {
        return "no signed version to start from";
      }
      if (zone.get(origin, Type.DNAME) != null) {
        return "a DNAME at the apex occludes the zone's names";
      }
      if (request.denial().isNsec3() && request.denial().nsec3().optOut()) {
        return "opt-out NSEC3 chains are rebuilt whole";
      }
      if (request.denial().isNsec3()) {
        RRset param = zone.get(origin, Type.NSEC3PARAM);
        Nsec3Parameters wanted = request.denial().nsec3();
        byte[] salt = param == null ? null : ((NSEC3PARAMRecord) param.first()).getSalt();
        if (param == null || ((NSEC3PARAMRecord) param.first()).getIterations() != wanted.iterations()
            || !Arrays.equals(salt == null ? new byte[0] : salt, wanted.salt())) { // dnsjava: no salt is null
          return "the NSEC3 parameters change";
        }
      } else if (zone.get(origin, Type.NSEC) == null) {
        return "the zone goes from NSEC3 to NSEC";
      }
      for (ZoneKey key : request.keys()) {
        if (key.use().signsZone() && !key.canSign()) {
          return "a zone-signing key cannot sign (lost): a fallback key takes over in a full signing";
        }
        if (key.use().signsZone()) {
          signers.add(key);
        }
      }
      if (signers.isEmpty()) {
        return "no key signs the zone";
      }
      // the keys sign as they did: the same DNSKEY RRset, and the SOA signed by exactly these keys
      RRset dnskeys = zone.get(origin, Type.DNSKEY);
      Set<String> published = new TreeSet<>();
      for (ZoneKey key : request.keys()) {
        if (key.use().publish()) {
          published.add(Arrays.toString(key.dnskey().getKey()) + "/" + key.dnskey().getFlags());
        }
      }
      Set<String> present = new TreeSet<>();
      if (dnskeys != null) {
        for (Record r : dnskeys.rrs(false)) {
          DNSKEYRecord k = (DNSKEYRecord) r;
          present.add(Arrays.toString(k.getKey()) + "/" + k.getFlags());
        }
      }
      if (!published.equals(present)) {
        return "the published keys change";
      }
      if (dnskeys.getTTL() != request.keys().get(0).dnskey().getTTL()) {
        return "the DNSKEY TTL changes";
      }
      Set<String> signing = new TreeSet<>();
      signers.forEach(k -> signing.add(k.keyTag() + "/" + k.algorithm()));
      Set<String> soaSigners = new TreeSet<>();
      zone.node(origin).get(Type.SOA).sigs().forEach(s -> soaSigners.add(s.getFootprint() + "/" + s.getAlgorithm()));
      if (!signing.equals(soaSigners)) {
        return "the zone-signing keys change";
      }
      for (List<Record> records : List.of(request.removed(), request.added())) {
        for (Record r : records) {
          if (!r.getName().subdomain(origin)) {
            return r.getName() + " is outside the zone";
          }
          if (SIGNER_TYPES.contains(r.getType()) || r.getType() == Type.SOA) {
            return "the change holds " + Type.string(r.getType()) + " records, which the signer makes";
          }
          if (kind(r.getName()) == ZoneCuts.Kind.BELOW_DNAME) {
            return "data below the DNAME above " + r.getName() + " changes";
          }
        }
      }
      return null;
    }

    /**
     * Whether a delegation or a DNAME comes or goes where names below it exist: then other names'
     * status changes (data becomes glue, or glue data), which only a full pass sees whole.
     */
    private String structural(Map<Name, Map<Integer, RRset>> data) {
      for (Map.Entry<Name, Map<Integer, RRset>> node : data.entrySet()) {
        Name name = node.getKey();
        Map<Integer, RRset> after = new HashMap<>(zone.node(name));
        node.getValue().forEach(after::put);
        after.values().removeIf(r -> r.size() == 0);
        if (after.containsKey(Type.CNAME) && (name.equals(origin) || after.keySet().stream().anyMatch(t ->
            t != Type.CNAME && t != Type.NSEC && t != Type.KEY))) {
          return "a CNAME at " + name + " beside other data (a full signing reports it)";
        }
        if (name.equals(origin) && !after.containsKey(Type.NS)) {
          return "the apex loses its NS records (a full signing reports it)";
        }
        for (int type : new int[] {Type.NS, Type.DNAME}) {
          if (type == Type.NS && name.equals(origin) || !node.getValue().containsKey(type)) {
            continue;
          }
          boolean had = zone.get(name, type) != null;
          boolean has = node.getValue().get(type).size() > 0;
          if (had == has) {
            continue;
          }
          // names below it change status (data becomes glue or occluded, or back): only new ones may be there
          if (has ? hasDescendant(name) : descendantAfter(name, data)) {
            return "a " + Type.string(type) + " at " + name + " comes or goes above other names";
          }
          if (type == Type.NS && !has) {
            // its other data was the child's (unsigned), and becomes the zone's: a full pass signs it
            for (Map.Entry<Integer, RRset> e : after.entrySet()) {
              int t = e.getKey();
              if (t != Type.NS && t != Type.DS && t != Type.NSEC && t != Type.NSEC3) {
                return "the delegation at " + name + " goes, and its " + Type.string(t) + " data becomes the zone's";
              }
            }
          }
          if (type == Type.NS && has) {
            for (Map.Entry<Integer, RRset> e : after.entrySet()) {
              int t = e.getKey();
              if (e.getValue().size() > 0 && t != Type.NS && t != Type.DS && t != Type.NSEC && t != Type.NSEC3) {
                return "a delegation at " + name + " would hide its " + Type.string(t) + " data";
              }
            }
          }
        }
      }
      return null;
    }

    /** Whether a name below {@code name} holds data once {@code data} is applied. */
    private boolean descendantAfter(Name name, Map<Name, Map<Integer, RRset>> data) {
      for (Name n = zone.higherName(name); n != null && n.subdomain(name); n = zone.higherName(n)) {
        Map<Integer, RRset> after = new HashMap<>(zone.node(n));
        after.putAll(data.getOrDefault(n, Map.of()));
        if (after.values().stream().anyMatch(r -> r.size() > 0)) {
          return true;
        }
      }
      return data.entrySet().stream().anyMatch(e -> !e.getKey().equals(name) && e.getKey().subdomain(name)
          && e.getValue().values().stream().anyMatch(r -> r.size() > 0));
    }

    private RRset working(Map<Name, Map<Integer, RRset>> data, Record r) {
      return data.computeIfAbsent(r.getName(), n -> new HashMap<>()).computeIfAbsent(r.getType(), t -> {
        RRset now = zone.get(r.getName(), t);
        return now == null ? new RRset() : new RRset(now.rrs(false));
      });
    }

    private long serial(SOARecord oldSoa) {
      Long previous = oldSoa.getSerial();
      if (request.serialFloor() != null && SerialPolicy.greaterThan(request.serialFloor(), previous)) {
        previous = request.serialFloor();
      }
      return request.serialPolicy().next(request.unsignedSoa().getSerial(), previous, request.now());
    }

    /** The TTL the zone's denial records have now (at the apex, which is always in the chain). */
    private Long denialTtl() {
      if (!request.denial().isNsec3()) {
        RRset nsec = zone.get(origin, Type.NSEC);
        return nsec == null ? null : nsec.getTTL();
      }
      RRset nsec3 = zone.get(nsec3Owner(origin), Type.NSEC3);
      return nsec3 == null ? null : nsec3.getTTL();
    }

    /** Replaces an RRset, remembering the first version of each for the diff and the signing. */
    private void put(Name name, int type, RRset rrset) {
      Map<Integer, RRset> node = before.computeIfAbsent(name, n -> new HashMap<>());
      if (!node.containsKey(type)) {
        node.put(type, zone.node(name).get(type));
      }
      zone.put(name, type, rrset);
    }

    // ---- where a name stands (RFC 4035 §2.2), from its ancestors: O(depth) lookups

    private ZoneCuts.Kind kind(Name name) {
      for (Name n = parent(name); n != null && !n.equals(origin); n = parent(n)) {
        if (zone.get(n, Type.NS) != null) {
          return ZoneCuts.Kind.BELOW_CUT;
        }
        if (zone.get(n, Type.DNAME) != null) {
          return ZoneCuts.Kind.BELOW_DNAME;
        }
      }
      return !name.equals(origin) && zone.get(name, Type.NS) != null ? ZoneCuts.Kind.DELEGATION
          : ZoneCuts.Kind.AUTHORITATIVE;
    }

    private Name parent(Name name) {
      return name.equals(origin) || name.labels() <= origin.labels() ? null : new Name(name, 1);
    }

    /** Whether the name holds data of its own (the signer's records apart). */
    private boolean hasData(Name name) {
      for (Map.Entry<Integer, RRset> e : zone.node(name).entrySet()) {
        int t = e.getKey();
        if (e.getValue().size() > 0 && t != Type.NSEC && t != Type.NSEC3) {
          return true;
        }
      }
      return false;
    }

    /** Whether a name below this one holds data: canonical order puts the subtree right after its root. */
    private boolean hasDescendant(Name name) {
      Name next = zone.higherName(name);
      return next != null && next.subdomain(name) && !next.equals(name);
    }

    // ---- NSEC (RFC 4034 §4): one per name with authoritative data or a delegation

    private void mendNsec(Set<Name> changed, long ttl) {
      for (Name name : changed) { // canonical order: each step leaves a whole chain
        RRset own = zone.get(name, Type.NSEC);
        ZoneCuts.Kind kind = kind(name);
        boolean wanted = (kind == ZoneCuts.Kind.AUTHORITATIVE || kind == ZoneCuts.Kind.DELEGATION) && hasData(name);
        if (own != null && wanted) {
          NSECRecord old = (NSECRecord) own.first();
          putNsec(name, old.getNext(), ttl);
        } else if (own == null && wanted) {
          Name previous = previousNsec(name);
          NSECRecord p = (NSECRecord) zone.get(previous, Type.NSEC).first();
          putNsec(name, p.getNext(), ttl);
          putNsec(previous, name, ttl);
        } else if (own != null) {
          Name previous = previousNsec(name);
          NSECRecord gone = (NSECRecord) own.first();
          put(name, Type.NSEC, null);
          putNsec(previous, gone.getNext(), ttl);
        }
      }
    }

    private Name previousNsec(Name name) {
      for (Name n = zone.lowerName(name); n != null; n = zone.lowerName(n)) {
        if (zone.get(n, Type.NSEC) != null) {
          return n;
        }
      }
      throw new IllegalStateException("the NSEC chain of " + origin + " has no name before " + name);
    }

    private void putNsec(Name name, Name next, long ttl) {
      int[] types = TypeBitmap.of(name, zone.node(name), cutsOf(name), Type.NSEC, false);
      NSECRecord nsec = new NSECRecord(name, DClass.IN, ttl, next, types);
      RRset old = zone.get(name, Type.NSEC);
      if (old == null || !old.first().equals(nsec) || old.getTTL() != ttl) {
        put(name, Type.NSEC, new RRset(nsec));
      }
    }

    // ---- NSEC3 (RFC 5155 §7.1): one per such name and per empty non-terminal, in hash order

    private void mendNsec3(Set<Name> changed, long ttl) {
      TreeSet<Name> affected = new TreeSet<>();
      for (Name name : changed) {
        for (Name n = name; n != null; n = parent(n)) {
          affected.add(n); // an empty non-terminal above may come or go with it
        }
      }
      java.security.MessageDigest sha1 = Nsec3Parameters.sha1();
      Nsec3Parameters parameters = request.denial().nsec3();
      for (Name name : affected) {
        byte[] hash = parameters.hash(name, sha1);
        Name owner = Nsec3Chain.ownerName(hash, origin);
        RRset own = zone.get(owner, Type.NSEC3);
        ZoneCuts.Kind kind = kind(name);
        boolean wanted = name.equals(origin) || (kind == ZoneCuts.Kind.AUTHORITATIVE
            || kind == ZoneCuts.Kind.DELEGATION) && (hasData(name) || hasDescendant(name));
        if (own != null && wanted) {
          putNsec3(owner, name, ((NSEC3Record) own.first()).getNext(), ttl);
        } else if (own == null && wanted) {
          Name previous = previousNsec3(owner);
          NSEC3Record p = (NSEC3Record) zone.get(previous, Type.NSEC3).first();
          putNsec3(owner, name, p.getNext(), ttl);
          replaceNext(previous, p, hash, ttl);
        } else if (own != null) {
          NSEC3Record gone = (NSEC3Record) own.first();
          put(owner, Type.NSEC3, null);
          Name previous = previousNsec3(owner);
          replaceNext(previous, (NSEC3Record) zone.get(previous, Type.NSEC3).first(), gone.getNext(), ttl);
        }
      }
    }

    private Name previousNsec3(Name owner) {
      return zone.previousNsec3Owner(owner);
    }

    private Name nsec3Owner(Name name) {
      return Nsec3Chain.ownerName(request.denial().nsec3().hash(name), origin);
    }

    private void putNsec3(Name owner, Name name, byte[] next, long ttl) {
      boolean hasData = hasData(name);
      int[] types = hasData ? TypeBitmap.of(name, zone.node(name), cutsOf(name), 0, name.equals(origin)) : new int[0];
      Nsec3Parameters p = request.denial().nsec3();
      NSEC3Record record = new NSEC3Record(owner, DClass.IN, ttl, Nsec3Parameters.SHA1, p.flags(), p.iterations(),
          p.salt(), next, types);
      RRset old = zone.get(owner, Type.NSEC3);
      if (old == null || !old.first().equals(record) || old.getTTL() != ttl) {
        put(owner, Type.NSEC3, new RRset(record));
      }
    }

    private void replaceNext(Name owner, NSEC3Record old, byte[] next, long ttl) {
      NSEC3Record record = new NSEC3Record(owner, DClass.IN, ttl, old.getHashAlgorithm(), old.getFlags(),
          old.getIterations(), old.getSalt(), next, old.getTypes());
      put(owner, Type.NSEC3, new RRset(record));
    }

    /** The kind of one name, in the form {@link TypeBitmap} takes. */
    private ZoneCuts cutsOf(Name name) {
      return ZoneCuts.single(name, kind(name));
    }

    // ---- signatures

    /** Signs every RRset replaced; returns the replacements (before, after) for the diff. */
    private List<RRset[]> sign() {
      Instant now = request.now();
      SignatureTiming timing = request.timing();
      Instant inception = now.minus(timing.inceptionOffset());
      List<RRset[]> changes = new ArrayList<>();
      for (Map.Entry<Name, Map<Integer, RRset>> node : before.entrySet()) {
        Name name = node.getKey();
        ZoneCuts cuts = cutsOf(name);
        for (Map.Entry<Integer, RRset> entry : node.getValue().entrySet()) {
          int type = entry.getKey();
          RRset old = entry.getValue();
          RRset current = zone.node(name).get(type);
          if (current != null && current.size() > 0 && cuts.isSigned(name, type)) {
            if (old != null && old.size() > 0 && SignatureReuse.sameRecords(old, current) && !old.sigs().isEmpty()) {
              old.sigs().forEach(current::addRR); // the same data after all: its signatures stand
            } else {
              for (ZoneKey key : signers) {
                RRSIGRecord sig = SignatureFault.apply(RrsigFactory.sign(current, key, origin, inception,
                    ZoneSigner.expiration(timing, type, now, request.random())));
                verify(current, sig, key);
                current.addRR(sig);
                made++;
              }
            }
          }
          changes.add(new RRset[] {old, current});
        }
      }
      return changes;
    }


    /** Sign-then-verify: a signature the HSM got wrong must never be published. */
    private void verify(RRset rrset, RRSIGRecord sig, ZoneKey key) {
      try {
        DNSSEC.verify(rrset, sig, key.dnskey(), request.now());
      } catch (DNSSEC.DNSSECException e) {
        throw new IllegalStateException("a new signature over " + rrset.getName() + " " + Type.string(rrset.getType())
            + " by " + key + " does not verify (" + e.getMessage() + "): nothing was published", e);
      }
    }
  }
}
