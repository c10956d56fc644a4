package org.twinsign.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SoftHSM2 token with its own configuration file, token directory, SO PIN and user PIN.
 *
 * <p>SoftHSM reads {@code SOFTHSM2_CONF} once per process, so a process that uses this token must
 * be started with {@link #environment()}; a JVM that already loaded SoftHSM with another
 * configuration does not see it. The PINs live only in files readable by their owner; they are
 * handed to {@code softhsm2-util} through a pseudo-terminal, never on a command line.
 */
public final class SoftHsm2Token implements AutoCloseable {
  /** Where Debian's {@code softhsm2} package puts the PKCS#11 module. */
  public static final Path DEFAULT_LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]{1,32}");
  private static final Pattern REASSIGNED = Pattern.compile("reassigned to slot (\\d+)");

  private final Path dir;
  private final boolean ownsDir;
  private final String label;
  private final Path library;
  private final Path config;
  private final Path userPinFile;
  private final Path soPinFile;
  private final long slot;

  private SoftHsm2Token(Path dir, boolean ownsDir, String label, Path library, Path config, Path userPinFile,
      Path soPinFile, long slot) {
    this.dir = dir;
    this.ownsDir = ownsDir;
    this.label = label;
    this.library = library;
    this.config = config;
    this.userPinFile = userPinFile;
    this.soPinFile = soPinFile;
    this.slot = slot;
  }

  /** Creates a token in a new temporary directory, removed again by {@link #close()}. */
  public static SoftHsm2Token create(String label) {
    Path dir = TempDirs.create("softhsm");
    try {
      return create(dir, true, label, DEFAULT_LIBRARY);
    } catch (RuntimeException e) {
      TempDirs.deleteRecursively(dir);
      throw e;
    }
  }

  /**
   * Creates a token in {@code dir} (kept by {@link #close()}), with the given PKCS#11 library.
   * Several tokens may be made in one directory: they share its {@code softhsm2.conf}, so one
   * process sees them all, as a node sees the slots of its HSM.
   */
  public static SoftHsm2Token create(Path dir, String label, Path library) {
    return create(dir, false, label, library);
  }

  private static SoftHsm2Token create(Path dir, boolean ownsDir, String label, Path library) {
    if (!LABEL.matcher(label).matches()) {
      throw new IllegalArgumentException("token label '" + label
          + "' is not usable: use 1 to 32 characters from A-Z a-z 0-9 . _ -");
    }
    if (!Files.isRegularFile(library)) {
      throw new HostSetupException("PKCS#11 library " + library + " not found: install the Debian package softhsm2 "
          + "(apt-get install softhsm2), or name the PKCS#11 module of your HSM as the library");
    }
    Path util = HostTool.require("softhsm2-util", "softhsm2");
    Path script = HostTool.require("script", "bsdutils");
    TempDirs.ensure(dir);
    Path tokens = TempDirs.ensure(dir.resolve("tokens"));
    Path config = dir.resolve("softhsm2.conf");
    if (!Files.exists(config)) {
      writeConfig(config, tokens);
    }

    String soPin = randomPin();
    String userPin = randomPin();
    // named by label: several tokens may share one directory (and so one SOFTHSM2_CONF)
    Path soPinFile = TempDirs.writeSecret(dir.resolve(label + ".so.pin"), soPin);
    Path userPinFile = TempDirs.writeSecret(dir.resolve(label + ".user.pin"), userPin);

    // softhsm2-util reads PINs only from a terminal: give it one with script(1)
    Path log = dir.resolve("init-token-" + label + ".log");
    String stdin = soPin + "\n" + soPin + "\n" + userPin + "\n" + userPin + "\n";
    int exit = LocalProcess.run("softhsm2-util --init-token",
        List.of(script.toString(), "-qec", util + " --init-token --free --label " + label + " --module " + library,
            "/dev/null"),
        Map.of("SOFTHSM2_CONF", config.toString()), dir, log, stdin, Duration.ofSeconds(60));
    String output = readAndScrub(log, soPin, userPin);
    Matcher matcher = REASSIGNED.matcher(output);
    if (exit != 0 || !matcher.find()) {
      throw new IllegalStateException("softhsm2-util could not initialise token '" + label + "' in " + tokens
          + " (exit " + exit + "): " + lastLine(output));
    }
    return new SoftHsm2Token(dir, ownsDir, label, library, config, userPinFile, soPinFile,
        Long.parseLong(matcher.group(1)));
  }

  public String label() {
    return label;
  }

  /** The slot id the token was assigned; stable for processes started after the token was made. */
  public long slot() {
    return slot;
  }

  public Path library() {
    return library;
  }

  /** The SoftHSM2 configuration file of this token. */
  public Path configFile() {
    return config;
  }

  public Path userPinFile() {
    return userPinFile;
  }

  public Path soPinFile() {
    return soPinFile;
  }

  public Path directory() {
    return dir;
  }

  /** The environment a process needs to see this token. */
  public Map<String, String> environment() {
    return Map.of("SOFTHSM2_CONF", config.toString());
  }

  /**
   * A SunPKCS11 provider configuration for this token, with the attribute templates that make
   * generated private keys sensitive and AES keys usable as key-encryption keys
   * (see {@code shared/FACTS.md}).
   */
  public String sunPkcs11Config(String providerName) {
    return "name = " + providerName + "\n"
        + "library = " + library + "\n"
        + "slot = " + slot + "\n"
        + "attributes(generate, CKO_PRIVATE_KEY, *) = {\n"
        + "  CKA_TOKEN = true\n  CKA_PRIVATE = true\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = true\n}\n"
        + "attributes(generate, CKO_PUBLIC_KEY, *) = {\n  CKA_TOKEN = true\n}\n"
        + "attributes(import, CKO_SECRET_KEY, CKK_AES) = {\n"
        + "  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n  CKA_WRAP = true\n  CKA_UNWRAP = true\n}\n";
  }

  /** Removes the token directory if this fixture created it. */
  @Override
  public void close() {
    if (ownsDir) {
      TempDirs.deleteRecursively(dir);
    }
  }

  @Override
  public String toString() {
    return "SoftHSM2 token '" + label + "' (slot " + slot + ", SOFTHSM2_CONF=" + config + ")";
  }

  private static void writeConfig(Path config, Path tokens) {
    try {
      Files.writeString(config, "directories.tokendir = " + tokens + "\n"
          + "objectstore.backend = file\n"
          + "log.level = ERROR\n"
          + "slots.removable = false\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config + ": " + e.getMessage(), e);
    }
  }

  private static String randomPin() {
    byte[] bytes = new byte[12];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /** Reads the tool's log and removes the PINs the terminal echoed, rewriting the file without them. */
  private static String readAndScrub(Path log, String... secrets) {
    try {
      String text = Files.readString(log);
      for (String secret : secrets) {
        text = text.replace(secret, "********");
      }
      Files.writeString(log, text);
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + log + ": " + e.getMessage(), e);
    }
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\r?\n");
    return lines.length == 0 ? "(no output)" : lines[lines.length - 1].strip();
  }
}
