package org.twinsign.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One validating Unbound resolver on a free loopback port: for each zone, a stub to the servers
 * that publish it and the zone's DS as its trust anchor, so that its answers carry AD exactly when
 * they validate. No chroot, no privilege drop, no remote control. Lifecycle: {@link #start},
 * {@link #close} (stops Unbound, removes its directory).
 */
public final class UnboundResolver implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
  private final Path dir;
  private final int port;
  private final LocalProcess process;

  private UnboundResolver(Path dir, int port, LocalProcess process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** A zone to resolve: where it is served ({@code HOST@PORT} each) and its DS records (zone file text). */
  public record Stub(List<String> servers, String ds) {}

  public static UnboundResolver start(Map<String, Stub> zones) {
    Path unbound = HostTool.require("unbound", "unbound");
    Path dir = TempDirs.create("unbound");
    int port = Ports.freeLoopbackPort();
    try {
      StringBuilder anchors = new StringBuilder();
      StringBuilder stubs = new StringBuilder();
      StringBuilder localZones = new StringBuilder();
      java.util.Set<String> locals = new java.util.HashSet<>();
      for (Map.Entry<String, Stub> zone : new TreeMap<>(zones).entrySet()) {
        anchors.append(zone.getValue().ds().strip()).append('\n');
        // Unbound answers special-use names itself (RFC 6761: test., invalid., ...) unless told not to
        String tld = zone.getKey().replaceAll("\\.$", "").replaceAll(".*\\.", "");
        if (!locals.contains(tld)) {
          locals.add(tld);
          localZones.append("  local-zone: \"").append(tld).append(".\" nodefault\n");
        }
        stubs.append("stub-zone:\n  name: \"").append(zone.getKey()).append("\"\n");
        zone.getValue().servers().forEach(s -> stubs.append("  stub-addr: ").append(s).append('\n'));
      }
      Files.writeString(dir.resolve("anchors.ds"), anchors.toString());
      String conf = "server:\n  interface: 127.0.0.1\n  port: " + port + "\n  do-ip6: no\n  username: \"\"\n"
          + "  chroot: \"\"\n  directory: \"" + dir + "\"\n  pidfile: \"" + dir + "/unbound.pid\"\n"
          + "  logfile: \"" + dir + "/unbound.log\"\n  use-syslog: no\n  verbosity: 1\n  val-log-level: 2\n"
          + "  do-not-query-localhost: no\n  module-config: \"validator iterator\"\n"
          + "  trust-anchor-file: \"" + dir + "/anchors.ds\"\n  access-control: 127.0.0.0/8 allow\n"
          + "  num-threads: 1\n  so-reuseport: no\n  harden-referral-path: no\n"
          + "  cache-max-ttl: 5\n  cache-max-negative-ttl: 5\n  val-bogus-ttl: 1\n" + localZones
          + "remote-control:\n  control-enable: no\n" + stubs;
      Files.writeString(dir.resolve("unbound.conf"), conf);
      LocalProcess process = LocalProcess.start("unbound", List.of(unbound.toString(), "-d", "-c",
          dir.resolve("unbound.conf").toString()), Map.of(), dir, dir.resolve("unbound.stdout"));
      UnboundResolver resolver = new UnboundResolver(dir, port, process);
      resolver.awaitUp();
      return resolver;
    } catch (IOException e) {
      TempDirs.deleteRecursively(dir);
      throw new UncheckedIOException("cannot set up Unbound in " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      TempDirs.deleteRecursively(dir);
      throw e;
    }
  }

  private void awaitUp() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("unbound exited; " + log() + " says:\n" + LocalProcess.tail(log(), 15)
            + process.logTail(10));
      }
      try (java.net.DatagramSocket probe = new java.net.DatagramSocket()) {
        probe.connect(java.net.InetAddress.getLoopbackAddress(), port);
        if (Files.exists(dir.resolve("unbound.pid"))) {
          return;
        }
        Thread.sleep(100);
      } catch (IOException e) {
        // not yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new IllegalStateException("Unbound on port " + port + " did not start; log:\n" + LocalProcess.tail(log(),
        15));
  }

  public int port() {
    return port;
  }

  /** Unbound's log (validation failures at val-log-level 2). */
  public Path log() {
    return dir.resolve("unbound.log");
  }

  @Override
  public void close() {
    process.stop(Duration.ofSeconds(10));
    TempDirs.deleteRecursively(dir);
  }
}
