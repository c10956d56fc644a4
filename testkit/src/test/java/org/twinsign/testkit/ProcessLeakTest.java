package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Proves that no process a fixture starts outlives its test: it runs sample test classes (nested
 * here, so the build does not run them on their own) through JUnit's engine test kit, lets them
 * fail, and then looks for their processes on the host.
 */
class ProcessLeakTest {
  /** Pids and directories the sample tests started, recorded before they fail. */
  static final List<Long> PIDS = new CopyOnWriteArrayList<>();
  static final List<Path> DIRS = new CopyOnWriteArrayList<>();

  @Test
  void aFailingTestStopsTheFixtureItHeldInTryWithResources() {
    EngineExecutionResults results = run(FailsWhileHoldingAServer.class);
    results.testEvents().assertStatistics(stats -> stats.started(1).failed(1));
    assertAllGone();
  }

  @Test
  void aFailingClassStopsItsSharedFixturesInAfterAll() {
    EngineExecutionResults results = run(FailsWithSharedFixtures.class);
    results.testEvents().assertStatistics(stats -> stats.started(1).failed(1));
    assertAllGone();
  }

  @Test
  void aForgottenProcessFailsTheClassAndIsStopped() {
    EngineExecutionResults results = run(ForgetsToCloseAProcess.class);
    results.testEvents().assertStatistics(stats -> stats.succeeded(1));
    List<Event> failedContainers = results.containerEvents().failed().list();
    assertEquals(1, failedContainers.size(), "the leak check must fail the class");
    String message = failedContainers.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::getMessage).orElse("");
    assertTrue(message.contains("left processes running"), message);
    assertAllGone();
  }

  private static EngineExecutionResults run(Class<?> sample) {
    PIDS.clear();
    DIRS.clear();
    return EngineTestKit.engine("junit-jupiter")
        .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
        .selectors(selectClass(sample))
        .execute();
  }

  private static void assertAllGone() {
    assertFalse(PIDS.isEmpty(), "the sample must have started processes");
    for (long pid : PIDS) {
      assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " still runs");
    }
    for (Path dir : DIRS) {
      assertEquals(List.of(), ProcessRegistry.hostProcessesMentioning(dir.toString()),
          "no host process may still use " + dir);
    }
  }

  static final class FailsWhileHoldingAServer {
    @Test
    void failsMidway() {
      try (MariaDbServer server = MariaDbServer.start()) {
        PIDS.add(server.pid());
        DIRS.add(server.directory());
        throw new AssertionError("deliberate failure while mariadbd runs");
      }
    }
  }

  static final class FailsWithSharedFixtures {
    static MariaDbServer server;
    static ZooKeeperEnsemble zooKeeper;

    @BeforeAll
    static void start() {
      server = MariaDbServer.start();
      PIDS.add(server.pid());
      DIRS.add(server.directory());
      zooKeeper = ZooKeeperEnsemble.processes(1);
      ((ProcessZooKeeper) zooKeeper).process(0).ifPresent(p -> PIDS.add(p.pid()));
    }

    @AfterAll
    static void stop() {
      zooKeeper.close();
      server.close();
    }

    @Test
    void fails() {
      throw new AssertionError("deliberate failure with shared fixtures running");
    }
  }

  static final class ForgetsToCloseAProcess {
    @Test
    void startsAndForgets(@org.junit.jupiter.api.io.TempDir Path dir) {
      LocalProcess sleeper = LocalProcess.start("forgotten sleep", List.of("sleep", "300"), Map.of(), dir,
          dir.resolve("sleep.log"));
      PIDS.add(sleeper.pid());
      assertTrue(sleeper.isAlive());
    }
  }

  @Test
  void stopEndsAPausedProcess(@org.junit.jupiter.api.io.TempDir Path dir) {
    LocalProcess sleeper = LocalProcess.start("paused sleep", List.of("sleep", "300"), Map.of(), dir,
        dir.resolve("sleep.log"));
    sleeper.pause();
    sleeper.stop(Duration.ofSeconds(5));
    assertFalse(sleeper.isAlive());
  }
}
