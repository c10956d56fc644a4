package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TwinsignCommandTest {

  @Test
  void helpListsTheCommands() {
    Result result = run("--help");
    assertEquals(0, result.exit);
    assertTrue(result.out.contains("Usage: twinsign"), result.out);
    assertTrue(result.out.contains("version"), result.out);
    assertTrue(result.out.contains("demo"), result.out);
  }

  @Test
  void versionPrintsTheBuildVersion() {
    Result result = run("version");
    assertEquals(0, result.exit);
    assertTrue(result.out.matches("twinsign \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\s*"), result.out);
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    Result result = run("sigm");
    assertEquals(2, result.exit);
    assertTrue(result.err.contains("sigm"), result.err);
  }

  @Test
  void aBadDurationNamesTheOption() {
    Result result = run("demo", "--run-for", "soon");
    assertEquals(2, result.exit);
    assertTrue(result.err.contains("--run-for"), result.err);
    assertTrue(result.err.contains("soon"), result.err);
  }

  private static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = TwinsignCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  private record Result(int exit, String out, String err) {}
}
