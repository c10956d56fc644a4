package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A zone file's digest is read again exactly when the file may have changed. */
class FileDigestsTest {
  @TempDir
  Path dir;

  private final AtomicInteger reads = new AtomicInteger();
  private final FileDigests digests = new FileDigests(file -> {
    reads.incrementAndGet();
    return PolicySigner.digest(file);
  });

  @Test
  void aSettledFileIsReadOnceAndAgainAfterAnyWrite() throws Exception {
    Path zone = Files.writeString(dir.resolve("zone"), "aaaa\n");
    Thread.sleep(FileStamp.TICK.toMillis() + 100);
    String first = digests.of(zone);
    assertEquals(first, digests.of(zone));
    assertEquals(1, reads.get(), "unchanged: remembered");

    Files.writeString(zone, "bbbb\n"); // same size, same second: the change time still moves
    String second = digests.of(zone);
    assertNotEquals(first, second);
    assertEquals(2, reads.get());

    Path other = Files.writeString(dir.resolve("other"), "aaaa\n");
    Files.move(other, zone, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // replaced, as editors and rsync do
    assertEquals(first, digests.of(zone));
    assertEquals(3, reads.get());
  }

  @Test
  void aFileChangedWithinTheLastTickIsReadEachTime() throws Exception {
    Path zone = Files.writeString(dir.resolve("zone"), "aaaa\n");
    digests.of(zone);
    digests.of(zone);
    assertEquals(2, reads.get(), "a second write in the same tick would not show in its stamp");
  }

  @Test
  void aFileThisProcessWroteIsNotReadBack() throws Exception {
    Path zone = Files.writeString(dir.resolve("zone"), "signed\n");
    String digest = PolicySigner.digest(zone);
    digests.wrote(zone, digest);
    assertEquals(digest, digests.of(zone));
    assertEquals(0, reads.get());
    Files.writeString(zone, "tampered\n");
    assertNotEquals(digest, digests.of(zone), "something else wrote it: read");
  }
}
