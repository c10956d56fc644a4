package org.twinsign.appliance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Files for tests: a secret (PIN, password) goes into a file only its owner can read, as Twinsign insists. */
public final class TestFiles {
  private TestFiles() {}

  public static Path secret(Path file, String text) {
    try {
      Files.writeString(file, text);
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
