package org.twinsign.appliance.service;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What a file is on disk without reading it: device and inode, size, modification and change
 * time. Every write, rename or attribute change sets the change time, and no tool can set it
 * back, so an equal stamp means unchanged content — except for a second write within the same
 * timestamp tick as the stamp was taken, which {@link #settledAt} excludes the way Git's index
 * treats "racily clean" files.
 */
record FileStamp(long device, long inode, long size, long modifiedNanos, long changedNanos) {
  /** Longer than any file system's timestamp granularity (ext4 and XFS: a clock tick; FAT: 2 s). */
  static final Duration TICK = Duration.ofSeconds(2);

  /** The file's stamp now, or null if it does not exist. */
  static FileStamp of(Path file) throws IOException {
    try {
      Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime,ctime");
      return new FileStamp(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue(),
          ((Number) a.get("size")).longValue(), nanos((FileTime) a.get("lastModifiedTime")),
          nanos((FileTime) a.get("ctime")));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Whether a write after the stamp was taken at {@code takenAt} must show in a later stamp: the
   * file's last change lies at least one {@link #TICK} before.
   */
  boolean settledAt(Instant takenAt) {
    return changedNanos + TICK.toNanos() <= nanos(FileTime.from(takenAt));
  }

  private static long nanos(FileTime time) {
    return time.to(java.util.concurrent.TimeUnit.NANOSECONDS);
  }
}
