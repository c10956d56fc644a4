package org.twinsign.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The history of master actions that nodes record ({@code node.history-file}, one JSON object per
 * line: node, epoch, action, what, started, done in monotonic nanoseconds) and the checker that
 * judges a whole history, as Jepsen's checkers do:
 * <ul>
 *   <li>every epoch was acted under by one node only;
 *   <li>epochs only go forward: no action of an epoch began after an action of a higher epoch had
 *       been completed (so no two nodes acted as master in overlapping time, and nothing stale was
 *       accepted after a newer master had acted);
 *   <li>no master action without an epoch.
 * </ul>
 */
public final class MasterHistory {
  private MasterHistory() {}

  /** One master action. */
  public record Action(String node, long epoch, String action, String what, long started, long done) {}

  /** The checker's judgement: the problems found (none means the history is valid) and counts. */
  public record Verdict(List<String> problems, Map<Long, String> epochs, int actions) {
    public boolean valid() {
      return problems.isEmpty();
    }

    @Override
    public String toString() {
      return (valid() ? "valid" : "INVALID: " + String.join("; ", problems)) + " (" + actions + " actions, epochs "
          + epochs + ")";
    }
  }

  private static final Pattern LINE = Pattern.compile("\\{\"node\":\"([^\"]*)\",\"epoch\":(\\d+),\"action\":\"([^\"]*)\","
      + "\"what\":\"((?:[^\"\\\\]|\\\\.)*)\",\"started\":(-?\\d+),\"done\":(-?\\d+),.*");

  public static List<Action> read(List<Path> files) {
    List<Action> actions = new ArrayList<>();
    for (Path file : files) {
      if (!Files.exists(file)) {
        continue;
      }
      try {
        int n = 0;
        for (String line : Files.readAllLines(file)) {
          n++;
          if (line.isBlank()) {
            continue;
          }
          Matcher m = LINE.matcher(line);
          if (!m.matches()) {
            // a node killed while writing leaves a partial last line: that action is not known to be done
            if (n == Files.readAllLines(file).size()) {
              continue;
            }
            throw new IllegalStateException(file + ":" + n + ": not a history line: " + line);
          }
          actions.add(new Action(m.group(1), Long.parseLong(m.group(2)), m.group(3), m.group(4),
              Long.parseLong(m.group(5)), Long.parseLong(m.group(6))));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return actions;
  }

  public static Verdict check(List<Action> actions) {
    List<String> problems = new ArrayList<>();
    Map<Long, String> owner = new TreeMap<>();
    Map<Long, Action> latestStart = new TreeMap<>();
    Map<Long, Action> earliestDone = new TreeMap<>();
    for (Action a : actions) {
      if (a.epoch() <= 0) {
        problems.add("node " + a.node() + " acted without an epoch: " + a);
        continue;
      }
      String other = owner.putIfAbsent(a.epoch(), a.node());
      if (other != null && !other.equals(a.node())) {
        problems.add("epoch " + a.epoch() + " was acted under by nodes " + other + " and " + a.node());
      }
      latestStart.merge(a.epoch(), a, (x, y) -> x.started() >= y.started() ? x : y);
      earliestDone.merge(a.epoch(), a, (x, y) -> x.done() <= y.done() ? x : y);
    }
    // walk epochs from the highest down, keeping the earliest completion of any higher epoch
    List<Long> epochs = new ArrayList<>(owner.keySet());
    Action firstDoneAbove = null;
    for (int i = epochs.size() - 1; i >= 0; i--) {
      long e = epochs.get(i);
      Action late = latestStart.get(e);
      if (firstDoneAbove != null && late.started() > firstDoneAbove.done()) {
        problems.add("epoch " + e + " (node " + late.node() + ") still acted (" + late.action() + " " + late.what()
            + ") after epoch " + firstDoneAbove.epoch() + " (node " + firstDoneAbove.node() + ") had acted ("
            + firstDoneAbove.action() + " " + firstDoneAbove.what() + "), by "
            + (late.started() - firstDoneAbove.done()) / 1_000_000 + " ms");
      }
      Action done = earliestDone.get(e);
      if (firstDoneAbove == null || done.done() < firstDoneAbove.done()) {
        firstDoneAbove = done;
      }
    }
    return new Verdict(problems, owner, actions.size());
  }

  /** The actions that began in {@code [from, to]} (monotonic nanoseconds). */
  public static List<Action> between(List<Action> actions, long from, long to) {
    return actions.stream().filter(a -> a.started() >= from && a.started() <= to).toList();
  }
}
