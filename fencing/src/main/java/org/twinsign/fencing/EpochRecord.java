package org.twinsign.fencing;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One fencing epoch as recorded in ZooKeeper: its number, the node that took it, why, when
 * (that node's wall clock; for people, never for decisions), and where that node's data stood
 * when it took over (opaque here; the database's GTID position in a pair). Stored as {@code key=value} lines so
 * that {@code zkCli.sh get} is readable.
 */
public record EpochRecord(long epoch, String node, String reason, Instant at, String position) {

  /** The state before any node took an epoch. */
  public static final EpochRecord NONE = new EpochRecord(0, "", "no epoch taken yet", Instant.EPOCH, "");

  public EpochRecord(long epoch, String node, String reason, Instant at) {
    this(epoch, node, reason, at, "");
  }

  public byte[] bytes() {
    return ("epoch=" + epoch + "\nnode=" + node + "\nat=" + at + "\nposition=" + position.replace('\n', ' ')
        + "\nreason=" + reason.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Reads what {@link #bytes()} wrote; an empty or foreign znode is an error naming {@code path}. */
  public static EpochRecord parse(String path, byte[] data) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    try {
      return new EpochRecord(Long.parseLong(fields.get("epoch")), fields.getOrDefault("node", ""),
          fields.getOrDefault("reason", ""), Instant.parse(fields.getOrDefault("at", Instant.EPOCH.toString())),
          fields.getOrDefault("position", ""));
    } catch (RuntimeException e) {
      throw new IllegalStateException("znode " + path + " does not hold a Twinsign fencing epoch ('epoch=N' lines): "
          + "was it written by something else? Check the cluster.name of this node", e);
    }
  }
}
