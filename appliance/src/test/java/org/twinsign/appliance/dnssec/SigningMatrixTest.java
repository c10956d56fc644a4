package org.twinsign.appliance.dnssec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.hsm.HsmToken;

/**
 * Bundled zones × {NSEC, NSEC3, NSEC3 opt-out} × {ECDSAP256SHA256, ECDSAP384SHA384, RSASHA256} ×
 * {KSK+ZSK, CSK}, signed through the CLI: every output passes BIND's dnssec-verify and ldns'
 * ldns-verify-zone, and holds exactly the input's records plus the DNSSEC records.
 */
class SigningMatrixTest {
  private static final Path ZONES = Path.of("src/test/resources/zones");
  private static final Map<DnssecAlgorithm, HsmKey[]> KEYS = new EnumMap<>(DnssecAlgorithm.class);
  private static HsmToken token;

  @BeforeAll
  static void generateKeys() {
    token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 1);
    for (DnssecAlgorithm algorithm : List.of(DnssecAlgorithm.ECDSAP256SHA256, DnssecAlgorithm.ECDSAP384SHA384,
        DnssecAlgorithm.RSASHA256)) {
      KEYS.put(algorithm, new HsmKey[] {
          token.generate(algorithm, 2048, "matrix-ksk-" + algorithm),
          token.generate(algorithm, 2048, "matrix-zsk-" + algorithm),
          token.generate(algorithm, 2048, "matrix-csk-" + algorithm)});
    }
  }

  @AfterAll
  static void closeToken() {
    token.close();
  }

  static Stream<Arguments> matrix() {
    List<Arguments> cases = new ArrayList<>();
    for (String[] zone : new String[][] {{"example.test.zone", "example.test."}, {"minimal.test.zone", "minimal.test."},
        {"occluded.test.zone", "occluded.test."}}) {
      for (String denial : List.of("nsec", "nsec3", "nsec3-optout")) {
        for (DnssecAlgorithm algorithm : List.of(DnssecAlgorithm.ECDSAP256SHA256, DnssecAlgorithm.ECDSAP384SHA384,
            DnssecAlgorithm.RSASHA256)) {
          for (boolean csk : new boolean[] {false, true}) {
            cases.add(Arguments.of(zone[0], zone[1], denial, algorithm, csk));
          }
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {2} {3} csk={4}")
  @MethodSource("matrix")
  void signedZoneValidatesAndKeepsTheInput(String file, String origin, String denial, DnssecAlgorithm algorithm,
      boolean csk, @TempDir Path work) throws Exception {
    Path input = work.resolve(file);
    Files.copy(ZONES.resolve(file), input);
    Files.copy(ZONES.resolve("included.zone"), work.resolve("included.zone"));
    Path output = work.resolve(file + ".signed");
    HsmKey[] keys = KEYS.get(algorithm);

    List<String> args = new ArrayList<>(List.of("sign", "--hsm", TestHsm.config(TestHsm.PRIMARY).toString(),
        "--zone", origin, "--input", input.toString(), "--output", output.toString(), "--threads", "2"));
    if (csk) {
      args.addAll(List.of("--csk", keys[2].locator().hex()));
    } else {
      args.addAll(List.of("--ksk", keys[0].locator().hex(), "--zsk", keys[1].locator().hex()));
    }
    if (denial.startsWith("nsec3")) {
      args.add("--nsec3");
    }
    if (denial.endsWith("optout")) {
      args.add("--optout");
    }
    CliRun signed = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, signed.exit(), signed.err());

    Verifiers.Outcome bind = Verifiers.dnssecVerify(output, origin, csk);
    assertTrue(bind.ok(), "dnssec-verify:\n" + bind.output());
    Verifiers.Outcome ldns = Verifiers.ldnsVerifyZone(output, null);
    assertTrue(ldns.ok(), "ldns-verify-zone:\n" + ldns.output());

    Set<String> in = Verifiers.canonicalRecords(input, origin);
    Set<String> out = Verifiers.canonicalRecords(output, origin);
    assertEquals(in, out, "the signed zone must hold exactly the input's records plus DNSSEC records");
  }
}
