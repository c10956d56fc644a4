package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.KnotServer;
import org.twinsign.testkit.NsdServer;
import org.twinsign.testkit.Ports;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The chain's latency side by side with Knot, in one run: one hidden primary (Knot) serves the
 * unsigned zone to two signers, Twinsign (the pair's master) and a Knot signer
 * ({@code dnssec-signing}), each followed by its own NSD secondary. Each change is one record
 * added at the primary ({@code knotc zone-set}); the time is taken from just before the change
 * until each secondary answers a new serial. Also the memory each signer holds.
 *
 * <p>CI runs it small (2,000 names, 5 changes) and checks that every change arrives through both
 * chains, signed; {@code bench/zone-chain.sh} runs it at 10,000, 100,000 and 1,000,000 names with
 * 20 changes or more ({@code -Dtwinsign.chain-bench.names}, {@code .changes}, {@code .heap},
 * {@code .report}) and reports the figures as ratios.
 */
@org.junit.jupiter.api.Tag("slow") // a benchmark: bench/*.sh and CI run it (-Pslow)
class ZoneChainBenchIT {
  private static final Duration SESSION = Duration.ofSeconds(4);
  private static final String ZONE = "bench.test";

  @TempDir
  Path dir;

  private LocalPair pair;
  private KnotServer hidden;
  private KnotServer knot;
  private NsdServer afterTwinsign;
  private NsdServer afterKnot;

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {afterTwinsign, afterKnot, knot, hidden, pair}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the others still close
      }
    }
  }

  @Test
  void everyChangeReachesBothSecondariesSigned() throws Exception {
    int names = Integer.getInteger("twinsign.chain-bench.names", 2_000);
    int changes = Integer.getInteger("twinsign.chain-bench.changes", 5);
    String heap = System.getProperty("twinsign.chain-bench.heap", "1g");
    // without Knot's chain: Twinsign's alone, for what the other signer's work on the same cores costs it
    boolean withKnot = Boolean.parseBoolean(System.getProperty("twinsign.chain-bench.knot", "true"));
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    pair.nodeJavaOptions(List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=50", "-XX:+AlwaysPreTouch",
        "-XX:+UnlockExperimentalVMOptions", "-XX:G1NewSizePercent=1", "-Xms" + heap, "-Xmx" + heap));
    List<String> signers = LocalPair.NODES.stream().map(n -> pair.dnsAddress(n).replace(':', '@')).toList();
    int knotPort = Ports.freeLoopbackPort();
    afterTwinsign = NsdServer.secondary(ZONE, signers, null);
    List<String> notify = new ArrayList<>(signers);
    if (withKnot) {
      afterKnot = NsdServer.secondary(ZONE, List.of("127.0.0.1@" + knotPort), null);
      notify.add("127.0.0.1@" + knotPort);
    }
    long t0 = System.nanoTime();
    hidden = KnotServer.start(Map.of(ZONE, GeneratedZones.text(ZONE, names, 1)), notify);
    if (withKnot) {
      knot = KnotServer.signer(ZONE, "127.0.0.1@" + hidden.port(), List.of("127.0.0.1@" + afterKnot.port()),
          knotPort);
    }
    for (String node : LocalPair.NODES) {
      pair.configure(node, "dns.notify=127.0.0.1:" + afterTwinsign.port());
    }
    pair.startNode("alpha");
    awaitMaster();
    // the standby holds a copy of the master's signed zone (ingest): the same heap
    pair.startNode("beta");
    ok("policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    ok("zone", "add", "--zone", ZONE, "--policy", "short", "--input", dir.resolve(ZONE + ".unsigned").toString(),
        "--output", dir.resolve(ZONE + ".signed").toString(), "--primary", "127.0.0.1:" + hidden.port());
    Duration first = Duration.ofSeconds(180 + names / 2_000);
    long[] serials = {awaitSerial(afterTwinsign, -1, first), withKnot ? awaitSerial(afterKnot, -1, first) : 0};
    String initial = String.format(java.util.Locale.ROOT, "both chains served in %.1f s",
        (System.nanoTime() - t0) / 1e9);

    List<Long> twinsign = new ArrayList<>();
    List<Long> knotted = new ArrayList<>();
    Duration each = Duration.ofSeconds(60 + names / 10_000);
    for (int i = 1; i <= changes; i++) {
      long start = System.nanoTime();
      hidden.add(ZONE, "change" + i + "." + ZONE + ". 3600 A 192.0.2." + (i % 250 + 1));
      long[] at = {0, withKnot ? 0 : start};
      long end = start + each.toNanos();
      NsdServer[] secondaries = {afterTwinsign, afterKnot};
      while ((at[0] == 0 || at[1] == 0) && System.nanoTime() < end) {
        for (int s = 0; s < 2; s++) {
          if (at[s] == 0) {
            long serial = serial(secondaries[s]);
            if (serial != serials[s] && serial != -1) {
              at[s] = System.nanoTime();
              serials[s] = serial;
            }
          }
        }
        Thread.sleep(2);
      }
      assertTrue(at[0] != 0, "change " + i + " reached the secondary through Twinsign\n"
          + pair.process("alpha").logTail(40));
      assertTrue(at[1] != 0, "change " + i + " reached the secondary through Knot\n"
          + (knot == null ? "" : tail(knot.log())));
      twinsign.add((at[0] - start) / 1_000_000);
      knotted.add((at[1] - start) / 1_000_000);
      Thread.sleep(300);
    }
    for (NsdServer s : withKnot ? new NsdServer[] {afterTwinsign, afterKnot} : new NsdServer[] {afterTwinsign}) {
      assertEquals(Rcode.NOERROR, signedAnswer(s, "change" + changes + "." + ZONE + "."), "the last change, signed");
    }

    List<String> log = Files.readAllLines(pair.process("alpha").log());
    long incremental = log.stream().filter(l -> l.contains("zone " + ZONE + ": signed serial")
        && l.contains(" incrementally (")).count();
    long whole = log.stream().filter(l -> l.contains("zone " + ZONE + ": signed serial")
        && !l.contains(" incrementally (")).count();
    long heapUsed = heapUsed(pair.process("alpha").pid());
    long knotResident = withKnot ? knot.residentBytes() : 0;
    String report = String.format(java.util.Locale.ROOT, "zone chain: %d names, %d changes (%s)%s%n"
        + "  change at the hidden primary -> new serial at the secondary, ms: Twinsign median %d p99 %d max %d;"
        + " Knot median %d p99 %d max %d%n"
        + "  ratio Twinsign/Knot: median %.2f, p99 %.2f%n"
        + "  memory: Twinsign master heap after a full GC %.0f MB (%.2f GB per million names); knotd signer"
        + " resident %.0f MB (%.2f GB per million names)%n"
        + "  Twinsign signings: %d incremental, %d whole (the first included)%n",
        names, changes, initial, withKnot ? "" : "; Twinsign's chain alone (no Knot: its figures are 0)",
        percentile(twinsign, 50), percentile(twinsign, 99), percentile(twinsign, 100),
        percentile(knotted, 50), percentile(knotted, 99), percentile(knotted, 100),
        (double) percentile(twinsign, 50) / Math.max(1, percentile(knotted, 50)),
        (double) percentile(twinsign, 99) / Math.max(1, percentile(knotted, 99)),
        heapUsed / 1e6, heapUsed / 1e9 * 1e6 / names, knotResident / 1e6, knotResident / 1e9 * 1e6 / names,
        incremental, whole);
    if (!withKnot) {
      report = report.lines().filter(l -> !l.contains("ratio Twinsign/Knot")).map(l -> l.replaceAll(
          "; Knot median 0 p99 0 max 0|; knotd signer resident 0 MB \\(0.00 GB per million names\\)", ""))
          .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
    }
    System.out.print(report);
    // where the last change's time went on the master, by its log's timestamps
    List<String> steps = new ArrayList<>();
    int from = 0;
    for (int i = 0; i < log.size(); i++) {
      if (log.get(i).contains("NOTIFY from") && log.get(i).contains("for zone " + ZONE + ".: refreshing")) {
        from = i;
      }
    }
    for (String line : log.subList(from, log.size())) {
      if (line.contains("NOTIFY from") || line.contains("IXFR (") || line.contains("enforced ")
          || line.contains(" incrementally (") || line.contains("IXFR of zone") || line.contains("NOTIFY of zone")) {
        steps.add("    " + line);
      }
    }
    String file = System.getProperty("twinsign.chain-bench.report");
    if (file != null) {
      Files.writeString(Path.of(file), report + "  Twinsign ms: " + twinsign + "\n  Knot ms: " + knotted + "\n"
          + "  the last change on the master:\n" + String.join("\n", steps) + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
  }

  private static String tail(Path log) throws java.io.IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  private static long percentile(List<Long> values, int p) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int index = (int) Math.min(sorted.size() - 1, Math.max(0, Math.ceil(sorted.size() * p / 100.0) - 1));
    return sorted.get(index);
  }

  /** The heap the master's JVM holds after a full collection: what its zones take. */
  private static long heapUsed(long pid) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true).start();
    gc.getInputStream().readAllBytes();
    gc.waitFor();
    Process info = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.heap_info").redirectErrorStream(true)
        .start();
    String out = new String(info.getInputStream().readAllBytes());
    info.waitFor();
    Matcher used = Pattern.compile("used (\\d+)K").matcher(out);
    assertTrue(used.find(), out);
    return Long.parseLong(used.group(1)) * 1024;
  }

  private void awaitMaster() throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!pair.cli("alpha", "cluster", "list").out().lines().anyMatch(l -> l.matches("alpha\\s+master\\s.*"))
        && System.nanoTime() < end) {
      Thread.sleep(200);
    }
  }

  private String ok(String... args) {
    LocalPair.Answer answer = pair.cli("alpha", args);
    assertEquals(0, answer.exit(), String.join(" ", args) + ":\n" + answer.out() + answer.err());
    return answer.out();
  }

  private static long serial(NsdServer server) throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(server.port());
    resolver.setTimeout(Duration.ofSeconds(1));
    try {
      Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromConstantString(ZONE + "."),
          Type.SOA, DClass.IN)));
      return answer.getRcode() == Rcode.NOERROR && !answer.getSection(Section.ANSWER).isEmpty()
          ? ((SOARecord) answer.getSection(Section.ANSWER).get(0)).getSerial() : -1;
    } catch (java.io.IOException e) {
      return -1;
    }
  }

  private static long awaitSerial(NsdServer server, long not, Duration limit) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      long serial = serial(server);
      if (serial != -1 && serial != not) {
        return serial;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the secondary " + server.port() + " served no serial within " + limit);
  }

  private static int signedAnswer(NsdServer server, String name) throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(server.port());
    Message query = Message.newQuery(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN));
    query.addRecord(new org.xbill.DNS.OPTRecord(1232, 0, 0, org.xbill.DNS.Flags.DO), Section.ADDITIONAL);
    Message answer = resolver.send(query);
    assertTrue(answer.getSection(Section.ANSWER).stream().anyMatch(r -> r.getType() == Type.RRSIG),
        "signed: " + answer);
    return answer.getRcode();
  }
}
