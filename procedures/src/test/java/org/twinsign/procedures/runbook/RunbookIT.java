package org.twinsign.procedures.runbook;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.TestPair;

/**
 * What every runbook test has: a temporary directory, the pair ({@link TestPair}, started by the
 * test) and the other servers it starts ({@link #closing}), all stopped after it, also on failure,
 * the servers first.
 */
abstract class RunbookIT {
  @TempDir
  Path dir;

  TestPair test;
  LocalPair pair;
  final List<AutoCloseable> closing = new ArrayList<>();

  /** Starts the pair (three ZooKeeper servers) with {@code config}; sets {@link #test} and {@link #pair}. */
  void start(java.util.function.Function<LocalPair, String> config) throws InterruptedException {
    test = TestPair.start(dir, 3, config);
    pair = test.pair();
  }

  void start(String config) throws InterruptedException {
    start(p -> config);
  }

  /** {@code server}, stopped after the test (before the pair). */
  <T extends AutoCloseable> T closedAfter(T server) {
    closing.add(server);
    return server;
  }

  @AfterEach
  void stop() {
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (Exception e) {
        // the others still close
      }
    }
    if (test != null) {
      test.close();
    }
  }
}
