package org.twinsign.procedures.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;

/**
 * {@code twinsign health} against a real pair (two node processes, two MariaDB, SoftHSM, three
 * ZooKeeper servers), each fault made for real: keys and a pool waiting for a backup, the standby
 * killed, its replication stopped, ZooKeeper's quorum lost, the standby's HSM gone, the master's
 * HSM gone so that signatures run towards expiry. Each is on the Nagios line with its exit code and
 * what to do, and in the screen and the JSON.
 */
class HealthIT {
  @TempDir
  Path dir;

  private TestPair test;
  private LocalPair pair;

  @AfterEach
  void stop() {
    if (test != null) {
      test.close();
    }
  }

  private void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    try {
      test.await(what, limit, condition);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nhealth now:\n" + health("alpha").out(), e);
    }
  }

  private boolean eligible(String node) {
    return test.eligible(node);
  }

  private LocalPair.Answer health(String node, String... more) {
    String[] args = new String[more.length + 1];
    args[0] = "health";
    System.arraycopy(more, 0, args, 1, more.length);
    return pair.cli(node, args);
  }

  private String ok(String node, String... args) {
    LocalPair.Answer a = pair.cli(node, args);
    assertEquals(0, a.exit(), String.join(" ", args) + ": " + a.out() + a.err());
    return a.out();
  }

  /** Waits until the Nagios line of {@code node} matches; returns it (its exit code checked against its state). */
  private String awaitNagios(String what, String node, Predicate<String> line) throws InterruptedException {
    String[] last = new String[1];
    await(what, Duration.ofMinutes(3), () -> {
      LocalPair.Answer a = health(node, "--nagios");
      last[0] = a.out().strip();
      return line.test(last[0]);
    });
    LocalPair.Answer a = health(node, "--nagios");
    String state = a.out().split(" ")[1];
    int expected = switch (state) {
      case "OK" -> 0;
      case "WARNING" -> 1;
      case "CRITICAL" -> 2;
      default -> 3;
    };
    assertEquals(expected, a.exit(), "the exit code of '" + a.out().strip() + "'");
    assertEquals(1, a.out().strip().lines().count(), "one line: " + a.out());
    assertTrue(a.out().matches("(?s)TWINSIGN (OK|WARNING|CRITICAL|UNKNOWN) - .+ \\| ok=\\d+ warning=\\d+ critical=\\d+"
        + " unknown=\\d+\\s*"), a.out());
    return last[0];
  }

  /**
   * Waits until the screen has {@code CRITICAL area text} with {@code todo} after it; then the
   * Nagios line must be CRITICAL with exit code 2. Returns the Nagios line.
   */
  private String awaitCritical(String what, String area, String text, String todo) throws InterruptedException {
    String[] screen = new String[1];
    await(what, Duration.ofMinutes(3), () -> {
      screen[0] = health("alpha").out();
      return screen[0].lines().anyMatch(l -> l.startsWith(String.format("%-8s %-18s ", "CRITICAL", area))
          && l.contains(text));
    });
    assertTrue(screen[0].contains(todo), screen[0]);
    LocalPair.Answer nagios = health("alpha", "--nagios");
    assertEquals(2, nagios.exit(), nagios.out());
    assertTrue(nagios.out().startsWith("TWINSIGN CRITICAL - ") && nagios.out().strip().lines().count() == 1,
        nagios.out());
    return nagios.out().strip();
  }

  @Test
  void healthReportsEachFaultWithItsExitCodeAndWhatToDo() throws Exception {
    test = TestPair.start(dir, 3, "repository.SoftHSM.require-backup=true\n");
    pair = test.pair();
    // Resign 20 s, Refresh 3 min, Validity 4 min: a master that cannot sign is seen within a minute
    ok("alpha", "policy", "import", Path.of("../appliance/src/test/resources/kasp/alerting.xml").toAbsolutePath()
        .toString());
    Path zone = dir.resolve("expiry.test.zone");
    Files.writeString(zone, TestPair.zoneText("expiry.test"));
    Path signed = dir.resolve("expiry.test.signed");
    ok("alpha", "zone", "add", "--zone", "expiry.test", "--policy", "alerting", "--input", zone.toString(),
        "--output", signed.toString());

    // 1. keys and the pool wait for a backup: a warning that says to back up
    String backup = awaitNagios("keys and the pool waiting for a backup", "alpha", l -> l.contains(
        "'twinsign backup prepare'"));
    assertTrue(backup.startsWith("TWINSIGN WARNING - "), backup);
    String screen = health("alpha").out();
    assertTrue(screen.startsWith("Pair demo: WARNING (0 critical,") && screen.contains("OK       topology")
        && screen.contains("alpha master, beta standby; epoch 1") && screen.contains("OK       replication beta")
        && screen.contains("OK       hsm alpha") && screen.contains("OK       hsm beta"), screen);
    ok("alpha", "backup", "prepare");
    ok("alpha", "backup", "commit");
    await("expiry.test signed once backed up", Duration.ofMinutes(1), () -> Files.exists(signed));
    String settled = awaitNagios("no backup warning any more", "alpha", l -> !l.contains("backup"));
    assertTrue(!settled.startsWith("TWINSIGN CRITICAL"), settled);
    String json = health("alpha", "--json").out();
    assertTrue(json.contains("\"area\" : \"zone expiry.test\"") && json.contains("\"state\" : \"OK\""), json);

    // 2. the standby dies
    pair.process("beta").kill();
    String down = awaitCritical("beta down", "node beta", "node beta is not running: nobody can take over",
        "start it: 'twinsign node run' on node beta");
    assertTrue(down.startsWith("TWINSIGN CRITICAL - node beta: node beta is not running: nobody can take over")
        && down.contains("do: start it: 'twinsign node run' on node beta"), down);
    pair.startNode("beta");
    await("beta eligible again", Duration.ofMinutes(2), () -> eligible("beta"));

    // 3. its replication is stopped by hand
    pair.database("beta").execute("STOP SLAVE");
    awaitCritical("beta's replication stopped", "replication beta", "node beta is not an eligible standby",
        "its MariaDB error log");
    pair.database("beta").execute("START SLAVE");
    await("beta eligible after START SLAVE", Duration.ofMinutes(2), () -> eligible("beta"));

    // 4. ZooKeeper loses its quorum (two of three servers killed)
    pair.zooKeeper().kill(1);
    pair.zooKeeper().kill(2);
    String quorum = awaitCritical("ZooKeeper's quorum lost", "zookeeper", "", "a majority of them");
    assertTrue(quorum.startsWith("TWINSIGN CRITICAL - zookeeper: "), quorum);
    pair.zooKeeper().restart(1);
    pair.zooKeeper().restart(2);
    await("a master and an eligible standby again", Duration.ofMinutes(2), () -> health("alpha", "--nagios").exit()
        < 2 && eligible("beta"));

    // 5. the standby's HSM goes away
    Path token = test.tokenOf("beta");
    Path gone = token.resolveSibling(token.getFileName() + ".gone");
    Files.move(token, gone);
    awaitCritical("beta's HSM gone", "hsm beta", "node beta's key repository", "'twinsign hsm list'");
    pair.process("beta").kill(); // its library keeps the token away: it starts again with it back
    Files.move(gone, token);
    pair.startNode("beta");
    await("beta eligible with its HSM", Duration.ofMinutes(2), () -> eligible("beta"));

    // 6. the master's HSM goes away: it cannot re-sign; the signatures it serves run towards expiry
    Path alphaToken = test.tokenOf("alpha");
    Files.move(alphaToken, alphaToken.resolveSibling(alphaToken.getFileName() + ".gone"));
    awaitCritical("the master's HSM gone", "hsm alpha", "node alpha's key repository", "'twinsign hsm list'");
    awaitCritical("signatures near expiry", "zone expiry.test", "the signer has missed its runs",
        "'twinsign zone resign --zone expiry.test'");
  }
}
