package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.demo.LocalPair;

/**
 * A large zone on the node daemon: the master signs it in full, then one changed record in the
 * input file is diffed against the version the master keeps in memory and applied to it (a handful
 * of new signatures, published by journal, the signed file written after), and
 * the master keeps its lease throughout: no garbage-collection pause, however large the zone, may
 * cost it the mastership. Separate processes (two nodes, two MariaDB, ZooKeeper, SoftHSM).
 *
 * <p>CI runs it with a 20,000-name zone; {@code bench/node-large-zone.sh} with a million names
 * ({@code -Dtwinsign.large-zone.names}, {@code .heap}, {@code .report}), reporting the signing
 * times and the GC pauses as a ratio to the session timeout.
 */
class LargeZoneNodeIT {
  private static final Duration SESSION = Duration.ofSeconds(4);
  /** A stop of the world (G1, ZGC) or of an allocating thread (ZGC's allocation stall). */
  private static final Pattern PAUSE = Pattern.compile("\\b(Pause .*?|Allocation Stall .*?) ([0-9.]+)ms$");
  private static final Pattern SIGNED = Pattern.compile("zone large\\.test: signed serial (\\d+) \\((\\d+) signatures"
      + " made, (\\d+) reused\\)");
  /** The reloaded file diffed against the version in memory, the change applied to it and published by journal. */
  private static final Pattern INCREMENTAL = Pattern.compile("zone large\\.test: signed serial (\\d+) incrementally"
      + " \\((\\d+) signatures made, (\\d+) records out and (\\d+) in; published to the journal\\)");
  private static final Pattern ENFORCED = Pattern.compile("enforced \\d+ zone\\(s\\) in (\\d+) ms");

  @TempDir
  Path dir;

  private LocalPair pair;

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void theMasterSignsALargeZoneAndOneChangeFromMemoryWithoutLosingItsLease() throws Exception {
    int names = Integer.getInteger("twinsign.large-zone.names", 20_000);
    String heap = System.getProperty("twinsign.large-zone.heap", "1g");
    // the default is bin/twinsign's for 'node run'
    List<String> gc = List.of(System.getProperty("twinsign.large-zone.gc", "-XX:+UseG1GC -XX:MaxGCPauseMillis=50"
        + " -XX:+AlwaysPreTouch -XX:+UnlockExperimentalVMOptions -XX:G1NewSizePercent=1").trim().split("\\s+"));
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    Path gcLog = dir.resolve("alpha-gc.log");
    List<String> jvm = new ArrayList<>(gc);
    jvm.add("-Xms" + heap);
    jvm.add("-Xmx" + heap);
    jvm.add("-Xlog:gc,gc+phases:file=" + gcLog + ":uptime,level,tags");
    pair.nodeJavaOptions(jvm);
    pair.startNode("alpha");
    awaitCluster(l -> l.lines().anyMatch(x -> x.matches("alpha\\s+master\\s.*")), "alpha master");
    pair.nodeJavaOptions(jvm.subList(0, jvm.size() - 1));
    pair.startNode("beta");
    awaitCluster(l -> l.lines().anyMatch(x -> x.matches("beta\\s+standby\\s+\\S*\\s+yes\\s.*")),
        "beta an eligible standby");

    Path input = dir.resolve("large.test.zone");
    GeneratedZones.write(input, "large.test", names, 1);
    Path signed = dir.resolve("large.test.signed");
    ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    long t0 = System.nanoTime();
    ok("alpha", "zone", "add", "--zone", "large.test", "--policy", "short", "--input", input.toString(), "--output",
        signed.toString());
    Duration fullLimit = Duration.ofSeconds(120 + names / 2_000);
    long first = awaitSerial(signed, 0, fullLimit);
    Duration full = Duration.ofNanos(System.nanoTime() - t0);
    Matcher firstSigning = lastMatch(SIGNED, m -> Long.parseLong(m.group(1)) == first, Duration.ofSeconds(30));

    Files.writeString(input, "added-after-signing IN A 192.0.2.99\n", StandardOpenOption.APPEND);
    long t1 = System.nanoTime();
    long second = awaitSerial(signed, first, fullLimit);
    Duration change = Duration.ofNanos(System.nanoTime() - t1);
    // the change is published by journal at once, the signed file written once the zone is quiet
    Matcher incremental = lastMatch(INCREMENTAL, m -> Long.parseLong(m.group(1)) == second, Duration.ofSeconds(30));
    long made = Long.parseLong(incremental.group(2));
    assertTrue(made <= 6, "only the SOA, the new RRset and its NSEC3 neighbours are signed anew: "
        + incremental.group());
    assertTrue(Long.parseLong(incremental.group(4)) <= 8, "a diff of the change, not of the zone: "
        + incremental.group());
    long enforceMs = Long.parseLong(await(ENFORCED, all -> all.size() >= 2 ? all.get(1) : null,
        Duration.ofSeconds(10)).group(1)); // the second pass: the change
    try (var lines = Files.lines(signed)) {
      assertTrue(lines.anyMatch(l -> l.startsWith("added-after-signing.large.test.")));
    }
    var verify = Verifiers.dnssecVerify(signed, "large.test", false);
    assertTrue(verify.ok(), verify.output());

    // the master never lost its lease: one epoch, alpha master, beta still an eligible standby
    String history = ok("alpha", "cluster", "history");
    assertEquals(1, history.lines().filter(l -> l.matches("\\d+\\s+\\S+\\s.*")).count(), history);
    awaitCluster(l -> l.lines().anyMatch(x -> x.matches("alpha\\s+master\\s.*")), "alpha still master");

    List<Double> pauses = new ArrayList<>();
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        pauses.add(Double.parseDouble(m.group(2)));
      }
    }
    assertTrue(!pauses.isEmpty(), "the GC log " + gcLog + " records the pauses");
    pauses.sort(null);
    double max = pauses.get(pauses.size() - 1);
    double p99 = pauses.get((int) Math.min(pauses.size() - 1, Math.ceil(pauses.size() * 0.99) - 1));
    double total = pauses.stream().mapToDouble(Double::doubleValue).sum();
    String report = String.format(java.util.Locale.ROOT, "large zone on the node daemon: %d names, heap %s, session"
            + " timeout %d s%n"
            + "  full signing (zone add to published): %.1f s, %s signatures%n"
            + "  one changed record to the signed file: %.1f s (enforce pass %d ms, %d signatures made, the rest"
            + " kept in memory; includes the master's input poll of up to %d s and the file's quiet time)%n"
            + "  GC pauses (%s): %d, max %.1f ms, p99 %.1f ms, total %.1f s;"
            + " max / session timeout = %.4f%n",
        names, heap, SESSION.toSeconds(), full.toMillis() / 1000.0, firstSigning.group(2),
        change.toMillis() / 1000.0, enforceMs, made, MasterDuties.POLL.toSeconds(),
        String.join(" ", gc), pauses.size(), max, p99, total / 1000.0, max / SESSION.toMillis());
    System.out.print(report);
    String reportFile = System.getProperty("twinsign.large-zone.report");
    if (reportFile != null) {
      Files.writeString(Path.of(reportFile), report, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
  }

  /** The SOA serial of the signed file once it is above {@code above}; reads only up to the SOA. */
  private long awaitSerial(Path signed, long above, Duration limit) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      long serial = serial(signed);
      if (serial > above) {
        return serial;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no signed serial above " + above + " in " + signed + " within " + limit.toSeconds()
        + " s\n" + log("alpha"));
  }

  private static long serial(Path signed) throws IOException {
    if (!Files.exists(signed)) {
      return 0;
    }
    try (BufferedReader in = Files.newBufferedReader(signed)) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 6 && f[3].equals("SOA")) {
          return Long.parseLong(f[6]);
        }
      }
    }
    return 0;
  }

  /** The last line of alpha's log matching {@code pattern} and {@code wanted}; waits for it a little. */
  private Matcher lastMatch(Pattern pattern, java.util.function.Predicate<Matcher> wanted, Duration limit)
      throws Exception {
    return await(pattern, all -> {
      Matcher last = null;
      for (Matcher m : all) {
        last = wanted.test(m) ? m : last;
      }
      return last;
    }, limit);
  }

  /** What {@code pick} picks from alpha's log lines matching {@code pattern}, once it picks one. */
  private Matcher await(Pattern pattern, java.util.function.Function<List<Matcher>, Matcher> pick, Duration limit)
      throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    do {
      List<Matcher> all = new ArrayList<>();
      for (String line : Files.readAllLines(pair.process("alpha").log())) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          all.add(m);
        }
      }
      Matcher picked = pick.apply(all);
      if (picked != null) {
        return picked;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < end);
    throw new AssertionError("no line like /" + pattern + "/ in alpha's log\n" + log("alpha"));
  }

  private String ok(String node, String... args) {
    LocalPair.Answer answer = pair.cli(node, args);
    assertEquals(0, answer.exit(), String.join(" ", args) + " on " + node + ":\n" + answer.out() + answer.err()
        + "\n" + log(node));
    return answer.out();
  }

  private void awaitCluster(java.util.function.Predicate<String> condition, String what) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      LocalPair.Answer answer = pair.cli("alpha", "cluster", "list");
      last = answer.out() + answer.err();
      if (answer.exit() == 0 && condition.test(answer.out())) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not within 60 s: " + what + "\n" + last + "\n" + log("alpha") + log("beta"));
  }

  private String log(String node) {
    return "--- " + node + " log:\n" + (pair.process(node) == null ? "" : pair.process(node).logTail(40)) + "\n";
  }
}
