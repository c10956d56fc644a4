package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.WithMariaDb;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.dnssec.SignatureFault;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.xbill.DNS.Name;

/**
 * Every master action under a lease, in the shape the pair needs: read → decide and sign outside
 * any transaction → a short commit guarded by the zone's version and the lease. Real MariaDB and
 * SoftHSM; each test shows a defect of the one-transaction-per-zone enforcer it replaced.
 */
class MasterActionTest extends WithMariaDb {
  @TempDir
  Path dir;

  @AfterEach
  void disarm() {
    SignatureFault.clear();
  }

  private TestStore node() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "");
    node.ok("setup");
    node.ok("policy", "import", Path.of("src/test/resources/kasp/counter.xml").toAbsolutePath().toString());
    addZone(node, "example.test");
    return node;
  }

  private void addZone(TestStore node, String zone) throws Exception {
    Files.writeString(dir.resolve(zone + ".zone"), "$ORIGIN " + zone + ".\n$TTL 3600\n"
        + "@ IN SOA ns1 hostmaster 2026112201 7200 3600 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\n"
        + "www IN A 192.0.2.2\nmail IN MX 10 www\n");
    node.ok("zone", "add", "--zone", zone, "--policy", "counter", "--input", dir.resolve(zone + ".zone").toString(),
        "--output", dir.resolve(zone + ".signed").toString());
  }

  private void change(String zone, String record) throws Exception {
    Files.writeString(dir.resolve(zone + ".zone"), record + "\n", java.nio.file.StandardOpenOption.APPEND);
  }

  private long fileSerial(String zone) {
    return ZoneFileReader.read(dir.resolve(zone + ".signed"), Name.fromConstantString(zone + ".")).soa().getSerial();
  }

  private long storeSerial(TestStore node, String zone) throws Exception {
    return Long.parseLong(server.queryString("SELECT signed_serial FROM " + node.database() + ".zone WHERE name = '"
        + zone + "'"));
  }

  private Services services(TestStore node, org.twinsign.fencing.Lease lease) {
    return Services.open(TwinsignConfig.load(node.config()), lease);
  }

  @Test
  void aMasterSignsOnFromTheVersionItPublishedAndTrustsItOnlyWhileTheStoreAgrees() throws Exception {
    TestStore node = node();
    try (Services master = services(node, org.twinsign.fencing.Lease.singleNode())) {
      ZoneReport first = master.enforcer().enforce().zones().get(0);
      assertEquals(ZoneReport.Status.SIGNED, first.status(), first.lines().toString());

      change("example.test", "a1 IN A 192.0.2.11");
      ZoneReport second = master.enforcer().enforce().zones().get(0);
      assertTrue(String.join("\n", second.lines()).contains("reused from the signed version in memory"),
          second.lines().toString());
      assertTrue(second.signaturesMade() <= 4 && second.signaturesReused() >= 8,
          "only the SOA, the new RRset and its NSEC3 neighbours are signed anew: " + second.lines());
      assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());

      // another process publishes a version: the one in memory is stale, and the file is read instead
      change("example.test", "a2 IN A 192.0.2.12");
      node.ok("enforce");
      long other = fileSerial("example.test");
      change("example.test", "a3 IN A 192.0.2.13");
      ZoneReport third = master.enforcer().enforce().zones().get(0);
      assertFalse(String.join("\n", third.lines()).contains("in memory"), third.lines().toString());
      assertTrue(third.signaturesReused() >= 8, "the published file's signatures are reused: " + third.lines());
      assertTrue(fileSerial("example.test") > other);
      assertTrue(Files.readString(dir.resolve("example.test.signed")).contains("a2.example.test."));
      assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());
    }
  }

  @Test
  void aKeyMadeAfterTheHsmWasListedIsFoundThere() throws Exception {
    TestStore node = node();
    try (Services master = services(node, org.twinsign.fencing.Lease.singleNode())) {
      master.enforcer().enforce();
      master.enforcer().enforce(); // the zone's keys are published: the HSM is listed to find them
      // a key made since (the pool's filler, another zone's run beside this one), on other sessions
      String made = CliRun.of("hsm", "generate", "--hsm", org.twinsign.appliance.TestHsm.config(
          org.twinsign.appliance.TestHsm.PRIMARY).toString(), "--algorithm", "ECDSAP256SHA256", "--label",
          "made-later").out().strip();
      assertTrue(master.repositories().holds("SoftHSM", new org.twinsign.appliance.hsm.KeyLocator(made)),
          "a key not in the listing is searched for, not taken for gone");
      assertFalse(master.repositories().holds("SoftHSM", org.twinsign.appliance.hsm.KeyLocator.random()));
    }
  }

  @Test
  void theSerialNeverGoesBackWhateverTheOutputFileHolds() throws Exception {
    TestStore node = node();
    node.ok("enforce");
    long first = fileSerial("example.test");
    Path firstVersion = Files.copy(dir.resolve("example.test.signed"), dir.resolve("first-version"));
    change("example.test", "a1 IN A 192.0.2.11");
    node.ok("enforce");
    long second = fileSerial("example.test");
    assertTrue(second > first, second + " after " + first);

    Files.delete(dir.resolve("example.test.signed"));
    node.ok("enforce");
    long third = fileSerial("example.test");
    assertTrue(third > second, "output deleted: " + third + " after " + second);

    String text = Files.readString(dir.resolve("example.test.signed"));
    Files.writeString(dir.resolve("example.test.signed"), text.substring(0, text.length() / 3));
    change("example.test", "a2 IN A 192.0.2.12");
    node.ok("enforce");
    long fourth = fileSerial("example.test");
    assertTrue(fourth > third, "output truncated: " + fourth + " after " + third);

    Files.copy(firstVersion, dir.resolve("example.test.signed"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    change("example.test", "a3 IN A 192.0.2.13");
    node.ok("enforce");
    long fifth = fileSerial("example.test");
    assertTrue(fifth > fourth, "an older version put back: " + fifth + " after " + fourth);
    assertEquals(fifth, storeSerial(node, "example.test"));
    assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());
  }

  @Test
  void twoZonesSignAtTheSameTime() throws Exception {
    TestStore node = node();
    addZone(node, "other.test");
    ScriptedLease lease = new ScriptedLease(5).holdIn("ZoneSigner.sign");
    try (Services first = services(node, lease); Services second = services(node, new ScriptedLease(5))) {
      CompletableFuture<EnforcerService.Report> slow = CompletableFuture.supplyAsync(
          () -> first.enforcer().enforce(List.of("example.test")));
      assertTrue(lease.held.await(60, TimeUnit.SECONDS), "the first zone reached its signing");
      try {
        // the first zone is held in the middle of its signing; the second must not wait for it
        EnforcerService.Report other = CompletableFuture.supplyAsync(() -> second.enforcer()
            .enforce(List.of("other.test"))).get(60, TimeUnit.SECONDS);
        assertEquals(List.of(), other.failures());
        assertTrue(Files.exists(dir.resolve("other.test.signed")));
        assertFalse(Files.exists(dir.resolve("example.test.signed")), "the first zone is still signing");
      } finally {
        lease.release.countDown();
      }
      assertEquals(List.of(), slow.get(60, TimeUnit.SECONDS).failures());
    }
    assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());
    assertTrue(Verifiers.dnssecVerify(dir.resolve("other.test.signed"), "other.test", false).ok());
  }

  /**
   * Signs the zone once, changes its input, then enforces under a lease that ends the first time it
   * is asked from within {@code method}: the run fails, and neither the published file nor the
   * store's serial moves. Returns why the run failed.
   */
  private String enforceLosingTheLeaseIn(String method) throws Exception {
    TestStore node = node();
    node.ok("enforce");
    byte[] published = Files.readAllBytes(dir.resolve("example.test.signed"));
    long serial = storeSerial(node, "example.test");
    change("example.test", "lost IN A 192.0.2.99");
    String failure;
    try (Services services = services(node, new ScriptedLease(9).revokeIn(method))) {
      EnforcerService.Report report = services.enforcer().enforce(List.of("example.test"));
      assertEquals(1, report.failures().size(), report.lines().toString());
      failure = report.failures().get(0);
    }
    assertArrayEquals(published, Files.readAllBytes(dir.resolve("example.test.signed")), "nothing published");
    assertEquals(serial, storeSerial(node, "example.test"), "nothing committed");
    try (var files = Files.list(dir)) {
      assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(f -> f.contains(".twinsign-n"))
          .toList(), "no staging file left");
    }
    return failure;
  }

  @Test
  void aLeaseLostBeforeThePublicationPublishesAndCommitsNothing() throws Exception {
    String failure = enforceLosingTheLeaseIn("EnforcerService.commit");
    assertTrue(failure.contains("refused to publish zone example.test"), failure);
  }

  @Test
  void aLeaseLostWhileSigningStopsTheSigning() throws Exception {
    String failure = enforceLosingTheLeaseIn("ZoneSigner.sign");
    assertTrue(failure.contains("was cancelled"), failure);
  }

  @Test
  void aCorruptSignatureIsCaughtBeforePublication() throws Exception {
    TestStore node = node();
    node.ok("enforce");
    byte[] published = Files.readAllBytes(dir.resolve("example.test.signed"));
    long serial = storeSerial(node, "example.test");
    change("example.test", "bad IN A 192.0.2.97");
    SignatureFault.corruptNext(1);
    CliRun enforce = node.cli("enforce");
    assertEquals(1, enforce.exit(), enforce.out());
    assertTrue(enforce.err().contains("does not verify with the key's published DNSKEY")
        && enforce.err().contains("the last good version stays published"), enforce.err());
    assertTrue(enforce.err().matches("(?s).*the new signature of [KZC]SK [0-9a-f]+ \\(tag [0-9]+, algorithm 13\\).*"),
        "names the key: " + enforce.err());
    assertArrayEquals(published, Files.readAllBytes(dir.resolve("example.test.signed")), "the old version stays");
    assertEquals(serial, storeSerial(node, "example.test"));
    SignatureFault.clear();
    node.ok("enforce");
    assertNotEquals(serial, storeSerial(node, "example.test"));
    assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());
  }

  @Test
  void aPoolKeyWhoseTagCollidesWithTheZonesIsNeverAssigned() throws Exception {
    TestStore node = node();
    node.ok("enforce");
    String db = node.database();
    // a pool key with the same tag and algorithm as the zone's ZSK (here: the same public key), first in line
    server.execute("INSERT INTO " + db + ".hsm_key (repository, locator, role, algorithm, bits, public_key, policy,"
        + " created_at, backup, backup_changed_at, epoch) SELECT h.repository, 'ffffffffffffffff', h.role, h.algorithm,"
        + " h.bits, h.public_key, h.policy, '2000-01-01', 'backed_up', '2000-01-01', 0 FROM " + db + ".hsm_key h JOIN "
        + db + ".zone_key z ON z.hsm_key = h.id WHERE z.role = 'ZSK'");
    node.ok("key", "rollover", "--zone", "example.test", "--keytype", "ZSK");
    String enforce = node.ok("enforce");
    assertEquals("0", server.queryString("SELECT COUNT(*) FROM " + db + ".zone_key z JOIN " + db
        + ".hsm_key h ON h.id = z.hsm_key WHERE h.locator = 'ffffffffffffffff'"), enforce);
    assertEquals("2", server.queryString("SELECT COUNT(DISTINCT key_tag) FROM " + db + ".zone_key WHERE role = 'ZSK'"),
        enforce);
    assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());
  }

  @Test
  void aPolicyKeepsItsKskInTheHsmAndItsZskInASoftKeyStore() throws Exception {
    Files.writeString(dir.resolve("soft.pin"), "soft-store-pin-5\n");
    Files.setPosixFilePermissions(dir.resolve("soft.pin"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    TestStore node = TestStore.create(server, dir, false, "repository.Soft.type=soft\n"
        + "repository.Soft.directory=softkeys\nrepository.Soft.pin.file=soft.pin\n");
    node.ok("setup");
    Path policy = dir.resolve("mixed.xml");
    String counter = Files.readString(Path.of("src/test/resources/kasp/counter.xml"));
    int zsk = counter.indexOf("<ZSK>");
    Files.writeString(policy, (counter.substring(0, zsk) + counter.substring(zsk).replaceFirst(
        "<Repository>SoftHSM</Repository>", "<Repository>Soft</Repository>")).replace("\"counter\"", "\"mixed\""));
    node.ok("policy", "import", policy.toString());
    node.addMinimalZone("mixed.test", "mixed", 1);
    String enforce = node.ok("enforce");
    assertTrue(enforce.contains("signed serial"), enforce);
    String keys = node.ok("key", "list", "--verbose");
    assertTrue(keys.matches("(?s).*ZSK.*Soft.*") && keys.matches("(?s).*KSK.*SoftHSM.*"), keys);
    try (var files = Files.list(dir.resolve("softkeys"))) {
      assertTrue(files.anyMatch(f -> f.toString().endsWith(".softkey")), "the ZSK lives in the soft store");
    }
    assertTrue(Verifiers.dnssecVerify(dir.resolve("mixed.test.signed"), "mixed.test", false).ok());
  }

  @Test
  void aKeyCommandWhileAZoneSignsIsNotOverwrittenByTheSigningsCommit() throws Exception {
    TestStore node = node();
    node.ok("enforce");
    change("example.test", "busy IN A 192.0.2.96");
    ScriptedLease lease = new ScriptedLease(5).holdIn("ZoneSigner.sign");
    try (Services services = services(node, lease)) {
      CompletableFuture<EnforcerService.Report> signing = CompletableFuture.supplyAsync(
          () -> services.enforcer().enforce(List.of("example.test")));
      assertTrue(lease.held.await(60, TimeUnit.SECONDS));
      try {
        // another writer changes the zone's keys while the run signs from what it read before
        assertTrue(node.ok("key", "rollover", "--zone", "example.test", "--keytype", "ZSK").contains("rolls over"));
      } finally {
        lease.release.countDown();
      }
      EnforcerService.Report report = signing.get(60, TimeUnit.SECONDS);
      assertEquals(List.of(), report.failures(), report.lines().toString());
    }
    // the run saw the zone move, read it again and carried the rollover out: two ZSKs now
    assertEquals("2", server.queryString("SELECT COUNT(*) FROM " + node.database()
        + ".zone_key WHERE role = 'ZSK'"));
    assertTrue(Verifiers.dnssecVerify(dir.resolve("example.test.signed"), "example.test", false).ok());
  }

  @Test
  void aSerialIsReservedOnceAndTheFloorNeverGoesBack() throws Exception {
    TestStore node = node();
    try (Services services = services(node, new ScriptedLease(4))) {
      java.util.function.LongConsumer reserve = serial -> services.store().write(services.lease(), tx -> {
        org.twinsign.appliance.store.ZoneTable.reserveSerial(tx, "example.test", serial);
        return null;
      });
      reserve.accept(4294967290L);
      for (long again : new long[] {4294967290L, 4294967000L}) {
        org.junit.jupiter.api.Assertions.assertThrows(org.twinsign.appliance.store.StoreConflictException.class,
            () -> reserve.accept(again), "serial " + again + " is not above the floor");
      }
      reserve.accept(5); // above 4294967290 in serial arithmetic (RFC 1982): the counter wrapped
      assertEquals("5", server.queryString("SELECT serial_floor FROM " + node.database()
          + ".zone WHERE name = 'example.test'"));
    }
  }
}
