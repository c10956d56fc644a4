package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.WithMariaDb;

/** The operator commands on a real store and token: a zone from import to signed, and what they print. */
class EnforceCommandsTest extends WithMariaDb {

  @TempDir
  Path dir;

  private TestStore node(boolean requireBackup) throws Exception {
    TestStore node = TestStore.create(server, dir, requireBackup, "");
    node.ok("setup", "--simulation", "--start", "2025-01-01T00:00:00Z");
    node.ok("policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    Files.copy(Path.of("src/test/resources/zones/example.test.zone"), dir.resolve("example.test.zone"));
    Files.copy(Path.of("src/test/resources/zones/included.zone"), dir.resolve("included.zone"));
    node.ok("zone", "add", "--zone", "example.test", "--policy", "short", "--input",
        dir.resolve("example.test.zone").toString(), "--output", dir.resolve("example.test.signed").toString());
    return node;
  }

  @Test
  void aZoneGoesFromImportToSigned() throws Exception {
    TestStore node = node(false);
    String enforce = node.ok("enforce");
    assertTrue(enforce.contains("KSK") && enforce.contains("signed serial"), enforce);
    Path signed = dir.resolve("example.test.signed");
    assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(signed)), "name servers running as another user must read it");
    try (var files = Files.list(dir)) {
      assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(f -> f.contains(".twinsign-n")
          || f.contains(".twinsign-o")).toList(), "no staging files left");
    }
    assertTrue(Verifiers.dnssecVerify(signed, "example.test", false).ok(),
        Verifiers.dnssecVerify(signed, "example.test", false).output());
    String list = node.ok("key", "list", "--verbose");
    assertTrue(list.contains("publish"), list);
    String rollovers = node.ok("rollover", "list");
    assertTrue(rollovers.contains("DNSKEY omnipresent"), rollovers);
    String leap = node.ok("time", "leap");
    assertTrue(leap.contains("time leap"), leap);
    System.out.println(enforce + list + rollovers + leap + node.ok("key", "list", "--verbose"));
  }

  @Test
  void aPolicyWithShorterTtlsWaitsForTheOldOnesToRunOut() throws Exception {
    TestStore node = node(false);
    node.ok("enforce"); // DNSKEYs rumoured at 00:00; omnipresent after 1h TTL + 1h propagation + 1h safety
    assertTrue(node.ok("rollover", "list").contains("DNSKEY omnipresent   2025-01-01 03:00:00"));
    Path shorter = dir.resolve("shorter.xml");
    Files.writeString(shorter, Files.readString(Path.of("src/test/resources/kasp/short.xml"))
        .replace("<Keys>\n      <TTL>PT1H</TTL>", "<Keys>\n      <TTL>PT10M</TTL>"));
    assertTrue(node.ok("policy", "import", shorter.toString()).contains("policy short: updated"));
    String rollovers = node.ok("rollover", "list");
    assertTrue(rollovers.contains("DNSKEY omnipresent   2025-01-01 03:00:00"),
        "the DNSKEYs went out with a TTL of 1h: caches may hold them that long\n" + rollovers);
  }

  @Test
  void timeLeapRefusesAProductionStore() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "");
    node.ok("setup");
    CliRun leap = node.cli("time", "leap");
    assertEquals(1, leap.exit());
    assertTrue(leap.err().contains("only on a store made with 'setup --simulation'"), leap.err());
  }
}
