package org.twinsign.appliance.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.zone.Journal;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneDiff;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

/**
 * Taking a zone from a primary as a secondary does, against a real server on loopback (this
 * signer's own, serving from a journal): AXFR first, then IXFR diffs; a lower serial, a diff that
 * does not apply and a malformed transfer are refused and the last good copy stays.
 */
class SecondaryZoneTest {
  private static final Name ORIGIN = Name.fromConstantString("sec.test.");

  @TempDir
  Path dir;

  private final ZoneTransferTest.Served served = new ZoneTransferTest.Served();
  private final Journal journal = new Journal();
  private DnsServer primary;

  @AfterEach
  void stop() {
    if (primary != null) {
      primary.close();
    }
  }

  private Zone zone(long serial, String body) throws Exception {
    Path file = dir.resolve("src-" + serial + "-" + System.nanoTime());
    Files.writeString(file, "$ORIGIN sec.test.\n$TTL 300\n@ SOA ns hostmaster " + serial + " 3600 600 60 60\n"
        + "@ NS ns\nns A 192.0.2.1\n" + body);
    return ZoneFileReader.read(file, ORIGIN);
  }

  private void serve(Zone zone) {
    served.version = new ServedZones.Version(ORIGIN, zone.soa().getSerial(), zone, journal);
  }

  private SecondaryZone secondary(Path file) throws Exception {
    primary = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new Responder(served, AddressAcl.parse(List.of("127.0.0.0/8")), TsigKeys.none(), null),
        DnsServer.Limits.DEFAULT);
    return new SecondaryZone(ORIGIN, List.of(new InetSocketAddress("127.0.0.1", primary.port())), null, file);
  }

  @Test
  void aFirstCopyByAxfrThenDiffsByIxfrAndBadOnesRefused() throws Exception {
    Path kept = dir.resolve("sec.test.unsigned");
    Zone v1 = zone(1, "a A 192.0.2.10\nb A 192.0.2.11\n");
    serve(v1);
    SecondaryZone zone = secondary(kept);
    assertEquals(-1, zone.serial());
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    SecondaryZone.Outcome first = zone.refresh(t0);
    assertTrue(first.changed() && first.message().contains("AXFR to serial 1 from 127.0.0.1:"), first.message());
    assertEquals(1, ZoneFileReader.read(kept, ORIGIN).soa().getSerial());
    assertEquals(t0.plusSeconds(3600), zone.next(), "the SOA's refresh");

    Zone v2 = zone(2, "a A 192.0.2.10\nc A 192.0.2.12\n");
    journal.append(ZoneDiff.between(v1, v2));
    serve(v2);
    SecondaryZone.Outcome second = zone.refresh(t0.plusSeconds(1));
    assertTrue(second.changed() && second.message().contains("IXFR (1 diff(s)) to serial 2 (was 1)"),
        second.message());
    Zone copy = ZoneFileReader.read(kept, ORIGIN);
    assertTrue(copy.get(Name.fromConstantString("c.sec.test."), org.xbill.DNS.Type.A) != null);
    assertTrue(copy.get(Name.fromConstantString("b.sec.test."), org.xbill.DNS.Type.A) == null);
    assertFalse(zone.refresh(t0.plusSeconds(2)).changed(), "up to date");

    serve(zone(1, "a A 192.0.2.10\n")); // a primary that went back
    SecondaryZone.Outcome lower = zone.refresh(t0.plusSeconds(3));
    assertFalse(lower.changed());
    assertTrue(lower.message().contains("serves serial 1, lower than the 2 held: refused"), lower.message());

    Zone v3 = zone(3, "a A 192.0.2.10\nc A 192.0.2.12\nd A 192.0.2.13\n");
    ZoneDiff lie = new ZoneDiff(v2.soa(), List.of(new ARecord(Name.fromConstantString("zz.sec.test."), DClass.IN,
        300, InetAddress.getByName("192.0.2.200"))), v3.soa(), List.of());
    journal.append(lie);
    serve(v3);
    SecondaryZone.Outcome broken = zone.refresh(t0.plusSeconds(4));
    // the diff is refused, and the whole zone taken once instead, as a secondary does
    assertTrue(broken.changed(), broken.message());
    assertTrue(broken.message().contains("AXFR to serial 3 (was 2) after an IXFR refused")
        && broken.message().contains("does not apply") && broken.message().contains("127.0.0.1:"),
        broken.message());
    Zone afterLie = ZoneFileReader.read(kept, ORIGIN);
    assertEquals(3, afterLie.soa().getSerial());
    assertTrue(afterLie.get(Name.fromConstantString("d.sec.test."), org.xbill.DNS.Type.A) != null);
    assertTrue(afterLie.get(Name.fromConstantString("zz.sec.test."), org.xbill.DNS.Type.A) == null);
    assertFalse(zone.expired());
  }

  @Test
  void aNotifyDuringARefreshIsNotLostAndACurrentIxfrChangesNothing() throws Exception {
    Path kept = dir.resolve("sec.test.unsigned");
    Zone v1 = zone(1, "a A 192.0.2.10\n");
    serve(v1);
    SecondaryZone zone = secondary(kept);
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    assertTrue(zone.refresh(t0).changed());
    primary.close();
    SecondaryZone[] target = {zone};
    org.xbill.DNS.SOARecord one = v1.soa();
    primary = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), primary.port()),
        (request, replies) -> {
          target[0].due(); // a NOTIFY arrives while the SOA query is under way
          Message reply = TransferStream.reply(request.message());
          reply.addRecord(one, Section.ANSWER);
          replies.send(reply);
        }, DnsServer.Limits.DEFAULT);
    SecondaryZone.Outcome current = zone.refresh(t0.plusSeconds(1));
    assertFalse(current.changed(), current.message());
    assertEquals(Instant.EPOCH, zone.next(), "the NOTIFY that came during the refresh asks for another at once");
    primary.close();
    primary = null;
    zone.refresh(t0.plusSeconds(2)); // nobody answers, no NOTIFY now: the SOA's retry
    assertEquals(t0.plusSeconds(2 + 600), zone.next());
  }

  @Test
  void anAnswerNotSignedWithTheZonesTsigKeyIsNotBelieved() throws Exception {
    Path kept = dir.resolve("sec.test.unsigned");
    org.xbill.DNS.SOARecord nine = zone(9, "").soa();
    primary = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        (request, replies) -> {
          Message reply = TransferStream.reply(request.message()); // no TSIG on it
          reply.addRecord(nine, Section.ANSWER);
          replies.send(reply);
        }, DnsServer.Limits.DEFAULT);
    org.xbill.DNS.TSIG key = new org.xbill.DNS.TSIG(org.xbill.DNS.TSIG.HMAC_SHA256, "xfr-key.",
        "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM0NTY3");
    SecondaryZone zone = new SecondaryZone(ORIGIN, List.of(new InetSocketAddress("127.0.0.1", primary.port())),
        key, kept);
    SecondaryZone.Outcome outcome = zone.refresh(Instant.parse("2026-12-01T00:00:00Z"));
    assertFalse(outcome.changed());
    assertTrue(outcome.message().contains("the SOA answer carries no valid signature with the zone's TSIG key"), outcome.message());
    assertFalse(outcome.message().contains("c2VjcmV0"), "no secret in the message");
    assertFalse(Files.exists(kept));
  }

  @Test
  void aMalformedTransferIsRefusedAndAnUnansweredZoneExpires() throws Exception {
    Path kept = dir.resolve("sec.test.unsigned");
    serve(zone(5, ""));
    SecondaryZone zone = secondary(kept);
    Instant t0 = Instant.parse("2026-12-01T00:00:00Z");
    assertTrue(zone.refresh(t0).changed());
    primary.close();
    // a "primary" whose SOA says 6 and whose transfer is one A record, no SOA around it
    org.xbill.DNS.SOARecord six = zone(6, "").soa();
    primary = DnsServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), primary.port()),
        (request, replies) -> {
          Message reply = TransferStream.reply(request.message());
          if (request.message().getQuestion().getType() == org.xbill.DNS.Type.SOA) {
            reply.addRecord(six, Section.ANSWER);
          } else {
            reply.addRecord(new ARecord(Name.fromConstantString("x.sec.test."), DClass.IN, 300,
                InetAddress.getByName("192.0.2.66")), Section.ANSWER);
          }
          replies.send(reply);
        }, DnsServer.Limits.DEFAULT);
    SecondaryZone.Outcome malformed = zone.refresh(t0.plusSeconds(1));
    assertFalse(malformed.changed());
    assertTrue(malformed.message().contains("transfer refused"), malformed.message());
    assertEquals(5, ZoneFileReader.read(kept, ORIGIN).soa().getSerial());

    primary.close(); // nobody answers now: past the SOA's expire (60 s) the copy is stale
    assertFalse(zone.refresh(t0.plusSeconds(30)).changed());
    assertFalse(zone.expired());
    SecondaryZone.Outcome late = zone.refresh(t0.plusSeconds(61));
    assertTrue(zone.expired() && late.message().contains("past its expire time"), late.message());
    assertTrue(Duration.between(t0.plusSeconds(61), zone.next()).getSeconds() >= 10, "retries no faster than 10 s");
  }
}
