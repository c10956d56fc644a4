package org.twinsign.appliance.hsm;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How a key is found in its HSM: the hex form of its CKA_ID, as OpenDNSSEC's {@code Locator}.
 * New locators are 16 random bytes.
 */
public record KeyLocator(String hex) {
  private static final SecureRandom RANDOM = new SecureRandom();

  public KeyLocator {
    hex = hex.trim().toLowerCase(Locale.ROOT);
    if (hex.isEmpty() || hex.length() % 2 != 0 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new IllegalArgumentException("'" + hex + "' is not a key locator: expected the hex CKA_ID printed by"
          + " 'hsm generate' or 'hsm list'");
    }
  }

  public static KeyLocator random() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return of(id);
  }

  public static KeyLocator of(byte[] id) {
    return new KeyLocator(HexFormat.of().formatHex(id));
  }

  public byte[] bytes() {
    return HexFormat.of().parseHex(hex);
  }

  @Override
  public String toString() {
    return hex;
  }
}
