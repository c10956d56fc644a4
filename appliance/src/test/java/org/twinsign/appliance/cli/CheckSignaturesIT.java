package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.testkit.NsdServer;
import org.twinsign.testkit.Ports;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;

/**
 * {@code check signatures} against a real NSD that serves zones whose signatures expire in 12
 * hours, 2 days and 10 days, transferred with TSIG: CRITICAL, WARNING and OK, UNKNOWN when the
 * server does not answer, and every output a Nagios plugin's line.
 */
class CheckSignaturesIT {
  /** {@code SERVICE STATE - text | 'label'=value[UOM];[warn];[crit];[min];[max] ...} (Nagios plugin guidelines). */
  private static final Pattern PLUGIN_LINE = Pattern.compile("SIGNATURES (OK|WARNING|CRITICAL|UNKNOWN) - [^|\\n]+"
      + "( \\| ([A-Za-z_]+=-?[0-9.]+(s|%|B)?(;[@~]?-?[0-9.]*:?-?[0-9.]*){0,4} ?)+)?\\n");
  private static final String SECRET = Base64.getEncoder().encodeToString("check-signatures-test-key-32-bytes".getBytes(
      java.nio.charset.StandardCharsets.US_ASCII));

  @TempDir
  static Path dir;

  private static NsdServer nsd;
  private static Path tsig;

  private static String zone(String name, Duration expiresIn) throws Exception {
    Name origin = Name.fromString(name + ".");
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    DNSKEYRecord key = new DNSKEYRecord(origin, DClass.IN, 3600, 257, DNSKEYRecord.Protocol.DNSSEC,
        DNSSEC.Algorithm.ECDSAP256SHA256, pair.getPublic());
    Instant inception = Instant.now().minus(Duration.ofHours(1));
    Instant expiration = Instant.now().plus(expiresIn);
    List<Record> records = List.of(
        new SOARecord(origin, DClass.IN, 3600, Name.fromString("ns1", origin), Name.fromString("hostmaster", origin),
            2026120101, 7200, 3600, 1209600, 3600),
        new NSRecord(origin, DClass.IN, 3600, Name.fromString("ns1", origin)),
        new ARecord(Name.fromString("ns1", origin), DClass.IN, 3600, java.net.InetAddress.getByName("192.0.2.1")),
        new ARecord(Name.fromString("www", origin), DClass.IN, 3600, java.net.InetAddress.getByName("192.0.2.80")),
        key);
    StringBuilder text = new StringBuilder();
    List<RRset> sets = new ArrayList<>();
    for (Record r : records) {
      RRset set = sets.stream().filter(s -> s.getName().equals(r.getName()) && s.getType() == r.getType()).findFirst()
          .orElse(null);
      if (set == null) {
        set = new RRset();
        sets.add(set);
      }
      set.addRR(r);
    }
    for (RRset set : sets) {
      set.rrs().forEach(r -> text.append(r).append('\n'));
      text.append(DNSSEC.sign(set, key, pair.getPrivate(), inception, expiration)).append('\n');
    }
    return text.toString();
  }

  @BeforeAll
  static void serve() throws Exception {
    nsd = NsdServer.serving(Map.of("crit.test", zone("crit.test", Duration.ofHours(12)), "warn.test",
        zone("warn.test", Duration.ofDays(2)), "ok.test", zone("ok.test", Duration.ofDays(10))),
        new NsdServer.TsigKey("xfr-key", "hmac-sha256", SECRET));
    tsig = dir.resolve("xfr.key");
    Files.writeString(tsig, "key \"xfr-key\" {\n  algorithm hmac-sha256;\n  secret \"" + SECRET + "\";\n};\n");
    Files.setPosixFilePermissions(tsig, PosixFilePermissions.fromString("rw-------"));
  }

  @AfterAll
  static void stop() {
    if (nsd != null) {
      nsd.close();
    }
  }

  private record Run(int exit, String out) {}

  private static Run check(String... args) {
    List<String> all = new ArrayList<>(List.of("check", "signatures"));
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    picocli.CommandLine cli = TwinsignCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    int exit = cli.execute(all.toArray(String[]::new));
    return new Run(exit, out.toString());
  }

  private static Run served(String zone) {
    return check("--zone", zone, "--server", "127.0.0.1:" + nsd.port(), "--tsig-file", tsig.toString());
  }

  @Test
  void statesFollowTheThresholdsAndEachLineParsesAsAPlugin() {
    Run crit = served("crit.test");
    Run warn = served("warn.test");
    Run ok = served("ok.test");
    assertEquals(2, crit.exit(), crit.out());
    assertTrue(crit.out().startsWith("SIGNATURES CRITICAL - crit.test: 5 RRSIGs"), crit.out());
    assertEquals(1, warn.exit(), warn.out());
    assertTrue(warn.out().startsWith("SIGNATURES WARNING - warn.test"), warn.out());
    assertEquals(0, ok.exit(), ok.out());
    assertTrue(ok.out().startsWith("SIGNATURES OK - ok.test"), ok.out());
    for (Run r : List.of(crit, warn, ok)) {
      assertTrue(PLUGIN_LINE.matcher(r.out()).matches(), "not a plugin line: " + r.out());
      assertTrue(r.out().contains("| remaining=") && r.out().contains(";259200:;86400: rrsigs=5"), r.out());
    }
    Run tight = check("--zone", "warn.test", "--server", "127.0.0.1:" + nsd.port(), "--tsig-file", tsig.toString(),
        "--warning", "1d", "--critical", "12h");
    assertEquals(0, tight.exit(), "thresholds as given: " + tight.out());
  }

  @Test
  void unknownWhenTheServerDoesNotAnswerOrRefuses() {
    int closed = Ports.freeLoopbackPort();
    Run down = check("--zone", "ok.test", "--server", "127.0.0.1:" + closed, "--timeout", "3s");
    assertEquals(3, down.exit(), down.out());
    assertTrue(PLUGIN_LINE.matcher(down.out()).matches() && down.out().startsWith("SIGNATURES UNKNOWN - ok.test"),
        down.out());
    Run noKey = check("--zone", "ok.test", "--server", "127.0.0.1:" + nsd.port(), "--timeout", "5s");
    assertEquals(3, noKey.exit(), "NSD refuses a transfer without the key: " + noKey.out());
    Run usage = check("--zone", "ok.test");
    assertEquals(3, usage.exit(), "bad usage is UNKNOWN, not CRITICAL: " + usage.out());
    assertTrue(PLUGIN_LINE.matcher(usage.out()).matches(), usage.out());
    Run typo = check("--zone", "ok.test", "--warnign", "2d");
    assertEquals(3, typo.exit(), typo.out());
    assertTrue(typo.out().startsWith("SIGNATURES UNKNOWN - usage:"), typo.out());
    assertTrue(!usage.out().contains(SECRET), "no secret in the output");
  }

  @Test
  void asSignedFromAFile() throws Exception {
    Path file = dir.resolve("ok.test.signed");
    Files.writeString(file, "$ORIGIN ok.test.\n" + zone("ok.test", Duration.ofHours(2)));
    Run r = check("--zone", "ok.test", "--file", file.toString());
    assertEquals(2, r.exit(), r.out());
    assertTrue(r.out().contains("in " + file), r.out());
  }
}
