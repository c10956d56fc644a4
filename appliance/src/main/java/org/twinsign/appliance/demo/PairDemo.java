package org.twinsign.appliance.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.TempDirs;

/**
 * {@code twinsign demo}: a signer pair on this machine (three ZooKeeper servers for the two nodes'
 * sites and a witness, two nodes each with its own MariaDB, one shared SoftHSM token), signing the
 * example zone, for a person to watch and to break: {@code kill -9} the master and see the standby
 * take over with {@code cluster list}.
 */
public final class PairDemo implements AutoCloseable {
  private static final Duration SESSION = Duration.ofSeconds(6);
  private final Path dir;
  private final LocalPair pair;
  private final PrintWriter out;
  private final Path signed;

  private PairDemo(Path dir, LocalPair pair, PrintWriter out) {
    this.dir = dir;
    this.pair = pair;
    this.out = out;
    this.signed = dir.resolve("example.test.signed");
  }

  /** A demo with nothing started yet; {@link #close()} may come from another thread (Ctrl-C) at any time. */
  public static PairDemo create(PrintWriter out) {
    Path dir = TempDirs.create("demo-pair");
    return new PairDemo(dir, LocalPair.allocate(dir, SESSION), out);
  }

  /** Starts everything and signs the example zone; stops what started if anything fails. */
  public void start() {
    try {
      pair.prepare(3, out);
      begin();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void begin() {
    say("starting node alpha ...");
    pair.startNode("alpha");
    String master = awaitMaster(null, Duration.ofSeconds(60));
    say("node " + master + " is master; starting node beta ...");
    pair.startNode("beta");
    copy("example.test.zone", dir.resolve("example.test.zone"));
    copy("demo-kasp.xml", dir.resolve("kasp.xml"));
    twinsign("alpha", "policy", "import", dir.resolve("kasp.xml").toString());
    twinsign("alpha", "zone", "add", "--zone", "example.test", "--policy", "demo", "--input",
        dir.resolve("example.test.zone").toString(), "--output", signed.toString());
    twinsign("alpha", "enforce");
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(signed) && System.nanoTime() < end) {
      sleep(200);
    }
    verify();
    awaitStandby(Duration.ofSeconds(60));
    say(twinsign("alpha", "cluster", "list"));
  }

  /** Where everything runs, and what to try. */
  public void describe() {
    out.println("Twinsign pair demo is up (" + dir + "):");
    for (String node : LocalPair.NODES) {
      LocalProcess p = pair.process(node);
      out.printf("  node %-6s pid %-8d config %s%n", node, p.pid(), pair.config(node));
      out.printf("              admin http://%s/  log %s%n", pair.adminAddress(node), p.log());
      out.printf("              database %s%n", pair.database(node));
    }
    out.println("  ZooKeeper  " + pair.zooKeeper());
    for (String node : LocalPair.NODES) {
      out.printf("  HSM        %s (node %s; keys reach the other node's wrapped under the KEK)%n", pair.token(node), node);
    }
    out.println("  Zone       example.test, signed into " + signed);
    out.println("Try:  bin/twinsign --config " + pair.config("alpha") + " cluster list");
    out.println("      kill -9 <pid of the master>   (the standby fences it and takes over within the session"
        + " timeout, " + SESSION.toSeconds() + " s)");
    out.println("Press Ctrl-C to stop everything and remove the demo directory.");
    out.flush();
  }

  /** Kills the master, waits for the standby to take over, re-signs there; returns the failover time. */
  public Duration failover() {
    String old = awaitMaster(null, Duration.ofSeconds(10));
    say("kill -9 of the master, node " + old + " (pid " + pair.process(old).pid() + ") ...");
    long t0 = System.nanoTime();
    pair.process(old).kill();
    String now = awaitMaster(old, Duration.ofSeconds(120));
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    say("node " + now + " is master after " + took.toMillis() + " ms (session timeout " + SESSION.toSeconds() + " s)");
    twinsign(now, "enforce");
    verify();
    say(twinsign(now, "cluster", "history"));
    return took;
  }

  private void verify() {
    Path tool = HostTool.require("dnssec-verify", "bind9-utils");
    Path log = dir.resolve("dnssec-verify.log");
    int exit = LocalProcess.run("dnssec-verify", List.of(tool.toString(), "-o", "example.test", signed.toString()),
        java.util.Map.of(), dir, log, null, Duration.ofMinutes(2));
    String said;
    try {
      List<String> lines = Files.readAllLines(log);
      said = String.join(" ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
    } catch (IOException e) {
      said = "(no output: " + e.getMessage() + ")";
    }
    say("dnssec-verify says (exit " + exit + "): " + said);
    if (exit != 0) {
      throw new IllegalStateException("the signed example zone does not validate: see " + log);
    }
  }

  private String awaitMaster(String notThis, Duration limit) {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      for (String node : LocalPair.NODES) {
        LocalProcess p = pair.process(node);
        if (p == null || !p.isAlive()) {
          continue;
        }
        LocalPair.Answer a = pair.cli(node, "cluster", "list");
        if (a.exit() == 0) {
          for (String line : a.out().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 1 && f[1].equals("master") && !f[0].equals(notThis) && pair.process(f[0]) != null
                && pair.process(f[0]).isAlive()) {
              return f[0];
            }
          }
        }
      }
      sleep(200);
    }
    throw new IllegalStateException("no master within " + limit.toSeconds() + " s; see the nodes' logs in " + dir);
  }

  private void awaitStandby(Duration limit) {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      LocalPair.Answer a = pair.cli("alpha", "cluster", "list");
      if (a.exit() == 0 && a.out().lines().anyMatch(l -> l.matches("beta\\s+standby\\s+\\S*\\s+yes\\s.*"))) {
        return;
      }
      sleep(200);
    }
    throw new IllegalStateException("node beta did not become an eligible standby within " + limit.toSeconds()
        + " s; see " + pair.process("beta").log());
  }

  private String twinsign(String node, String... args) {
    out.println("$ twinsign --config " + node + ".conf " + String.join(" ", args));
    LocalPair.Answer a = pair.cli(node, args);
    if (a.exit() != 0) {
      throw new IllegalStateException("demo step 'twinsign " + String.join(" ", args) + "' failed: " + a.err());
    }
    say(a.out());
    return a.out();
  }

  private void say(String text) {
    if (!text.isBlank()) {
      out.println(text.stripTrailing().replaceAll("(?m)^", "  "));
    }
    out.flush();
  }

  private void copy(String resource, Path target) {
    try (InputStream in = PairDemo.class.getResourceAsStream(resource)) {
      Files.copy(in, target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the demo file " + target + ": " + e.getMessage(), e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  @Override
  public void close() {
    pair.close();
    TempDirs.deleteRecursively(dir);
  }
}
