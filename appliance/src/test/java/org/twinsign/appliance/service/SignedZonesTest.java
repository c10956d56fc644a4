package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.zone.JournalFile;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneDiff;

/** The versions and journals a master keeps: a journal torn by a crash is written back whole when a term loads it. */
class SignedZonesTest {
  @TempDir
  Path dir;

  private Zone zone(long serial, String body) throws Exception {
    return org.twinsign.appliance.zone.JournalTest.version(dir, serial, body);
  }

  @Test
  void aTornJournalIsWrittenBackOnLoadSoThatLaterDiffsAreReadAfterARestart() throws Exception {
    Zone v1 = zone(1, "a A 192.0.2.10\n");
    Zone v2 = zone(2, "a A 192.0.2.10\nb A 192.0.2.11\n");
    Zone v3 = zone(3, "b A 192.0.2.11\n");
    Path file = JournalFile.of(dir.resolve("j.test.signed"));
    JournalFile.append(file, ZoneDiff.between(v1, v2));
    JournalFile.append(file, ZoneDiff.between(v2, v3));
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 5)); // the crash tore the last block

    SignedZones zones = new SignedZones();
    zones.keepJournals();
    zones.loaded("j.test", 2, "d2", v2, file, null);
    assertEquals(1, zones.current("j.test").journal().depth());
    zones.publish("j.test", 3, "d3", v3, file, null, null);

    List<ZoneDiff> afterRestart = JournalFile.read(file, 3);
    assertEquals(2, afterRestart.size(), "the diff appended after the load is behind no torn block");
    assertEquals(1, afterRestart.get(0).from().getSerial());
  }
}
