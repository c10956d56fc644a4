package org.twinsign.appliance.dnssec;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The DNSSEC signing algorithms Twinsign signs with (IANA "DNS Security Algorithm Numbers";
 * RFC 5702, RFC 6605, RFC 8080), and what each needs from a PKCS#11 token.
 */
public enum DnssecAlgorithm {
  RSASHA256(8, KeyFamily.RSA, "SHA-256", "3031300d060960864801650304020105000420", null, 0),
  RSASHA512(10, KeyFamily.RSA, "SHA-512", "3051300d060960864801650304020305000440", null, 0),
  ECDSAP256SHA256(13, KeyFamily.EC, "SHA-256", null, "06082a8648ce3d030107", 32),
  ECDSAP384SHA384(14, KeyFamily.EC, "SHA-384", null, "06052b81040022", 48),
  ED25519(15, KeyFamily.EDWARDS, null, null, "06032b6570", 32);

  /** How the token stores and uses the key. */
  public enum KeyFamily { RSA, EC, EDWARDS }

  private final int number;
  private final KeyFamily family;
  private final String digest;
  private final byte[] digestInfoPrefix;
  private final byte[] curveOid;
  private final int coordinateLength;

  DnssecAlgorithm(int number, KeyFamily family, String digest, String digestInfoPrefix, String curveOid,
      int coordinateLength) {
    this.number = number;
    this.family = family;
    this.digest = digest;
    this.digestInfoPrefix = digestInfoPrefix == null ? null : HexFormat.of().parseHex(digestInfoPrefix);
    this.curveOid = curveOid == null ? null : HexFormat.of().parseHex(curveOid);
    this.coordinateLength = coordinateLength;
  }

  /** The algorithm number in DNSKEY, RRSIG and DS records. */
  public int number() {
    return number;
  }

  public KeyFamily family() {
    return family;
  }

  /** The JCA digest the signature is made over, or null when the token signs the whole message (Ed25519). */
  public String digest() {
    return digest;
  }

  /** RFC 8017 DigestInfo prefix for RSA PKCS#1 v1.5 signatures made from a digest. */
  public byte[] digestInfoPrefix() {
    return digestInfoPrefix == null ? null : digestInfoPrefix.clone();
  }

  /** DER-encoded curve OID for CKA_EC_PARAMS (EC and Edwards keys). */
  public byte[] curveOid() {
    return curveOid == null ? null : curveOid.clone();
  }

  /** Bytes per coordinate (ECDSA) or public key length (Ed25519); 0 for RSA. */
  public int coordinateLength() {
    return coordinateLength;
  }

  /** Parses a mnemonic (case-insensitive) or number, with a message listing the choices. */
  public static DnssecAlgorithm parse(String text) {
    String wanted = text.trim().toUpperCase(Locale.ROOT).replace("-", "");
    for (DnssecAlgorithm algorithm : values()) {
      if (algorithm.name().equals(wanted) || Integer.toString(algorithm.number).equals(wanted)) {
        return algorithm;
      }
    }
    throw new IllegalArgumentException("unknown DNSSEC algorithm '" + text + "': use one of "
        + Arrays.stream(values()).map(a -> a.name() + " (" + a.number + ")").collect(Collectors.joining(", ")));
  }

  /**
   * Whether DNSSEC algorithm {@code number} is an RSA one (RSASHA1, RSASHA1-NSEC3-SHA1, RSASHA256,
   * RSASHA512), whose keys come in several sizes; also for numbers not signed with here.
   */
  public static boolean isRsa(int number) {
    return number == 5 || number == 7 || number == 8 || number == 10;
  }

  /** The algorithm with this number. */
  public static DnssecAlgorithm ofNumber(int number) {
    for (DnssecAlgorithm algorithm : values()) {
      if (algorithm.number == number) {
        return algorithm;
      }
    }
    throw new IllegalArgumentException("DNSSEC algorithm " + number + " is not supported for signing");
  }
}
