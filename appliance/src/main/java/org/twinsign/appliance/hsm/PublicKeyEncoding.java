package org.twinsign.appliance.hsm;

import java.util.Arrays;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/** Turns PKCS#11 public key attributes into DNSKEY public key fields. */
final class PublicKeyEncoding {
  private PublicKeyEncoding() {}

  /** RFC 3110: exponent length (1 byte, or 0 and 2 bytes), exponent, modulus. */
  static byte[] rsa(byte[] exponent, byte[] modulus) {
    int header = exponent.length < 256 ? 1 : 3;
    byte[] out = new byte[header + exponent.length + modulus.length];
    if (header == 1) {
      out[0] = (byte) exponent.length;
    } else {
      out[1] = (byte) (exponent.length >> 8);
      out[2] = (byte) exponent.length;
    }
    System.arraycopy(exponent, 0, out, header, exponent.length);
    System.arraycopy(modulus, 0, out, header + exponent.length, modulus.length);
    return out;
  }

  static DnssecAlgorithm algorithmOfCurve(byte[] ecParams, boolean edwards) {
    for (DnssecAlgorithm algorithm : DnssecAlgorithm.values()) {
      if (algorithm.curveOid() != null && Arrays.equals(algorithm.curveOid(), ecParams)
          && (algorithm.family() == DnssecAlgorithm.KeyFamily.EDWARDS) == edwards) {
        return algorithm;
      }
    }
    throw new HsmException("the key's curve is not one DNSSEC signs with here");
  }

  /**
   * CKA_EC_POINT is a DER OCTET STRING holding, for ECDSA, the uncompressed point 04||X||Y (RFC 6605
   * wants X||Y) and, for Ed25519, the 32-byte public key (RFC 8080 wants it as is).
   */
  static byte[] ecPoint(DnssecAlgorithm algorithm, byte[] der) {
    byte[] raw = unwrapOctetString(der);
    int n = algorithm.coordinateLength();
    if (algorithm.family() == DnssecAlgorithm.KeyFamily.EC) {
      if (raw.length == 2 * n + 1 && raw[0] == 0x04) {
        return Arrays.copyOfRange(raw, 1, raw.length);
      }
    } else if (raw.length == n) {
      return raw;
    }
    throw new HsmException("unexpected public key encoding for " + algorithm + " (" + raw.length + " bytes)");
  }

  /** A big-endian integer attribute without leading zero bytes (RFC 3110 wants none). */
  static byte[] unsigned(byte[] value) {
    int start = 0;
    while (start < value.length - 1 && value[start] == 0) {
      start++;
    }
    return start == 0 ? value : Arrays.copyOfRange(value, start, value.length);
  }

  /** The exponent and modulus of an RFC 3110 public key. */
  static byte[][] rsaParts(byte[] dnskey) {
    int header = dnskey[0] != 0 ? 1 : 3;
    int length = dnskey[0] != 0 ? dnskey[0] & 0xff : ((dnskey[1] & 0xff) << 8) | (dnskey[2] & 0xff);
    if (header + length >= dnskey.length) {
      throw new HsmException("the RSA public key is too short (" + dnskey.length + " bytes)");
    }
    return new byte[][] {Arrays.copyOfRange(dnskey, header, header + length),
        Arrays.copyOfRange(dnskey, header + length, dnskey.length)};
  }

  /** CKA_EC_POINT for a DNSKEY public key: a DER OCTET STRING of 04||X||Y (ECDSA) or of the key (Ed25519). */
  static byte[] ecPointDer(DnssecAlgorithm algorithm, byte[] dnskey) {
    byte[] raw = dnskey;
    if (algorithm.family() == DnssecAlgorithm.KeyFamily.EC) {
      raw = new byte[dnskey.length + 1];
      raw[0] = 0x04;
      System.arraycopy(dnskey, 0, raw, 1, dnskey.length);
    }
    if (raw.length > 127) {
      throw new HsmException("unexpected public key length for " + algorithm + " (" + dnskey.length + " bytes)");
    }
    byte[] der = new byte[raw.length + 2];
    der[0] = 0x04;
    der[1] = (byte) raw.length;
    System.arraycopy(raw, 0, der, 2, raw.length);
    return der;
  }

  /**
   * Whether {@code signature} (PKCS#11 form: r||s for ECDSA, as is for RSA and Ed25519) over
   * {@code data} verifies with the DNSKEY public key {@code dnskey}: checked outside the HSM.
   */
  static boolean verifies(DnssecAlgorithm algorithm, byte[] dnskey, byte[] data, byte[] signature) {
    try {
      java.security.PublicKey key = new org.xbill.DNS.DNSKEYRecord(org.xbill.DNS.Name.root, org.xbill.DNS.DClass.IN,
          0, 256, 3, algorithm.number(), dnskey).getPublicKey();
      String name = switch (algorithm) {
        case RSASHA256 -> "SHA256withRSA";
        case RSASHA512 -> "SHA512withRSA";
        case ECDSAP256SHA256 -> "SHA256withECDSAinP1363Format";
        case ECDSAP384SHA384 -> "SHA384withECDSAinP1363Format";
        case ED25519 -> "Ed25519";
      };
      java.security.Signature verifier = java.security.Signature.getInstance(name);
      verifier.initVerify(key);
      verifier.update(data);
      return verifier.verify(signature);
    } catch (java.security.GeneralSecurityException | org.xbill.DNS.DNSSEC.DNSSECException e) {
      return false;
    }
  }

  private static byte[] unwrapOctetString(byte[] der) {
    if (der.length < 2 || der[0] != 0x04) {
      return der;
    }
    int length = der[1] & 0xff;
    int offset = 2;
    if ((length & 0x80) != 0) {
      int count = length & 0x7f;
      length = 0;
      for (int i = 0; i < count; i++) {
        length = (length << 8) | (der[2 + i] & 0xff);
      }
      offset = 2 + count;
    }
    if (offset + length != der.length) {
      return der;
    }
    return Arrays.copyOfRange(der, offset, der.length);
  }
}
