package org.twinsign.appliance.dnssec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * NSEC3 hashing parameters (RFC 5155 §3.1.1–3.1.5) with RFC 9276's defaults: SHA-1, no extra
 * iterations, an empty salt. Opt-out leaves insecure delegations out of the chain.
 */
public record Nsec3Parameters(int iterations, byte[] salt, boolean optOut) {
  public static final int SHA1 = 1;
  private static final char[] BASE32HEX = "0123456789abcdefghijklmnopqrstuv".toCharArray();

  public Nsec3Parameters {
    if (iterations < 0 || iterations > 500) {
      throw new IllegalArgumentException("NSEC3 iterations must be 0..500 (RFC 9276 recommends 0), not "
          + iterations);
    }
    if (salt.length > 255) {
      throw new IllegalArgumentException("NSEC3 salt is at most 255 bytes");
    }
    salt = salt.clone();
  }

  /** RFC 9276: 0 extra iterations, empty salt. */
  public static Nsec3Parameters rfc9276(boolean optOut) {
    return new Nsec3Parameters(0, new byte[0], optOut);
  }

  /** Parses a salt given as hex, or "-" for none. */
  public static byte[] parseSalt(String text) {
    if (text == null || text.equals("-") || text.isEmpty()) {
      return new byte[0];
    }
    try {
      return HexFormat.of().parseHex(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("NSEC3 salt '" + text + "' is not hex (or '-' for none)");
    }
  }

  public int flags() {
    return optOut ? 1 : 0;
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  /** RFC 5155 §5: IH(salt, x, k). */
  public byte[] hash(org.xbill.DNS.Name name) {
    return hash(name, sha1());
  }

  /** As {@link #hash(org.xbill.DNS.Name)}, with a digest the caller reuses (not thread-safe). */
  byte[] hash(org.xbill.DNS.Name name, MessageDigest sha1) {
    sha1.update(name.toWireCanonical());
    sha1.update(salt);
    byte[] hash = sha1.digest();
    for (int i = 0; i < iterations; i++) {
      sha1.update(hash);
      sha1.update(salt);
      hash = sha1.digest();
    }
    return hash;
  }

  /** The unpadded base32hex (RFC 4648 §7) label of a hash. */
  public static String base32hex(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(BASE32HEX[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(BASE32HEX[(buffer << (5 - bits)) & 31]);
    }
    return out.toString();
  }

  static MessageDigest sha1() {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JDK", e);
    }
  }
}
