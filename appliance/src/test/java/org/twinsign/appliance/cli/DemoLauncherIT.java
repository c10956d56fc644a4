package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.ProcessRegistry;

/**
 * Runs the real launcher, {@code bin/twinsign}, against the jar this build packaged: the way an
 * operator runs it after the quick start.
 */
class DemoLauncherIT {
  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
  private static final Path LAUNCHER = ROOT.resolve("bin/twinsign");
  /** The packaged jar is fresh: the launcher must not start a nested Maven build. */
  private static final Map<String, String> ENV = Map.of("TWINSIGN_NO_BUILD", "1");

  @Test
  void helpAndVersionThroughTheLauncher(@TempDir Path work) throws Exception {
    Path helpLog = work.resolve("help.log");
    assertEquals(0, LocalProcess.run("twinsign --help", List.of(LAUNCHER.toString(), "--help"), ENV, work, helpLog,
        null, Duration.ofMinutes(1)), Files.readString(helpLog));
    String help = Files.readString(helpLog);
    assertTrue(help.contains("demo") && help.contains("version"), help);

    Path versionLog = work.resolve("version.log");
    assertEquals(0, LocalProcess.run("twinsign version", List.of(LAUNCHER.toString(), "version"), ENV, work,
        versionLog, null, Duration.ofMinutes(1)));
    assertTrue(Files.readString(versionLog).startsWith("twinsign 0."), Files.readString(versionLog));
  }

  @Test
  void demoStartsEverythingAndCtrlCStopsItAll(@TempDir Path work) throws Exception {
    Path log = work.resolve("demo.log");
    try (LocalProcess demo = LocalProcess.start("twinsign demo", List.of(LAUNCHER.toString(), "demo"), ENV, work,
        log)) {
      String output = awaitLine(demo, log, "demo ready", Duration.ofMinutes(4));
      assertTrue(output.contains("starting 3 ZooKeeper server(s)"), output);
      assertTrue(output.matches("(?s).*node alpha\\s+pid \\d+\\s+config /.*alpha\\.conf.*"), output);
      assertTrue(output.matches("(?s).*node beta\\s+pid \\d+\\s+config /.*beta\\.conf.*"), output);
      assertTrue(output.contains("dnssec-verify says (exit 0)"), output);
      assertTrue(output.matches("(?s).*alpha\\s+master\\s+1\\s.*"), "cluster list shows the master: " + output);
      assertTrue(output.matches("(?s).*beta\\s+standby\\s+\\S*\\s*yes\\s.*"), "and an eligible standby: " + output);
      List<String> dirs = workspaceDirectories(output);
      assertTrue(dirs.size() >= 2, "the demo names its directories: " + output);
      for (String dir : dirs) {
        assertFalse(ProcessRegistry.hostProcessesMentioning(dir).isEmpty() && dir.contains("mariadb"),
            "a mariadbd runs in " + dir);
      }

      // Ctrl-C: the launcher execs java, so SIGINT reaches the JVM. A build started from a background
      // job hands SIGINT down ignored, and the JVM keeps it so: then SIGTERM, which runs the same stop
      String signal = ignoresSigint(demo.pid()) ? "-TERM" : "-INT";
      assertEquals(0, new ProcessBuilder("kill", signal, Long.toString(demo.pid())).start().waitFor());
      long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
      while (demo.exitCodeOrRunning() == -1 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      String all = Files.readString(log);
      assertFalse(demo.isAlive(), "demo must exit on Ctrl-C: " + all);
      assertTrue(all.contains("demo stopped; every process it started has ended"), all);
      for (String dir : dirs) {
        assertEquals(List.of(), ProcessRegistry.hostProcessesMentioning(dir), "still running in " + dir);
        assertFalse(Files.exists(Path.of(dir)), "workspace directory must be removed: " + dir);
      }
    }
  }

  /** Whether the process ignores SIGINT (its SigIgn mask in /proc: bit 1 is SIGINT). */
  private static boolean ignoresSigint(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 0x2) != 0;
      }
    }
    return false;
  }

  @Test
  void demoFailoverAfterKillsTheMasterAndTheStandbyTakesOver(@TempDir Path work) throws Exception {
    Path log = work.resolve("demo-failover.log");
    int exit = LocalProcess.run("twinsign demo --failover-after", List.of(LAUNCHER.toString(), "demo",
        "--failover-after", "2s", "--run-for", "1s"), ENV, work, log, null, Duration.ofMinutes(6));
    String output = Files.readString(log);
    assertEquals(0, exit, output);
    assertTrue(output.matches("(?s).*kill -9 of the master, node alpha \\(pid \\d+\\).*"), output);
    assertTrue(output.matches("(?s).*node beta is master after \\d+ ms.*"), output);
    assertTrue(output.matches("(?s).*failover done in \\d+ ms.*"), output);
    assertTrue(output.indexOf("dnssec-verify says (exit 0)") != output.lastIndexOf("dnssec-verify says (exit 0)"),
        "the zone validates before and after: " + output);
    assertTrue(output.matches("(?s).*2\\s+beta\\s+.*failover from node alpha.*"), "cluster history: " + output);
    assertTrue(output.contains("demo stopped; every process it started has ended"), output);
    for (String dir : workspaceDirectories(output)) {
      assertFalse(Files.exists(Path.of(dir)), "workspace directory must be removed: " + dir);
    }
  }

  @Test
  void demoSimulateShowsAZskAndAKskRollover(@TempDir Path work) throws Exception {
    Path log = work.resolve("demo-simulate.log");
    int exit = LocalProcess.run("twinsign demo --simulate", List.of(LAUNCHER.toString(), "demo", "--simulate",
        "--run-for", "1s"), ENV, work, log, null, Duration.ofMinutes(10));
    String output = Files.readString(log);
    assertEquals(0, exit, output);
    assertTrue(output.contains("ZSK") && output.contains("retires: its lifetime (20 days) is over"), output);
    assertTrue(output.contains("KSK") && output.contains("retires: its lifetime (60 days) is over"), output);
    assertTrue(output.contains("parent: publishes the DS of key") && output.contains("parent: removes the DS of key"),
        output);
    assertTrue(output.contains("zone validates at"), output);
    assertTrue(output.contains("simulation done"), output);
    assertTrue(output.contains("demo stopped; every process it started has ended"), output);
    for (String dir : workspaceDirectories(output)) {
      assertFalse(Files.exists(Path.of(dir)), "workspace directory must be removed: " + dir);
    }
  }

  private static String awaitLine(LocalProcess process, Path log, String line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      if (text.contains(line)) {
        return text;
      }
      if (!process.isAlive()) {
        throw new AssertionError("demo exited before '" + line + "':\n" + text);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + line + "' within " + timeout + ":\n" + Files.readString(log));
  }

  private static List<String> workspaceDirectories(String output) {
    List<String> dirs = new ArrayList<>();
    Matcher matcher = Pattern.compile("(/[^\\s,)]*/ts-(?:softhsm|mariadb|zookeeper|demo-zones|demo-pair)-\\d+)").matcher(output);
    while (matcher.find()) {
      if (!dirs.contains(matcher.group(1))) {
        dirs.add(matcher.group(1));
      }
    }
    return dirs;
  }
}
