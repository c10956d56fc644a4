package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.HostSetupException;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.TempDirs;

/**
 * An old master whose database has a transaction the new master never got (a crashed primary
 * can commit prepared transactions when it restarts) is refused as a replica and told to run
 * {@code node rebuild}; after the rebuild it is an eligible standby with the master's data. A
 * standby whose replication breaks (receiver stopped, an errant transaction, the relay log's
 * disk full) is not eligible and says why.
 */
class NodeRebuildIT {
  private Path dir;
  private LocalPair pair;
  private Path mounted;

  @BeforeEach
  void start() {
    dir = TempDirs.create("node-rebuild");
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (mounted != null) {
        // space first: a receiver waiting for it would hold up its server's shutdown
        Files.deleteIfExists(mounted.resolve("filler"));
      }
      if (pair != null) {
        pair.close();
      }
    } finally {
      if (mounted != null && run("umount", "-l", mounted.toString()) != 0) {
        System.err.println("could not unmount the test's tmpfs at " + mounted + ": unmount it by hand");
      }
      TempDirs.deleteRecursively(dir);
    }
  }

  private String await(String node, String what, Predicate<String> condition) throws InterruptedException {
    return await(node, what, Duration.ofSeconds(90), condition);
  }

  private String await(String node, String what, Duration limit, Predicate<String> condition)
      throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      LocalPair.Answer a = pair.cli(node, "cluster", "list");
      last = a.out() + a.err();
      if (a.exit() == 0 && condition.test(a.out())) {
        return a.out();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not within " + limit + ": " + what + "\n" + last + "\n" + pair.process("alpha").logTail(20));
  }

  private void addZone(String node, String zone) throws Exception {
    Path input = dir.resolve(zone + ".zone");
    Files.writeString(input, "$ORIGIN " + zone + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600\n"
        + "@ IN NS ns1\nns1 IN A 192.0.2.1\n");
    LocalPair.Answer a = pair.cli(node, "zone", "add", "--zone", zone, "--policy", "short", "--input",
        input.toString(), "--output", dir.resolve(zone + ".signed").toString());
    assertEquals(0, a.exit(), a.err());
  }

  /** alpha master, beta an eligible standby, the test policy imported. */
  private void startWithPolicy() throws Exception {
    pair = LocalPair.create(dir, 1, Duration.ofSeconds(4), new PrintWriter(System.out, true));
    pair.startNode("alpha");
    await("alpha", "alpha master", l -> l.matches("(?s).*alpha\\s+master.*"));
    pair.startNode("beta");
    await("alpha", "beta eligible", l -> l.matches("(?s).*beta\\s+standby\\s+\\S*\\s*yes.*"));
    assertEquals(0, pair.cli("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml")
        .toAbsolutePath().toString()).exit());
  }

  @Test
  void anOldMasterWithErrantTransactionsIsRefusedUntilRebuilt() throws Exception {
    startWithPolicy();
    addZone("alpha", "before.test");

    pair.process("alpha").kill();
    await("beta", "beta master", l -> l.matches("(?s).*beta\\s+master.*"));
    // alpha's database commits something beta never gets (root is not held by read_only)
    pair.database("alpha").execute("CREATE DATABASE errant_demo");
    pair.startNode("alpha");
    String refused = await("beta", "alpha refused as a replica", l -> l.contains("twinsign node rebuild"));
    assertTrue(refused.matches("(?s).*alpha\\s+standby.*not following node beta.*"), refused);

    pair.process("alpha").stop(Duration.ofSeconds(20));
    // on alpha's machine, with its HSM: the database cloned, the token emptied and filled from the wrapped keys
    LocalPair.Answer rebuilt = pair.cliProcess("alpha", Duration.ofMinutes(3), "node", "rebuild", "--empty-token");
    assertEquals(0, rebuilt.exit(), rebuilt.out() + rebuilt.err());
    assertTrue(rebuilt.out().contains("replicates it from GTID"), rebuilt.out());
    assertTrue(rebuilt.out().matches("(?s).*repository SoftHSM: \\d+ key\\(s\\) removed .*\\(emptied\\).*"), rebuilt.out());
    assertTrue(rebuilt.out().matches("(?s).*key sync: [1-9]\\d* key\\(s\\) in this node's HSMs.*"), rebuilt.out());
    // run again (as after an interruption): it goes on, keeping what is right
    LocalPair.Answer again = pair.cliProcess("alpha", Duration.ofMinutes(3), "node", "rebuild");
    assertEquals(0, again.exit(), again.out());
    assertTrue(again.out().contains("0 key(s) removed"), again.out());
    pair.startNode("alpha");
    addZone("beta", "after.test");
    await("beta", "alpha an eligible standby again", l -> l.matches("(?s).*alpha\\s+standby\\s+\\S*\\s*yes.*"));
    await("beta", "every key in alpha's HSM", l -> l.contains("keys (keysync=wrap): in sync"));
    await("alpha", "alpha holds beta's output", l -> l.matches("(?s).*alpha: .*master's output: 2 zone\\(s\\) held.*"));
    LocalPair.Answer zones = pair.cli("alpha", "zone", "list");
    assertTrue(zones.out().contains("before.test") && zones.out().contains("after.test"), zones.out() + zones.err());
    assertTrue(zones.err().contains("answered by node alpha, standby"), zones.err());
  }

  @Test
  void aStandbyWhoseReplicationBreaksIsNotEligibleAndSaysWhy() throws Exception {
    startWithPolicy();

    // the replica's receiver stopped: nothing arrives, nothing is acknowledged
    pair.database("beta").execute("STOP SLAVE IO_THREAD");
    addZone("alpha", "while-stopped.test");
    String stopped = await("alpha", "beta not eligible", l -> l.matches("(?s).*beta\\s+standby\\s+\\S*\\s*no.*"));
    assertTrue(stopped.contains("eligible standby: none"), stopped);
    LocalPair.Answer status = pair.cli("beta", "node", "status");
    assertTrue(status.out().contains("replication broken") || status.out().contains("not running"), status.out());
    pair.database("beta").execute("START SLAVE IO_THREAD");
    await("alpha", "beta eligible again", l -> l.matches("(?s).*beta\\s+standby\\s+\\S*\\s*yes.*"));

    // an errant transaction on the standby: its applier stops at the master's next write
    pair.database("beta").execute("CREATE DATABASE errant_on_standby");
    addZone("alpha", "after-errant.test");
    // both in one answer: 'cluster list' reads the nodes' rows and the summary one after the other
    String broken = await("alpha", "beta not eligible, its replication broken", l -> l.matches(
        "(?s).*beta\\s+standby\\s+\\S*\\s*no.*") && l.contains("replication broken"));
    assertTrue(broken.matches("(?s).*beta\\s+standby\\s+\\S*\\s*no.*"), broken);
    LocalPair.Answer why = pair.cli("alpha", "cluster", "list");
    assertTrue(why.out().contains("replication broken"), why.out());
  }

  @Test
  void aStandbyWhoseRelayLogDiskIsFullIsNotEligibleAndLosesNothing() throws Exception {
    // beta's relay log on a small file system of its own (MariaDbServer keeps it in relay-log/)
    Path relay = TempDirs.ensure(dir.resolve("db-beta").resolve("relay-log"));
    Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", relay.toString()) == 0,
        "mounting a small tmpfs needs root (CAP_SYS_ADMIN); CI runs as root");
    mounted = relay;
    startWithPolicy();
    addZone("alpha", "before-full.test");
    await("alpha", "beta eligible", l -> l.matches("(?s).*beta\\s+standby\\s+\\S*\\s*yes.*"));

    Path filler = relay.resolve("filler");
    fill(filler);
    addZone("alpha", "while-full.test"); // its commit waits out semi-sync's timeout, then counts unacknowledged
    addZone("alpha", "while-full-2.test");
    String full = await("alpha", "beta not eligible, its relay log's disk full", l -> l.contains("is full")
        && l.matches("(?s).*beta\\s+standby\\s+\\S*\\s*no.*"));
    System.out.println("cluster list with the relay log's disk full:\n" + full);
    assertTrue(full.contains(relay.toString()), full);
    LocalPair.Answer status = pair.cli("beta", "node", "status");
    assertTrue(status.out().contains("its receiver stuck") && status.out().contains("free space there"),
        status.out() + status.err());

    // space freed: the receiver goes on (MariaDB tries again once a minute) and nothing was lost
    Files.delete(filler);
    await("alpha", "beta eligible again", Duration.ofSeconds(180), l -> l.matches(
        "(?s).*beta\\s+standby\\s+\\S*\\s*yes.*"));
    LocalPair.Answer zones = pair.cli("beta", "zone", "list");
    assertTrue(zones.out().contains("while-full.test") && zones.out().contains("while-full-2.test"), zones.out()
        + zones.err());
    assertTrue(zones.err().contains("answered by node beta, standby"), zones.err());
  }

  /** Writes {@code file} until its file system is full. */
  private static void fill(Path file) throws IOException {
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("space")) {
        throw full;
      }
    }
  }

  /** The command's exit status, -1 when there is no such program; its output in the test's directory. */
  private int run(String... command) {
    try {
      return LocalProcess.run(command[0], List.of(command), Map.of(), dir, dir.resolve(command[0] + ".log"), null,
          Duration.ofSeconds(30));
    } catch (HostSetupException e) {
      return -1;
    }
  }
}
