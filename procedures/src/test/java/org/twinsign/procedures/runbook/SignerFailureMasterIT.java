package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;

/**
 * {@code runbook run signer-failure-master} against a real pair whose automatic failover is paused:
 * the master is killed; a dry run changes nothing; the run, started on the standby while no node is
 * master (its trail held until one is), makes sure the master stays gone, fails over, turns
 * automatic failover back on, checks that the new master serves and signs the zone, and waits for
 * the old master's rebuild; it is resumed on the rebuilt node, across the failover, and ends once
 * that node is an eligible standby.
 */
class SignerFailureMasterIT extends RunbookIT {
  private org.twinsign.testkit.NsdServer secondary;

  @Test
  void theMasterIsReplacedAndTheRunIsResumedOnTheOtherNode() throws Exception {
    start(p -> {
      secondary = closedAfter(org.twinsign.testkit.NsdServer.secondary("minimal.test", LocalPair.NODES.stream()
          .map(n -> p.dnsAddress(n).replace(':', '@')).toList(), null));
      return "dns.notify=127.0.0.1:" + secondary.port() + "\n";
    });
    test.signedZone("short", "minimal.test", TestPair.zoneText("minimal.test"));
    secondary.awaitSerial("minimal.test", -1, Duration.ofMinutes(1));
    test.await("beta holds the master's output", Duration.ofMinutes(1), () -> pair.cli("alpha", "cluster", "list").out()
        .contains("master's output: 1 zone(s) held"));
    assertEquals(0, pair.cli("alpha", "cluster", "pause", "--reason", "maintenance").exit());

    // the master dies; nobody takes over by itself
    pair.process("alpha").kill();
    test.await("alpha gone", Duration.ofSeconds(30), () -> !pair.cli("beta", "cluster", "list").out().contains("alpha "));
    LocalPair.Answer dry = test.dryRun("beta", () ->
        pair.cli("beta", "runbook", "run", "signer-failure-master", "--param", "interval=PT4S",
        "--dry-run"));
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] node beta runs, as the eligible standby or already master")
        && dry.out().contains("would run 'twinsign cluster failover --to beta'"), dry.out());

    LocalPair.Answer first = pair.cli("beta", "runbook", "run", "signer-failure-master", "--param", "interval=PT6S",
        "--param", "secondaries=127.0.0.1:" + secondary.port());
    assertEquals(4, first.exit(), first.out() + first.err());
    assertTrue(first.out().startsWith("Run of signer-failure-master {interval=PT6S, secondaries=127.0.0.1:"
        + secondary.port() + ", failed=alpha, node=beta}: no node is master"), first.out());
    // a step whose verification passes at once is "already" done: the gone check samples before it acts
    assertTrue(first.out().matches("(?s).*\\[done\\] gone: (already \\()?node alpha was not running at any of.*")
        && first.out().contains("[run] failover: twinsign cluster failover --to beta")
        && first.out().contains("[done] failover: node beta is master")
        && first.out().matches("(?s).*\\[done\\] resume: (already \\()?automatic failover is on.*")
        && first.out().matches("(?s).*\\[done\\] signing: (already \\()?1 zone\\(s\\) served and signed by node beta.*")
        && first.out().matches("(?s).*\\[done\\] secondaries: (already \\()?minimal.test at 127.0.0.1:\\d+: serial \\d+,"
            + " validates.*")
        && first.out().contains("[done] down: already") && first.out().contains("[you] rebuild: on node alpha"),
        first.out());
    String id = first.out().replaceAll("(?s).*\\nRun (\\d+) of signer-failure-master.*", "$1");
    assertTrue(id.matches("\\d+"), first.out());
    assertTrue(first.out().contains("--resume " + id + " --done rebuild"), first.out());

    // the old master is rebuilt and started; the run is resumed there, on the other node
    LocalPair.Answer rebuilt = pair.cliProcess("alpha", Duration.ofMinutes(3), "node", "rebuild");
    assertEquals(0, rebuilt.exit(), rebuilt.out() + rebuilt.err());
    pair.startNode("alpha");
    test.await("alpha's node daemon answers", Duration.ofMinutes(1), () -> pair.cli("alpha", "cluster", "list").exit()
        == 0);
    LocalPair.Answer resumed = pair.cli("alpha", "runbook", "run", "signer-failure-master", "--resume", id, "--done",
        "rebuild");
    assertEquals(0, resumed.exit(), resumed.out() + resumed.err());
    assertTrue(resumed.out().contains("resumed on node alpha; done before: ") && resumed.out().contains(
        "[done] eligible") && resumed.out().contains("Run " + id + " of signer-failure-master is done."),
        resumed.out());

    LocalPair.Answer trail = pair.cli("beta", "runbook", "history", "--run", id);
    assertTrue(trail.out().startsWith("Run " + id + " of signer-failure-master {\"interval\":\"PT6S\",\"secondaries\":"
        + "\"127.0.0.1:" + secondary.port() + "\",\"failed\":\"alpha\",\"node\":\"beta\"}: done"), trail.out());
    assertTrue(trail.out().contains("no master to record it then") && trail.out().contains(" via node beta)")
        && trail.out().contains(" via node alpha)"), trail.out());
  }
}
