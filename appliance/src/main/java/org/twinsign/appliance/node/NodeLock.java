package org.twinsign.appliance.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.twinsign.appliance.config.PairConfig;

/**
 * One process per node on a host: {@code node run} holds this lock while it runs, and
 * {@code node rebuild} takes it too, so that a rebuild never runs under a live (or starting)
 * node and a second {@code node run} with the same name is refused at once. (Across hosts,
 * ZooKeeper's member registration refuses a duplicate name.)
 */
final class NodeLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private NodeLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock beside the node's config file (or in the temp directory if that is not writable). */
  static NodeLock take(org.twinsign.appliance.config.TwinsignConfig config) {
    PairConfig pair = config.pair();
    Path dir = config.source().toAbsolutePath().getParent();
    if (!java.nio.file.Files.isWritable(dir)) {
      dir = Path.of(System.getProperty("java.io.tmpdir"));
    }
    Path file = dir.resolve(".twinsign-" + pair.clusterName() + "-" + pair.nodeName() + ".lock");
    try {
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        String holder = new String(java.nio.file.Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        channel.close();
        throw new IllegalStateException("node.name=" + pair.nodeName() + " is already in use on this host"
            + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ", lock " + file + ": stop that process first");
      }
      channel.truncate(0);
      channel.write(java.nio.ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(
          StandardCharsets.UTF_8)));
      return new NodeLock(channel, lock);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot take the node lock " + file + ": " + e.getMessage(), e);
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
