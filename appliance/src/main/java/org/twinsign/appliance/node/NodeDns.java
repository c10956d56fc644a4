package org.twinsign.appliance.node;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.config.ConfigException;
import org.twinsign.appliance.config.DnsConfig;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.dns.AddressAcl;
import org.twinsign.appliance.dns.DnsServer;
import org.twinsign.appliance.dns.NotifySender;
import org.twinsign.appliance.dns.Responder;
import org.twinsign.appliance.dns.ServedZones;
import org.twinsign.appliance.dns.TsigKeys;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.SignedZones;
import org.twinsign.appliance.service.ZoneService;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;

/**
 * The node's DNS side ({@code dns.*}): serves the master's signed versions by zone transfer and
 * sends NOTIFY for each new one; on the standby, or a master whose lease lapsed, it refuses. What
 * it serves is what the current term publishes (and what it read back when the term started).
 */
final class NodeDns implements ServedZones, org.twinsign.appliance.dns.DnsOperations, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeDns.class);

  private final MasterDuties duties;
  private final DnsServer server;
  private final NotifySender notifier;
  private final ZoneSources sources;
  private final org.twinsign.appliance.dns.TransferLog transfers;
  private final ZoneFileSync fileSync;
  private org.xbill.DNS.TSIG transferTsig;
  private volatile java.util.function.BiFunction<Name, Boolean, String> ingested = (zone, digest) -> null;
  private volatile Responder.NotifyIn ingest = (zone, from, key) -> "this node ingests nothing";
  private volatile java.util.function.Supplier<List<InetSocketAddress>> standby = List::of;

  private NodeDns(MasterDuties duties, DnsServer server, NotifySender notifier, ZoneSources sources,
      org.twinsign.appliance.dns.TransferLog transfers) {
    this.transfers = transfers;
    this.duties = duties;
    this.server = server;
    this.notifier = notifier;
    this.sources = sources;
    this.fileSync = new ZoneFileSync(duties).start();
  }

  /** Starts the DNS side of {@code dns}, or returns null without {@code dns.listen}. */
  static NodeDns start(String source, DnsConfig dns, MasterDuties duties) throws IOException {
    if (dns == null) {
      return null;
    }
    TsigKeys keys = TsigKeys.none();
    if (dns.tsigFile() != null) {
      try {
        keys = TsigKeys.parse(dns.tsigFile().toString(), PairConfig.secret(dns.tsigFile(), "dns.tsig-file"));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(e.getMessage());
      }
    }
    Name transferKey = null;
    org.xbill.DNS.TSIG notifyKey = null;
    try {
      if (dns.transferKey() != null) {
        keys.require(dns.transferKey(), source + ": dns.transfer-key");
        transferKey = Name.fromString(dns.transferKey(), Name.root);
      }
      if (dns.notifyKey() != null) {
        notifyKey = keys.require(dns.notifyKey(), source + ": dns.notify-key");
      }
    } catch (IllegalArgumentException | org.xbill.DNS.TextParseException e) {
      throw new ConfigException(e.getMessage());
    }
    List<InetSocketAddress> secondaries = new ArrayList<>();
    for (DnsConfig.Endpoint e : dns.notifyTo()) {
      secondaries.add(new InetSocketAddress(e.host(), e.port()));
    }
    NodeDns[] self = new NodeDns[1];
    org.twinsign.appliance.dns.TransferLog transfers = new org.twinsign.appliance.dns.TransferLog();
    // the configured secondaries, and the standby while it runs: it ingests each new version at once
    NotifySender notifier = new NotifySender(() -> {
      List<InetSocketAddress> all = new ArrayList<>(secondaries);
      if (self[0] != null) {
        all.addAll(self[0].standby.get());
      }
      return all;
    }, notifyKey, () -> self[0].notServing()).logTo(transfers);
    DnsServer server;
    ZoneSources sources = new ZoneSources(duties, keys, transfers);
    try {
      server = DnsServer.start(new InetSocketAddress(dns.listenHost(), dns.listenPort()),
          new Responder(new Forward(self), AddressAcl.parse(dns.allowTransfer()), keys, transferKey)
              .notifyTo((zone, from, key) -> {
                // a hidden primary's, for a zone taken by transfer; or the master's, to the standby
                String refused = sources.notified(zone, from, key);
                return refused == null || self[0] == null || self[0].ingest.notified(zone, from, key) != null
                    ? refused : null;
              }).logTransfersTo(transfers), DnsServer.Limits.DEFAULT);
    } catch (IOException e) {
      notifier.close();
      throw new ConfigException(source + ": dns.listen " + dns.listenHost() + ":" + dns.listenPort() + ": "
          + e.getMessage());
    }
    self[0] = new NodeDns(duties, server, notifier, sources.start(), transfers);
    self[0].transferTsig = transferKey == null ? null : keys.require(dns.transferKey(), source + ": dns.transfer-key");
    duties.onTerm(services -> {
      services.signedZones().keepJournals(); // IXFR is served from them
      services.takeInputsFrom(sources); // transferred zones are signed from memory, changes incrementally
      services.signedZones().addListener(self[0]::published);
    });
    LOG.info("DNS on {}:{} (transfers to {}{}; NOTIFY to {})", dns.listenHost(), server.port(),
        dns.allowTransfer(), transferKey == null ? "" : ", TSIG " + transferKey, secondaries.isEmpty() ? "nobody"
            : dns.notifyTo());
    return self[0];
  }

  /** The zones whose transfers in from their hidden primaries fail now (for the alerts). */
  Map<String, org.twinsign.appliance.dns.SecondaryZone.Failing> sourcesFailing() {
    return sources.failing();
  }

  /** The standby follows the hidden primaries too, reading its zone list from {@code view} (see {@link ZoneSources}). */
  void followSourcesAsStandby(java.util.function.Supplier<Services> view) {
    sources.followAsStandby(view);
  }

  /** The responder starts before this object exists: it asks through this. */
  private record Forward(NodeDns[] self) implements ServedZones {
    @Override
    public String notServing() {
      return self[0] == null ? "starting" : self[0].notServing();
    }

    @Override
    public Version current(Name zone) {
      return self[0] == null ? null : self[0].current(zone);
    }
  }

  private void published(SignedZones.Version version) {
    if (version.zone().soa() != null) {
      notifier.newSerial(ZoneService.origin(version.name()), (SOARecord) version.zone().soa());
    }
  }

  @Override
  public String notServing() {
    Services services = duties.services();
    if (services == null) {
      return "this node is not master";
    }
    if (!services.lease().valid()) {
      return "this node's lease to act as master lapsed (" + services.lease().describe() + ")";
    }
    return null;
  }

  @Override
  public Version current(Name zone) {
    Services services = duties.services();
    if (services == null) {
      return null;
    }
    SignedZones.Version v = services.signedZones().current(ZoneService.canonical(zone.toString()));
    return v == null ? null : new Version(zone, v.serial(), v.zone(), v.journal());
  }

  int port() {
    return server.port();
  }

  /** The key a transfer from the other node is signed with ({@code dns.transfer-key}), or null. */
  org.xbill.DNS.TSIG transferKey() {
    return transferTsig;
  }

  /** The transfers in and out, by zone (for {@code zone status}). */
  org.twinsign.appliance.dns.TransferLog transfers() {
    return transfers;
  }

  /**
   * The standby's side of NOTIFY: {@code ingest} takes the master's; and, as master, the standby
   * to notify of each new serial ({@code standby}, empty while none runs).
   */
  void notifyBetweenNodes(Responder.NotifyIn ingest, java.util.function.Supplier<List<InetSocketAddress>> standby) {
    this.ingest = ingest;
    this.standby = standby;
  }

  /** What {@code zone status} says of the standby's copy of the master's version ({@link SignedIngest}). */
  void describeIngestWith(java.util.function.BiFunction<Name, Boolean, String> describe) {
    this.ingested = describe;
  }

  @Override
  public java.util.Map<String, String> status(Name zone) {
    return status(zone, false);
  }

  @Override
  public java.util.Map<String, String> status(Name zone, boolean digest) {
    java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
    String why = notServing();
    Version v = current(zone);
    s.put("served", why != null ? "no: " + why : v == null ? "no: not signed in this term yet"
        : "serial " + v.serial() + " on " + server.address().getAddress().getHostAddress() + ":" + server.port());
    if (v != null) {
      s.put("journal", v.journal().depth() == 0 ? "empty (IXFR answered with the whole zone)"
          : v.journal().depth() + " versions back to serial " + v.journal().oldestSerial());
      Services services = duties.services();
      String expire = services == null ? null : services.zones().signaturesExpire(zone.toString());
      if (expire != null) {
        s.put("signatures expire", expire); // of the version served
      }
    }
    String source = sources.describe(zone);
    if (source != null) {
      s.put("source", source);
    }
    String copy = ingested.apply(zone, digest);
    if (copy != null) {
      s.put("ingested", copy);
    }
    transfers.of(zone).forEach((kind, event) -> s.put(kind, event.toString()));
    return s;
  }

  @Override
  public String notifyNow(Name zone) {
    String why = notServing();
    if (why != null) {
      throw new IllegalStateException("no NOTIFY sent: " + why);
    }
    Version v = current(zone);
    if (v == null) {
      throw new IllegalStateException("no NOTIFY sent: zone " + zone + " has no signed version on this node yet");
    }
    if (!notifier.hasSecondaries()) {
      throw new IllegalStateException("no NOTIFY sent: dns.notify names no secondary");
    }
    notifier.newSerial(zone, v.zone().soa());
    return "NOTIFY of zone " + zone + " serial " + v.serial() + " on its way to " + String.join(", ",
        notifier.secondaries()) + " ('zone status' shows the answers)";
  }

  @Override
  public void close() {
    sources.close();
    fileSync.close();
    server.close();
    notifier.close();
  }
}
