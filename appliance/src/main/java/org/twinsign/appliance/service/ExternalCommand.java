package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an operator's program (a DS hook, a fence command): no shell, input on stdin, a time limit,
 * and the end of its output kept for the operator. Exit status 0 means done.
 */
public final class ExternalCommand {
  private ExternalCommand() {}

  /** The outcome: success, or what went wrong (exit status and the end of the program's output). */
  public record Result(boolean ok, String detail) {}

  public static Result run(List<String> command, String stdin, Duration timeout) {
    Path output = null;
    try {
      output = Files.createTempFile("twinsign-command", ".log");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      try (OutputStream in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // the program did not read its input; its exit status tells
      }
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          return new Result(false, command.get(0) + " did not finish within " + timeout.toSeconds() + " s");
        }
      } catch (InterruptedException e) {
        // nobody waits for it any more: a fence command must not go on acting on its own
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw e;
      }
      String said = Files.readString(output, StandardCharsets.UTF_8).strip();
      if (said.length() > 400) {
        said = "..." + said.substring(said.length() - 400);
      }
      return process.exitValue() == 0 ? new Result(true, said)
          : new Result(false, command.get(0) + " exited with status " + process.exitValue()
              + (said.isEmpty() ? "" : ": " + said));
    } catch (IOException e) {
      return new Result(false, "cannot run " + command.get(0) + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(false, "interrupted while running " + command.get(0) + " (stopped)");
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException e) {
          // temp file
        }
      }
    }
  }
}
