package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneDiff;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * The incremental signer against the full one: after each change of a series (names that come
 * and go with empty non-terminals above them, changed data and TTLs, DS at a delegation, a new
 * delegation with glue, a delegation removed, the apex, a wildcard) the zone it mended holds
 * exactly the records a full signing of the new input gives, every RRset the full signing signs is
 * signed by the same keys and verifies, and its diff turns the previous version into the new one.
 */
class IncrementalSignerTest {
  private static final Name ORIGIN = Name.fromConstantString("inc.test.");
  private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
  private static List<ZoneKey> keys;

  @TempDir
  Path dir;

  @BeforeAll
  static void keys() {
    keys = List.of(SoftZoneKeys.of(SoftZoneKeys.generate(), KeyRole.KSK, ORIGIN),
        SoftZoneKeys.of(SoftZoneKeys.generate(), KeyRole.ZSK, ORIGIN));
  }

  private static final String BASE = """
      @ SOA ns1 hostmaster 1 3600 600 86400 300
      @ NS ns1
      @ A 192.0.2.1
      ns1 A 192.0.2.2
      host1 A 192.0.2.10
      host2 A 192.0.2.11
      host2 TXT "two"
      a.b.c A 192.0.2.12
      *.wild TXT "wild"
      sub NS ns.sub
      ns.sub A 192.0.2.53
      sec NS ns.example.
      sec DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      """;

  /** One step: records (zone-file lines) removed and added, and the input's new serial. */
  private record Step(String what, List<String> removed, List<String> added) {}

  private static final List<Step> STEPS = List.of(
      new Step("a new name", List.of(), List.of("new A 192.0.2.20")),
      new Step("a deep name: two empty non-terminals come", List.of(), List.of("x.y.z TXT \"deep\"")),
      new Step("a deep name goes, and its empty non-terminals", List.of("a.b.c A 192.0.2.12"), List.of()),
      new Step("changed data", List.of("host1 A 192.0.2.10"), List.of("host1 A 192.0.2.99")),
      new Step("a changed TTL", List.of("host2 A 192.0.2.11"), List.of("host2 600 A 192.0.2.11")),
      new Step("a type goes, the name stays", List.of("host2 TXT \"two\""), List.of()),
      new Step("DS at a delegation", List.of(),
          List.of("sub DS 54321 13 2 abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789")),
      new Step("a new delegation with glue", List.of(), List.of("del2 NS ns.del2", "ns.del2 A 192.0.2.54")),
      new Step("a delegation goes, with its glue and DS", List.of("sub NS ns.sub", "ns.sub A 192.0.2.53",
          "sub DS 54321 13 2 abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"), List.of()),
      new Step("glue changes below a delegation", List.of("ns.del2 A 192.0.2.54"), List.of("ns.del2 A 192.0.2.55")),
      new Step("the apex", List.of(), List.of("@ MX 10 mail", "mail A 192.0.2.25")),
      new Step("the wildcard goes", List.of("*.wild TXT \"wild\""), List.of()),
      new Step("a name and its neighbour at once", List.of("new A 192.0.2.20"),
          List.of("new2 A 192.0.2.21", "newer AAAA 2001:db8::1")));

  private Zone parse(long serial, String body) throws Exception {
    Path file = Files.createTempFile(dir, "zone", ".txt");
    Files.writeString(file, "$ORIGIN inc.test.\n$TTL 3600\n" + body.replace("@ SOA ns1 hostmaster 1 ",
        "@ SOA ns1 hostmaster " + serial + " "));
    return ZoneFileReader.read(file, ORIGIN);
  }

  private List<Record> records(List<String> lines) throws Exception {
    if (lines.isEmpty()) {
      return List.of();
    }
    List<Record> out = new ArrayList<>();
    Zone z = parse(1, "@ SOA ns1 hostmaster 1 3600 600 86400 300\n" + String.join("\n", lines) + "\n");
    for (Map<Integer, RRset> node : z.rrsetsByName()) {
      for (RRset rrset : node.values()) {
        if (rrset.getType() != Type.SOA) {
          out.addAll(rrset.rrs(false));
        }
      }
    }
    return out;
  }

  private static ZoneSigner.Result full(Zone unsigned, DenialPolicy denial, Zone previous) {
    return ZoneSigner.sign(new ZoneSigner.Request(unsigned.copy(), "test", keys, denial, SignatureTiming.DEFAULT,
        SerialPolicy.COUNTER, 3600, previous, NOW, 1, new Random(1)));
  }

  private static IncrementalSigner.Outcome incremental(Zone signed, Zone unsigned, List<Record> removed,
      List<Record> added, DenialPolicy denial) {
    return IncrementalSigner.apply(new IncrementalSigner.Request(signed, unsigned.soa(), removed, added, keys, denial,
        SignatureTiming.DEFAULT, SerialPolicy.COUNTER, null, NOW.plusSeconds(60), new Random(2), null));
  }

  @Test
  void eachChangeGivesWhatAFullSigningGivesWithNsec() throws Exception {
    series(DenialPolicy.NSEC);
  }

  @Test
  void eachChangeGivesWhatAFullSigningGivesWithNsec3() throws Exception {
    series(DenialPolicy.nsec3(new Nsec3Parameters(0, new byte[] {(byte) 0xab, (byte) 0xcd}, false)));
  }

  @Test
  void eachChangeGivesWhatAFullSigningGivesWithRfc9276Nsec3() throws Exception {
    series(DenialPolicy.nsec3(Nsec3Parameters.rfc9276(false)));
  }

  private void series(DenialPolicy denial) throws Exception {
    Zone unsigned = parse(1, BASE);
    Zone signed = full(unsigned, denial, null).zone();
    long serial = 1;
    for (Step step : STEPS) {
      serial++;
      List<Record> removed = records(step.removed());
      List<Record> added = records(step.added());
      for (Record r : removed) {
        RRset rest = new RRset();
        unsigned.get(r.getName(), r.getType()).rrs(false).stream().filter(x -> !x.equals(r)).forEach(rest::addRR);
        unsigned.put(r.getName(), r.getType(), rest.size() == 0 ? null : rest);
      }
      added.forEach(unsigned::add);
      unsigned.put(ORIGIN, Type.SOA, new RRset(parse(serial, BASE).soa()));

      Zone before = signed.copy();
      Zone served = signed;
      Set<String> servedText = text(served, true);
      // a reloaded input file, diffed against the version served, gives the same change
      org.twinsign.appliance.zone.ZoneDiff fromFile = IncrementalSigner.inputChange(served, unsigned);
      assertEquals(asText(removed), asText(fromFile.removed()), step.what() + ": removed, found by the file's diff");
      assertEquals(asText(added), asText(fromFile.added()), step.what() + ": added, found by the file's diff");
      signed = served.fork(); // the next version; the one served must not change under its readers
      IncrementalSigner.Outcome outcome = incremental(signed, unsigned, removed, added, denial);
      assertTrue(outcome.applied(), step.what() + ": " + outcome.fullSigningBecause());
      assertEquals(servedText, text(served, true), step.what() + ": the version served is untouched");
      assertEquals(serial, outcome.serial());
      ZoneSigner.Result expected = full(unsigned, denial, before);
      assertEquals(text(expected.zone(), false), text(signed, false), step.what() + ": the records of a full signing");
      assertSignedAsFull(expected.zone(), signed, step.what());
      assertTrue(outcome.signaturesMade() < 20, step.what() + ": " + outcome.signaturesMade() + " signatures made");

      outcome.diff().applyTo(before);
      assertEquals(text(signed, true), text(before, true), step.what() + ": the diff leads from the old to the new");
    }
  }

  private static Set<String> asText(List<Record> records) {
    Set<String> out = new TreeSet<>();
    records.forEach(r -> out.add(r.toString()));
    return out;
  }

  /** Every record (with TTL), and with {@code sigs} every signature too, as text. */
  private static Set<String> text(Zone zone, boolean sigs) {
    Set<String> out = new TreeSet<>();
    for (Map<Integer, RRset> node : zone.rrsetsByName()) {
      for (RRset rrset : node.values()) {
        rrset.rrs(false).forEach(r -> out.add(r.toString()));
        if (sigs) {
          rrset.sigs().forEach(r -> out.add(r.toString()));
        }
      }
    }
    return out;
  }

  /** Each RRset the full signing signed is signed by the same keys here, and each signature verifies. */
  private static void assertSignedAsFull(Zone full, Zone mended, String what) throws Exception {
    RRset dnskeys = mended.get(ORIGIN, Type.DNSKEY);
    Map<Integer, DNSKEYRecord> byTag = new TreeMap<>();
    dnskeys.rrs(false).forEach(r -> byTag.put(((DNSKEYRecord) r).getFootprint(), (DNSKEYRecord) r));
    for (Map.Entry<Name, Map<Integer, RRset>> node : full.nodes()) {
      for (RRset expected : node.getValue().values()) {
        RRset actual = mended.node(node.getKey()).get(expected.getType());
        Set<Integer> want = new TreeSet<>();
        expected.sigs().forEach(s -> want.add(s.getFootprint()));
        Set<Integer> have = new TreeSet<>();
        for (RRSIGRecord sig : actual.sigs()) {
          have.add(sig.getFootprint());
          DNSSEC.verify(actual, sig, byTag.get(sig.getFootprint()), NOW.plusSeconds(120));
        }
        assertEquals(want, have, what + ": the keys signing " + node.getKey() + " " + Type.string(expected.getType()));
      }
    }
  }

  @Test
  void changesThatNeedAFullSigningLeaveTheZoneAlone() throws Exception {
    DenialPolicy nsec3 = DenialPolicy.nsec3(new Nsec3Parameters(0, new byte[0], false));
    Zone unsigned = parse(1, BASE);
    Zone signed = full(unsigned, nsec3, null).zone();
    Set<String> untouched = text(signed, true);
    Zone next = parse(2, BASE);

    IncrementalSigner.Outcome cut = incremental(signed, next, List.of(), records(List.of("c NS ns.example.")), nsec3);
    assertFalse(cut.applied());
    assertTrue(cut.fullSigningBecause().contains("a NS at c.inc.test. comes or goes above other names"),
        cut.fullSigningBecause());
    Zone withData = parse(1, BASE + "sub A 192.0.2.77\n"); // data at a delegation point: the child's, unsigned
    Zone signedWithData = full(withData, nsec3, null).zone();
    IncrementalSigner.Outcome lostCut = incremental(signedWithData.fork(), parse(2, BASE), records(List.of(
        "sub NS ns.sub", "ns.sub A 192.0.2.53")), List.of(), nsec3);
    assertTrue(String.valueOf(lostCut.fullSigningBecause()).contains("its A data becomes the zone's"),
        lostCut.fullSigningBecause());
    IncrementalSigner.Outcome missing = incremental(signed, next, records(List.of("host1 A 192.0.2.77")), List.of(),
        nsec3);
    assertFalse(missing.applied());
    assertTrue(missing.fullSigningBecause().contains("which the signed zone does not hold"));
    IncrementalSigner.Outcome cname = incremental(signed, next, List.of(), records(List.of("host1 CNAME host2")),
        nsec3);
    assertTrue(cname.fullSigningBecause().contains("CNAME at host1.inc.test. beside other data"),
        cname.fullSigningBecause());
    IncrementalSigner.Outcome optOut = incremental(signed, next, List.of(), records(List.of("n A 192.0.2.1")),
        DenialPolicy.nsec3(new Nsec3Parameters(0, new byte[0], true)));
    assertTrue(optOut.fullSigningBecause().contains("opt-out"), optOut.fullSigningBecause());
    IncrementalSigner.Outcome salt = incremental(signed, next, List.of(), records(List.of("n A 192.0.2.1")),
        DenialPolicy.nsec3(new Nsec3Parameters(0, new byte[] {1}, false)));
    assertTrue(String.valueOf(salt.fullSigningBecause()).contains("NSEC3 parameters change"),
        salt.fullSigningBecause());
    IncrementalSigner.Outcome dnssec = incremental(signed, next, List.of(),
        records(List.of("@ CDS 0 0 0 00")), nsec3);
    assertTrue(dnssec.fullSigningBecause().contains("which the signer makes"), dnssec.fullSigningBecause());
    assertEquals(untouched, text(signed, true), "nothing was changed");
  }
}
