package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.twinsign.appliance.CliRun;

class TwinsignCommandTest {

  @Test
  void helpListsTheCommands() {
    CliRun result = CliRun.of("--help");
    assertEquals(0, result.exit());
    assertTrue(result.out().contains("Usage: twinsign"), result.out());
    assertTrue(result.out().contains("version"), result.out());
    assertTrue(result.out().contains("demo"), result.out());
  }

  @Test
  void versionPrintsTheBuildVersion() {
    CliRun result = CliRun.of("version");
    assertEquals(0, result.exit());
    assertTrue(result.out().matches("twinsign \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\s*"), result.out());
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    CliRun result = CliRun.of("sigm");
    assertEquals(2, result.exit());
    assertTrue(result.err().contains("sigm"), result.err());
  }

  @Test
  void aBadDurationNamesTheOption() {
    CliRun result = CliRun.of("demo", "--run-for", "soon");
    assertEquals(2, result.exit());
    assertTrue(result.err().contains("--run-for"), result.err());
    assertTrue(result.err().contains("soon"), result.err());
  }
}
