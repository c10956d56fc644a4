package org.twinsign.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One NSD authoritative server on a free loopback port, serving zone files from its own temporary
 * directory (no chroot, no privilege drop, no remote control). {@link #update} rewrites a zone and
 * makes NSD reload it. Lifecycle: {@link #start}, {@link #close} (stops NSD, removes the directory).
 */
public final class NsdServer implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private final Path dir;
  private final int port;
  private final LocalProcess process;

  private NsdServer(Path dir, int port, LocalProcess process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Starts NSD serving {@code zones} (zone name → zone file text). */
  public static NsdServer start(Map<String, String> zones) {
    return start(zones, List.of());
  }

  /**
   * Starts NSD as a hidden primary of {@code zones}: it serves them, lets loopback transfer them
   * (no TSIG) and sends NOTIFY to {@code notify} ({@code HOST@PORT} each) when one changes
   * ({@link #update}).
   */
  public static NsdServer start(Map<String, String> zones, List<String> notify) {
    StringBuilder perZone = new StringBuilder();
    if (!notify.isEmpty()) {
      perZone.append("  provide-xfr: 127.0.0.0/8 NOKEY\n");
      notify.forEach(target -> perZone.append("  notify: ").append(target).append(" NOKEY\n"));
    }
    return serve(zones, "", perZone.toString());
  }

  /**
   * Starts NSD serving {@code zones} (zone name → zone file text) to loopback transfers signed
   * with {@code key} only: an authoritative server as a monitoring check transfers from it.
   */
  public static NsdServer serving(Map<String, String> zones, TsigKey key) {
    return serve(zones, "key:\n  name: \"" + key.name() + "\"\n  algorithm: " + key.algorithm() + "\n  secret: \""
        + key.secret() + "\"\n", "  provide-xfr: 127.0.0.0/8 " + key.name() + "\n");
  }

  /** NSD with {@code clauses} after its server clause and {@code perZone} in each zone's; once it serves. */
  private static NsdServer serve(Map<String, String> zones, String clauses, String perZone) {
    Path nsd = HostTool.require("nsd", "nsd");
    Path dir = TempDirs.create("nsd");
    int port = Ports.freeLoopbackPort();
    try {
      StringBuilder conf = serverClause(dir, port, "  verbosity: 1\n").append(clauses);
      for (Map.Entry<String, String> zone : new TreeMap<>(zones).entrySet()) {
        Files.writeString(dir.resolve(zone.getKey() + ".zone"), zone.getValue());
        conf.append("zone:\n  name: \"").append(zone.getKey()).append("\"\n  zonefile: \"").append(zone.getKey())
            .append(".zone\"\n").append(perZone);
      }
      Files.writeString(dir.resolve("nsd.conf"), conf.toString());
      LocalProcess process = LocalProcess.start("nsd", List.of(nsd.toString(), "-d", "-c",
          dir.resolve("nsd.conf").toString()), Map.of(), dir, dir.resolve("nsd.stdout"));
      NsdServer server = new NsdServer(dir, port, process);
      server.awaitServing(zones.keySet().iterator().next());
      return server;
    } catch (IOException e) {
      TempDirs.deleteRecursively(dir);
      throw new UncheckedIOException("cannot set up NSD in " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      TempDirs.deleteRecursively(dir);
      throw e;
    }
  }

  /** A TSIG key as NSD's {@code key:} clause and BIND's {@code key} statement carry it. */
  public record TsigKey(String name, String algorithm, String secret) {}

  /**
   * Starts NSD as a secondary of {@code zone}: it transfers the zone from {@code primaries}
   * ({@code HOST@PORT} each; TSIG {@code key} if not null) and takes their NOTIFY; it serves the
   * zone once the first transfer is in ({@link #awaitSerial}). Its transfers and NOTIFYs are logged
   * ({@link #log()}).
   */
  public static NsdServer secondary(String zone, List<String> primaries, TsigKey key) {
    return secondary(List.of(zone), primaries, key);
  }

  /** As {@link #secondary(String, List, TsigKey)}, for several zones with the same primaries. */
  public static NsdServer secondary(List<String> zones, List<String> primaries, TsigKey key) {
    Path nsd = HostTool.require("nsd", "nsd");
    Path dir = TempDirs.create("nsd-secondary");
    int port = Ports.freeLoopbackPort();
    try {
      StringBuilder conf = serverClause(dir, port, "  verbosity: 2\n  xfrd-reload-timeout: 0\n");
      String keyName = key == null ? "NOKEY" : key.name();
      if (key != null) {
        conf.append("key:\n  name: \"").append(key.name()).append("\"\n  algorithm: ").append(key.algorithm())
            .append("\n  secret: \"").append(key.secret()).append("\"\n");
      }
      for (String zone : zones) {
        conf.append("zone:\n  name: \"").append(zone).append("\"\n  zonefile: \"").append(zone)
            .append(".zone\"\n");
        for (String primary : primaries) {
          conf.append("  request-xfr: ").append(primary).append(' ').append(keyName).append('\n');
          conf.append("  allow-notify: ").append(primary.substring(0, primary.indexOf('@'))).append(' ')
              .append(keyName).append('\n');
        }
      }
      Files.writeString(dir.resolve("nsd.conf"), conf.toString());
      LocalProcess process = LocalProcess.start("nsd secondary", List.of(nsd.toString(), "-d", "-c",
          dir.resolve("nsd.conf").toString()), Map.of(), dir, dir.resolve("nsd.stdout"));
      return new NsdServer(dir, port, process);
    } catch (IOException e) {
      TempDirs.deleteRecursively(dir);
      throw new UncheckedIOException("cannot set up NSD in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** NSD's server clause: loopback, its own directory for everything, no privileges to drop; then {@code extra}. */
  private static StringBuilder serverClause(Path dir, int port, String extra) {
    return new StringBuilder("server:\n  ip-address: 127.0.0.1\n  port: " + port
        + "\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"" + dir + "\"\n  pidfile: \"" + dir
        + "/nsd.pid\"\n  database: \"\"\n  zonelistfile: \"" + dir + "/zone.list\"\n  xfrdfile: \"" + dir
        + "/xfrd.state\"\n  xfrdir: \"" + dir + "\"\n  logfile: \"" + dir + "/nsd.log\"\n  server-count: 1\n"
        + extra + "remote-control:\n  control-enable: no\n");
  }

  /** NSD's log file. */
  public Path log() {
    return dir.resolve("nsd.log");
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

  /** {@code 127.0.0.1:PORT}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Rewrites a zone and has NSD reload it (SIGHUP; NSD compares the file's mtime), then waits until it serves it. */
  public void update(String zone, String text, long serial) {
    try {
      Path file = dir.resolve(zone + ".zone");
      FileTime before = Files.getLastModifiedTime(file);
      Files.writeString(file, text);
      Files.setLastModifiedTime(file, FileTime.fromMillis(Math.max(System.currentTimeMillis(),
          before.toMillis() + 2000)));
      int exit = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).start().waitFor();
      if (exit != 0) {
        throw new IllegalStateException("cannot signal NSD (pid " + process.pid() + ")");
      }
      awaitSerial(zone, serial);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void awaitServing(String zone) {
    awaitSerial(zone, -1);
  }

  /** Waits until NSD answers the zone's SOA (with {@code serial}, unless it is -1). */
  private void awaitSerial(String zone, long serial) {
    awaitSerial(zone, serial, START_TIMEOUT);
  }

  /** Waits until NSD answers the zone's SOA with {@code serial} (any, if -1) for at most {@code limit}. */
  public void awaitSerial(String zone, long serial, Duration limit) {
    SoaProbe.await("NSD", process, dir.resolve("nsd.log"), port, zone, serial, limit);
  }


  @Override
  public void close() {
    process.stop(Duration.ofSeconds(10));
    TempDirs.deleteRecursively(dir);
  }

  @Override
  public String toString() {
    return "NSD on 127.0.0.1:" + port + " (" + dir + ")";
  }
}
