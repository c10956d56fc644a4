package org.twinsign.appliance.hsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Where a token's user PIN comes from: a file or an environment variable. The PIN is read only
 * when the token is logged in, and {@link #toString()} never shows it.
 */
public final class Pin {
  private final Path file;
  private final String variable;

  private Pin(Path file, String variable) {
    this.file = file;
    this.variable = variable;
  }

  public static Pin fromFile(Path file) {
    return new Pin(file, null);
  }

  public static Pin fromEnvironment(String variable) {
    return new Pin(null, variable);
  }

  /** The PIN's characters; the caller clears the array after use. */
  char[] read() {
    String text;
    if (file != null) {
      String unsafe = org.twinsign.appliance.config.SecretFile.problem(file, "PIN file");
      if (unsafe != null) {
        throw new HsmException(unsafe);
      }
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new HsmException("PIN file " + file + " does not exist");
      } catch (IOException e) {
        throw new HsmException("cannot read PIN file " + file + ": " + e.getMessage());
      }
    } else {
      text = System.getenv(variable);
      if (text == null) {
        throw new HsmException("environment variable " + variable + " (pin.env) is not set");
      }
    }
    String pin = text.strip();
    if (pin.isEmpty()) {
      throw new HsmException((file != null ? "PIN file " + file : "environment variable " + variable) + " is empty");
    }
    return pin.toCharArray();
  }

  @Override
  public String toString() {
    return file != null ? "PIN from file " + file : "PIN from environment variable " + variable;
  }
}
