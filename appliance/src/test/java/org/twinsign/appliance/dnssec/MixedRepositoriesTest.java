package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.CliRun;

/** The OpenDNSSEC arrangement: the KSK in the HSM, the ZSK in a soft key store; one signed zone. */
class MixedRepositoriesTest {

  @Test
  void kskInTheHsmZskInASoftStoreSignAZoneThatValidates(@TempDir Path work) throws Exception {
    org.twinsign.appliance.TestFiles.secret(work.resolve("soft.pin"), "mixed-soft-pin\n");
    Path soft = work.resolve("soft.conf");
    Files.writeString(soft, "type=soft\ndirectory=softkeys\npin.file=soft.pin\n");
    String hsm = TestHsm.config(TestHsm.PRIMARY).toString();
    String ksk = run("hsm", "generate", "--hsm", hsm, "--algorithm", "ECDSAP256SHA256", "--label", "mixed-ksk",
        "--ksk").strip();
    String zsk = run("hsm", "generate", "--hsm", soft.toString(), "--algorithm", "ECDSAP256SHA256", "--label",
        "mixed-zsk").strip();
    Path input = work.resolve("example.test.zone");
    Files.copy(Path.of("src/test/resources/zones/example.test.zone"), input);
    Files.copy(Path.of("src/test/resources/zones/included.zone"), work.resolve("included.zone"));
    Path output = work.resolve("example.test.signed");
    run("sign", "--hsm", hsm, "--hsm", soft.toString(), "--zone", "example.test.", "--input", input.toString(),
        "--output", output.toString(), "--ksk", ksk, "--zsk", zsk, "--nsec3");
    Verifiers.Outcome bind = Verifiers.dnssecVerify(output, "example.test.", false);
    assertTrue(bind.ok(), bind.output());
    Verifiers.Outcome ldns = Verifiers.ldnsVerifyZone(output, null);
    assertTrue(ldns.ok(), ldns.output());
  }

  private static String run(String... args) {
    CliRun run = CliRun.of(args);
    assertEquals(0, run.exit(), run.err());
    return run.out();
  }
}
