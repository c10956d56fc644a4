package org.twinsign.appliance.service;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Asks the parent's name servers for a zone's DS set, so that {@code ds-seen} and {@code ds-gone}
 * need no person: the enforcer marks a DS seen (gone) once every server has answered with (without)
 * it for the parent's DS TTL plus propagation delay.
 */
final class ParentCheck {
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private ParentCheck() {}

  /** HOST[:PORT] (an IPv6 address in brackets with a port) as a socket address; port 53 by default. */
  static InetSocketAddress address(String server) {
    return org.twinsign.appliance.dns.ServerAddress.parse("--parent-server", server);
  }

  /** What the servers say. {@code agreed}: every server answered the same DS set; else why not. */
  record Answer(Set<DSRecord> ds, boolean agreed, String problem) {}

  static Answer ask(String zone, List<String> servers) {
    Set<DSRecord> first = null;
    for (String server : servers) {
      Optional<Set<DSRecord>> answer;
      try {
        answer = query(zone, address(server));
      } catch (IOException | RuntimeException e) {
        return new Answer(Set.of(), false, "no answer from parent server " + server + ": " + e.getMessage());
      }
      if (answer.isEmpty()) {
        return new Answer(Set.of(), false, "parent server " + server + " refused or failed the DS query");
      }
      if (first == null) {
        first = answer.get();
      } else if (!first.equals(answer.get())) {
        return new Answer(Set.of(), false, "the parent's servers do not agree yet");
      }
    }
    return new Answer(first == null ? Set.of() : first, true, null);
  }

  private static Optional<Set<DSRecord>> query(String zone, InetSocketAddress server) throws IOException {
    SimpleResolver resolver = new SimpleResolver(server);
    resolver.setTimeout(TIMEOUT);
    Message response = resolver.send(Message.newQuery(Record.newRecord(ZoneService.origin(zone), Type.DS, DClass.IN)));
    int rcode = response.getRcode();
    if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
      return Optional.empty();
    }
    Set<DSRecord> ds = new HashSet<>();
    for (Record record : response.getSection(Section.ANSWER)) {
      if (record instanceof DSRecord d) {
        // compared without TTL: the parent may serve any
        ds.add(new DSRecord(d.getName(), DClass.IN, 0, d.getFootprint(), d.getAlgorithm(), d.getDigestID(),
            d.getDigest()));
      }
    }
    return Optional.of(ds);
  }

  /** Whether the parent's DS set holds a DS of {@code dnskey}, with whatever digest the parent chose. */
  static boolean holds(Set<DSRecord> ds, DNSKEYRecord dnskey) {
    for (DSRecord record : ds) {
      if (record.getFootprint() == dnskey.getFootprint() && record.getAlgorithm() == dnskey.getAlgorithm()) {
        try {
          DSRecord ours = new DSRecord(dnskey.getName(), DClass.IN, 0, record.getDigestID(), dnskey);
          if (java.util.Arrays.equals(ours.getDigest(), record.getDigest())) {
            return true;
          }
        } catch (IllegalArgumentException e) {
          // a digest type we cannot compute: not ours to judge
        }
      }
    }
    return false;
  }
}
