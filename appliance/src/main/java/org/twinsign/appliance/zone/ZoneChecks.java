package org.twinsign.appliance.zone;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Type;

/**
 * Sanity checks before signing. Errors stop the signing; warnings are reported and the data they
 * concern is kept but not signed (occluded data below a cut or a DNAME).
 */
public final class ZoneChecks {
  private final List<String> errors = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  private ZoneChecks() {}

  public static ZoneChecks check(Zone zone, ZoneCuts cuts, String source) {
    ZoneChecks checks = new ZoneChecks();
    Name origin = zone.origin();
    RRset soa = zone.get(origin, Type.SOA);
    if (soa == null) {
      checks.errors.add(source + ": no SOA record at the apex " + origin);
    } else if (soa.size() > 1) {
      checks.errors.add(source + ": " + soa.size() + " SOA records at the apex; there must be one");
    }
    if (zone.get(origin, Type.NS) == null) {
      checks.errors.add(source + ": no NS records at the apex " + origin);
    }
    for (Map.Entry<Name, Map<Integer, RRset>> node : zone.nodes()) {
      Name name = node.getKey();
      if (!name.subdomain(origin)) {
        checks.errors.add(source + ": " + name + " is outside the zone " + origin);
        continue;
      }
      Map<Integer, RRset> types = node.getValue();
      if (types.containsKey(Type.SOA) && !name.equals(origin)) {
        checks.errors.add(source + ": SOA record at " + name + ", which is not the apex");
      }
      if (types.containsKey(Type.CNAME)) {
        for (int type : types.keySet()) {
          if (type != Type.CNAME && type != Type.RRSIG && type != Type.NSEC && type != Type.KEY) {
            checks.errors.add(source + ": " + name + " has a CNAME and other data (" + Type.string(type) + ")");
            break;
          }
        }
        if (name.equals(origin)) {
          checks.errors.add(source + ": CNAME at the apex " + origin);
        }
      }
      switch (cuts.kind(name)) {
        case BELOW_CUT:
          for (int type : types.keySet()) {
            if (type != Type.A && type != Type.AAAA) {
              checks.warnings.add(source + ": " + name + " " + Type.string(type)
                  + " is below a delegation (occluded): kept, not signed");
            }
          }
          break;
        case BELOW_DNAME:
          checks.warnings.add(source + ": " + name + " is below a DNAME (occluded): kept, not signed");
          break;
        default:
          break;
      }
    }
    return checks;
  }

  public List<String> errors() {
    return errors;
  }

  public List<String> warnings() {
    return warnings;
  }

  /** Throws with every error, one per line, if there is any. */
  public void throwIfErrors() {
    if (!errors.isEmpty()) {
      throw new ZoneFileException(String.join("\n", errors));
    }
  }
}
