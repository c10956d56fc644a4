package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * OpenDNSSEC's DelegationSignerSubmitCommand / DelegationSignerRetractCommand: a program that gets
 * the DNSKEY records (BIND format, one per line) on its standard input and hands them to the
 * parent, its registry or a person. Exit status 0 means done.
 */
final class DsHook {
  static final long TIMEOUT_SECONDS = 120;

  private DsHook() {}

  /** The outcome: success, or what went wrong (exit status and the end of the program's output). */
  record Result(boolean ok, String detail) {}

  static Result run(List<String> command, String dnskeys) {
    Path output = null;
    try {
      output = Files.createTempFile("twinsign-ds-hook", ".log");
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
      try (OutputStream in = process.getOutputStream()) {
        in.write(dnskeys.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // the program did not read its input; its exit status tells
      }
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Result(false, command.get(0) + " did not finish within " + TIMEOUT_SECONDS + " s");
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
      return new Result(false, "interrupted while running " + command.get(0));
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
