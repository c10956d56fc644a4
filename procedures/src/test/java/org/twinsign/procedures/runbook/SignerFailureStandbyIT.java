package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;

/**
 * {@code runbook run signer-failure-standby} against a real pair: a dry run changes nothing (the
 * database's checksums before and after), the standby is killed, the run checks its checklist,
 * finds the node down, waits for the operator's rebuild, is interrupted and resumed, and ends once
 * the rebuilt standby is eligible and holds every key and the master's output. The trail says who
 * did what when.
 */
class SignerFailureStandbyIT extends RunbookIT {
  @Test
  void theStandbyIsRebuiltStepByStepAndTheRunResumes() throws Exception {
    start("");
    test.signedZone("short", "minimal.test", TestPair.zoneText("minimal.test"));

    LocalPair.Answer list = pair.cli("alpha", "runbook", "list");
    assertTrue(list.out().contains("signer-failure-standby"), list.out() + list.err());
    LocalPair.Answer show = pair.cli("alpha", "runbook", "show", "signer-failure-standby");
    assertTrue(show.out().contains("When: ") && show.out().contains("Why: ") && show.out().contains(
        "What (checklist):") && show.out().contains("How (steps):") && show.out().contains("'twinsign node rebuild'"),
        show.out() + show.err());

    // a dry run while all is well: every step already done or what it would do; nothing changes
    test.awaitSettled(); // key sync records what beta holds in the background: not the dry run's writes
    LocalPair.Answer dry = test.dryRun("alpha", () ->
        pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--param", "node=beta",
        "--dry-run"));
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] exactly one master, and not node beta: node alpha is master")
        && dry.out().contains("would wait for you: stop node beta"), dry.out());
    assertTrue(pair.cli("alpha", "runbook", "history").out().lines().count() <= 1, "no run recorded");

    // the standby dies; the run finds it down and waits for the operator's rebuild
    pair.process("beta").kill();
    test.await("beta gone", Duration.ofSeconds(30), () -> !pair.cli("alpha", "cluster", "list").out().contains("beta "));
    LocalPair.Answer first = pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--param", "node=beta");
    assertEquals(4, first.exit(), first.out() + first.err());
    String id = first.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(first.out().contains("[done] down: already") && first.out().contains("[you] rebuild: on node beta:"
        + " 'twinsign node rebuild'") && first.out().contains("--resume " + id + " --done rebuild"), first.out());

    // resumed before the operator is done (an interruption): it waits again, doing nothing twice
    LocalPair.Answer early = pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--resume", id);
    assertEquals(4, early.exit(), early.out() + early.err());
    assertTrue(early.out().contains("done before: down") && early.out().contains("[you] rebuild"), early.out());

    // the operator rebuilds beta and starts it; the run goes on to the end
    LocalPair.Answer rebuilt = pair.cliProcess("beta", Duration.ofMinutes(3), "node", "rebuild");
    assertEquals(0, rebuilt.exit(), rebuilt.out() + rebuilt.err());
    pair.startNode("beta");
    LocalPair.Answer resumed = pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--resume", id, "--done",
        "rebuild");
    assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("[done] eligible") && resumed.out().contains("[done] keys")
        && resumed.out().contains("[done] output") && resumed.out().contains("Run " + id + " of signer-failure-standby"
            + " is done."), resumed.out());
    assertTrue(test.eligible("beta"));

    // the trail: who, when, on which node, what came of it
    LocalPair.Answer trail = pair.cli("alpha", "runbook", "history", "--run", id);
    assertTrue(trail.out().startsWith("Run " + id + " of signer-failure-standby {\"node\":\"beta\"}: done"),
        trail.out());
    // the rebuild is done, confirmed by the operator or (once beta registered before the resume) seen done
    assertTrue(trail.out().lines().anyMatch(l -> l.contains(" rebuild ") && (l.contains(" confirmed ")
        || l.contains(" step ") && l.contains(" done "))) && trail.out().contains(System.getProperty("user.name")
        + "@") && trail.out().contains(" via node alpha)"), trail.out());
    LocalPair.Answer again = pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--resume", id);
    assertEquals(1, again.exit(), "a finished run is not resumed: " + again.out());
    assertTrue(again.err().contains("is done: start a new run"), again.err());
  }
}
