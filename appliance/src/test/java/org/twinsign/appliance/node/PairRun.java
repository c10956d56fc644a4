package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.twinsign.appliance.demo.LocalPair;

/** What the pair's ITs do again and again: run a command that must succeed, wait for a state, show the logs. */
final class PairRun {
  private final LocalPair pair;

  PairRun(LocalPair pair) {
    this.pair = pair;
  }

  /** Runs {@code twinsign ARGS} against {@code node}; fails with both nodes' logs unless it exits 0. */
  String ok(String node, String... args) {
    LocalPair.Answer answer = pair.cli(node, args);
    assertEquals(0, answer.exit(), String.join(" ", args) + " on " + node + ":\n" + answer.out() + answer.err()
        + "\n" + logs());
    return answer.out();
  }

  /** Waits up to a minute for {@code condition}; fails naming {@code what}, with the cluster and the logs. */
  void await(String what, BooleanSupplier condition) throws InterruptedException {
    await(what, Duration.ofSeconds(60), condition);
  }

  void await(String what, Duration limit, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < end) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(250);
    }
    String cluster = "";
    for (String node : LocalPair.NODES) {
      if (pair.process(node) != null && pair.process(node).isAlive()) {
        cluster = pair.cli(node, "cluster", "list").out();
        break;
      }
    }
    throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + "\n" + cluster + logs());
  }

  /** The last lines of each node's log. */
  String logs() {
    StringBuilder s = new StringBuilder();
    for (String node : LocalPair.NODES) {
      if (pair.process(node) != null) {
        s.append("--- ").append(node).append(" log:\n").append(pair.process(node).logTail(40)).append('\n');
      }
    }
    return s.toString();
  }
}
