package org.twinsign.appliance.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.dnssec.DenialPolicy;
import org.twinsign.appliance.dnssec.Nsec3Parameters;
import org.twinsign.appliance.dnssec.SerialPolicy;
import org.twinsign.appliance.dnssec.SignatureTiming;
import org.twinsign.appliance.dnssec.ZoneKey;
import org.twinsign.appliance.dnssec.ZoneSigner;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.HsmToken;
import org.twinsign.appliance.zone.Journal;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneDiff;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.NsdServer;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * The signer's DNS side against real DNS software: kdig transfers a signed zone with TSIG, an NSD
 * secondary follows it by NOTIFY and AXFR; refusals (standby, ACL, TSIG, unknown zone) carry the
 * right code and a log line naming the peer and zone, never the secret; a client hoarding TCP
 * connections or sending garbage does not stop the server answering others.
 */
class ZoneTransferTest {
  private static final Name ORIGIN = Name.fromConstantString("xfr.test.");
  private static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXh4eHg=";
  private static final String OTHER_SECRET = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXIteHg=";
  private static final String KEYS = "# the pair's transfer key\nkey \"xfr-key\" {\n  algorithm hmac-sha256;\n"
      + "  secret \"" + SECRET + "\";\n};\n";
  private static HsmToken token;
  private static List<ZoneKey> keys;

  @TempDir
  Path dir;

  private final Served zones = new Served();
  private DnsServer server;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  /** What a node serves, set by the test. */
  static final class Served implements ServedZones {
    volatile String notServing;
    volatile Version version;

    @Override
    public String notServing() {
      return notServing;
    }

    @Override
    public Version current(Name zone) {
      Version v = version;
      return v != null && v.origin().equals(zone) ? v : null;
    }
  }

  @BeforeAll
  static void keys() {
    token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 2);
    keys = TestHsm.kskAndZsk(token, ORIGIN, "xfr");
  }

  @AfterAll
  static void close() {
    token.close();
  }

  @BeforeEach
  void start() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger(Responder.class);
    logged.start();
    logger.addAppender(logged);
    server = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new Responder(zones, AddressAcl.parse(List.of("127.0.0.1/32")), TsigKeys.parse("test keys", KEYS), null),
        new DnsServer.Limits(16, 4, Duration.ofSeconds(2)));
  }

  @AfterEach
  void stop() {
    server.close();
    ((Logger) LoggerFactory.getLogger(Responder.class)).detachAppender(logged);
  }

  /** A signed version of a zone of {@code names} names with {@code serial}, with no history. */
  private static ServedZones.Version version(int names, long serial) throws Exception {
    return version(names, serial, new Journal(), null);
  }

  /**
   * A signed version of a zone of {@code names} names with {@code serial}; {@code journal} its
   * history; signed from {@code previous} (its signatures reused) if not null.
   */
  private static ServedZones.Version version(int names, long serial, Journal journal, Zone previous)
      throws Exception {
    StringBuilder text = new StringBuilder("$ORIGIN xfr.test.\n$TTL 3600\n@ SOA ns1 hostmaster " + serial
        + " 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.1\n*.wild TXT \"wildcard\"\n");
    for (int i = 0; i < names; i++) {
      text.append("h").append(i).append(" A 10.0.").append(i / 250).append('.').append(i % 250 + 1).append('\n');
    }
    Path file = Files.createTempFile("xfr", ".zone");
    try {
      Files.writeString(file, text);
      Zone zone = ZoneFileReader.read(file, ORIGIN);
      ZoneSigner.Result signed = ZoneSigner.sign(new ZoneSigner.Request(zone, "test", keys,
          DenialPolicy.nsec3(Nsec3Parameters.rfc9276(false)), SignatureTiming.DEFAULT, SerialPolicy.KEEP, 3600, previous,
          Instant.now(), 2, new Random(1)));
      return new ServedZones.Version(ORIGIN, signed.serial(), signed.zone(), journal);
    } finally {
      Files.delete(file);
    }
  }

  private static Message axfrQuery() {
    return Message.newQuery(Record.newRecord(ORIGIN, Type.AXFR, DClass.IN));
  }

  /** Asks over UDP (or TCP) through dnsjava's resolver, which checks the answer's TSIG. */
  private Message ask(String name, int type, TSIG key, boolean tcp) throws IOException {
    SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
    resolver.setPort(server.port());
    resolver.setTCP(tcp);
    resolver.setTimeout(Duration.ofSeconds(5));
    if (key != null) {
      resolver.setTSIGKey(key);
    }
    Message query = Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
    return resolver.send(query);
  }

  private String log() {
    StringBuilder s = new StringBuilder();
    logged.list.forEach(e -> s.append(e.getFormattedMessage()).append('\n'));
    return s.toString();
  }

  @Test
  void kdigTransfersTheSignedZoneWithTsigAndAnNsdSecondaryFollowsByNotifyAndIxfr() throws Exception {
    Journal journal = new Journal();
    zones.version = version(300, 2026120101, journal, null);
    Path keyFile = dir.resolve("kdig.key");
    Files.writeString(keyFile, "hmac-sha256:xfr-key:" + SECRET + "\n"); // kdig -k: the secret stays off the command line
    Path kdig = HostTool.require("kdig", "knot-dnsutils");
    Path out = dir.resolve("kdig.out");
    int exit = LocalProcess.run("kdig", List.of(kdig.toString(), "-p", Integer.toString(server.port()), "-k",
        keyFile.toString(), "@127.0.0.1", "AXFR", "xfr.test."), java.util.Map.of(), dir, out, null,
        Duration.ofSeconds(30));
    String axfr = Files.readString(out);
    assertEquals(0, exit, axfr);
    long records = axfr.lines().filter(l -> !l.isBlank() && !l.startsWith(";") && !l.contains("\tTSIG\t")).count();
    assertEquals(zones.version.zone().recordCount() + 1, records, "every record and signature, the SOA twice:\n"
        + axfr.substring(Math.max(0, axfr.length() - 800)));
    java.util.regex.Matcher summary = java.util.regex.Pattern.compile("\\((\\d+) messages, (\\d+) records\\)")
        .matcher(axfr);
    assertTrue(summary.find(), axfr);
    assertTrue(Integer.parseInt(summary.group(1)) > 1, "a zone this size takes several messages");
    assertEquals(Long.parseLong(summary.group(1)), axfr.lines().filter(l -> l.contains("\tTSIG\t")
        && l.contains(" NOERROR ")).count(), "every message signed, and kdig verified each");
    assertTrue(log().contains("AXFR of zone xfr.test. serial 2026120101 to 127.0.0.1#"), log());
    assertTrue(log().contains("(TSIG xfr-key.)"), log());

    NsdServer.TsigKey nsdKey = new NsdServer.TsigKey("xfr-key", "hmac-sha256", SECRET);
    try (NsdServer secondary = NsdServer.secondary("xfr.test", List.of("127.0.0.1@" + server.port()), nsdKey);
        NotifySender notify = new NotifySender(List.of(new InetSocketAddress("127.0.0.1", secondary.port())),
            TsigKeys.parse("test keys", KEYS).require("xfr-key", "test"), () -> zones.notServing)) {
      secondary.awaitSerial("xfr.test", 2026120101, Duration.ofSeconds(30));
      ServedZones.Version first = zones.version;
      ServedZones.Version second = version(301, 2026120102, journal, first.zone());
      journal.append(ZoneDiff.between(first.zone(), second.zone()));
      zones.version = second;
      notify.newSerial(ORIGIN, zones.version.zone().soa());
      // NSD's own SOA refresh is an hour away: only the NOTIFY brings the new serial this soon
      secondary.awaitSerial("xfr.test", 2026120102, Duration.ofSeconds(20));
      // the server logs a transfer once its last message is out: the secondary may serve it a moment before
      long logged = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!log().contains("IXFR of zone xfr.test. serial 2026120101 ->") && System.nanoTime() < logged) {
        Thread.sleep(50);
      }
      java.util.regex.Matcher ixfr = java.util.regex.Pattern.compile("IXFR of zone xfr.test. serial 2026120101 ->"
          + " 2026120102 to 127.0.0.1#\\d+ \\((\\d+) removed, (\\d+) added\\) \\(TSIG xfr-key.\\): (\\d+) messages,"
          + " (\\d+) bytes").matcher(log());
      assertTrue(ixfr.find(), "the secondary took a diff:\n" + log());
      long diffBytes = Long.parseLong(ixfr.group(4));
      java.util.regex.Matcher full = java.util.regex.Pattern.compile("AXFR of zone xfr.test. serial 2026120101 to"
          + " .*: \\d+ messages, (\\d+) bytes").matcher(log());
      assertTrue(full.find(), log());
      assertTrue(diffBytes * 20 < Long.parseLong(full.group(1)), "a diff, not the zone: " + diffBytes + " bytes");
      SimpleResolver nsd = new SimpleResolver(InetAddress.getLoopbackAddress());
      nsd.setPort(secondary.port());
      Message q = Message.newQuery(Record.newRecord(Name.fromConstantString("h300.xfr.test."), Type.A, DClass.IN));
      q.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, Flags.DO), Section.ADDITIONAL);
      Message a = nsd.send(q);
      assertEquals(Rcode.NOERROR, a.getRcode(), a.toString());
      assertTrue(a.getSection(Section.ANSWER).stream().anyMatch(r -> r.getType() == Type.RRSIG), a.toString());
    }
  }

  @Test
  void refusalsCarryTheRightCodeAndALogLineWithoutTheSecret() throws Exception {
    zones.version = version(20, 7);
    TSIG good = TsigKeys.parse("test keys", KEYS).require("xfr-key", "test");
    assertEquals(Rcode.NOERROR, ask("xfr.test.", Type.SOA, good, false).getRcode());
    assertEquals(7, ((SOARecord) ask("xfr.test.", Type.SOA, null, false).getSection(Section.ANSWER).get(0))
        .getSerial());

    TSIG wrong = new TSIG(TSIG.HMAC_SHA256, "xfr-key.", OTHER_SECRET);
    Message badSig = askIgnoringTsig("xfr.test.", Type.AXFR, wrong);
    assertEquals(Rcode.NOTAUTH, badSig.getRcode(), badSig.toString());
    TSIG unknown = new TSIG(TSIG.HMAC_SHA256, "other-key.", SECRET);
    Message badKey = askIgnoringTsig("xfr.test.", Type.AXFR, unknown);
    assertEquals(Rcode.NOTAUTH, badKey.getRcode());
    assertEquals(Rcode.BADKEY, badKey.getTSIG().getError(), "RFC 8945 §5.2.1: " + badKey);
    assertEquals(0, badKey.getTSIG().getSignature().length, "unsigned: the server has no such key");
    assertTrue(log().contains("AXFR from 127.0.0.1#") && log().contains("for zone xfr.test. refused: TSIG key"
        + " xfr-key. does not verify"), log());
    assertTrue(log().contains("unknown TSIG key other-key."), log());

    assertEquals(Rcode.NOTAUTH, ask("other.test.", Type.SOA, null, false).getRcode(), "not our zone");
    assertEquals(Rcode.REFUSED, ask("xfr.test.", Type.A, null, false).getRcode(), "a signer is no resolver");
    Message fromElsewhere = tcp(axfrQuery(), "127.0.0.2");
    assertEquals(Rcode.REFUSED, fromElsewhere.getRcode());
    assertTrue(log().contains("AXFR of zone xfr.test. refused to 127.0.0.2#") && log().contains(
        "not in dns.allow-transfer (127.0.0.1/32)"), log());

    zones.notServing = "this node is not master";
    assertEquals(Rcode.REFUSED, tcp(axfrQuery(), "127.0.0.1").getRcode(), "the standby refuses");
    assertEquals(Rcode.REFUSED, ask("xfr.test.", Type.SOA, good, false).getRcode());
    for (String secret : new String[] {SECRET, OTHER_SECRET}) {
      assertFalse(log().contains(secret), "no secret in the log");
    }

    DnsServer strict = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), new Responder(zones,
        AddressAcl.parse(List.of("127.0.0.0/8")), TsigKeys.parse("test keys", KEYS), Name.fromConstantString(
            "xfr-key.")), DnsServer.Limits.DEFAULT);
    try {
      zones.notServing = null;
      SimpleResolver resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
      resolver.setPort(strict.port());
      Message unsigned = resolver.send(Message.newQuery(Record.newRecord(ORIGIN, Type.SOA, DClass.IN)));
      assertEquals(Rcode.NOTAUTH, unsigned.getRcode(), "dns.transfer-key: unsigned is refused");
      resolver.setTSIGKey(good);
      assertEquals(Rcode.NOERROR, resolver.send(Message.newQuery(Record.newRecord(ORIGIN, Type.SOA, DClass.IN)))
          .getRcode());
    } finally {
      strict.close();
    }
  }

  /** Sends a query signed with {@code key} and reads the answer without verifying its TSIG. */
  private Message askIgnoringTsig(String name, int type, TSIG key) throws IOException {
    Message query = Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
    key.apply(query, null);
    return tcp(query, "127.0.0.1");
  }

  /** Sends {@code query} over TCP from {@code from} and reads the first message of the answer. */
  private Message tcp(Message query, String from) throws IOException {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(from, 0));
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 2000);
      socket.setSoTimeout(5000);
      byte[] wire = query.toWire();
      socket.getOutputStream().write(new byte[] {(byte) (wire.length >>> 8), (byte) wire.length});
      socket.getOutputStream().write(wire);
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] answer = new byte[in.readUnsignedShort()];
      in.readFully(answer);
      return new Message(answer);
    }
  }

  @Test
  void aClientHoardingConnectionsOrSendingGarbageDoesNotStopTheServerAnsweringOthers() throws Exception {
    zones.version = version(50, 9);
    List<Socket> hoard = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) { // far more than its 4 and the server's 16
        Socket s = new Socket();
        s.bind(new InetSocketAddress("127.0.0.2", 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()), 2000);
        s.getOutputStream().write(new byte[] {(byte) 0xff, (byte) 0xff, 1, 2, 3}); // "65535 bytes follow", then stalls
        hoard.add(s);
      }
      try (DatagramSocket udp = new DatagramSocket()) {
        byte[] garbage = new byte[] {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, (byte) 0xff};
        udp.send(new DatagramPacket(garbage, garbage.length, InetAddress.getLoopbackAddress(), server.port()));
        udp.setSoTimeout(3000);
        DatagramPacket reply = new DatagramPacket(new byte[512], 512);
        udp.receive(reply);
        Message formerr = new Message(java.util.Arrays.copyOf(reply.getData(), reply.getLength()));
        assertEquals(Rcode.FORMERR, formerr.getRcode());
        assertEquals(0x1234, formerr.getHeader().getID());
      }
      Message axfr = tcp(axfrQuery(), "127.0.0.1");
      assertEquals(Rcode.NOERROR, axfr.getRcode(), "another client is still answered over TCP");
      assertTrue(axfr.getSection(Section.ANSWER).size() > 50, "the zone comes");
      assertEquals(Rcode.NOERROR, ask("xfr.test.", Type.SOA, null, false).getRcode());
      Thread.sleep(3000); // past the idle limit: the stalled connections are closed
      for (Socket s : hoard) {
        s.setSoTimeout(1000);
        assertEquals(-1, s.getInputStream().read(), "closed by the server");
      }
    } finally {
      for (Socket s : hoard) {
        s.close();
      }
    }
  }
}
