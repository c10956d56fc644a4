package org.twinsign.appliance.hsm;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * One key repository, read from a Java properties file. A PKCS#11 token (the default type):
 *
 * <pre>
 * library=/usr/lib/softhsm/libsofthsm2.so
 * token=&lt;token label&gt;                   # resolved to its slot
 * pin.file=&lt;file holding the user PIN&gt;  # or pin.env=&lt;variable name&gt;
 * </pre>
 *
 * or a soft key store ({@code type=soft}, {@code directory=}, and a PIN that encrypts the keys).
 * The PIN itself is never held here: only where to read it from. {@code wrappableKeys}: whether
 * keys generated here may leave the token wrapped (never in clear), only for a pair that syncs
 * keys by wrapping; else they are never extractable (OpenDNSSEC's default too).
 */
public record HsmConfig(Path source, Path library, String tokenLabel, Path directory, Pin pin, boolean wrappableKeys) {
  private static final Set<String> KEYS = Set.of("type", "library", "token", "directory", "pin.file", "pin.env");

  /** This configuration, generating keys that can be wrapped ({@code keysync=wrap}) or not. */
  public HsmConfig withWrappableKeys(boolean wrappable) {
    return new HsmConfig(source, library, tokenLabel, directory, pin, wrappable);
  }

  /** Whether this is a soft key store rather than a PKCS#11 token. */
  public boolean isSoft() {
    return directory != null;
  }

  /** Reads and checks {@code file}; every error names the file and the key. */
  public static HsmConfig load(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      throw new HsmException("HSM config " + file + " does not exist: pass the file that names library, token and"
          + " pin.file");
    } catch (IOException | IllegalArgumentException e) {
      throw new HsmException("cannot read HSM config " + file + ": " + e.getMessage());
    }
    Set<String> unknown = new TreeSet<>(properties.stringPropertyNames());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw new HsmException("HSM config " + file + ": unknown key(s) " + unknown + "; known keys are " + KEYS);
    }
    String type = properties.getProperty("type", "pkcs11").trim();
    if (!type.equals("pkcs11") && !type.equals("soft")) {
      throw new HsmException("HSM config " + file + ": type '" + type + "' is unknown: use pkcs11 (the default) or soft");
    }
    String pinFile = properties.getProperty("pin.file");
    String pinEnv = properties.getProperty("pin.env");
    if ((pinFile == null) == (pinEnv == null)) {
      throw new HsmException("HSM config " + file + ": give exactly one of pin.file (a file holding the user PIN)"
          + " or pin.env (the name of an environment variable holding it)");
    }
    Path base = file.toAbsolutePath().getParent();
    Pin pin = pinFile != null
        ? Pin.fromFile(base.resolve(pinFile.trim()))
        : Pin.fromEnvironment(pinEnv.trim());
    if (type.equals("soft")) {
      for (String key : new String[] {"library", "token"}) {
        if (properties.containsKey(key)) {
          throw new HsmException("HSM config " + file + ": '" + key + "' does not apply to type=soft");
        }
      }
      String directory = required(file, properties, "directory");
      return new HsmConfig(file, null, null, base.resolve(directory.trim()), pin, false);
    }
    if (properties.containsKey("directory")) {
      throw new HsmException("HSM config " + file + ": 'directory' applies to type=soft only");
    }
    String library = required(file, properties, "library");
    String token = required(file, properties, "token");
    return new HsmConfig(file, base.resolve(library.trim()), token.trim(), null, pin, false);
  }

  private static String required(Path file, Properties properties, String key) {
    String value = properties.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new HsmException("HSM config " + file + ": '" + key + "' is missing");
    }
    return value;
  }
}
