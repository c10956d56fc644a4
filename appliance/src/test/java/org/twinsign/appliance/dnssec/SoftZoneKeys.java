package org.twinsign.appliance.dnssec;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.xbill.DNS.Name;

/** ECDSA P-256 zone keys held in the JVM, for unit tests of the signer that need no HSM. */
final class SoftZoneKeys {
  private SoftZoneKeys() {}

  static KeyPair generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The pair as a zone key of {@code origin} in {@code role} (DNSKEY TTL 3600). */
  static ZoneKey of(KeyPair pair, KeyRole role, Name origin) {
    ECPublicKey pub = (ECPublicKey) pair.getPublic();
    byte[] point = new byte[64];
    fixed(pub.getW().getAffineX(), point, 0);
    fixed(pub.getW().getAffineY(), point, 32);
    return ZoneKey.of("soft-" + Arrays.hashCode(point), role, origin, 3600, DnssecAlgorithm.ECDSAP256SHA256, point,
        data -> {
          try {
            Signature signature = Signature.getInstance("SHA256withECDSAinP1363Format");
            signature.initSign(pair.getPrivate());
            signature.update(data);
            return signature.sign();
          } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static void fixed(BigInteger value, byte[] out, int at) {
    byte[] bytes = value.toByteArray();
    int length = Math.min(bytes.length, 32);
    System.arraycopy(bytes, bytes.length - length, out, at + 32 - length, length);
  }
}
