package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publishing a signed zone before the commit, and putting the previous one back if the commit fails. */
class PublishedZoneTest {
  @TempDir
  Path dir;

  private PolicySigner.Signed staged(Path output, String text) throws Exception {
    Path staged = dir.resolve(output.getFileName() + ".1.twinsign-new");
    Files.writeString(staged, text);
    return new PolicySigner.Signed(staged, output, 2, Instant.EPOCH, null, null, "digest", "signed", 1, 0, false, "digest",
        null);
  }

  @Test
  void aFailedCommitPutsThePreviousZoneBack() throws Exception {
    Path output = dir.resolve("zone.signed");
    Files.writeString(output, "old zone\n");
    Files.setPosixFilePermissions(output, PosixFilePermissions.fromString("rw-r-----"));
    PolicySigner.Signed signed = staged(output, "new zone\n");
    signed.publish();
    assertEquals("new zone\n", Files.readString(output));
    signed.restore();
    assertEquals("old zone\n", Files.readString(output));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(output)));
    assertEquals(List.of("zone.signed"), files(), "no staging or previous files left");
  }

  @Test
  void aCommittedZoneStaysAndLeavesNothingBehind() throws Exception {
    Path output = dir.resolve("zone.signed");
    Files.writeString(output, "old zone\n");
    PolicySigner.Signed signed = staged(output, "new zone\n");
    signed.publish();
    signed.settle();
    assertEquals("new zone\n", Files.readString(output));
    assertEquals(List.of("zone.signed"), files());
  }

  @Test
  void theFirstZoneIsRemovedAgainIfItsCommitFails() throws Exception {
    Path output = dir.resolve("zone.signed");
    PolicySigner.Signed signed = staged(output, "new zone\n");
    signed.publish();
    signed.restore();
    assertFalse(Files.exists(output));
    assertEquals(List.of(), files());
  }

  @Test
  void aCrashedRunsLeftoversAreSwept() throws Exception {
    Path output = dir.resolve("zone.signed");
    Files.writeString(output, "zone\n");
    java.nio.file.attribute.FileTime crashed = java.nio.file.attribute.FileTime.from(java.time.Instant.now()
        .minus(PolicySigner.SWEEP_AGE).minusSeconds(60));
    Files.setLastModifiedTime(Files.writeString(dir.resolve("zone.signed.123.twinsign-new"), "half"), crashed);
    Files.setLastModifiedTime(Files.writeString(dir.resolve("zone.signed.456.twinsign-old"), "older"), crashed);
    Files.setLastModifiedTime(Files.writeString(dir.resolve("other.signed.789.twinsign-new"), "another zone's"),
        crashed);
    Files.writeString(dir.resolve("zone.signed.999.twinsign-new"), "a run signing right now, outside the lock");
    PolicySigner.sweep(output);
    assertEquals(List.of("other.signed.789.twinsign-new", "zone.signed", "zone.signed.999.twinsign-new"), files(),
        "only the zone's own leftovers, under its lock");
    // the directory is listed once for all its zones, not for every zone and run
    Files.setLastModifiedTime(Files.writeString(dir.resolve("zone.signed.321.twinsign-new"), "later"), crashed);
    PolicySigner.sweep(dir.resolve("other.signed"));
    assertEquals(List.of("zone.signed", "zone.signed.321.twinsign-new", "zone.signed.999.twinsign-new"), files());
  }

  private List<String> files() throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }
}
