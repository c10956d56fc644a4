package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;
import org.twinsign.testkit.TempDirs;

/**
 * {@code runbook run hsm-replacement} against a real pair (three ZooKeeper servers): beta's token
 * is backed up, more keys are made after that, then beta's HSM is "replaced" (its token directory
 * deleted with beta stopped). A dry run changes nothing; the run waits for the KEK's restore from
 * beta's backup, then for the rebuild; the resumed run ends once beta holds the master's KEK,
 * is eligible and holds every key, also those the backup lacked (from the store's wrapped copies).
 */
class HsmReplacementIT extends RunbookIT {
  @Test
  void theReplacedHsmGetsTheKekFromItsBackupAndTheKeysFromTheOtherNode() throws Exception {
    start("");
    test.signedZone("short", "hsm.test", TestPair.zoneText("hsm.test"));
    test.awaitSettled();
    LocalPair.Answer dry = test.dryRun("alpha", () ->
        pair.cli("alpha", "runbook", "run", "hsm-replacement", "--param", "node=beta",
        "--dry-run"));
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] the master's HSM holds the KEK: KEK ") && dry.out().contains(
        "would wait for you: stop node beta"), dry.out());
    Path token = test.tokenOf("beta");
    Path backup = dir.resolve("beta-token-backup");
    TempDirs.copyRecursively(token, backup);
    assertEquals(0, pair.cli("alpha", "key", "generate", "--policy", "short", "--count", "2").exit());
    test.awaitSettled(); // the new keys reach beta's HSM, but not its backup

    // beta's HSM is replaced: stopped, its token gone
    pair.process("beta").stop(Duration.ofSeconds(20));
    TempDirs.deleteRecursively(token);
    test.await("beta gone", Duration.ofSeconds(30), () -> !pair.cli("alpha", "cluster", "list").out().contains(
        "beta "));
    LocalPair.Answer first = pair.cli("alpha", "runbook", "run", "hsm-replacement", "--param", "node=beta");
    assertEquals(4, first.exit(), first.out() + first.err());
    String id = first.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(first.out().contains("[done] down: already") && first.out().contains("[you] kek: install the new HSM"
        + " of node beta"), first.out());

    // the KEK comes back with beta's backup; then the rebuild
    TempDirs.copyRecursively(backup, token);
    LocalPair.Answer kek = pair.cli("alpha", "runbook", "run", "hsm-replacement", "--resume", id, "--done", "kek");
    assertEquals(4, kek.exit(), kek.out() + kek.err());
    assertTrue(kek.out().contains("[done] kek: confirmed by you") && kek.out().contains("[you] rebuild: on node beta:"
        + " 'twinsign node rebuild'"), kek.out());
    LocalPair.Answer rebuilt = pair.cliProcess("beta", Duration.ofMinutes(3), "node", "rebuild");
    assertEquals(0, rebuilt.exit(), rebuilt.out() + rebuilt.err());
    pair.startNode("beta");
    LocalPair.Answer done = pair.cli("alpha", "runbook", "run", "hsm-replacement", "--resume", id, "--done",
        "rebuild");
    assertEquals(0, done.exit(), done.out() + done.err());
    assertTrue(done.out().matches("(?s).*\\[done] same-kek: (already \\()?KEK \\S+ on both nodes.*") && done.out()
        .contains("[done] keys") && done.out().contains("Run " + id + " of hsm-replacement is done."), done.out());
    assertTrue(test.eligible("beta"));
  }


}
