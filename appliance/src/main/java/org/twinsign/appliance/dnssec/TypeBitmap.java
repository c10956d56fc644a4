package org.twinsign.appliance.dnssec;

import java.util.Map;
import java.util.TreeSet;
import org.twinsign.appliance.zone.ZoneCuts;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Type;

/** The types an NSEC or NSEC3 record lists for a name (RFC 4034 §4.1.2, RFC 5155 §3.2.1). */
final class TypeBitmap {
  private TypeBitmap() {}

  /**
   * @param denialType NSEC to add NSEC itself, or 0 for NSEC3 (whose own type sits at the hashed owner)
   */
  static int[] of(Name name, Map<Integer, RRset> node, ZoneCuts cuts, int denialType, boolean apexNsec3Param) {
    TreeSet<Integer> types = new TreeSet<>();
    boolean signedSomething = false;
    boolean delegation = cuts.kind(name) == ZoneCuts.Kind.DELEGATION;
    for (Map.Entry<Integer, RRset> entry : node.entrySet()) {
      int type = entry.getKey();
      if (entry.getValue().size() == 0 || type == Type.NSEC || type == Type.NSEC3) {
        continue;
      }
      // at a cut the parent is authoritative for NS and DS only (RFC 4035 §2.3)
      if (delegation && type != Type.NS && type != Type.DS) {
        continue;
      }
      types.add(type);
      signedSomething |= cuts.isSigned(name, type);
    }
    if (denialType == Type.NSEC) {
      types.add(Type.NSEC);
      signedSomething = true;
    }
    if (apexNsec3Param) {
      types.add(Type.NSEC3PARAM);
      signedSomething = true;
    }
    if (signedSomething) {
      types.add(Type.RRSIG);
    }
    return types.stream().mapToInt(Integer::intValue).toArray();
  }
}
