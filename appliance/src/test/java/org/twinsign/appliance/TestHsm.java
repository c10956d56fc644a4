package org.twinsign.appliance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.twinsign.testkit.SoftHsm2Token;
import org.twinsign.testkit.TempDirs;

/**
 * The SoftHSM tokens of this test JVM. SoftHSM reads {@code SOFTHSM2_CONF} once, when the module
 * is first loaded, and sees only the tokens that exist then: so every token the tests use is made
 * here, on first use, before any test loads the module.
 */
public final class TestHsm {
  public static final String PRIMARY = "twinsign-a";
  public static final String SECONDARY = "twinsign-b";
  /** Tokens for tests that start a KEK ceremony over (the two above share one KEK for all tests). */
  public static final String SPARE_A = "twinsign-c";
  public static final String SPARE_B = "twinsign-d";
  private static final Map<String, Path> CONFIGS = new LinkedHashMap<>();

  private TestHsm() {}

  /** The HSM config file (library, token, pin.file) of token {@code label}. */
  public static synchronized Path config(String label) {
    if (CONFIGS.isEmpty()) {
      createTokens();
    }
    Path config = CONFIGS.get(label);
    if (config == null) {
      throw new IllegalArgumentException("no test token " + label + "; there are " + CONFIGS.keySet());
    }
    return config;
  }

  /** The directory holding the tokens, the config files and the PIN files. */
  /** A new ECDSA P-256 KSK and ZSK in {@code token} (labels {@code label}-ksk, -zsk), as the signer uses them. */
  public static java.util.List<org.twinsign.appliance.dnssec.ZoneKey> kskAndZsk(
      org.twinsign.appliance.hsm.HsmToken token, org.xbill.DNS.Name origin, String label) {
    java.util.List<org.twinsign.appliance.dnssec.ZoneKey> keys = new java.util.ArrayList<>();
    for (org.twinsign.appliance.dnssec.KeyRole role : new org.twinsign.appliance.dnssec.KeyRole[] {
        org.twinsign.appliance.dnssec.KeyRole.KSK, org.twinsign.appliance.dnssec.KeyRole.ZSK}) {
      org.twinsign.appliance.hsm.HsmKey key = token.generate(
          org.twinsign.appliance.dnssec.DnssecAlgorithm.ECDSAP256SHA256, 0, label + "-" + role.name().toLowerCase());
      keys.add(org.twinsign.appliance.dnssec.ZoneKey.of(key.locator().hex(), role, origin, 3600, key.algorithm(),
          key.publicKey(), data -> token.sign(key, data)));
    }
    return keys;
  }

  /**
   * Makes sure both tokens hold the same key-encryption key, by the ceremony the product runs
   * ({@code kek generate}): generated in {@code from}, carried to {@code to} under a transport key,
   * then sealed.
   */
  public static synchronized void shareKek(org.twinsign.appliance.hsm.HsmToken from,
      org.twinsign.appliance.hsm.HsmToken to) {
    var a = org.twinsign.appliance.hsm.KeyEncryptionKey.find(from);
    var b = org.twinsign.appliance.hsm.KeyEncryptionKey.find(to);
    if (a.isPresent() && b.isPresent() && a.get().checkValue().equals(b.get().checkValue())) {
      return;
    }
    org.twinsign.appliance.hsm.KeyEncryptionKey.destroy(from);
    org.twinsign.appliance.hsm.KeyEncryptionKey.destroy(to);
    var made = org.twinsign.appliance.hsm.KeyEncryptionKey.generate(from);
    byte[] wrapped = org.twinsign.appliance.hsm.KeyEncryptionKey.export(from,
        org.twinsign.appliance.hsm.KeyEncryptionKey.transportKey(to));
    org.twinsign.appliance.hsm.KeyEncryptionKey.importWrapped(to, wrapped, made.checkValue());
    org.twinsign.appliance.hsm.KeyEncryptionKey.seal(from);
  }

  public static Path directory() {
    String conf = System.getenv("SOFTHSM2_CONF");
    if (conf == null) {
      throw new IllegalStateException("SOFTHSM2_CONF is not set: run the tests with Maven (the appliance pom sets it)");
    }
    return Path.of(conf).getParent();
  }

  private static void createTokens() {
    Path dir = directory();
    TempDirs.deleteRecursively(dir);
    TempDirs.ensure(dir);
    for (String label : new String[] {PRIMARY, SECONDARY, SPARE_A, SPARE_B}) {
      SoftHsm2Token token = SoftHsm2Token.create(dir, label, SoftHsm2Token.DEFAULT_LIBRARY);
      Path config = dir.resolve(label + ".conf");
      try {
        Files.writeString(config, "library=" + token.library() + "\ntoken=" + label + "\npin.file="
            + token.userPinFile().getFileName() + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      CONFIGS.put(label, config);
    }
  }
}
