package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.HsmToken;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.twinsign.appliance.zone.ZoneFileWriter;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Random edits (adds, deletes, changed TTLs, new and removed delegations), then an incremental
 * sign from the previous signed zone: it validates, keeps the signatures of untouched RRsets, and
 * carries the same records as a full sign of the edited zone.
 */
class IncrementalSigningTest {
  private static final Name ORIGIN = name("inc.test.");
  private static HsmToken token;
  private static List<ZoneKey> keys;

  @BeforeAll
  static void keys() {
    token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 2);
    keys = TestHsm.kskAndZsk(token, ORIGIN, "inc");
  }

  @AfterAll
  static void close() {
    token.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"nsec", "nsec3", "nsec3-optout"})
  void incrementalSignMatchesAFullSignAndKeepsUntouchedSignatures(String denialName, @TempDir Path work)
      throws Exception {
    DenialPolicy denial = denialName.equals("nsec") ? DenialPolicy.NSEC
        : DenialPolicy.nsec3(Nsec3Parameters.rfc9276(denialName.endsWith("optout")));
    Random random = new Random(denialName.hashCode());
    // real time: BIND's dnssec-verify has no option to validate as of another time
    Instant t1 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant t0 = t1.minusSeconds(7200);
    Zone original = generate(random, 400);
    Zone signed1 = sign(original.copy(), null, denial, t0);
    Path signed1File = work.resolve("signed1.zone");
    ZoneFileWriter.write(signed1, signed1File);
    Zone previous = ZoneFileReader.read(signed1File, ORIGIN);

    Zone edited = original.copy();
    Set<String> touched = edit(edited, random, 40);
    ZoneSigner.Result incremental = ZoneSigner.sign(request(edited.copy(), previous, denial, t1));
    ZoneSigner.Result full = ZoneSigner.sign(request(edited.copy(), null, denial, t1));
    assertTrue(incremental.signaturesReused() > 0, "signatures must be reused");
    assertTrue(incremental.signaturesMade() < full.signaturesMade() / 2,
        "an incremental sign makes few signatures: " + incremental.signaturesMade() + " vs " + full.signaturesMade());

    Path incrementalFile = work.resolve("incremental.zone");
    ZoneFileWriter.write(incremental.zone(), incrementalFile);
    Verifiers.Outcome bind = Verifiers.dnssecVerify(incrementalFile, ORIGIN.toString(), false);
    assertTrue(bind.ok(), "dnssec-verify:\n" + bind.output());
    Verifiers.Outcome ldns = Verifiers.ldnsVerifyZone(incrementalFile, null);
    assertTrue(ldns.ok(), "ldns-verify-zone:\n" + ldns.output());
    Verifiers.Outcome knot = Verifiers.kzonecheck(incrementalFile, ORIGIN.toString(), null);
    assertTrue(knot.ok(), "kzonecheck:\n" + knot.output());

    assertEquals(recordsOf(full.zone()), recordsOf(incremental.zone()),
        "incremental and full signing must produce the same records");

    int kept = 0;
    for (Map.Entry<Name, Map<Integer, RRset>> node : incremental.zone().nodes()) {
      for (RRset rrset : node.getValue().values()) {
        if (rrset.getType() == Type.SOA || touched.contains(key(node.getKey(), rrset.getType()))) {
          continue;
        }
        RRset before = previous.node(node.getKey()).get(rrset.getType());
        if (before == null || !SignatureReuse.sameRecords(before, rrset)) {
          continue; // e.g. an NSEC next to an edit
        }
        assertEquals(new HashSet<>(before.sigs()), new HashSet<>(rrset.sigs()),
            "untouched RRset " + node.getKey() + " " + Type.string(rrset.getType()) + " keeps its signatures");
        kept++;
      }
    }
    assertTrue(kept > 300, "most RRsets are untouched and keep their signatures: " + kept);
  }

  private static Zone sign(Zone zone, Zone previous, DenialPolicy denial, Instant now) {
    return ZoneSigner.sign(request(zone, previous, denial, now)).zone();
  }

  private static ZoneSigner.Request request(Zone zone, Zone previous, DenialPolicy denial, Instant now) {
    return new ZoneSigner.Request(zone, "generated", keys, denial, SignatureTiming.DEFAULT, SerialPolicy.COUNTER,
        3600, previous, now, 2, new Random(1));
  }

  private static Set<String> recordsOf(Zone zone) {
    Set<String> records = new HashSet<>();
    for (Record record : zone.records()) {
      if (record.getType() != Type.SOA) {
        records.add(record.toString());
      }
    }
    return records;
  }

  private static Zone generate(Random random, int names) throws Exception {
    Zone zone = new Zone(ORIGIN);
    zone.add(new SOARecord(ORIGIN, DClass.IN, 3600, name("ns.inc.test."), name("root.inc.test."), 100, 3600, 600,
        86400, 300));
    zone.add(new NSRecord(ORIGIN, DClass.IN, 3600, name("ns.inc.test.")));
    zone.add(new ARecord(name("ns.inc.test."), DClass.IN, 3600, InetAddress.getByName("192.0.2.1")));
    for (int i = 0; i < names; i++) {
      addName(zone, random, "n" + i);
    }
    return zone;
  }

  private static void addName(Zone zone, Random random, String label) throws Exception {
    Name owner = name(label + (random.nextInt(4) == 0 ? ".deep" : "") + ".inc.test.");
    switch (random.nextInt(10)) {
      case 0: // delegation with glue, sometimes secure
        zone.add(new NSRecord(owner, DClass.IN, 3600, Name.concatenate(name("ns"), owner)));
        zone.add(new ARecord(Name.concatenate(name("ns"), owner), DClass.IN, 3600, address(random)));
        if (random.nextBoolean()) {
          zone.add(new DSRecord(owner, DClass.IN, 3600, random.nextInt(65536), 13, 2, digest(random)));
        }
        break;
      case 1:
        zone.add(new TXTRecord(owner, DClass.IN, 600, "text " + random.nextInt()));
        break;
      case 2:
        zone.add(new AAAARecord(owner, DClass.IN, 3600, InetAddress.getByName("2001:db8::" + random.nextInt(9999))));
        break;
      default:
        zone.add(new ARecord(owner, DClass.IN, 3600, address(random)));
        break;
    }
  }

  /** Applies edits and returns the owner/type pairs they touched (as "name/TYPE"). */
  private static Set<String> edit(Zone zone, Random random, int count) throws Exception {
    Set<String> touched = new HashSet<>();
    SOARecord soa = zone.soa();
    zone.put(ORIGIN, Type.SOA, new RRset(new SOARecord(ORIGIN, DClass.IN, soa.getTTL(), soa.getHost(),
        soa.getAdmin(), soa.getSerial() + 1, soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum())));
    for (int i = 0; i < count; i++) {
      List<Name> names = zone.names();
      Name victim = names.get(1 + random.nextInt(names.size() - 1));
      if (victim.equals(ORIGIN) || victim.getLabelString(0).equals("ns")) {
        continue; // keep the apex and the glue the delegations point to
      }
      Map<Integer, RRset> node = zone.node(victim);
      switch (random.nextInt(4)) {
        case 0: // delete the name (and, for a delegation, its glue)
          for (Name below : zone.names()) {
            if (below.subdomain(victim)) {
              for (int type : new ArrayList<>(zone.node(below).keySet())) {
                touched.add(key(below, type));
              }
              for (int type : new ArrayList<>(zone.node(below).keySet())) {
                zone.put(below, type, null);
              }
            }
          }
          break;
        case 1: // change a TTL
          int type = node.keySet().iterator().next();
          RRset rrset = node.get(type);
          RRset changed = new RRset();
          for (Record record : rrset.rrs(false)) {
            changed.addRR(record.withName(record.getName()));
          }
          List<Record> retimed = new ArrayList<>();
          for (Record record : changed.rrs(false)) {
            retimed.add(Record.fromString(record.getName(), record.getType(), DClass.IN, record.getTTL() + 60,
                record.rdataToString(), ORIGIN));
          }
          zone.put(victim, type, new RRset(retimed));
          touched.add(key(victim, type));
          break;
        case 2: // a new name, maybe a delegation
          String label = "new" + i + "x" + random.nextInt(1000);
          addName(zone, random, label);
          for (Name added : zone.names()) {
            if (added.toString().contains(label)) {
              for (int t : zone.node(added).keySet()) {
                touched.add(key(added, t));
              }
            }
          }
          break;
        default: // a new delegation at an existing leaf
          if (node.containsKey(Type.A) && !node.containsKey(Type.NS)) {
            zone.add(new NSRecord(victim, DClass.IN, 3600, name("ns.elsewhere.example.")));
            touched.add(key(victim, Type.NS));
            touched.add(key(victim, Type.A));
          }
          break;
      }
    }
    return touched;
  }

  private static String key(Name name, int type) {
    return name + "/" + Type.string(type);
  }

  private static InetAddress address(Random random) throws Exception {
    return InetAddress.getByName("198.51.100." + random.nextInt(256));
  }

  private static byte[] digest(Random random) {
    byte[] digest = new byte[32];
    random.nextBytes(digest);
    return digest;
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
