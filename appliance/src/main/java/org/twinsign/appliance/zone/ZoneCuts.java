package org.twinsign.appliance.zone;

import java.util.HashMap;
import java.util.Map;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * Where a zone's authority ends (RFC 4035 §2.2): delegation points (NS below the apex), the glue
 * and occluded names below them, and the names occluded by a DNAME (RFC 6672 §2.4).
 *
 * <p>Relies on canonical order placing every subtree right after its root, so one pass suffices.
 */
public final class ZoneCuts {
  /** What a name is to the signer. */
  public enum Kind {
    /** Authoritative data: signed, in the denial chain. */
    AUTHORITATIVE,
    /** A delegation point: only DS (and NSEC) signed; NS and glue left unsigned. */
    DELEGATION,
    /** Below a delegation: glue (A/AAAA) or occluded data; neither signed nor chained. */
    BELOW_CUT,
    /** Below a DNAME: occluded; neither signed nor chained. */
    BELOW_DNAME
  }

  private final Map<Name, Kind> kinds = new HashMap<>();

  private ZoneCuts() {}

  public static ZoneCuts of(Zone zone) {
    ZoneCuts cuts = new ZoneCuts();
    Name cut = null;
    Name dname = null;
    for (Map.Entry<Name, Map<Integer, RRset>> entry : zone.nodes()) {
      Name name = entry.getKey();
      Map<Integer, RRset> node = entry.getValue();
      if (cut != null && name.subdomain(cut) && !name.equals(cut)) {
        cuts.kinds.put(name, Kind.BELOW_CUT);
        continue;
      }
      cut = null;
      if (dname != null && name.subdomain(dname) && !name.equals(dname)) {
        cuts.kinds.put(name, Kind.BELOW_DNAME);
        continue;
      }
      dname = null;
      if (present(node, Type.NS) && !name.equals(zone.origin())) {
        cuts.kinds.put(name, Kind.DELEGATION);
        cut = name;
        continue;
      }
      cuts.kinds.put(name, Kind.AUTHORITATIVE);
      if (present(node, Type.DNAME)) {
        dname = name;
      }
    }
    return cuts;
  }

  /** One name's kind, for code that looks at one name at a time (the incremental signer). */
  public static ZoneCuts single(Name name, Kind kind) {
    ZoneCuts cuts = new ZoneCuts();
    cuts.kinds.put(name, kind);
    return cuts;
  }

  private static boolean present(Map<Integer, RRset> node, int type) {
    RRset rrset = node.get(type);
    return rrset != null && rrset.size() > 0;
  }

  /** The kind of a name with data; names without data (empty non-terminals) are AUTHORITATIVE. */
  public Kind kind(Name name) {
    return kinds.getOrDefault(name, Kind.AUTHORITATIVE);
  }

  /** Whether the RRset of {@code type} at {@code name} is signed (RFC 4035 §2.2). */
  public boolean isSigned(Name name, int type) {
    switch (kind(name)) {
      case AUTHORITATIVE:
        return type != Type.RRSIG;
      case DELEGATION:
        return type == Type.DS || type == Type.NSEC;
      default:
        return false;
    }
  }

  /** Whether the name belongs in an NSEC or NSEC3 chain. */
  public boolean isChained(Name name) {
    Kind kind = kind(name);
    return kind == Kind.AUTHORITATIVE || kind == Kind.DELEGATION;
  }
}
