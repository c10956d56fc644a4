package org.twinsign.appliance.dnssec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneCuts;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSEC3PARAMRecord;
import org.xbill.DNS.NSEC3Record;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The NSEC3 chain (RFC 5155 §7.1): one NSEC3 per authoritative name, delegation point and empty
 * non-terminal, ordered by hash, each pointing to the next hash. With opt-out, delegations without
 * DS are left out, and so are the empty non-terminals that only lead to them.
 */
public final class Nsec3Chain {
  private Nsec3Chain() {}

  /** The chain's records and the NSEC3PARAM record for the apex. */
  public record Result(List<NSEC3Record> records, NSEC3PARAMRecord param) {}

  public static Result build(Zone zone, ZoneCuts cuts, Nsec3Parameters parameters, long ttl) {
    Name origin = zone.origin();
    Set<Name> included = new HashSet<>();
    Map<Name, Map<Integer, RRset>> nodesOf = new HashMap<>();
    List<Name> names = new ArrayList<>();
    for (Map.Entry<Name, Map<Integer, RRset>> node : zone.nodes()) {
      Name name = node.getKey();
      if (!cuts.isChained(name)) {
        continue;
      }
      RRset ds = node.getValue().get(Type.DS);
      if (parameters.optOut() && cuts.kind(name) == ZoneCuts.Kind.DELEGATION && (ds == null || ds.size() == 0)) {
        continue;
      }
      if (included.add(name)) {
        names.add(name);
        nodesOf.put(name, node.getValue());
      }
      // empty non-terminals between this name and the apex
      for (Name parent = parentOf(name); parent != null && !parent.equals(origin) && parent.subdomain(origin);
          parent = parentOf(parent)) {
        if (zone.contains(parent)) {
          continue; // a name with data is chained on its own
        }
        if (!included.add(parent)) {
          break; // this empty non-terminal, and so every one above it, is in already
        }
        names.add(parent);
      }
    }
    int count = names.size();
    Hashed[] hashed = new Hashed[count];
    java.security.MessageDigest sha1 = Nsec3Parameters.sha1();
    for (int i = 0; i < count; i++) {
      hashed[i] = new Hashed(parameters.hash(names.get(i), sha1), names.get(i));
    }
    Arrays.sort(hashed, (a, b) -> Arrays.compareUnsigned(a.hash, b.hash));
    List<NSEC3Record> records = new ArrayList<>(count);
    byte[] salt = parameters.salt();
    for (int k = 0; k < count; k++) {
      byte[] hash = hashed[k].hash;
      byte[] next = hashed[(k + 1) % count].hash;
      Name name = hashed[k].name;
      Map<Integer, RRset> data = nodesOf.get(name);
      int[] types = data != null ? TypeBitmap.of(name, data, cuts, 0, name.equals(origin)) : new int[0];
      records.add(new NSEC3Record(ownerName(hash, origin), DClass.IN, ttl, Nsec3Parameters.SHA1,
          parameters.flags(), parameters.iterations(), salt, next, types));
    }
    // RFC 5155 §4: the NSEC3PARAM flags field is zero; opt-out lives in the NSEC3 records only
    NSEC3PARAMRecord param = new NSEC3PARAMRecord(origin, DClass.IN, 0, Nsec3Parameters.SHA1, 0,
        parameters.iterations(), parameters.salt());
    return new Result(records, param);
  }

  private record Hashed(byte[] hash, Name name) {}

  static Name ownerName(byte[] hash, Name origin) {
    try {
      return Name.concatenate(Name.fromString(Nsec3Parameters.base32hex(hash)), origin);
    } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
      throw new IllegalStateException("NSEC3 owner name for " + origin + " is too long", e);
    }
  }

  private static Name parentOf(Name name) {
    return name.labels() <= 1 ? null : new Name(name, 1);
  }
}
