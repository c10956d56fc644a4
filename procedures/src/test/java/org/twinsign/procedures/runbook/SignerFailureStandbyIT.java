package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;

/**
 * {@code runbook run signer-failure-standby} against a real pair: a dry run changes nothing (the
 * database's checksums before and after), the standby is killed, the run checks its checklist,
 * finds the node down, waits for the operator's rebuild, is interrupted and resumed, and ends once
 * the rebuilt standby is eligible and holds every key and the master's output. The trail says who
 * did what when.
 */
class SignerFailureStandbyIT {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path dir;

  private LocalPair pair;

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
  }

  private void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + "\n" + pair.cli("alpha", "cluster",
        "list").out());
  }

  private boolean eligible(String node) {
    return pair.cli("alpha", "cluster", "list").out().lines().anyMatch(l -> l.startsWith(node + " ")
        && l.contains(" yes "));
  }

  /** CHECKSUM TABLE of every table of the store on {@code node}'s database. */
  private Map<String, Long> checksums(String node) throws Exception {
    Map<String, Long> sums = new TreeMap<>();
    try (Connection c = pair.database(node).rootConnection(); Statement s = c.createStatement()) {
      java.util.List<String> tables = new java.util.ArrayList<>();
      try (ResultSet r = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema ="
          + " 'twinsign'")) {
        while (r.next()) {
          tables.add(r.getString(1));
        }
      }
      for (String t : tables) {
        try (ResultSet r = s.executeQuery("CHECKSUM TABLE twinsign." + t)) {
          r.next();
          sums.put(t, r.getLong(2));
        }
      }
    }
    return sums;
  }

  @Test
  void theStandbyIsRebuiltStepByStepAndTheRunResumes() throws Exception {
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    pair.startNode("alpha");
    await("alpha master", Duration.ofMinutes(1), () -> pair.cli("alpha", "cluster", "list").out().lines()
        .anyMatch(l -> l.startsWith("alpha ") && l.contains(" master ")));
    pair.startNode("beta");
    await("beta eligible", Duration.ofMinutes(1), () -> eligible("beta"));
    assertEquals(0, pair.cli("alpha", "policy", "import", Path.of("../appliance/src/test/resources/kasp/short.xml")
        .toAbsolutePath().toString()).exit());
    Files.copy(Path.of("../appliance/src/test/resources/zones/minimal.test.zone"), dir.resolve("minimal.test.zone"));
    Path signed = dir.resolve("minimal.test.signed");
    assertEquals(0, pair.cli("alpha", "zone", "add", "--zone", "minimal.test", "--policy", "short", "--input",
        dir.resolve("minimal.test.zone").toString(), "--output", signed.toString()).exit());
    await("minimal.test signed", Duration.ofMinutes(1), () -> Files.exists(signed));

    LocalPair.Answer list = pair.cli("alpha", "runbook", "list");
    assertTrue(list.out().contains("signer-failure-standby"), list.out() + list.err());
    LocalPair.Answer show = pair.cli("alpha", "runbook", "show", "signer-failure-standby");
    assertTrue(show.out().contains("When: ") && show.out().contains("Why: ") && show.out().contains(
        "What (checklist):") && show.out().contains("How (steps):") && show.out().contains("'twinsign node rebuild'"),
        show.out() + show.err());

    // a dry run while all is well: every step already done or what it would do; nothing changes
    Map<String, Long> before = checksums("alpha");
    LocalPair.Answer dry = pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--param", "node=beta",
        "--dry-run");
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] exactly one master, and not node beta: node alpha is master")
        && dry.out().contains("would wait for you: stop node beta"), dry.out());
    assertEquals(before, checksums("alpha"), "a dry run changes nothing");
    assertTrue(pair.cli("alpha", "runbook", "history").out().lines().count() <= 1, "no run recorded");

    // the standby dies; the run finds it down and waits for the operator's rebuild
    pair.process("beta").kill();
    await("beta gone", Duration.ofSeconds(30), () -> !pair.cli("alpha", "cluster", "list").out().contains("beta "));
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
    assertTrue(eligible("beta"));

    // the trail: who, when, on which node, what came of it
    LocalPair.Answer trail = pair.cli("alpha", "runbook", "history", "--run", id);
    assertTrue(trail.out().startsWith("Run " + id + " of signer-failure-standby {\"node\":\"beta\"}: done"),
        trail.out());
    assertTrue(trail.out().contains(" alpha    rebuild      human        confirmed ") && trail.out().contains(
        System.getProperty("user.name") + "@"), trail.out());
    LocalPair.Answer again = pair.cli("alpha", "runbook", "run", "signer-failure-standby", "--resume", id);
    assertEquals(1, again.exit(), "a finished run is not resumed: " + again.out());
    assertTrue(again.err().contains("is done: start a new run"), again.err());
  }
}
