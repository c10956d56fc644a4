package org.twinsign.appliance.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KaspReaderTest {
  private static final Path FULL = Path.of("src/test/resources/kasp/full.xml");

  @Test
  void openDnssecsDefaultKaspImportsAsIs() {
    // installed by bin/test (Debian package opendnssec-common)
    List<KaspPolicy> policies = KaspReader.read(Path.of("/usr/share/opendnssec/kasp.xml"));
    KaspPolicy policy = policies.stream().filter(p -> p.name().equals("default")).findFirst().orElseThrow();
    assertEquals(Duration.ofHours(2), policy.signatures().resign());
    assertEquals(Duration.ofDays(14), policy.signatures().validityDefault());
    assertTrue(policy.denial().nsec3());
    assertEquals(5, policy.denial().iterations());
    assertEquals(8, policy.denial().saltLength());
    assertEquals(Duration.ofDays(365), policy.keys().keys().get(0).lifetime());
    assertEquals("unixtime", policy.zone().serial());
    assertEquals(Duration.ofSeconds(9999), policy.parent().propagationDelay());
    assertTrue(policies.size() >= 2, "the sample also holds the lab policy");
  }

  @Test
  void everyParameterIsKept() {
    KaspPolicy policy = KaspReader.read(FULL).get(0);
    assertEquals("registry", policy.name());
    assertTrue(policy.passthrough());
    assertEquals(Duration.ofDays(7), policy.signatures().validityDenial());
    assertEquals(Duration.ofDays(21), policy.signatures().validityKeyset());
    assertEquals(Duration.ofDays(1), policy.signatures().maxZoneTtl());
    assertTrue(policy.denial().optOut());
    assertEquals(Duration.ofMinutes(5), policy.denial().ttl());
    assertEquals(0, policy.denial().iterations());
    assertTrue(policy.keys().shareKeys());
    KaspPolicy.Key ksk = policy.keys().keys().get(0);
    assertEquals("KSK", ksk.role());
    assertEquals(13, ksk.algorithm());
    assertEquals(1, ksk.standby());
    assertTrue(ksk.manualRollover());
    assertTrue(ksk.rfc5011());
    assertEquals("KskDoubleDS", ksk.rollType());
    KaspPolicy.Key zsk = policy.keys().keys().get(1);
    assertEquals(Duration.ofDays(31), zsk.lifetime(), "a month is 31 days, as in OpenDNSSEC");
    assertFalse(zsk.rfc5011());
    assertEquals("Soft", zsk.repository());
    assertEquals(Duration.ofDays(1), policy.parent().registrationDelay());
  }

  @Test
  void anUnknownElementNamesLineAndElement(@TempDir Path dir) throws Exception {
    String text = Files.readString(FULL).replace("<Jitter>PT12H</Jitter>", "<Jitter>PT12H</Jitter>\n<Wobble>1</Wobble>");
    Path file = dir.resolve("kasp.xml");
    Files.writeString(file, text);
    KaspException e = assertThrows(KaspException.class, () -> KaspReader.read(file));
    assertTrue(e.getMessage().startsWith(file + ":16:"), e.getMessage());
    assertTrue(e.getMessage().contains("<Wobble> is not supported inside <Signatures>"), e.getMessage());
  }

  @Test
  void missingAndMalformedValuesAreNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("kasp.xml");
    Files.writeString(file, Files.readString(FULL).replace("<Refresh>P3D</Refresh>", ""));
    KaspException missing = assertThrows(KaspException.class, () -> KaspReader.read(file));
    assertTrue(missing.getMessage().contains("<Signatures> needs a <Refresh>"), missing.getMessage());

    Files.writeString(file, Files.readString(FULL).replace("<Resign>PT2H</Resign>", "<Resign>2 hours</Resign>"));
    KaspException duration = assertThrows(KaspException.class, () -> KaspReader.read(file));
    assertTrue(duration.getMessage().contains(":8: <Resign>: '2 hours' is not a duration"), duration.getMessage());

    Files.writeString(file, Files.readString(FULL).replace("</Policy>", ""));
    KaspException xml = assertThrows(KaspException.class, () -> KaspReader.read(file));
    assertTrue(xml.getMessage().contains("not well-formed XML"), xml.getMessage());
  }
}
