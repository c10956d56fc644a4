package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.TempDirs;
import org.twinsign.procedures.TestPair;

/**
 * {@code runbook run key-recovery} against a real pair (three ZooKeeper servers): the keys are
 * backed up (the key-backup runbook, with a command), then both HSMs are lost (the SoftHSM token
 * directory both nodes' tokens live in is emptied under the running nodes). A dry run changes
 * nothing; after the loss one passes its checklist, and with a recovery longer than the signatures last it fails,
 * saying by when the parent must remove the DS. The run pauses failover and waits for the
 * restore; the test restores the backup and restarts both nodes; the resumed run finds every key
 * back in the master's HSM and the standby's, resumes failover and signs every zone again.
 */
class KeyRecoveryIT extends RunbookIT {
  @Test
  void bothHsmsLostAreRestoredFromTheBackupAndSigningResumes() throws Exception {
    start("");
    test.signedZone("short", "recovery.test", TestPair.zoneText("recovery.test"));
    for (String name : java.util.List.of("signer-failure-master", "signer-failure-standby", "ksk-rollover",
        "key-backup", "key-recovery", "hsm-replacement", "timing-drift")) {
      LocalPair.Answer show = pair.cli("alpha", "runbook", "show", name);
      assertTrue(show.exit() == 0 && show.out().contains("When: ") && show.out().contains("How (steps):"), name + ": "
          + show.out() + show.err());
    }
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    assertEquals(7, json.readTree(pair.cli("alpha", "runbook", "list", "--json").out()).size());
    com.fasterxml.jackson.databind.JsonNode shown = json.readTree(pair.cli("alpha", "runbook", "show", "key-recovery",
        "--json").out());
    assertTrue(shown.path("steps").size() >= 5 && shown.path("checklist").size() == 3 && shown.path("steps").path(1)
        .path("kind").asText().equals("human"), shown.toPrettyString());
    Path tokens = test.tokenOf("alpha").getParent();
    Path backup = dir.resolve("hsm-backup");
    LocalPair.Answer backedUp = pair.cli("alpha", "runbook", "run", "key-backup", "--param", "backup=" + backup,
        "--param", "command=cp -a '" + tokens + "' '" + backup + "'");
    assertEquals(0, backedUp.exit(), backedUp.out() + backedUp.err());
    test.awaitSettled();
    LocalPair.Answer verified = pair.cli("alpha", "key", "verify");
    assertTrue(verified.out().contains(" 0 missing from this node's HSMs") && verified.out().contains(" present"),
        verified.out() + verified.err());

    // a dry run while all is well changes nothing (once the HSMs are lost the master's enforcer retries
    // its runs, and reschedules them, meanwhile: its own writes)
    LocalPair.Answer calm = test.dryRun("alpha", () ->
        pair.cli("alpha", "runbook", "run", "key-recovery", "--dry-run", "--json"));
    assertEquals(0, calm.exit(), calm.out() + calm.err());
    com.fasterxml.jackson.databind.JsonNode doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(calm
        .out());
    assertTrue(doc.path("dry_run").asBoolean() && doc.path("result").asText().equals("done") && doc.path("output")
        .toString().contains("already done (all "), calm.out());

    // both HSMs are lost: the token directory (both nodes' tokens) is emptied under the running nodes
    Path lost = tokens.resolveSibling("tokens.lost");
    Files.move(tokens, lost);
    Files.createDirectory(tokens);
    test.await("the master finds its keys gone", Duration.ofMinutes(1), () -> pair.cli("alpha", "key", "verify").out()
        .matches("(?s).* [1-9]\\d* missing from this node's HSMs.*"));

    // dry runs: the checklist as it is now, and with a recovery longer than the signatures last
    LocalPair.Answer dry = pair.cli("alpha", "runbook", "run", "key-recovery", "--dry-run");
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] every key the zones use is in a committed backup: all ") && dry.out()
        .contains("would run 'twinsign cluster pause'"), dry.out());
    LocalPair.Answer tooLong = pair.cli("alpha", "runbook", "run", "key-recovery", "--param", "recovery-time=P2000D",
        "--param", "ds-ttl=PT1H", "--dry-run");
    assertEquals(1, tooLong.exit(), tooLong.out() + tooLong.err());
    assertTrue(tooLong.out().matches("(?s).*\\[FAIL] the zones' signatures outlast the recovery \\(PT48000H\\): zone"
        + " recovery.test's signatures expire at \\S+, before the recovery can end \\(\\S+\\): have the parent remove"
        + " its DS before \\S+ .*--param deadline=accepted.*"), tooLong.out());

    // the run pauses failover and waits for the restore
    LocalPair.Answer first = pair.cli("alpha", "runbook", "run", "key-recovery");
    assertEquals(4, first.exit(), first.out() + first.err());
    String id = first.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(first.out().contains("[run] pause: twinsign cluster pause") && first.out().contains("[you] restore:"
        + " restore the HSM backup into each node's HSM") && first.out().contains("missing from node alpha's HSM"),
        first.out());

    // the operator restores the backup and restarts the standby, then the master
    TempDirs.deleteRecursively(tokens);
    TempDirs.copyRecursively(backup, tokens);
    pair.process("beta").stop(Duration.ofSeconds(20));
    pair.startNode("beta");
    pair.process("alpha").stop(Duration.ofSeconds(20));
    pair.startNode("alpha");
    test.await("alpha master again (failover paused)", Duration.ofMinutes(2), () -> pair.cli("alpha", "cluster",
        "list").out().lines().anyMatch(l -> l.startsWith("alpha ") && l.contains(" master ")));

    LocalPair.Answer resumed = pair.cli("alpha", "runbook", "run", "key-recovery", "--resume", id, "--done",
        "restore");
    assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("all ") && resumed.out().contains("key(s) in use are in node alpha's HSM")
        && resumed.out().contains("[done] standby: ") && resumed.out().contains("[run] resume: twinsign cluster"
            + " resume") && resumed.out().contains("[done] sign-recovery.test: signed serial ") && resumed.out()
                .contains("Run " + id + " of key-recovery is done."), resumed.out());
    assertTrue(pair.cli("alpha", "cluster", "list").out().contains("automatic failover: on"));
    String trail = pair.cli("alpha", "runbook", "history", "--run", id).out();
    // the restore: asked of the operator, then found done (its verification) when the run was resumed
    assertTrue(trail.contains(" restore      human        waiting ") && trail.contains(" restore      step "
        + "        done       already: all ") && trail.contains("'twinsign zone resign --zone recovery.test'"), trail);
  }
}
