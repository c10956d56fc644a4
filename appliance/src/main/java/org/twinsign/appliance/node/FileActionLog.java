package org.twinsign.appliance.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.twinsign.appliance.store.MasterActionLog;

/**
 * The master actions of this node as JSON lines ({@code node.history-file}): node, epoch, action,
 * what, when it started and was done on the monotonic clock (comparable between processes of one
 * host, unlike a wall clock that a fault may move), and the wall-clock time for people.
 */
final class FileActionLog implements MasterActionLog {
  private final Path file;
  private final String node;

  FileActionLog(Path file, String node) {
    this.file = file;
    this.node = node;
  }

  @Override
  public synchronized void acted(String action, long epoch, String what, long startedNanos) {
    String line = "{\"node\":\"" + node + "\",\"epoch\":" + epoch + ",\"action\":\"" + action + "\",\"what\":\""
        + what.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"started\":" + startedNanos + ",\"done\":"
        + System.nanoTime() + ",\"wall\":\""
        + Instant.now() + "\"}\n";
    try {
      Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to node.history-file " + file + ": " + e.getMessage(), e);
    }
  }
}
