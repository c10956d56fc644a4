package org.twinsign.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One Knot DNS server ({@code knotd}) on a free loopback port as a hidden primary: it serves zone
 * files from its own temporary directory, lets loopback transfer them, keeps a journal of their
 * differences ({@code zonefile-load: difference}) so that it answers IXFR, and sends NOTIFY to
 * the given targets on each change ({@link #update}). Lifecycle: {@link #start}, {@link #close}.
 */
public final class KnotServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private final Path dir;
  private final int port;
  private final LocalProcess process;

  private KnotServer(Path dir, int port, LocalProcess process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Starts Knot serving {@code zones} (name → zone file text), notifying {@code notify} ({@code HOST@PORT} each). */
  public static KnotServer start(Map<String, String> zones, List<String> notify) {
    Path knotd = HostTool.require("knotd", "knot");
    Path dir = TempDirs.create("knot");
    int port = Ports.freeLoopbackPort();
    try {
      StringBuilder conf = server(dir, port, "    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n");
      if (!notify.isEmpty()) {
        conf.append("remote:\n");
      }
      List<String> ids = targets(conf, notify);
      conf.append("acl:\n  - id: loopback\n    address: 127.0.0.0/8\n    action: transfer\n");
      conf.append("zone:\n");
      for (Map.Entry<String, String> zone : new TreeMap<>(zones).entrySet()) {
        Files.writeString(dir.resolve(zone.getKey() + ".zone"), zone.getValue());
        conf.append("  - domain: ").append(zone.getKey()).append("\n    file: \"").append(dir).append('/')
            .append(zone.getKey()).append(".zone\"\n    storage: \"").append(dir).append("\"\n    acl: loopback\n"
                + "    zonefile-load: difference\n    journal-content: changes\n    zonefile-sync: -1\n");
        if (!ids.isEmpty()) {
          conf.append("    notify: [").append(String.join(", ", ids)).append("]\n");
        }
      }
      Files.writeString(dir.resolve("knot.conf"), conf.toString());
      LocalProcess process = LocalProcess.start("knotd", List.of(knotd.toString(), "-c",
          dir.resolve("knot.conf").toString()), Map.of(), dir, dir.resolve("knotd.log"));
      KnotServer server = new KnotServer(dir, port, process);
      for (String zone : zones.keySet()) {
        server.awaitSerial(zone, -1);
      }
      return server;
    } catch (IOException e) {
      TempDirs.deleteRecursively(dir);
      throw new UncheckedIOException("cannot set up Knot in " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      TempDirs.deleteRecursively(dir);
      throw e;
    }
  }

  /**
   * Starts Knot as a signer, for benchmarks against Twinsign: a secondary of {@code primary}
   * ({@code HOST@PORT}) for {@code zones} that signs them itself ({@code dnssec-signing}, ECDSA
   * P-256, NSEC3 without iterations and an 8-byte salt, as Twinsign's test policy) and notifies
   * {@code notify}, listening on {@code port} (its secondary is configured first). Returns at once:
   * the first transfer and signing of a large zone, or of many, take a while.
   */
  public static KnotServer signer(List<String> zones, String primary, List<String> notify, int port) {
    Path knotd = HostTool.require("knotd", "knot");
    Path dir = TempDirs.create("knot-signer");
    try {
      StringBuilder conf = server(dir, port, "").append("remote:\n  - id: primary\n    address: ").append(primary)
          .append('\n');
      List<String> ids = targets(conf, notify);
      conf.append("acl:\n  - id: loopback\n    address: 127.0.0.0/8\n    action: [transfer, notify]\n");
      conf.append("policy:\n  - id: bench\n    algorithm: ecdsap256sha256\n    nsec3: on\n"
          + "    nsec3-iterations: 0\n    nsec3-salt-length: 8\n");
      conf.append("template:\n  - id: default\n    storage: \"").append(dir).append("\"\n    master: primary\n"
          + "    acl: loopback\n    dnssec-signing: on\n    dnssec-policy: bench\n    zonefile-load: none\n"
          + "    zonefile-sync: -1\n    journal-content: changes\n");
      if (!ids.isEmpty()) {
        conf.append("    notify: [").append(String.join(", ", ids)).append("]\n");
      }
      conf.append("zone:\n");
      for (String zone : zones) {
        conf.append("  - domain: ").append(zone).append('\n');
      }
      Files.writeString(dir.resolve("knot.conf"), conf.toString());
      LocalProcess process = LocalProcess.start("knotd-signer", List.of(knotd.toString(), "-c",
          dir.resolve("knot.conf").toString()), Map.of(), dir, dir.resolve("knotd.log"));
      return new KnotServer(dir, port, process);
    } catch (IOException e) {
      TempDirs.deleteRecursively(dir);
      throw new UncheckedIOException("cannot set up Knot in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** As {@link #signer(List, String, List, int)} for one zone. */
  public static KnotServer signer(String zone, String primary, List<String> notify, int port) {
    return signer(List.of(zone), primary, notify, port);
  }

  /**
   * Rewrites the files of many zones and has Knot reload them all with one {@code knotc
   * zone-reload}: it stores each difference in its journal and notifies. Returns once Knot took
   * the command (the reloads go on in the background).
   */
  public void updateAll(Map<String, String> zones) {
    try {
      for (Map.Entry<String, String> zone : zones.entrySet()) {
        Files.writeString(dir.resolve(zone.getKey() + ".zone"), zone.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    knotc("zone-reload");
  }

  /**
   * One dynamic change, as an operator's {@code knotc zone-begin/zone-set/zone-commit}: adds
   * {@code record} (zone-file syntax: owner TTL TYPE RDATA, owner relative to the zone) and lets
   * Knot raise the serial, keep the diff in its journal and notify. Returns once committed.
   */
  public void add(String zone, String record) {
    knotc("zone-begin", zone);
    List<String> set = new ArrayList<>(List.of("zone-set", zone));
    set.addAll(List.of(record.trim().split("\\s+")));
    try {
      knotc(set.toArray(String[]::new));
    } catch (RuntimeException e) {
      knotc("zone-abort", zone);
      throw e;
    }
    knotc("zone-commit", zone);
  }

  private void knotc(String... args) {
    Path knotc = HostTool.require("knotc", "knot");
    List<String> command = new ArrayList<>(List.of(knotc.toString(), "-c", dir.resolve("knot.conf").toString()));
    command.addAll(List.of(args));
    int exit = LocalProcess.run("knotc", command, Map.of(), dir, dir.resolve("knotc.log"), null,
        Duration.ofSeconds(20));
    if (exit != 0) {
      throw new IllegalStateException("knotc " + String.join(" ", args) + " failed: "
          + LocalProcess.tail(dir.resolve("knotc.log"), 5));
    }
  }

  /** The resident memory of knotd, in bytes (from /proc). */
  public long residentBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new IllegalStateException("no VmRSS for knotd " + process.pid());
  }

  /** The server, database, control and log sections: loopback, everything in {@code dir}; then {@code extra} in server. */
  private static StringBuilder server(Path dir, int port, String extra) {
    return new StringBuilder("server:\n    listen: 127.0.0.1@" + port + "\n    rundir: \"" + dir + "\"\n" + extra
        + "database:\n    storage: \"" + dir + "\"\n"
        + "control:\n    listen: \"" + dir + "/knot.sock\"\n"
        + "log:\n  - target: stderr\n    any: info\n");
  }

  /** One remote per NOTIFY target ({@code HOST@PORT}), under a remote section already begun; their ids. */
  private static List<String> targets(StringBuilder conf, List<String> notify) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < notify.size(); i++) {
      conf.append("  - id: target").append(i).append("\n    address: ").append(notify.get(i)).append('\n');
      ids.add("target" + i);
    }
    return ids;
  }

  /** Stops the server's process (SIGSTOP): it takes connections and answers nothing, as a hung server. */
  public void pause() {
    process.pause();
  }

  /** Lets a paused server go on (SIGCONT). */
  public void resume() {
    process.resume();
  }

  public int port() {
    return port;
  }

  /** Knot's log (its stderr). */
  public Path log() {
    return dir.resolve("knotd.log");
  }

  /**
   * Rewrites a zone's file with a higher serial and has Knot reload it: Knot stores the difference
   * in its journal (IXFR) and notifies; returns once it serves {@code serial}.
   */
  public void update(String zone, String text, long serial) {
    try {
      Files.writeString(dir.resolve(zone + ".zone"), text);
      Path knotc = HostTool.require("knotc", "knot");
      int exit = LocalProcess.run("knotc", List.of(knotc.toString(), "-c", dir.resolve("knot.conf").toString(),
          "zone-reload", zone), Map.of(), dir, dir.resolve("knotc.log"), null, Duration.ofSeconds(20));
      if (exit != 0) {
        throw new IllegalStateException("knotc zone-reload " + zone + " failed: "
            + LocalProcess.tail(dir.resolve("knotc.log"), 5));
      }
      awaitSerial(zone, serial);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until Knot answers the zone's SOA (with {@code serial}, unless it is -1). */
  private void awaitSerial(String zone, long serial) {
    SoaProbe.await("Knot", process, log(), port, zone, serial, START_TIMEOUT);
  }

  @Override
  public void close() {
    process.stop(Duration.ofSeconds(10));
    TempDirs.deleteRecursively(dir);
  }

  @Override
  public String toString() {
    return "Knot on 127.0.0.1:" + port + " (" + dir + ")";
  }
}
