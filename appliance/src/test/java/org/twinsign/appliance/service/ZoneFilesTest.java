package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.WithMariaDb;

/** Each zone has files of its own, and a published file changed by something else is published again. */
class ZoneFilesTest extends WithMariaDb {
  @TempDir
  Path dir;

  private TestStore node() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "");
    node.ok("setup");
    node.ok("policy", "import", Path.of("src/test/resources/kasp/counter.xml").toAbsolutePath().toString());
    for (String zone : new String[] {"example.com", "tmp.example"}) {
      node.minimalZone(zone, 2026113002);
    }
    Files.createDirectories(dir.resolve("signed"));
    node.ok("zone", "add", "--zone", "example.com", "--policy", "counter", "--input",
        dir.resolve("example.com.zone").toString(), "--output", dir.resolve("signed/example.com").toString());
    return node;
  }

  @Test
  void aZoneCannotTakeAnotherZonesFiles() throws Exception {
    TestStore node = node();
    CliRun sameOutput = node.cli("zone", "add", "--zone", "tmp.example", "--policy", "counter", "--input",
        dir.resolve("tmp.example.zone").toString(), "--output", dir.resolve("signed/../signed/example.com").toString());
    assertEquals(1, sameOutput.exit());
    assertTrue(sameOutput.err().contains("is the published file of zone example.com"), sameOutput.err());
    CliRun inputIsOutput = node.cli("zone", "add", "--zone", "tmp.example", "--policy", "counter", "--input",
        dir.resolve("tmp.example.zone").toString(), "--output", dir.resolve("example.com.zone").toString());
    assertTrue(inputIsOutput.err().contains("is the unsigned input of zone example.com"), inputIsOutput.err());
    CliRun same = node.cli("zone", "add", "--zone", "tmp.example", "--policy", "counter", "--input",
        dir.resolve("tmp.example.zone").toString(), "--output", dir.resolve("tmp.example.zone").toString());
    assertTrue(same.err().contains("--input and --output are the same file"), same.err());
    assertFalse(node.ok("zone", "list").contains("tmp.example"), "nothing was added");

    Path zonelist = dir.resolve("zonelist.xml");
    Files.writeString(zonelist, "<?xml version=\"1.0\"?>\n<ZoneList>\n  <Zone name=\"tmp.example\">\n"
        + "    <Policy>counter</Policy>\n"
        + "    <Adapters>\n      <Input><Adapter type=\"File\">" + dir.resolve("tmp.example.zone") + "</Adapter></Input>\n"
        + "      <Output><Adapter type=\"File\">" + dir.resolve("signed/example.com") + "</Adapter></Output>\n"
        + "    </Adapters>\n  </Zone>\n</ZoneList>\n");
    CliRun imported = node.cli("zonelist", "import", zonelist.toString());
    assertEquals(1, imported.exit());
    assertTrue(imported.err().contains("zonelist.xml:3") && imported.err().contains("published file of zone"
        + " example.com"), imported.err());
    assertFalse(node.ok("zone", "list").contains("tmp.example"));
  }

  @Test
  void aPublishedFileChangedBySomethingElseIsPublishedAgain() throws Exception {
    TestStore node = node();
    node.ok("enforce");
    Path published = dir.resolve("signed/example.com");
    String good = Files.readString(published);
    assertTrue(node.ok("enforce").contains("nothing to do"));
    Files.writeString(published, Files.readString(dir.resolve("tmp.example.zone"))); // another zone's content
    String enforce = node.ok("enforce");
    assertTrue(enforce.contains("no longer holds what was published") && enforce.contains("signed serial"), enforce);
    assertTrue(Files.readString(published).contains("example.com."), "example.com is published again");
    assertFalse(good.equals(Files.readString(published)), "with a new serial");
    assertTrue(Verifiers.dnssecVerify(published, "example.com", false).ok());
    assertTrue(node.ok("enforce").contains("nothing to do"), "and left alone once it holds what was published");
  }

  @Test
  void zoneStatusResignAndNotifyOnASingleSigner() throws Exception {
    TestStore node = node();
    String before = node.ok("zone", "status", "--zone", "example.com");
    assertTrue(before.contains("signed serial:     not signed yet") && before.contains("source serial:     2026113002")
        && before.contains("served:            by file only"), before);
    node.ok("enforce");
    String after = node.ok("zone", "status", "--zone", "example.com");
    assertTrue(after.contains("signed serial:     2026113002 at ") || after.contains("signed serial:     20261130"),
        after);
    String resigned = node.ok("zone", "resign", "--zone", "example.com");
    assertTrue(resigned.contains("zone example.com: signed serial"), resigned);
    assertTrue(Verifiers.dnssecVerify(dir.resolve("signed/example.com"), "example.com", false).ok());
    CliRun notify = node.cli("zone", "notify", "--zone", "example.com");
    assertEquals(1, notify.exit());
    assertTrue(notify.err().contains("zone notify needs the node daemon's DNS side"), notify.err());
    CliRun unknown = node.cli("zone", "status", "--zone", "nope.example");
    assertEquals(1, unknown.exit());
    assertTrue(unknown.err().contains("nope.example"), unknown.err());
  }

  @Test
  void deletingAZoneKeepsItsKeysUntilTheyArePurged() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "");
    node.ok("setup", "--simulation", "--start", "2025-01-01T00:00:00Z");
    node.ok("policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString()); // Purge P14D
    node.addMinimalZone("gone.test", "short", 1);
    node.ok("enforce");
    String db = node.database();
    String deleted = node.ok("zone", "delete", "--zone", "gone.test");
    assertTrue(deleted.contains("2 keys kept") && deleted.contains("purged after PT336H"), deleted);
    assertTrue(deleted.contains("warning: the signed file " + dir.resolve("gone.test.signed") + " is still there"),
        deleted);
    assertEquals("2", server.queryString("SELECT COUNT(*) FROM " + db + ".hsm_key WHERE retired_zone = 'gone.test'"));

    String dry = node.ok("key", "purge");
    assertTrue(dry.contains("would destroy") && dry.contains("nothing destroyed: add --force"), dry);
    assertEquals("2", server.queryString("SELECT COUNT(*) FROM " + db + ".hsm_key WHERE retired_zone = 'gone.test'"));

    // a zone added now never gets the retired keys from the pool
    node.ok("zone", "add", "--zone", "gone.test", "--policy", "short", "--input",
        dir.resolve("gone.test.zone").toString(), "--output", dir.resolve("gone.test.signed").toString());
    node.ok("enforce");
    assertEquals("0", server.queryString("SELECT COUNT(*) FROM " + db + ".zone_key z JOIN " + db
        + ".hsm_key h ON h.id = z.hsm_key WHERE h.retired_at IS NOT NULL"));

    // after the policy's Purge the enforcer destroys them
    String early = node.ok("time", "leap", "--to", "2025-01-10T00:00:00Z");
    assertFalse(early.contains("purged key"), early);
    String leap = node.ok("time", "leap", "--to", "2025-01-16T00:00:00Z");
    assertTrue(leap.contains("purged key") && leap.contains("of deleted zone gone.test"), leap);
    assertEquals("0", server.queryString("SELECT COUNT(*) FROM " + db + ".hsm_key WHERE retired_at IS NOT NULL"));
    assertTrue(node.ok("key", "purge").contains("no retired keys"));
  }

  @Test
  void aZoneMovesToAnotherPolicyByZonelistOrSetPolicyAndTheZonelistRoundTrips() throws Exception {
    TestStore node = node(); // example.com with policy counter
    Path shortPolicy = Path.of("src/test/resources/kasp/short.xml").toAbsolutePath();
    node.ok("policy", "import", shortPolicy.toString());
    Path zonelist = dir.resolve("zonelist.xml");
    Files.writeString(zonelist, node.ok("zonelist", "export"));
    assertTrue(node.ok("zonelist", "import", zonelist.toString()).contains("zone example.com: exists, unchanged"),
        "the export reads back unchanged");
    Files.writeString(zonelist, Files.readString(zonelist).replace("<Policy>counter</Policy>", "<Policy>short</Policy>"));
    String moved = node.ok("zonelist", "import", zonelist.toString());
    assertTrue(moved.contains("zone example.com: policy changed from counter to short"), moved);
    assertTrue(node.ok("zone", "list").matches("(?s).*example\\.com\\s+short.*"));
    assertTrue(node.ok("zone", "set-policy", "--zone", "example.com", "--policy", "counter").contains("short -> counter"));
    CliRun unknown = node.cli("zone", "set-policy", "--zone", "example.com", "--policy", "nosuch");
    assertEquals(1, unknown.exit());
    assertTrue(unknown.err().contains("no policy 'nosuch'"), unknown.err());
    node.ok("enforce");
    assertTrue(Verifiers.dnssecVerify(dir.resolve("signed/example.com"), "example.com", false).ok());
  }
}
