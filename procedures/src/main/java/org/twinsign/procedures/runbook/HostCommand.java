package org.twinsign.procedures.runbook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A host command a runbook step runs on this machine ({@code /bin/sh -c}, as the operator): an
 * HSM's backup tool, say. Its output goes to a temporary file (never a pipe that could fill), and
 * its last lines are what the trail keeps.
 */
final class HostCommand {
  private static final int KEPT_LINES = 5;

  /** How it ended: exit code (-1: did not start or was stopped) and its output's last lines. */
  record Result(int exit, String tail) {
    String summary() {
      return "exit " + exit + (tail.isBlank() ? "" : "; " + tail);
    }
  }

  private HostCommand() {}

  static Result run(String command, Duration limit) {
    Path output = null;
    try {
      output = Files.createTempFile("twinsign-runbook-", ".out");
      Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
          .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return new Result(-1, "stopped after " + limit.toMinutes() + " min; " + tail(output));
      }
      return new Result(p.exitValue(), tail(output));
    } catch (IOException e) {
      return new Result(-1, "cannot run it: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, "interrupted");
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException e) {
          // a temporary file left behind is harmless
        }
      }
    }
  }

  private static String tail(Path output) throws IOException {
    List<String> lines = new String(Files.readAllBytes(output), StandardCharsets.UTF_8).lines()
        .filter(l -> !l.isBlank()).toList();
    return String.join("\n", lines.subList(Math.max(0, lines.size() - KEPT_LINES), lines.size()));
  }
}
