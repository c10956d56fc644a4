package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.appliance.zone.JournalFile;

/**
 * The standby ingests the master's signed output (IXFR after the first AXFR) and, promoted after a
 * kill -9 of the master, continues from it: with the old master's files gone (as on another
 * machine), its first signing after a change is incremental, reuses at least 99 % of the old
 * master's signatures, and publishes a serial above any the old master published.
 */
class PairPromotionIT {
  private static final Duration SESSION = Duration.ofSeconds(4);
  private static final int NAMES = 2000;
  private static final Pattern INGESTED = Pattern.compile("ingested:\\s+serial (\\d+) \\(epoch (\\d+)\\)");
  private static final Pattern INCREMENTAL = Pattern.compile("zone example\\.test: signed serial (\\d+)"
      + " incrementally \\((\\d+) signatures made");

  @TempDir
  Path dir;

  private LocalPair pair;
  private PairRun run;

  @BeforeEach
  void start() {
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    run = new PairRun(pair);
  }

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
  }

  @Test
  void thePromotedStandbyContinuesFromTheMastersSignatures() throws Exception {
    pair.startNode("alpha");
    run.await("alpha master", () -> pair.cli("alpha", "cluster", "list").out().contains("master (epoch 1)"));
    pair.startNode("beta");
    run.await("beta eligible", () -> pair.cli("alpha", "cluster", "list").out().lines()
        .anyMatch(l -> l.startsWith("beta ") && l.contains(" yes ")));
    run.ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    Path input = dir.resolve("example.test.zone");
    Path signed = dir.resolve("example.test.signed");
    writeZone(input, 2026120101, 0);
    run.ok("alpha", "zone", "add", "--zone", "example.test", "--policy", "short", "--input", input.toString(),
        "--output", signed.toString());
    run.await("signed by alpha", () -> Files.exists(signed));
    run.await("beta's copy of alpha's output", () -> ingested() > 0);
    long first = ingested();
    long signatures = Files.readAllLines(signed).stream().filter(l -> l.contains("\tRRSIG\t") || l.contains(" RRSIG "))
        .count();
    assertTrue(signatures > 2 * NAMES, "RRSIGs in the signed zone: " + signatures);

    // a change at the master reaches beta's copy by IXFR
    writeZone(input, 2026120102, 1);
    run.ok("alpha", "enforce");
    run.await("beta's copy at the new serial", () -> ingested() != first);
    long before = ingested();
    String status = run.ok("beta", "zone", "status", "--zone", "example.test");
    assertTrue(status.contains("IXFR"), "the change came by IXFR:\n" + status);
    // beta's copy is the master's signed zone: the same zone file, byte for byte
    run.await("alpha's file at the new serial", () -> serialOf(signed) == before);
    String file = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(
        Files.readAllBytes(signed)));
    run.await("beta's copy equal to alpha's signed zone", () -> run.ok("beta", "zone", "status", "--zone",
        "example.test", "--digest").contains("zone file SHA-256 " + file));

    // the master dies; its files are not on beta's machine
    pair.process("alpha").kill();
    Files.delete(signed);
    Files.deleteIfExists(JournalFile.of(signed));
    run.await("beta master", () -> pair.cli("beta", "cluster", "list").out().contains("master (epoch 2)"));
    run.await("beta took over alpha's output", () -> pair.process("beta").logTail(400)
        .contains("zone example.test: serial " + before + " taken over from the last master's output"));

    writeZone(input, 2026120103, 2);
    // the change is signed by the duties' next pass or by this command, whichever comes first
    String enforced = run.ok("beta", "enforce");
    run.await("beta signed the change", () -> INCREMENTAL.matcher(enforced + pair.process("beta").logTail(400))
        .find());
    Matcher m = INCREMENTAL.matcher(enforced + pair.process("beta").logTail(400));
    assertTrue(m.find());
    long serial = Long.parseLong(m.group(1));
    long made = Long.parseLong(m.group(2));
    double reused = 1.0 - (double) made / signatures;
    System.out.printf("after promotion: serial %d, %d signatures made of %d: %.2f %% of the old master's reused%n",
        serial, made, signatures, 100 * reused);
    assertTrue(reused >= 0.99, made + " of " + signatures + " signatures made anew");
    assertTrue(org.twinsign.appliance.dnssec.SerialPolicy.greaterThan(serial, before), serial + " after " + before);
    run.await("beta wrote the signed file from memory", () -> Files.exists(signed) && serialOf(signed) == serial);
    var verify = Verifiers.dnssecVerify(signed, "example.test", false);
    assertTrue(verify.ok(), verify.output());
    assertTrue(Files.readString(signed).contains("added2.example.test."));
    assertEquals(serial, soaSerial("beta"), "beta serves its version");
  }

  private long soaSerial(String node) throws IOException {
    String[] at = pair.dnsAddress(node).split(":");
    org.xbill.DNS.SimpleResolver resolver = new org.xbill.DNS.SimpleResolver(at[0]);
    resolver.setPort(Integer.parseInt(at[1]));
    org.xbill.DNS.Message answer = resolver.send(org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
        org.xbill.DNS.Name.fromConstantString("example.test."), org.xbill.DNS.Type.SOA, org.xbill.DNS.DClass.IN)));
    return ((org.xbill.DNS.SOARecord) answer.getSection(org.xbill.DNS.Section.ANSWER).get(0)).getSerial();
  }

  /** The serial of beta's copy of alpha's output ({@code zone status} on beta), or -1. */
  private long ingested() {
    Matcher m = INGESTED.matcher(pair.cli("beta", "zone", "status", "--zone", "example.test").out());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static void writeZone(Path file, long serial, int added) throws IOException {
    StringBuilder z = new StringBuilder("$ORIGIN example.test.\n$TTL 3600\n@ IN SOA ns1 hostmaster " + serial
        + " 7200 3600 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\n");
    for (int i = 0; i < NAMES; i++) {
      z.append("host").append(i).append(" IN A 198.51.100.").append(i % 250 + 1).append('\n');
    }
    for (int i = 1; i <= added; i++) {
      z.append("added").append(i).append(" IN A 203.0.113.").append(i).append('\n');
    }
    Files.writeString(file, z);
  }

  private static long serialOf(Path signed) {
    try {
      return Files.readAllLines(signed).stream().map(String::trim).filter(l -> l.split("\\s+").length > 6
          && l.split("\\s+")[3].equals("SOA")).map(l -> Long.parseLong(l.split("\\s+")[6])).findFirst().orElse(-1L);
    } catch (IOException e) {
      return -1;
    }
  }

}
