package org.twinsign.appliance.node;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.twinsign.appliance.alert.AlertKind;
import org.twinsign.appliance.alert.AlertSource;
import org.twinsign.appliance.alert.Condition;
import org.twinsign.appliance.alert.Severity;
import org.twinsign.appliance.config.DnsConfig;
import org.twinsign.appliance.dns.SecondaryZone;
import org.twinsign.appliance.dnssec.SerialPolicy;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.SignedZones;
import org.twinsign.appliance.store.ZoneTable;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Transfers, in and out, as the master sees them: a zone whose hidden primaries do not give it a
 * copy (TSIG refusals apart, as TSIG problems), and a secondary ({@code dns.notify}) that does not
 * answer or serves an older serial than the master published, each for longer than a grace.
 */
final class TransferAlerts implements AlertSource {
  /** How long a failure must last: a primary restarting or a secondary's transfer takes seconds. */
  static final Duration GRACE = Duration.ofSeconds(60);
  /** How long the zones of one secondary are asked at most per look. */
  static final Duration BUDGET = Duration.ofSeconds(3);

  private final NodeDns dns;
  private final List<DnsConfig.Endpoint> secondaries;
  private final org.twinsign.appliance.alert.Grace grace = new org.twinsign.appliance.alert.Grace(GRACE);

  TransferAlerts(NodeDns dns, List<DnsConfig.Endpoint> secondaries) {
    this.dns = dns;
    this.secondaries = secondaries;
  }

  @Override
  public Set<AlertKind> kinds() {
    return Set.of(AlertKind.TRANSFER_FAILED, AlertKind.TSIG_PROBLEM, AlertKind.SECONDARY_NOT_FOLLOWING);
  }

  @Override
  public Duration every() {
    return Duration.ofSeconds(15);
  }

  @Override
  public void reset(Set<String> open) {
    grace.reset(open);
  }

  @Override
  public List<Condition> look(Services services) {
    List<Condition> out = new ArrayList<>();
    Instant now = Instant.now();
    for (Map.Entry<String, SecondaryZone.Failing> e : dns.sourcesFailing().entrySet()) {
      SecondaryZone.Failing f = e.getValue();
      boolean tsig = f.why().matches("(?s).*(TSIG|BADSIG|BADKEY|BADTIME|NOTAUTH).*");
      Condition c = new Condition(tsig ? AlertKind.TSIG_PROBLEM : AlertKind.TRANSFER_FAILED, f.expired()
          ? Severity.CRITICAL : tsig ? AlertKind.TSIG_PROBLEM.severity() : AlertKind.TRANSFER_FAILED.severity(),
          "zone " + e.getKey() + " (in)", "zone " + e.getKey() + " gets no copy from its hidden primaries since "
          + f.since() + ": " + f.why() + (f.expired() ? ". The copy held is past the SOA's expire" : ""),
          tsig ? "check that the primaries and this pair use the same TSIG key (zone add --primary-key, dns.tsig-file)"
              + " and that both clocks are right; 'twinsign zone status --zone " + e.getKey() + "'"
              : "check the primaries and the network to them ('twinsign zone status --zone " + e.getKey() + "'); the"
              + " signer keeps signing the copy it holds");
      if (grace.held(c.key()) || f.expired()) { // held over looks, so that a restart does not clear it
        out.add(c);
      }
    }
    if (!secondaries.isEmpty()) {
      Map<String, Long> published = new HashMap<>();
      Set<String> settled = new java.util.HashSet<>();
      for (ZoneTable.ZoneRow z : services.store().read(ZoneTable::all)) {
        SignedZones.Version v = services.signedZones().current(z.name());
        if (v != null) {
          published.put(z.name(), v.serial());
          // a serial published within the grace may still be on its way: not a secondary's fault yet
          if (z.signedAt() != null && z.signedAt().isBefore(now.minus(GRACE))) {
            settled.add(z.name());
          }
        }
      }
      for (DnsConfig.Endpoint secondary : secondaries) {
        String behind = behind(secondary, published, settled);
        if (behind != null) {
          Condition c = new Condition(AlertKind.SECONDARY_NOT_FOLLOWING, "secondary " + secondary, "secondary "
              + secondary + " (dns.notify) does not follow the master: " + behind, "check the secondary: that it"
              + " runs, takes NOTIFY from this pair and may transfer from both nodes (its logs; 'twinsign zone status'"
              + " shows the last transfers out); 'twinsign zone notify --zone Z' asks it again");
          if (grace.held(c.key())) {
            out.add(c);
          }
        }
      }
    }
    grace.lookDone();
    return out;
  }

  /** What the secondary lacks of the serials published, or null when it serves them all. */
  private static String behind(DnsConfig.Endpoint secondary, Map<String, Long> published, Set<String> settled) {
    List<String> lacks = new ArrayList<>();
    SimpleResolver resolver;
    try {
      resolver = new SimpleResolver(secondary.host());
    } catch (IOException e) {
      return "cannot ask it: " + e.getMessage();
    }
    resolver.setPort(secondary.port());
    resolver.setTimeout(Duration.ofSeconds(2));
    // the alert loop also sends the mails: one secondary holds it for a few seconds at most
    long budget = System.nanoTime() + BUDGET.toNanos();
    for (Map.Entry<String, Long> zone : new java.util.TreeMap<>(published).entrySet()) {
      if (System.nanoTime() > budget) {
        break; // the rest at a later look
      }
      Message answer;
      try {
        answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromConstantString(zone.getKey() + "."),
            Type.SOA, DClass.IN)));
      } catch (IOException e) {
        return "it does not answer (" + e.getMessage() + ")"; // not every zone again: one timeout says it
      }
      List<Record> soa = answer.getSection(Section.ANSWER).stream().filter(r -> r instanceof SOARecord).toList();
      if (answer.getRcode() != Rcode.NOERROR || soa.isEmpty()) {
        if (settled.contains(zone.getKey())) { // a zone added a moment ago is not there yet
          lacks.add(zone.getKey() + " (" + Rcode.string(answer.getRcode()) + ")");
        }
      } else {
        long serial = ((SOARecord) soa.get(0)).getSerial();
        if (serial != zone.getValue() && !SerialPolicy.greaterThan(serial, zone.getValue())
            && settled.contains(zone.getKey())) {
          lacks.add(zone.getKey() + " (serial " + serial + ", published " + zone.getValue() + ")");
        }
      }
    }
    return lacks.isEmpty() ? null : "zone(s) " + String.join(", ", lacks);
  }
}
