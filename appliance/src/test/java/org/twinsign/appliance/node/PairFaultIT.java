package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.MasterHistory;
import org.twinsign.testkit.TempDirs;

/**
 * The pair's fault campaign, Jepsen style: real faults against separate processes (two node
 * daemons, their MariaDB servers, three ZooKeeper servers), a client writing all along, every node
 * recording its master actions, and a checker judging the whole history at the end. Each fault
 * runs {@code twinsign.fault.rounds} times (3 by default; {@code bench/pair-campaign.sh} runs 20).
 */
@org.junit.jupiter.api.Tag("slow") // the long fault campaign: CI and bench/pair-campaign.sh (-Pslow)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PairFaultIT {
  private static final Duration SESSION = Duration.ofSeconds(4);
  private static final int ROUNDS = Integer.getInteger("twinsign.fault.rounds", 3);
  /** Failover must be done within this (the target is session timeout + 5 s; slack for 2 busy cores). */
  private static final Duration BOUND = SESSION.plusSeconds(15);
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path dir;
  private LocalPair pair;
  private final Set<String> acknowledged = Collections.synchronizedSet(new TreeSet<>());
  private final AtomicInteger zones = new AtomicInteger();
  private final Map<String, List<Long>> timings = new LinkedHashMap<>();
  private final List<long[]> noQuorum = new ArrayList<>();

  @BeforeAll
  void start() throws Exception {
    dir = TempDirs.create("pair-faults");
    pair = LocalPair.create(dir, 3, SESSION, new PrintWriter(System.out, true));
    // the clock-jump rounds show that the lease runs on the monotonic clock: a master's wall clock that
    // jumps ten minutes would else hand over by clock.bound (TimingDriftIT tests that)
    LocalPair.NODES.forEach(n -> pair.configure(n, "clock.bound=PT0S\n"));
    pair.startNode("alpha");
    await("alpha master", () -> "alpha".equals(master()));
    pair.startNode("beta");
    awaitHealthy();
    ok("policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
  }

  @AfterAll
  void stop() throws IOException {
    if (pair != null) {
      pair.close();
    }
    StringBuilder report = new StringBuilder("fault campaign: " + ROUNDS + " round(s) per fault, session timeout "
        + SESSION.toMillis() + " ms\n");
    timings.forEach((fault, ms) -> {
      List<Long> sorted = ms.stream().sorted().toList();
      report.append(String.format("  %-34s n=%-3d median %6d ms  max %6d ms  (%.2f / %.2f x session timeout)%n", fault,
          sorted.size(), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1),
          sorted.get(sorted.size() / 2) / (double) SESSION.toMillis(),
          sorted.get(sorted.size() - 1) / (double) SESSION.toMillis()));
    });
    System.out.print(report);
    String out = System.getProperty("twinsign.fault.report");
    if (out != null) {
      Files.writeString(Path.of(out), report.toString());
    }
    TempDirs.deleteRecursively(dir);
  }

  // ---- the faults ----

  @Test
  @Order(1)
  void killMaster() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String old = master();
      try (Workload w = new Workload()) {
        long t0 = System.nanoTime();
        pair.process(old).kill();
        String now = await("a new master after kill -9 of " + old, () -> other(old).equals(master()));
        record("kill -9 master -> new master", t0);
        assertEquals(other(old), now);
      }
      pair.startNode(old); // the old master restarted: it must come back as a replica
      awaitHealthy();
    }
  }

  @Test
  @Order(2)
  void pauseMasterLongerThanTheSessionTimeout() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String old = master();
      try (Workload w = new Workload()) {
        long t0 = System.nanoTime();
        pair.process(old).pause();
        await("a new master while " + old + " is stopped", () -> other(old).equals(master()));
        record("SIGSTOP master -> new master", t0);
        Thread.sleep(SESSION.toMillis());
        if (pair.process(old).isAlive()) { // normally fenced meanwhile: the fence command kills it
          pair.process(old).resume();
        }
      }
      restartIfDead(old);
      awaitHealthy();
    }
  }

  @Test
  @Order(3)
  void partitionMasterFromZooKeeper() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String old = master();
      try (Workload w = new Workload()) {
        long t0 = System.nanoTime();
        pair.partitionFromZooKeeper(old);
        try {
          await("a new master while " + old + " is cut off from ZooKeeper", () -> other(old).equals(master()));
          record("ZooKeeper partition -> new master", t0);
        } finally {
          pair.healZooKeeperLinks(old);
        }
      }
      restartIfDead(old);
      awaitHealthy();
    }
  }

  @Test
  @Order(4)
  void loseZooKeeperQuorum() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      Set<String> before = files();
      long t0;
      try (Workload w = new Workload()) {
        t0 = System.nanoTime();
        pair.zooKeeper().kill(1);
        pair.zooKeeper().kill(2);
        Thread.sleep(SESSION.toMillis() * 2);
        noQuorum.add(new long[] {t0, System.nanoTime()});
        for (String zone : before) { // the last good versions stay where they are served
          assertTrue(Files.exists(dir.resolve(zone + ".signed")), zone);
        }
        pair.zooKeeper().restart(1);
        pair.zooKeeper().restart(2);
        long back = System.nanoTime();
        await("a master once quorum is back", () -> master() != null);
        record("quorum back -> master", back);
      }
      awaitHealthy();
    }
  }

  @Test
  @Order(5)
  void restartMasterGracefully() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String old = master();
      try (Workload w = new Workload()) {
        long t0 = System.nanoTime();
        pair.process(old).stop(Duration.ofSeconds(20));
        await("a new master after " + old + " stopped", () -> other(old).equals(master()));
        record("SIGTERM master -> new master", t0);
      }
      pair.startNode(old);
      awaitHealthy();
    }
  }

  @Test
  @Order(6)
  void killStandbyDuringWrites() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String master = master();
      String standby = other(master);
      try (Workload w = new Workload()) {
        pair.process(standby).kill();
        // the master goes on; the standby is no longer eligible
        await("the standby marked not eligible", () -> !eligible(standby));
        String zone = "alone" + zones.incrementAndGet() + ".test";
        Path input = dir.resolve(zone + ".zone");
        Files.writeString(input, "$ORIGIN " + zone + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600"
            + "\n@ IN NS ns1\nns1 IN A 192.0.2.1\n");
        ok("zone", "add", "--zone", zone, "--policy", "short", "--input", input.toString(), "--output",
            dir.resolve(zone + ".signed").toString()); // acknowledged by the master alone
        acknowledged.add(zone);
        assertEquals(master, master());
      }
      long t0 = System.nanoTime();
      pair.startNode(standby);
      awaitHealthy();
      record("standby restarted -> eligible again", t0);
    }
  }

  @Test
  @Order(7)
  void jumpTheClockOfTheMaster() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String old = master();
      Path clock = dir.resolve("clock-" + old);
      Files.writeString(clock, "+0\n");
      // restart the standby-to-be... the master runs under libfaketime, whose offset the test moves
      pair.process(old).stop(Duration.ofSeconds(20));
      await("the other node master", () -> other(old).equals(master()));
      pair.startNode(old, Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
          "FAKETIME_TIMESTAMP_FILE", clock.toString(), "FAKETIME_CACHE_DURATION", "1", "DONT_FAKE_MONOTONIC", "1"));
      awaitHealthy();
      String now = master();
      pair.process(now).kill(); // the faked node takes over
      await("the node with the moved clock master", () -> old.equals(master()));
      pair.startNode(now);
      awaitHealthy();
      try (Workload w = new Workload()) {
        Files.writeString(clock, "+" + (600 * (round % 2 == 0 ? 1 : -1)) + "s\n"); // jumps ten minutes
        Thread.sleep(SESSION.toMillis() * 2);
        assertEquals(old, master(), "a wall-clock jump changes nothing: the lease runs on the monotonic clock");
        long t0 = System.nanoTime();
        pair.process(old).kill();
        await("a new master after the jumped master died", () -> other(old).equals(master()));
        record("kill -9 master with a moved clock -> new master", t0);
      }
      pair.startNode(old); // without the fake clock again
      awaitHealthy();
    }
  }

  @Test
  @Order(8)
  void plannedSwitchover() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      String old = master();
      String target = other(old);
      try (Workload w = new Workload()) {
        Thread.sleep(500);
        long t0 = System.nanoTime();
        String said = ok("cluster", "switchover", "--to", target);
        record("planned switchover", t0);
        assertTrue(said.contains("node " + target + " is master"), said);
      }
      awaitHealthy();
      assertEquals(target, master());
    }
  }

  /** The checker, over everything every node recorded during the whole campaign. */
  @Test
  @Order(100)
  void theWholeHistoryIsValid() throws Exception {
    List<MasterHistory.Action> actions = MasterHistory.read(pair.historyFiles());
    MasterHistory.Verdict verdict = MasterHistory.check(actions);
    System.out.println("history checker: " + verdict);
    assertTrue(verdict.valid(), verdict.toString());
    assertTrue(verdict.epochs().size() >= 2, "failovers happened: " + verdict);
    for (long[] window : noQuorum) {
      // without a quorum nobody acts as master once the lease window has passed
      long from = window[0] + SESSION.toNanos() / 2 + Duration.ofSeconds(1).toNanos();
      List<MasterHistory.Action> acted = MasterHistory.between(actions, from, window[1]);
      assertEquals(List.of(), acted, "master actions without a ZooKeeper quorum");
    }
    // every write a node acknowledged is on the master after all the failovers
    awaitHealthy();
    String list = ok("zone", "list");
    List<String> lost = acknowledged.stream().filter(z -> !list.contains(z + " ") && !list.contains(z + "\n"))
        .toList();
    assertEquals(List.of(), lost, "acknowledged zone additions lost; zone list:\n" + list);
    System.out.println("acknowledged writes: " + acknowledged.size() + ", all on the final master");
  }

  // ---- the client and the cluster as the test sees it ----

  /** A client that adds zones through whichever node answers, recording which additions were acknowledged. */
  private final class Workload implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread = new Thread(this::run, "workload");

    Workload() {
      thread.start();
    }

    private void run() {
      int added = 0;
      while (running.get() && added < 6) {
        String zone = "w" + zones.incrementAndGet() + ".test";
        try {
          Path input = dir.resolve(zone + ".zone");
          Files.writeString(input, "$ORIGIN " + zone + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 3600"
              + "\n@ IN NS ns1\nns1 IN A 192.0.2.1\n");
          for (String node : LocalPair.NODES) {
            if (pair.process(node) == null || !pair.process(node).isAlive()) {
              continue;
            }
            LocalPair.Answer a = pair.cli(node, "zone", "add", "--zone", zone, "--policy", "short", "--input",
                input.toString(), "--output", dir.resolve(zone + ".signed").toString());
            if (a.exit() == 0) {
              acknowledged.add(zone);
              added++;
              break;
            }
          }
          Thread.sleep(700);
        } catch (IOException e) {
          return;
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      running.set(false);
      thread.join(60_000);
    }
  }

  private Set<String> files() throws IOException {
    Set<String> zonesWithFiles = new TreeSet<>();
    for (String zone : acknowledged) {
      if (Files.exists(dir.resolve(zone + ".signed"))) {
        zonesWithFiles.add(zone);
      }
    }
    return zonesWithFiles;
  }

  private static String other(String node) {
    return LocalPair.NODES.get(1 - LocalPair.NODES.indexOf(node));
  }

  /** {@code cluster list --json} from the first node that answers, or null. */
  private JsonNode cluster() {
    for (String node : LocalPair.NODES) {
      if (pair.process(node) == null || !pair.process(node).isAlive()) {
        continue;
      }
      LocalPair.Answer a = pair.cli(node, "cluster", "list", "--json");
      if (a.exit() == 0) {
        try {
          return JSON.readTree(a.out());
        } catch (IOException e) {
          throw new AssertionError(a.out(), e);
        }
      }
    }
    return null;
  }

  /** The one node that says it is master (and whose process runs), or null (none, or more than one). */
  private String master() {
    JsonNode c = cluster();
    if (c == null) {
      return null;
    }
    List<String> masters = new ArrayList<>();
    c.path("nodes").forEach(n -> {
      String name = n.path("node").asText();
      if ("master".equals(n.path("role").asText()) && pair.process(name) != null && pair.process(name).isAlive()) {
        masters.add(name);
      }
    });
    return masters.size() == 1 ? masters.get(0) : null;
  }

  private boolean eligible(String node) {
    JsonNode c = cluster();
    if (c == null) {
      return false;
    }
    for (JsonNode n : c.path("nodes")) {
      if (n.path("node").asText().equals(node)) {
        return "yes".equals(n.path("eligible").asText());
      }
    }
    return false;
  }

  private void restartIfDead(String node) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (pair.process(node).isAlive() && System.nanoTime() < end) {
      Thread.sleep(100);
    }
    assertTrue(!pair.process(node).isAlive(), "node " + node + " was fenced (killed by the fence command)");
    pair.startNode(node);
  }

  /** Both nodes run, one is master, the other an eligible standby. */
  private void awaitHealthy() throws Exception {
    await("a healthy pair (one master, one eligible standby)", () -> {
      String m = master();
      return m != null && eligible(other(m)) && pair.process(other(m)).isAlive();
    }, Duration.ofSeconds(120));
  }

  private String await(String what, Check check) throws Exception {
    return await(what, check, BOUND.plusSeconds(30));
  }

  private String await(String what, Check check, Duration limit) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      if (check.ok()) {
        return master();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + "\n" + logs());
  }

  private void record(String fault, long t0) {
    long ms = (System.nanoTime() - t0) / 1_000_000;
    timings.computeIfAbsent(fault, f -> new ArrayList<>()).add(ms);
    System.out.println(fault + ": " + ms + " ms");
  }

  private String ok(String... args) {
    for (String node : LocalPair.NODES) {
      if (pair.process(node) != null && pair.process(node).isAlive()) {
        LocalPair.Answer a = pair.cli(node, args);
        assertEquals(0, a.exit(), String.join(" ", args) + ": " + a.out() + a.err() + logs());
        return a.out();
      }
    }
    throw new AssertionError("no node runs");
  }

  private String logs() {
    StringBuilder s = new StringBuilder();
    for (String node : LocalPair.NODES) {
      if (pair.process(node) != null) {
        s.append("--- ").append(node).append(":\n").append(pair.process(node).logTail(30)).append('\n');
      }
    }
    return s.toString();
  }

  @FunctionalInterface
  private interface Check {
    boolean ok() throws Exception;
  }
}
