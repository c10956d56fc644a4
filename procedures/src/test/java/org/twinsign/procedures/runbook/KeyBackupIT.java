package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;
import org.twinsign.testkit.TempDirs;

/**
 * {@code runbook run key-backup} against a real pair (three ZooKeeper servers, a repository that
 * requires backups, so the zone waits for one): a dry run changes nothing; a backup made before
 * the zone's keys existed is opened (from a copy: its files stay as they were) and found to lack
 * them, so the run waits and nothing is committed; once the operator makes the real backup, the
 * resumed run commits and the zone is signed. A second run makes the backup with a configured
 * command and ends in one go, reporting the pools against what the rollovers need.
 */
@org.junit.jupiter.api.Tag("slow") // minutes of a scenario: CI runs it (bin/test -Pslow)
class KeyBackupIT extends RunbookIT {
  @Test
  void onlyKeysFoundInTheBackupAreCommitted() throws Exception {
    start("repository.SoftHSM.require-backup=true\n");
    // a backup from before the zone: its keys are not in it
    Path backup = dir.resolve("backup");
    TempDirs.copyRecursively(test.tokenOf("alpha"), backup.resolve(test.tokenOf("alpha").getFileName().toString()));
    Path stale = backup.resolve(test.tokenOf("alpha").getFileName().toString());

    assertEquals(0, pair.cli("alpha", "policy", "import", Path.of("../appliance/src/test/resources/kasp/short.xml")
        .toAbsolutePath().toString()).exit());
    Path input = dir.resolve("backup.test.zone");
    Files.writeString(input, TestPair.zoneText("backup.test"));
    Path signed = dir.resolve("backup.test.signed");
    LocalPair.Answer added = pair.cli("alpha", "zone", "add", "--zone", "backup.test", "--policy", "short",
        "--input", input.toString(), "--output", signed.toString());
    assertEquals(0, added.exit(), added.out() + added.err());
    test.await("the zone's keys waiting for a backup", Duration.ofMinutes(1), () -> pair.cli("alpha", "backup",
        "list").out().matches("(?s).*[1-9]\\d* not backed up.*"));
    assertFalse(Files.exists(signed), "no key is published before it is backed up");

    // the run prepares, then waits for the operator's backup; the stale one lacks the keys
    Map<String, String> staleFiles = digests(backup);
    LocalPair.Answer first = pair.cli("alpha", "runbook", "run", "key-backup", "--param", "backup=" + stale);
    assertEquals(4, first.exit(), first.out() + first.err());
    String id = first.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(first.out().contains("[run] prepare: twinsign backup prepare --repository SoftHSM") && first.out()
        .contains("[you] backup: back up the HSM of repository SoftHSM now"), first.out());
    LocalPair.Answer told = pair.cli("alpha", "runbook", "run", "key-backup", "--resume", id, "--done", "backup");
    assertEquals(4, told.exit(), told.out() + told.err());
    assertTrue(told.out().contains("[wait] backup: not yet: the backup holds every prepared key of SoftHSM (the"
        + " backup " + stale + " lacks "), told.out());
    assertEquals(staleFiles, digests(backup), "the backup is only read");
    assertTrue(pair.cli("alpha", "backup", "list").out().contains("not committed"), "nothing committed yet");
    assertFalse(Files.exists(signed));

    // the operator backs the token up now (after the prepare); the resumed run verifies and commits
    TempDirs.deleteRecursively(backup);
    TempDirs.copyRecursively(test.tokenOf("alpha"), stale);
    LocalPair.Answer resumed = pair.cli("alpha", "runbook", "run", "key-backup", "--resume", id, "--done", "backup");
    assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
    // the backup is there when the run looks: the step is done (recorded with the evidence) without acting
    assertTrue(resumed.out().contains("[done] backup: already (the backup " + stale + " holds all ") && resumed.out().contains(
        "[run] commit: twinsign backup commit --repository SoftHSM") && resumed.out().contains(
            "enough backed-up keys in SoftHSM for the rollovers until the next backup"), resumed.out());
    test.await("backup.test signed once its keys are backed up", Duration.ofMinutes(1), () -> Files.exists(signed));

    // more keys; a dry run says what it would do and changes nothing (once the pair is quiet: the zone
    // waiting for its keys' backup was enforced again and again meanwhile, by the master, not the dry run)
    assertEquals(0, pair.cli("alpha", "key", "generate", "--policy", "short", "--count", "1").exit());
    Path whole = dir.resolve("backup2");
    test.awaitSettled();
    LocalPair.Answer dry = test.dryRun("alpha", () ->
        pair.cli("alpha", "runbook", "run", "key-backup", "--param", "backup=" + whole,
        "--dry-run"));
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] repository SoftHSM is a SoftHSM token") && dry.out().contains(
        "would run 'twinsign backup prepare --repository SoftHSM'"), dry.out());

    // the second run makes the backup with a command (a whole token directory this time)
    Path tokens = test.tokenOf("alpha").getParent();
    LocalPair.Answer second = pair.cli("alpha", "runbook", "run", "key-backup", "--param", "backup=" + whole,
        "--param", "command=cp -a '" + tokens + "' '" + whole + "'");
    assertEquals(0, second.exit(), second.out() + second.err());
    String id2 = second.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(second.out().contains("[run] backup: cp -a") && second.out().contains("exit 0") && second.out()
        .contains("is done."), second.out());
    String list = pair.cli("alpha", "backup", "list").out();
    assertTrue(list.contains(" 0 prepared, ") && !list.contains("not committed"), list);
    LocalPair.Answer trail = pair.cli("alpha", "runbook", "history", "--run", id2);
    assertTrue(trail.out().contains(" command ") && trail.out().contains(" report "), trail.out());
  }



  /** Every file under {@code dir}: its SHA-256 and modification time. */
  private static Map<String, String> digests(Path dir) throws Exception {
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.filter(Files::isRegularFile).toList()) {
        all.put(dir.relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
            Files.readAllBytes(p))) + " " + Files.getLastModifiedTime(p));
      }
    }
    return all;
  }
}
