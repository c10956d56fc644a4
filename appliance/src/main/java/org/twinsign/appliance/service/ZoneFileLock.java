package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a zone's output file, held from the decision until the published file is
 * settled or put back, so that a second {@code enforce} on this host cannot publish in between
 * (the store's lock ends with the transaction; putting a file back may come after it). Runs in
 * one process (a node's own schedule and an operator's command) wait for each other first: a
 * file lock is per process, and a second one in the same process would fail, not wait.
 */
final class ZoneFileLock implements AutoCloseable {
  private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private final ReentrantLock inProcess;
  private final FileChannel channel;
  private final FileLock lock;

  private ZoneFileLock(ReentrantLock inProcess, FileChannel channel, FileLock lock) {
    this.inProcess = inProcess;
    this.channel = channel;
    this.lock = lock;
  }

  /** Waits for the lock on {@code output} (a hidden file beside it). */
  static ZoneFileLock of(Path output) {
    Path file = output.toAbsolutePath().resolveSibling("." + output.getFileName() + ".twinsign-lock");
    ReentrantLock mine = IN_PROCESS.computeIfAbsent(file, f -> new ReentrantLock());
    mine.lock();
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        return new ZoneFileLock(mine, channel, channel.lock());
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } catch (IOException e) {
      mine.unlock();
      throw new UncheckedIOException("cannot lock " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      mine.unlock();
      throw e;
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // closing the channel releases the lock in any case
    } finally {
      inProcess.unlock();
    }
  }
}
