package org.twinsign.procedures;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.twinsign.appliance.demo.LocalPair;

/**
 * A running pair for the procedures' tests: {@link LocalPair} with alpha master and beta an
 * eligible standby, and what the tests ask of it (waits, a signed zone, the store's checksums, a
 * node's SoftHSM token directory). Closing it stops everything.
 */
public final class TestPair implements AutoCloseable {
  private static final Duration SESSION = Duration.ofSeconds(4);
  private final LocalPair pair;
  private final Path dir;

  private TestPair(LocalPair pair, Path dir) {
    this.pair = pair;
    this.dir = dir;
  }

  /**
   * Starts {@code zooKeeperServers} ZooKeeper servers and both nodes, each node's config first
   * given {@code config} (may be empty); returns once beta is an eligible standby.
   */
  public static TestPair start(Path dir, int zooKeeperServers, String config) throws InterruptedException {
    return start(dir, zooKeeperServers, pair -> config);
  }

  /** As above, the config made from the pair once its ports are known (a secondary to notify, say). */
  public static TestPair start(Path dir, int zooKeeperServers, java.util.function.Function<LocalPair, String> config)
      throws InterruptedException {
    TestPair p = new TestPair(LocalPair.create(dir, zooKeeperServers, SESSION, new PrintWriter(System.out, true)), dir);
    try {
      String lines = config.apply(p.pair);
      if (!lines.isEmpty()) {
        LocalPair.NODES.forEach(n -> p.pair.configure(n, lines));
      }
      p.pair.startNode("alpha");
      p.await("alpha master", Duration.ofMinutes(1), () -> p.pair.cli("alpha", "cluster", "list").out().lines()
          .anyMatch(l -> l.startsWith("alpha ") && l.contains(" master ")));
      p.pair.startNode("beta");
      p.await("beta eligible", Duration.ofMinutes(1), () -> p.eligible("beta"));
      return p;
    } catch (RuntimeException | InterruptedException | Error e) {
      p.close();
      throw e;
    }
  }

  public LocalPair pair() {
    return pair;
  }

  /** Waits until {@code condition} holds; fails saying what, with the cluster as alpha sees it. */
  public void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + "\n" + pair.cli("alpha", "cluster",
        "list").out() + pair.cli("beta", "cluster", "list").out());
  }

  /** Whether {@code node} is an eligible standby, as alpha (or, when alpha does not answer, beta) says. */
  public boolean eligible(String node) {
    LocalPair.Answer a = pair.cli("alpha", "cluster", "list");
    String list = a.exit() == 0 ? a.out() : pair.cli("beta", "cluster", "list").out();
    return list.lines().anyMatch(l -> l.startsWith(node + " ") && l.contains(" yes "));
  }

  /**
   * Imports the appliance's test policy {@code policy} and adds zone {@code zone} from
   * {@code zoneText}; returns the signed file once it exists.
   */
  public Path signedZone(String policy, String zone, String zoneText) throws Exception {
    assertEquals(0, pair.cli("alpha", "policy", "import", Path.of("../appliance/src/test/resources/kasp/" + policy
        + ".xml").toAbsolutePath().toString()).exit());
    Path input = dir.resolve(zone + ".zone");
    Files.writeString(input, zoneText);
    Path signed = dir.resolve(zone + ".signed");
    LocalPair.Answer added = pair.cli("alpha", "zone", "add", "--zone", zone, "--policy", policy, "--input",
        input.toString(), "--output", signed.toString());
    assertEquals(0, added.exit(), added.out() + added.err());
    await(zone + " signed", Duration.ofMinutes(1), () -> Files.exists(signed));
    return signed;
  }

  /**
   * Waits until the pair is quiet: every key in the standby's HSM and recorded so, the master's
   * output held by the standby (key sync and ingest write in the background meanwhile).
   */
  public void awaitSettled() throws InterruptedException {
    await("every key in beta's HSM and the master's output held", Duration.ofMinutes(2), () -> {
      String list = pair.cli("alpha", "cluster", "list").out();
      return list.contains("keys (keysync=wrap): in sync") && list.contains("master's output: ")
          && !list.contains(" behind");
    });
    // and the store quiet: the pool's top-up and key sync write in batches, "in sync" holds between them
    await("the store unchanged over 3 s", Duration.ofMinutes(1), () -> {
      try {
        Map<String, Long> first = quiet();
        Thread.sleep(3000);
        return first.equals(quiet());
      } catch (Exception e) {
        return false;
      }
    });
  }

  /** The store's checksums but the alerts' (the master's alert loop records what it sees at every look). */
  private Map<String, Long> quiet() throws Exception {
    return quiet("alpha");
  }

  private Map<String, Long> quiet(String node) throws Exception {
    Map<String, Long> sums = new TreeMap<>(checksums(node));
    sums.keySet().removeAll(List.of("alert", "alert_mail"));
    return sums;
  }

  /**
   * Runs {@code dryRun} and checks that it changed nothing: every table's CHECKSUM TABLE on
   * {@code node}'s database (but the alerts', which the master's alert loop touches at each look)
   * is the same before and after. The pair's own background writes (an enforcer run, key sync)
   * may fall between the two; then it is run again, three times at most: a dry run that wrote
   * would differ every time. Returns its (last) answer.
   */
  public LocalPair.Answer dryRun(String node, java.util.function.Supplier<LocalPair.Answer> dryRun) throws Exception {
    List<String> seen = new ArrayList<>();
    for (int attempt = 1; attempt <= 3; attempt++) {
      Map<String, Long> before = quiet(node);
      LocalPair.Answer answer = dryRun.get();
      Map<String, Long> after = quiet(node);
      if (before.equals(after)) {
        return answer;
      }
      Map<String, Long> changed = new TreeMap<>(after);
      changed.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
      seen.add("attempt " + attempt + ": " + changed.keySet());
      Thread.sleep(5000);
    }
    throw new AssertionError("a dry run changed the store every time: " + seen);
  }

  /** A small zone's text. */
  public static String zoneText(String zone) {
    return "$ORIGIN " + zone + ".\n$TTL 60\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 60\n@ IN NS ns1\n"
        + "ns1 IN A 192.0.2.1\nwww IN A 192.0.2.80\n";
  }

  /** CHECKSUM TABLE of every table of the store on {@code node}'s database. */
  public Map<String, Long> checksums(String node) throws Exception {
    Map<String, Long> sums = new TreeMap<>();
    try (Connection c = pair.database(node).rootConnection(); Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
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

  /** The SoftHSM token directory of {@code node} (the nodes' tokens share one SoftHSM directory here). */
  public Path tokenOf(String node) throws Exception {
    String label = "twinsign-" + node;
    try (var dirs = Files.list(pair.token(node).directory().resolve("tokens"))) {
      for (Path d : dirs.toList()) {
        String token = new String(Files.readAllBytes(d.resolve("token.object")),
            java.nio.charset.StandardCharsets.ISO_8859_1);
        if (token.contains(label)) {
          return d;
        }
      }
    }
    throw new AssertionError("no SoftHSM token labelled " + label);
  }

  @Override
  public void close() {
    pair.close();
  }
}
