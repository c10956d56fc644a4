package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.TestHsm;

/** {@code twinsign hsm} and {@code twinsign sign} as an operator runs them, good input and bad. */
class SignCommandTest {
  private static final String ORIGIN = "bad.test.";
  private static final String GOOD = "$TTL 300\n@ IN SOA ns root 1 3600 600 86400 60\n@ IN NS ns\nns IN A 192.0.2.1\n";
  private static String ksk;
  private static String zsk;

  @TempDir
  Path work;
  private Path output;

  @BeforeAll
  static void keys() {
    ksk = CliRun.of("hsm", "generate", "--hsm", hsm(), "--algorithm", "ECDSAP256SHA256", "--label", "cli-ksk", "--ksk")
        .out().strip();
    zsk = CliRun.of("hsm", "generate", "--hsm", hsm(), "--algorithm", "ecdsap256sha256", "--label", "cli-zsk").out().strip();
  }

  @BeforeEach
  void previousOutput() throws Exception {
    output = work.resolve("out.zone");
    Files.writeString(output, "; the zone published before\n");
  }

  @Test
  void hsmListShowsGeneratedKeys() {
    CliRun list = CliRun.of("hsm", "list", "--hsm", hsm());
    assertEquals(0, list.exit(), list.err());
    assertTrue(list.out().contains(ksk) && list.out().contains("cli-ksk"), list.out());
    assertTrue(list.out().contains("ECDSAP256SHA256"), list.out());
  }

  @Test
  void exportPrintsTheDnskeyAndItsDsAsBindDoes(@TempDir Path dir) throws Exception {
    CliRun dnskey = CliRun.of("hsm", "export", "--hsm", hsm(), "--locator", ksk, "--zone", "example.test", "--ksk");
    assertEquals(0, dnskey.exit(), dnskey.err());
    Path keyFile = dir.resolve("Kexample.test.key");
    Files.writeString(keyFile, dnskey.out());
    CliRun ds = CliRun.of("hsm", "export", "--hsm", hsm(), "--locator", ksk, "--zone", "example.test", "--ksk", "--ds",
        "--digest", "SHA-256,SHA-384");
    assertEquals(0, ds.exit(), ds.err());
    // BIND's own DS computation from the same DNSKEY must agree
    for (String digest : new String[] {"SHA-256", "SHA-384"}) {
      Path log = dir.resolve("dsfromkey-" + digest + ".log");
      int exit = org.twinsign.testkit.LocalProcess.run("dnssec-dsfromkey", List.of(
          org.twinsign.testkit.HostTool.require("dnssec-dsfromkey", "bind9-utils").toString(), "-a", digest,
          "-f", keyFile.toString(), "example.test"), java.util.Map.of(), dir, log, null,
          java.time.Duration.ofMinutes(1));
      String bind = Files.readString(log).strip();
      assertEquals(0, exit, bind);
      String[] fields = bind.split("\\s+");
      String digestHex = String.join("", java.util.Arrays.copyOfRange(fields, 6, fields.length)).toLowerCase();
      assertTrue(ds.out().toLowerCase().replace(" ", "").contains(fields[3] + "13" + fields[5] + digestHex),
          "DS " + digest + " must match BIND's: " + bind + " vs " + ds.out());
    }
  }

  @Test
  void signsAGoodZone() throws Exception {
    CliRun result = sign(zone(GOOD));
    assertEquals(0, result.exit(), result.err());
    assertTrue(Files.readString(output).contains("RRSIG"), "signed output");
    assertTrue(result.err().contains("signatures made"), result.err());
  }

  @Test
  void aSyntaxErrorNamesFileAndLine() throws Exception {
    Path input = zone(GOOD + "www IN A 192.0.2.300\n");
    CliRun result = sign(input);
    assertFailedCleanly(result, input.getFileName() + ":5");
  }

  @Test
  void aMissingIncludeIsNamed() throws Exception {
    CliRun result = sign(zone(GOOD + "$INCLUDE nothere.zone\n"));
    assertFailedCleanly(result, "nothere.zone");
  }

  @Test
  void aMissingSoaIsNamed() throws Exception {
    CliRun result = sign(zone("$TTL 300\n@ IN NS ns\nns IN A 192.0.2.1\n"));
    assertFailedCleanly(result, "no SOA record");
  }

  @Test
  void cnameBesideOtherDataIsAnError() throws Exception {
    CliRun result = sign(zone(GOOD + "www IN CNAME ns\nwww IN A 192.0.2.2\n"));
    assertFailedCleanly(result, "CNAME and other data");
  }

  @Test
  void anUnknownLocatorIsNamed() throws Exception {
    CliRun result = CliRun.of("sign", "--hsm", hsm(), "--zone", ORIGIN, "--input", zone(GOOD).toString(), "--output",
        output.toString(), "--ksk", "0badc0de", "--zsk", zsk);
    assertFailedCleanly(result, "no key with locator 0badc0de");
  }

  @Test
  void aWrongPinFailsWithoutShowingIt() throws Exception {
    Path pin = work.resolve("wrong.pin");
    org.twinsign.appliance.TestFiles.secret(pin, "wrong-pin-0815\n");
    Path config = work.resolve("hsm.conf");
    Files.writeString(config, "library=/usr/lib/softhsm/libsofthsm2.so\ntoken=" + TestHsm.PRIMARY + "\npin.file="
        + pin + "\n");
    CliRun result = CliRun.of("sign", "--hsm", config.toString(), "--zone", ORIGIN, "--input", zone(GOOD).toString(),
        "--output", output.toString(), "--ksk", ksk, "--zsk", zsk);
    assertFailedCleanly(result, "incorrect");
    assertFalse(result.err().contains("wrong-pin-0815"), result.err());
  }

  @Test
  void aMissingLibraryIsNamed() throws Exception {
    Path config = work.resolve("hsm.conf");
    Files.writeString(config, "library=/usr/lib/nothere/libpkcs11.so\ntoken=x\npin.env=NOPE\n");
    CliRun result = CliRun.of("sign", "--hsm", config.toString(), "--zone", ORIGIN, "--input", zone(GOOD).toString(),
        "--output", output.toString(), "--ksk", ksk, "--zsk", zsk);
    assertFailedCleanly(result, "/usr/lib/nothere/libpkcs11.so");
  }

  @Test
  void anUnwritableOutputIsNamed() throws Exception {
    Path dir = work.resolve("readonly");
    Files.createDirectories(dir);
    Path target = dir.resolve("out.zone");
    Files.writeString(target, "; old\n");
    dir.toFile().setWritable(false, false);
    try {
      if (!dir.toFile().canWrite()) {
        CliRun result = CliRun.of("sign", "--hsm", hsm(), "--zone", ORIGIN, "--input", zone(GOOD).toString(), "--output",
            target.toString(), "--ksk", ksk, "--zsk", zsk);
        assertEquals(1, result.exit(), result.err());
        assertTrue(result.err().contains("not writable") && result.err().contains(dir.toString()), result.err());
        assertEquals("; old\n", Files.readString(target));
      }
    } finally {
      dir.toFile().setWritable(true, false);
    }
    // root writes anywhere: a directory that does not exist is unwritable for everyone
    CliRun result = CliRun.of("sign", "--hsm", hsm(), "--zone", ORIGIN, "--input", zone(GOOD).toString(), "--output",
        work.resolve("missing-dir/out.zone").toString(), "--ksk", ksk, "--zsk", zsk);
    assertEquals(1, result.exit(), result.err());
    assertTrue(result.err().contains("missing-dir") && result.err().contains("does not exist"), result.err());
  }

  @Test
  void badOptionsAreUsageErrors() throws Exception {
    CliRun result = CliRun.of("sign", "--hsm", hsm(), "--zone", ORIGIN, "--input", zone(GOOD).toString(), "--output",
        output.toString(), "--ksk", ksk, "--zsk", zsk, "--validity", "2d");
    assertEquals(2, result.exit(), result.err());
    assertTrue(result.err().contains("refresh"), result.err());
    result = CliRun.of("sign", "--hsm", hsm(), "--zone", ORIGIN, "--input", zone(GOOD).toString(), "--output",
        output.toString(), "--ksk", ksk, "--zsk", zsk, "--optout");
    assertEquals(2, result.exit(), result.err());
    assertTrue(result.err().contains("--nsec3"), result.err());
  }

  private void assertFailedCleanly(CliRun result, String expected) throws Exception {
    assertEquals(1, result.exit(), "must fail: " + result.err());
    assertTrue(result.err().contains(expected), "message must mention '" + expected + "': " + result.err());
    assertEquals("; the zone published before\n", Files.readString(output), "output must be untouched");
    try (var files = Files.list(work)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
    }
  }

  private Path zone(String text) throws Exception {
    Path file = work.resolve("in.zone");
    Files.writeString(file, text);
    return file;
  }

  private CliRun sign(Path input) {
    return CliRun.of("sign", "--hsm", hsm(), "--zone", ORIGIN, "--input", input.toString(), "--output", output.toString(),
        "--ksk", ksk, "--zsk", zsk);
  }

  private static String hsm() {
    return TestHsm.config(TestHsm.PRIMARY).toString();
  }

}
