package org.twinsign.appliance.zone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class ZoneChecksTest {

  @Test
  void occludedDataIsReportedAndLeftUnsigned(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("z.zone");
    Files.writeString(file, String.join("\n",
        "$TTL 300",
        "@ IN SOA ns root 1 3600 600 86400 60",
        "@ IN NS ns",
        "ns IN A 192.0.2.1",
        "sub IN NS ns.sub",
        "ns.sub IN A 192.0.2.2",
        "mx.sub IN MX 10 ns.sub",
        "old IN DNAME example.net.",
        "x.old IN A 192.0.2.3",
        ""));
    Zone zone = ZoneFileReader.read(file, Name.fromString("z.test."));
    ZoneCuts cuts = ZoneCuts.of(zone);
    ZoneChecks checks = ZoneChecks.check(zone, cuts, file.toString());
    assertEquals(0, checks.errors().size(), checks.errors().toString());
    assertEquals(2, checks.warnings().size(), checks.warnings().toString());
    assertTrue(checks.warnings().stream().anyMatch(w -> w.contains("mx.sub.z.test. MX is below a delegation")),
        checks.warnings().toString());
    assertTrue(checks.warnings().stream().anyMatch(w -> w.contains("x.old.z.test. is below a DNAME")),
        checks.warnings().toString());

    assertEquals(ZoneCuts.Kind.DELEGATION, cuts.kind(Name.fromString("sub.z.test.")));
    assertFalse(cuts.isSigned(Name.fromString("sub.z.test."), Type.NS), "NS at a cut stays unsigned");
    assertTrue(cuts.isSigned(Name.fromString("sub.z.test."), Type.DS));
    assertFalse(cuts.isSigned(Name.fromString("ns.sub.z.test."), Type.A), "glue stays unsigned");
    assertFalse(cuts.isChained(Name.fromString("x.old.z.test.")), "occluded names are not chained");
    assertTrue(cuts.isSigned(Name.fromString("old.z.test."), Type.DNAME));
  }

  @Test
  void recordsOutsideTheZoneAndMisplacedSoaAreErrors(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("z.zone");
    Files.writeString(file, "$TTL 300\n@ IN SOA ns root 1 3600 600 86400 60\n@ IN NS ns\n"
        + "ns IN A 192.0.2.1\nwww.example.org. IN A 192.0.2.9\nsub IN SOA ns root 1 1 1 1 1\n");
    Zone zone = ZoneFileReader.read(file, Name.fromString("z.test."));
    ZoneChecks checks = ZoneChecks.check(zone, ZoneCuts.of(zone), file.toString());
    assertTrue(checks.errors().stream().anyMatch(e -> e.contains("www.example.org. is outside the zone")),
        checks.errors().toString());
    assertTrue(checks.errors().stream().anyMatch(e -> e.contains("not the apex")), checks.errors().toString());
  }
}
