package org.twinsign.appliance.enforcer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.service.TestStore;
import org.twinsign.appliance.WithMariaDb;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Issue 4's acceptance: a zone taken through two years of simulated time with {@code time leap}
 * under a policy with short lifetimes — ZSK and KSK rollovers, an algorithm rollover, a manual
 * and an emergency rollover — on a real MariaDB and SoftHSM token, with a repository that
 * requires backup. At every leap the signed zone passes dnssec-verify and ldns-verify-zone (at the
 * simulated time); an independent resolver-cache model never meets a combination that fails
 * validation; a simulated parent, whose DS set changes only through the submit and retract hooks
 * and {@code ds-seen}/{@code ds-gone}, always has a DS matching a KSK in the zone; and no key that
 * is not backed up ever appears in the zone.
 */
class EnforcerSimulationIT extends WithMariaDb {
  private static final DateTimeFormatter DNS_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
      .withZone(ZoneOffset.UTC);
  private static final Pattern LEAP = Pattern.compile("time leap: (\\S+) -> (\\S+)");
  private static final String ZONE = "example.test";

  @TempDir
  Path dir;

  @Test
  void twoYearsOfRolloversKeepTheZoneValid() throws Exception {
    Path submitted = dir.resolve("submitted.txt");
    Path retracted = dir.resolve("retracted.txt");
    Path submitHook = hook("ds-submit.sh", submitted);
    Path retractHook = hook("ds-retract.sh", retracted);
    TestStore node = TestStore.create(server, dir, true, "ds.submit-command=" + submitHook
        + "\nds.retract-command=" + retractHook + "\nkeypool.horizon=P150D\n");
    // dnssec-verify checks signatures against the wall clock: the simulation runs in the past two
    // years, and the policy's signatures (valid 1100 days) cover today
    Instant start = Instant.now().minus(Duration.ofDays(800)).truncatedTo(ChronoUnit.DAYS);
    Instant end = start.plus(Duration.ofDays(730));
    node.ok("setup", "--simulation", "--start", start.toString());
    Path policy = Path.of("src/test/resources/kasp/short.xml").toAbsolutePath();
    node.ok("policy", "import", policy.toString());
    Files.copy(Path.of("src/test/resources/zones/example.test.zone"), dir.resolve("example.test.zone"));
    Files.copy(Path.of("src/test/resources/zones/included.zone"), dir.resolve("included.zone"));
    Path signed = dir.resolve("example.test.signed");
    node.ok("zone", "add", "--zone", ZONE, "--policy", "short", "--input", dir.resolve("example.test.zone").toString(),
        "--output", signed.toString());
    node.ok("key", "generate", "--policy", "short", "--count", "2");
    node.ok("backup", "prepare");
    node.ok("backup", "commit");

    Duration hold = Duration.ofHours(2).plusHours(1); // TTL + propagation delay + safety, for every RRset here
    ResolverCacheModel caches = new ResolverCacheModel(Duration.ofHours(2), hold, hold);
    Set<Integer> parent = new TreeSet<>();
    Set<Integer> zskTags = new HashSet<>();
    Set<Integer> kskTags = new HashSet<>();
    Set<Integer> algorithms = new TreeSet<>();
    long submittedBytes = 0;
    long retractedBytes = 0;
    String lastZone = "";
    Instant now = start;
    Instant lastBackup = start;
    boolean algorithmRolled = false;
    boolean zskLost = false;
    boolean manualDone = false;
    int leaps = 0;
    int verified = 0;
    int stuck = 0;
    StringBuilder log = new StringBuilder();
    while (now.isBefore(end)) {
      assertTrue(++leaps < 2000, "too many leaps; last output:\n" + tail(log));
      // the operators' calendar
      long day = Duration.between(start, now).toDays();
      if (!algorithmRolled && day >= 250) {
        Path rolled = dir.resolve("short-p384.xml");
        Files.writeString(rolled, Files.readString(policy).replace("<Algorithm length=\"256\">13</Algorithm>",
            "<Algorithm length=\"384\">14</Algorithm>"));
        node.ok("policy", "import", rolled.toString());
        algorithmRolled = true;
      }
      String locator = !zskLost && day >= 450 ? activeZsk(node) : null;
      if (locator != null) {
        CliRun delete = CliRun.of("hsm", "delete", "--hsm", TestHsm.config(TestHsm.PRIMARY).toString(), "--locator",
            locator);
        assertEquals(0, delete.exit(), delete.err());
        zskLost = true;
      }
      if (!manualDone && day >= 600) {
        node.ok("key", "rollover", "--zone", ZONE, "--keytype", "KSK");
        manualDone = true;
      }
      if (Duration.between(lastBackup, now).toDays() >= 40) {
        node.ok("backup", "prepare");
        node.ok("backup", "commit");
        lastBackup = now;
      }

      String out = node.ok("time", "leap");
      log.append(out);
      Files.writeString(Path.of("target/enforcer-simulation.log"), out, java.nio.file.StandardOpenOption.CREATE,
          leaps == 1 ? java.nio.file.StandardOpenOption.TRUNCATE_EXISTING : java.nio.file.StandardOpenOption.APPEND);
      Matcher leap = LEAP.matcher(out);
      assertTrue(leap.find(), out);
      Instant before = now;
      now = Instant.parse(leap.group(2));
      stuck = now.equals(before) ? stuck + 1 : 0;
      assertTrue(stuck < 30, "the clock does not move; last output:\n" + tail(log));

      // the parent acts on what the hooks handed it, at once
      String newSubmissions = readFrom(submitted, submittedBytes);
      submittedBytes += newSubmissions.length();
      for (DNSKEYRecord key : dnskeys(newSubmissions)) {
        parent.add(key.getFootprint());
        node.ok("key", "ds-seen", "--zone", ZONE, "--keytag", Integer.toString(key.getFootprint()));
      }
      String newRetractions = readFrom(retracted, retractedBytes);
      retractedBytes += newRetractions.length();
      for (DNSKEYRecord key : dnskeys(newRetractions)) {
        parent.remove(key.getFootprint());
        node.ok("key", "ds-gone", "--zone", ZONE, "--keytag", Integer.toString(key.getFootprint()));
      }
      caches.parentDs(now, parent);

      if (!Files.isRegularFile(signed)) {
        continue;
      }
      String text = Files.readString(signed);
      Served served = served(signed);
      if (!text.equals(lastZone)) {
        lastZone = text;
        var verify = Verifiers.dnssecVerify(signed, ZONE, false);
        assertTrue(verify.ok(), "dnssec-verify at " + now + ":\n" + verify.output() + "\n" + tail(log));
        var ldns = Verifiers.ldnsVerifyZone(signed, DNS_TIME.format(now));
        assertTrue(ldns.ok(), "ldns-verify-zone at " + now + ":\n" + ldns.output() + "\n" + tail(log));
        verified++;
        Map<String, String> backups = backups(node);
        for (String key : served.publicKeys()) {
          assertEquals("backed_up", backups.get(key), "a key is in the zone at " + now + " without a committed backup");
        }
      }
      caches.zone(now, served.dnskeys(), served.keySigners(), served.rrsets());
      try {
        caches.check(now);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "\n" + tail(log), e);
      }
      if (!parent.isEmpty()) {
        assertTrue(parent.stream().anyMatch(served.sepKeys()::contains), "at " + now + " the parent's DS " + parent
            + " matches no KSK of the zone " + served.sepKeys());
      }
      for (int tag : served.dnskeys()) {
        (served.sepKeys().contains(tag) ? kskTags : zskTags).add(tag);
      }
      algorithms.addAll(served.algorithms());
    }
    String keys = node.ok("key", "list", "--verbose");
    assertTrue(zskTags.size() >= 15, "ZSKs seen: " + zskTags + "\n" + keys);
    assertTrue(kskTags.size() >= 5, "KSKs seen: " + kskTags + "\n" + keys);
    assertEquals(Set.of(13, 14), algorithms, "the algorithm rollover to ECDSAP384SHA384");
    assertTrue(served(signed).algorithms().equals(Set.of(14)), "only the new algorithm at the end\n" + keys);
    assertTrue(log.toString().contains("emergency rollover"), "the lost ZSK was noticed");
    assertTrue(log.toString().contains("retires: rollover requested"), "the manual KSK rollover happened");
    assertTrue(log.toString().contains("retires: the policy no longer asks for this key"), "the algorithm rollover");
    assertTrue(caches.checks() > 1000, "cache combinations checked: " + caches.checks());
    assertFalse(parent.isEmpty());
    System.out.printf("simulation: %d leaps, %d zone versions verified, %d ZSKs, %d KSKs, %d cache views checked%n",
        leaps, verified, zskTags.size(), kskTags.size(), caches.checks());
  }

  /** What the signed zone serves: DNSKEY tags, SEP tags, DNSKEY signers, and each other RRset's signers. */
  private record Served(Set<Integer> dnskeys, Set<Integer> sepKeys, Set<Integer> keySigners,
      Map<String, Set<Integer>> rrsets, Set<Integer> algorithms, Set<String> publicKeys) {}

  private static Served served(Path signed) throws IOException {
    Set<Integer> dnskeys = new TreeSet<>();
    Set<Integer> sep = new TreeSet<>();
    Set<Integer> keySigners = new TreeSet<>();
    Set<Integer> algorithms = new TreeSet<>();
    Map<String, Set<Integer>> rrsets = new TreeMap<>();
    Set<String> publicKeys = new TreeSet<>();
    try (Master master = new Master(signed.toString(), Name.fromConstantString(ZONE + "."))) {
      Record record;
      while ((record = master.nextRecord()) != null) {
        if (record instanceof DNSKEYRecord key) {
          dnskeys.add(key.getFootprint());
          algorithms.add(key.getAlgorithm());
          publicKeys.add(java.util.HexFormat.of().formatHex(key.getKey()));
          if ((key.getFlags() & DNSKEYRecord.Flags.SEP_KEY) != 0) {
            sep.add(key.getFootprint());
          }
        } else if (record instanceof RRSIGRecord sig) {
          if (sig.getTypeCovered() == Type.DNSKEY) {
            keySigners.add(sig.getFootprint());
          } else {
            rrsets.computeIfAbsent(sig.getName() + "/" + Type.string(sig.getTypeCovered()), k -> new TreeSet<>())
                .add(sig.getFootprint());
          }
        }
      }
    }
    return new Served(dnskeys, sep, keySigners, rrsets, algorithms, publicKeys);
  }

  private static List<DNSKEYRecord> dnskeys(String text) throws IOException {
    if (text.isBlank()) {
      return List.of();
    }
    List<DNSKEYRecord> keys = new java.util.ArrayList<>();
    try (Master master = new Master(new java.io.ByteArrayInputStream(text.getBytes()))) {
      Record record;
      while ((record = master.nextRecord()) != null) {
        keys.add((DNSKEYRecord) record);
      }
    }
    return keys;
  }

  private Path hook(String name, Path target) throws IOException {
    Path script = dir.resolve(name);
    Files.writeString(script, "#!/bin/sh\ncat >> '" + target + "'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private static String readFrom(Path file, long offset) throws IOException {
    if (!Files.exists(file)) {
      return "";
    }
    String text = Files.readString(file);
    return text.substring((int) offset);
  }

  /** Public key (hex) → backup state of every key in the store, from the store itself. */
  private static Map<String, String> backups(TestStore node) throws Exception {
    Map<String, String> backups = new HashMap<>();
    try (Connection connection = server.rootConnection(); PreparedStatement statement = connection.prepareStatement(
        "SELECT public_key, backup FROM " + node.database() + ".hsm_key"); ResultSet rows = statement.executeQuery()) {
      while (rows.next()) {
        backups.put(java.util.HexFormat.of().formatHex(rows.getBytes(1)), rows.getString(2));
      }
    }
    return backups;
  }

  private static String activeZsk(TestStore node) throws Exception {
    try (Connection connection = server.rootConnection(); PreparedStatement statement = connection.prepareStatement(
        "SELECT h.locator FROM " + node.database() + ".zone_key z JOIN " + node.database()
            + ".hsm_key h ON h.id = z.hsm_key WHERE z.role = 'ZSK' AND z.introducing AND z.rrsig_state = 'omnipresent'"
            + " AND NOT EXISTS (SELECT 1 FROM " + node.database() + ".zone_key o WHERE o.role = 'ZSK' AND NOT o.introducing"
            + " AND o.dnskey_state <> 'hidden')");
        ResultSet rows = statement.executeQuery()) {
      return rows.next() ? rows.getString(1) : null; // none between rollovers: try at the next leap
    }
  }

  private static String tail(StringBuilder log) {
    String text = log.toString();
    return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
  }
}
