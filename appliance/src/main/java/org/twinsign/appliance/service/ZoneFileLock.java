package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a zone's output file, held from the decision until the published file is
 * settled or put back, so that a second {@code enforce} on this host cannot publish in between
 * (the store's lock ends with the transaction; putting a file back may come after it).
 */
final class ZoneFileLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private ZoneFileLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Waits for the lock on {@code output} (a hidden file beside it). */
  static ZoneFileLock of(Path output) {
    Path file = output.toAbsolutePath().resolveSibling("." + output.getFileName() + ".twinsign-lock");
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        return new ZoneFileLock(channel, channel.lock());
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // closing the channel releases the lock in any case
    }
  }
}
