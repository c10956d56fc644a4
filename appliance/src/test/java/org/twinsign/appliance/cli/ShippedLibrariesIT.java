package org.twinsign.appliance.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * What {@code bin/twinsign} ships ({@code appliance/target/lib}, the jar's class path): the
 * product's libraries and the demo's process launchers, and no test library.
 */
class ShippedLibrariesIT {
  private static final List<String> TEST_LIBRARIES = List.of("junit", "opentest4j", "apiguardian", "greenmail",
      "curator-test", "testcontainers", "docker-java", "duct-tape", "hamcrest", "mockito", "assertj");

  @Test
  void theLauncherShipsNoTestLibrary() throws Exception {
    Path lib = Path.of("target/lib");
    assertTrue(Files.isDirectory(lib), "the package phase made " + lib.toAbsolutePath());
    List<String> jars;
    try (var files = Files.list(lib)) {
      jars = files.map(f -> f.getFileName().toString()).sorted().toList();
    }
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("twinsign-testkit")), "the demo's launchers ship: " + jars);
    assertTrue(jars.stream().anyMatch(j -> j.startsWith("dnsjava")), jars.toString());
    List<String> test = jars.stream().filter(j -> TEST_LIBRARIES.stream()
        .anyMatch(t -> j.toLowerCase(Locale.ROOT).startsWith(t))).toList();
    assertEquals(List.of(), test, "test libraries in the shipped class path");
  }
}
