package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.WithMariaDb;
import org.twinsign.appliance.policy.IsoDuration;

/** What an OpenDNSSEC operator reads when something is not there yet, or mistyped. */
class OperatorMessagesTest extends WithMariaDb {
  @TempDir
  Path dir;

  private TestStore node() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "");
    node.ok("setup", "--simulation", "--start", "2025-01-01T00:00:00Z");
    node.ok("policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    node.addMinimalZone("msg.test", "short", 1);
    return node;
  }

  @Test
  void keyExportSaysWhyThereIsNoDsYetAndRolloverListNamesTheZone() throws Exception {
    TestStore node = node();
    node.ok("enforce");
    CliRun export = node.cli("key", "export", "--zone", "msg.test", "--ds");
    assertEquals(1, export.exit(), "an empty answer would look like success");
    assertTrue(export.err().contains("no KSK or CSK in state ready or active") && export.err().contains("(publish)")
        && export.err().contains("--keystate publish"), export.err());
    String list = "";
    for (int i = 0; i < 10 && !list.contains("ds-submit"); i++) {
      node.ok("time", "leap");
      list = node.ok("rollover", "list");
    }
    assertTrue(list.contains("'key ds-submit --zone msg.test --keytag "), list);
    assertFalse(list.contains("--zone Z "), list);
  }

  @Test
  void unknownNamesAreErrorsBeforeAnyOutput() throws Exception {
    TestStore node = node();
    CliRun rollovers = node.cli("rollover", "list", "--zone", "nosuch.test");
    assertEquals(1, rollovers.exit());
    assertEquals("", rollovers.out(), "no table header before the error");
    assertTrue(rollovers.err().contains("no zone 'nosuch.test'"), rollovers.err());

    CliRun backup = node.cli("backup", "list", "--repository", "nosuch");
    assertEquals(1, backup.exit());
    assertTrue(backup.err().contains("--repository nosuch: no such repository") && backup.err().contains("SoftHSM")
        && !backup.err().contains("policy"), backup.err());

    Path typo = dir.resolve("typo.xml");
    Files.writeString(typo, Files.readString(Path.of("src/test/resources/kasp/short.xml"))
        .replaceFirst("<Repository>SoftHSM</Repository>", "<Repository>SoftHMS</Repository>"));
    int line = 1 + (int) Files.readString(typo).substring(0, Files.readString(typo).indexOf("SoftHMS")).chars()
        .filter(c -> c == '\n').count();
    CliRun policy = node.cli("policy", "import", typo.toString());
    assertEquals(1, policy.exit());
    assertTrue(policy.err().contains(typo + ":" + line + ": <Repository>SoftHMS</Repository>")
        && policy.err().contains("configured: SoftHSM"), policy.err());
  }

  @Test
  void durationsReadAsAnOperatorWritesThem() {
    assertEquals("4 hours", IsoDuration.human(java.time.Duration.ofHours(4)));
    assertEquals("30 days", IsoDuration.human(java.time.Duration.ofDays(30)));
    assertEquals("1 day 12 hours", IsoDuration.human(java.time.Duration.ofHours(36)));
    assertEquals("1 minute 30 seconds", IsoDuration.human(java.time.Duration.ofSeconds(90)));
  }

  @Test
  void policyImportRefusesWhatOdsKaspcheckRefusesWithFileAndLine() throws Exception {
    TestStore node = node();
    String good = Files.readString(Path.of("src/test/resources/kasp/short.xml"));
    Path bad = dir.resolve("bad.xml");
    Files.writeString(bad, good.replace("<Resign>P30D</Resign>", "<Resign>P200D</Resign>")
        .replace("<Default>P1100D</Default>", "<Default>P50D</Default>").replace("name=\"short\"", "name=\"bad\""));
    CliRun refused = node.cli("policy", "import", bad.toString());
    assertEquals(1, refused.exit());
    int refresh = lineOf(bad, "<Refresh>");
    int validity = lineOf(bad, "<Default>");
    assertTrue(refused.err().contains(bad + ":" + refresh + ": <Refresh>: policy bad: <Refresh> (100 days) is not"
        + " longer than <Resign> (200 days)"), refused.err());
    assertTrue(refused.err().contains(bad + ":" + validity + ": <Default>: policy bad: <Validity><Default> (50 days)"
        + " is not longer than <Refresh>"), refused.err());
    assertTrue(refused.err().contains("nothing was imported"), refused.err());
    assertFalse(node.ok("policy", "list").contains("bad"));

    Path noisy = dir.resolve("noisy.xml");
    Files.writeString(noisy, good.replace("<PublishSafety>PT1H</PublishSafety>", "<PublishSafety>PT1S</PublishSafety>")
        .replace("name=\"short\"", "name=\"noisy\""));
    String warned = node.ok("policy", "import", noisy.toString());
    assertTrue(warned.contains("policy noisy: added") && warned.contains("warning: " + noisy + ":"
        + lineOf(noisy, "<PublishSafety>") + ": <PublishSafety>: policy noisy: <PublishSafety> (1 second) is less"
        + " than a tenth of the key TTL"), warned);
  }

  private static int lineOf(Path file, String text) throws Exception {
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i + 1;
      }
    }
    return -1;
  }

  @Test
  void theKeyPoolOfAPolicyWithVeryShortLifetimesIsCapped() throws Exception {
    TestStore node = TestStore.create(server, dir, false, "keypool.max=4\n");
    node.ok("setup", "--simulation", "--start", "2025-01-01T00:00:00Z");
    Path hourly = dir.resolve("hourly.xml");
    // a ZSK every 4 hours over the 180-day horizon would ask for over a thousand keys
    Files.writeString(hourly, Files.readString(Path.of("src/test/resources/kasp/short.xml"))
        .replace("<Lifetime>P30D</Lifetime>", "<Lifetime>PT4H</Lifetime>").replace("name=\"short\"", "name=\"hourly\""));
    node.ok("policy", "import", hourly.toString());
    node.addMinimalZone("msg.test", "hourly", 1);
    for (int run = 0; run < 3; run++) {
      node.ok("enforce");
    }
    String pool = server.queryString("SELECT COUNT(*) FROM " + node.database() + ".hsm_key h WHERE h.role = 'ZSK'"
        + " AND NOT EXISTS (SELECT 1 FROM " + node.database() + ".zone_key z WHERE z.hsm_key = h.id)");
    assertTrue(Integer.parseInt(pool) >= 1 && Integer.parseInt(pool) <= 4, "ZSKs in the pool: " + pool);
  }
}
