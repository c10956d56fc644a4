package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SHA-256 of zone files (inputs, published outputs), remembered with their {@link FileStamp}:
 * a node asks every few seconds whether a zone's input or published file changed, and a
 * million-name zone is not read again (≈ 1 s a time) to learn that it did not. Lives as long as
 * its {@link Services}; thread-safe.
 */
final class FileDigests {
  private record Known(FileStamp stamp, String digest) {}

  private final Map<Path, Known> known = new ConcurrentHashMap<>();
  private final java.util.function.Function<Path, String> reader;

  FileDigests() {
    this(PolicySigner::digest);
  }

  /** With {@code reader} reading a file's digest (a test counts the reads). */
  FileDigests(java.util.function.Function<Path, String> reader) {
    this.reader = reader;
  }

  /** The file's digest: remembered if its stamp has not changed, else read (and remembered once settled). */
  String of(Path file) {
    Path key = file.toAbsolutePath().normalize();
    FileStamp before = stamp(file);
    Known k = known.get(key);
    if (k != null && before != null && k.stamp().equals(before)) {
      return k.digest();
    }
    Instant readAt = Instant.now();
    String digest = reader.apply(file);
    FileStamp after = stamp(file);
    if (before != null && before.equals(after) && after.settledAt(readAt)) {
      known.put(key, new Known(after, digest));
    } else {
      known.remove(key); // changing while it was read: read it again next time
    }
    return digest;
  }

  /**
   * The digest of a file this process has just written and moved into place itself: its content
   * is known, so the next {@link #of} need not read it.
   */
  void wrote(Path file, String digest) {
    FileStamp stamp = stamp(file);
    Path key = file.toAbsolutePath().normalize();
    if (stamp == null) {
      known.remove(key);
    } else {
      known.put(key, new Known(stamp, digest));
    }
  }

  /** Forgets the file: its next digest is read. */
  void forget(Path file) {
    known.remove(file.toAbsolutePath().normalize());
  }

  private static FileStamp stamp(Path file) {
    try {
      return FileStamp.of(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look at " + file + ": " + e.getMessage(), e);
    }
  }
}
