package org.twinsign.appliance.dnssec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.RRset;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneCuts;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * The NSEC chain (RFC 4034 §4, RFC 4035 §2.3): one NSEC per authoritative name and delegation
 * point, in canonical order (the order of {@link Zone#nodes()}), the last pointing back to the apex. Glue and occluded names are not
 * in it; empty non-terminals need no NSEC.
 */
public final class NsecChain {
  private NsecChain() {}

  public static List<NSECRecord> build(Zone zone, ZoneCuts cuts, long ttl) {
    List<Map.Entry<Name, Map<Integer, RRset>>> names = new ArrayList<>();
    for (Map.Entry<Name, Map<Integer, RRset>> node : zone.nodes()) {
      if (cuts.isChained(node.getKey())) {
        names.add(node);
      }
    }
    List<NSECRecord> chain = new ArrayList<>(names.size());
    for (int i = 0; i < names.size(); i++) {
      Name name = names.get(i).getKey();
      Name next = names.get((i + 1) % names.size()).getKey();
      int[] types = TypeBitmap.of(name, names.get(i).getValue(), cuts, Type.NSEC, false);
      chain.add(new NSECRecord(name, DClass.IN, ttl, next, types));
    }
    return chain;
  }
}
