package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;

/**
 * {@code runbook run timing-drift} against a real pair: in good order it is done at once; the
 * standby started under libfaketime 30 s ahead (its monotonic clock left alone) is found by a dry
 * run that changes nothing, node and database clock both; the standby's store changed outside
 * replication is found by a run, which waits until the standby is rebuilt and then ends.
 */
@org.junit.jupiter.api.Tag("slow") // minutes of a scenario: CI runs it (bin/test -Pslow)
class TimingDriftIT extends RunbookIT {
  @Test
  void aClockAheadAndATamperedStoreAreFoundAndTheRunWaitsForTheFix() throws Exception {
    start("clock.bound=PT10S\n");
    test.signedZone("short", "minimal.test", TestPair.zoneText("minimal.test"));
    test.await("beta holds the master's output", Duration.ofMinutes(1), () -> pair.cli("alpha", "cluster", "list")
        .out().contains("master's output: 1 zone(s) held"));

    LocalPair.Answer good = pair.cli("alpha", "runbook", "run", "timing-drift");
    assertEquals(0, good.exit(), good.out() + good.err());
    assertTrue(good.out().contains("[done] node-clocks: already (node alpha ") && good.out().contains(
        "[done] key-timeline: already (") && good.out().contains("the same on every node"), good.out());

    // beta's clock 30 s ahead (libfaketime; the lease runs on the monotonic clock, left alone)
    pair.process("beta").stop(Duration.ofSeconds(20));
    Path clock = dir.resolve("clock-beta");
    Files.writeString(clock, "+30s\n");
    pair.startNode("beta", Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "FAKETIME_TIMESTAMP_FILE", clock.toString(), "FAKETIME_CACHE_DURATION", "1", "DONT_FAKE_MONOTONIC", "1"));
    // beyond clock.bound: it runs as standby, but is not marked eligible, so it never takes over
    test.await("beta a standby, not eligible for its clock", Duration.ofMinutes(2), () -> {
      String list = pair.cli("alpha", "cluster", "list").out();
      return list.lines().anyMatch(l -> l.startsWith("beta ") && l.contains(" standby ")) && list.contains(
          "eligible standby: none (node beta has a clock that is +");
    });
    assertTrue(pair.cli("alpha", "cluster", "list").out().matches("(?s).*node beta has a clock that is \\+(29|3\\d)"
        + "\\.\\d s off ZooKeeper's clock and the other node's, beyond clock.bound 10 s.*"),
        pair.cli("alpha", "cluster", "list").out());
    // the master's alert loop records the timing-drift alert it sees meanwhile (its seen_at at every look):
    // the alerts are the pair's own writes, not the dry run's
    test.awaitSettled();
    Map<String, Long> before = new java.util.TreeMap<>(test.checksums("alpha"));
    before.keySet().removeAll(java.util.List.of("alert", "alert_mail"));
    String[] dry = new String[1];
    try {
      test.await("the dry run sees beta's clock", Duration.ofMinutes(1), () -> {
        dry[0] = pair.cli("alpha", "runbook", "run", "timing-drift", "--dry-run").out();
        return dry[0].matches("(?s).*node beta \\+(29|3\\d)\\d{3} ms against ZooKeeper.*");
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nthe last dry run:\n" + dry[0] + "\ncluster list --json:\n"
          + pair.cli("alpha", "cluster", "list", "--json").out(), e);
    }
    assertTrue(dry[0].matches("(?s).*node-clocks: .*\\n\\s+would wait for you: fix the time service.*")
        && dry[0].matches("(?s).*node beta \\+(29|3\\d)\\d{3} ms against ZooKeeper.*")
        && dry[0].matches("(?s).*node beta -\\d{5} ms against its node.*"), dry[0]);
    Map<String, Long> after = new java.util.TreeMap<>(test.checksums("alpha"));
    after.keySet().removeAll(java.util.List.of("alert", "alert_mail"));
    assertEquals(before, after, "a dry run changes nothing");

    // beta's clock is right again; its store is changed behind replication's back
    pair.process("beta").stop(Duration.ofSeconds(20));
    pair.startNode("beta");
    test.await("beta eligible", Duration.ofMinutes(2), () -> test.eligible("beta"));
    pair.database("beta").execute("SET SESSION sql_log_bin = 0", "UPDATE twinsign.zone_key SET dnskey_state ="
        + " 'unretentive' WHERE dnskey_state = 'omnipresent' OR dnskey_state = 'rumoured' LIMIT 1");
    LocalPair.Answer found = pair.cli("alpha", "runbook", "run", "timing-drift");
    assertEquals(4, found.exit(), found.out() + found.err());
    String id = found.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(found.out().contains("[done] node-clocks") && found.out().contains("[done] database-clocks")
        && found.out().contains("[you] key-timeline: a standby whose store differs") && found.out().contains(
            "node beta: minimal.test ")
        && found.out().contains("(master: state "), found.out());

    // the standby is rebuilt from the master: the run ends
    pair.process("beta").stop(Duration.ofSeconds(20));
    LocalPair.Answer rebuilt = pair.cliProcess("beta", Duration.ofMinutes(3), "node", "rebuild");
    assertEquals(0, rebuilt.exit(), rebuilt.out() + rebuilt.err());
    pair.startNode("beta");
    test.await("beta eligible after its rebuild", Duration.ofMinutes(2), () -> test.eligible("beta"));
    LocalPair.Answer fixed = pair.cli("alpha", "runbook", "run", "timing-drift", "--resume", id);
    assertEquals(0, fixed.exit(), fixed.out() + fixed.err());
    assertTrue(fixed.out().contains("[done] key-timeline: already (") && fixed.out().contains("Run " + id
        + " of timing-drift is done."), fixed.out());

    // the master's clock moves beyond the bound while it signs: it hands over to the eligible standby
    pair.process("beta").stop(Duration.ofSeconds(20));
    Files.writeString(clock, "+0s\n");
    pair.startNode("beta", Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "FAKETIME_TIMESTAMP_FILE", clock.toString(), "FAKETIME_CACHE_DURATION", "1", "DONT_FAKE_MONOTONIC", "1"));
    test.await("beta eligible", Duration.ofMinutes(2), () -> test.eligible("beta"));
    LocalPair.Answer switched = pair.cli("alpha", "cluster", "switchover", "--to", "beta");
    assertEquals(0, switched.exit(), switched.out() + switched.err());
    test.await("beta master, alpha eligible", Duration.ofMinutes(2), () -> {
      String list = pair.cli("alpha", "cluster", "list").out();
      return list.lines().anyMatch(l -> l.startsWith("beta ") && l.contains(" master ")) && test.eligible("alpha");
    });
    Files.writeString(clock, "+30s\n");
    test.await("alpha master again: beta handed over", Duration.ofMinutes(1), () -> pair.cli("alpha", "cluster",
        "list").out().lines().anyMatch(l -> l.startsWith("alpha ") && l.contains(" master ")));
    String betaLog = Files.readString(pair.process("beta").log());
    assertTrue(betaLog.contains("node beta steps down: this node's clock is +") && betaLog.contains(
        "it hands over to node alpha"), betaLog);
    // and, its clock still off, it is not made eligible again (its 3 looks take 1.5 s; its catching up, less)
    Thread.sleep(10_000);
    assertTrue(pair.cli("alpha", "cluster", "list").out().contains("eligible standby: none ("),
        pair.cli("alpha", "cluster", "list").out());
  }
}
