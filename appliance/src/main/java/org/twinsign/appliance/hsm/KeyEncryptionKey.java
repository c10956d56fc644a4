package org.twinsign.appliance.hsm;

import static org.twinsign.appliance.hsm.Pkcs11Constants.*;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_RSA_PKCS_OAEP_PARAMS;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * The key-encryption key (KEK) that both nodes' HSMs hold: an AES-256 secret key under which zone
 * keys move from one HSM to the other ({@link KeyWrap}). It is known by its check value
 * ({@link #checkValue}), so two HSMs are compared without the key ever leaving either.
 *
 * <p>The ceremony ({@code twinsign kek generate}): the KEK is generated in one HSM, extractable for
 * now; the other HSM makes a one-time RSA-3072 transport key pair ({@link #transportKey}); the KEK
 * travels wrapped under the transport public key (RSA-OAEP, {@link #export}), is
 * unwrapped in the other HSM as never extractable ({@link #importWrapped}), the transport key pair
 * is destroyed, and once both HSMs show the same check value the first one's KEK is made
 * non-extractable too ({@link #seal}). No plaintext key exists outside an HSM at any step.
 */
public record KeyEncryptionKey(String checkValue, boolean extractable) {
  /** The KEK's CKA_LABEL (and CKA_ID). */
  public static final String LABEL = "twinsign-kek";
  /** The transport key pair's CKA_LABEL (and CKA_ID): it lives only during a ceremony. */
  static final String TRANSPORT_LABEL = "twinsign-kek-transport";
  private static final int TRANSPORT_BITS = 3072;

  /** The transport public key a receiving HSM hands out: RSA modulus and public exponent. */
  public record TransportKey(BigInteger modulus, BigInteger exponent) {
    /** As text for the admin endpoint and files: {@code modulus-hex:exponent-hex}. */
    public String encode() {
      return modulus.toString(16) + ":" + exponent.toString(16);
    }

    public static TransportKey decode(String text) {
      String[] parts = text.strip().split(":");
      if (parts.length != 2) {
        throw new HsmException("not a transport key (expected MODULUS:EXPONENT in hex)");
      }
      try {
        TransportKey key = new TransportKey(new BigInteger(parts[0], 16), new BigInteger(parts[1], 16));
        if (key.modulus.bitLength() < 2048) {
          throw new HsmException("the transport key has " + key.modulus.bitLength() + " bits: at least 2048 needed");
        }
        return key;
      } catch (NumberFormatException e) {
        throw new HsmException("not a transport key (expected MODULUS:EXPONENT in hex)");
      }
    }
  }

  /** Whether {@code locator} is the KEK's or the transport key's CKA_ID: never a zone key. */
  static boolean ceremonyObject(KeyLocator locator) {
    String prefix = java.util.HexFormat.of().formatHex(LABEL.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    return locator.hex().startsWith(prefix);
  }

  /** The KEK in {@code token}, if it has one. */
  public static Optional<KeyEncryptionKey> find(HsmToken token) {
    return token.withObjectSession("looking up the key-encryption key", (module, session) -> {
      Long handle = handle(module, session);
      return handle == null ? Optional.<KeyEncryptionKey>empty() : Optional.of(describe(module, session, handle));
    });
  }

  /** The KEK, or an error saying how to provision it. */
  public static KeyEncryptionKey require(HsmToken token) {
    return find(token).orElseThrow(() -> new HsmException("token '" + token.tokenLabel() + "' holds no key-encryption"
        + " key ('" + LABEL + "'): run 'twinsign kek generate' (or the offline steps of 'twinsign kek')"));
  }

  /** Generates the KEK in {@code token}, extractable until {@link #seal}; refused if the token has one. */
  public static KeyEncryptionKey generate(HsmToken token) {
    return token.withObjectSession("generating the key-encryption key", (module, session) -> {
      if (handle(module, session) != null) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds a key-encryption key already ('kek status'"
            + " shows it): nothing generated");
      }
      long made = module.C_GenerateKey(session, new CK_MECHANISM(CKM_AES_KEY_GEN), template(true,
          new CK_ATTRIBUTE(CKA_VALUE_LEN, 32L)));
      return describe(module, session, made);
    });
  }

  /**
   * Makes a one-time transport key pair in {@code token} (an earlier one is destroyed first) and
   * returns its public half, for the HSM that holds the KEK to wrap it under.
   */
  public static TransportKey transportKey(HsmToken token) {
    return token.withObjectSession("making a transport key", (module, session) -> {
      destroyTransport(module, session);
      CK_ATTRIBUTE[] publicTemplate = {
          new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_WRAP, true), new CK_ATTRIBUTE(CKA_ENCRYPT, false),
          new CK_ATTRIBUTE(CKA_VERIFY, false), new CK_ATTRIBUTE(CKA_MODULUS_BITS, (long) TRANSPORT_BITS),
          new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, new byte[] {1, 0, 1}),
          new CK_ATTRIBUTE(CKA_ID, TRANSPORT_LABEL.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
          new CK_ATTRIBUTE(CKA_LABEL, TRANSPORT_LABEL.toCharArray())};
      CK_ATTRIBUTE[] privateTemplate = {
          new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
          new CK_ATTRIBUTE(CKA_EXTRACTABLE, false), new CK_ATTRIBUTE(CKA_UNWRAP, true),
          new CK_ATTRIBUTE(CKA_DECRYPT, false), new CK_ATTRIBUTE(CKA_SIGN, false),
          new CK_ATTRIBUTE(CKA_ID, TRANSPORT_LABEL.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
          new CK_ATTRIBUTE(CKA_LABEL, TRANSPORT_LABEL.toCharArray())};
      long[] pair = module.C_GenerateKeyPair(session, new CK_MECHANISM(CKM_RSA_PKCS_KEY_PAIR_GEN), publicTemplate,
          privateTemplate);
      CK_ATTRIBUTE[] rsa = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
      module.C_GetAttributeValue(session, pair[0], rsa);
      return new TransportKey(new BigInteger(1, rsa[0].getByteArray()), new BigInteger(1, rsa[1].getByteArray()));
    });
  }

  /** The KEK of {@code token} wrapped under {@code transport} (RSA-OAEP): only the transport key's HSM can open it. */
  public static byte[] export(HsmToken token, TransportKey transport) {
    return token.withObjectSession("wrapping the key-encryption key for transport", (module, session) -> {
      Long kek = handle(module, session);
      if (kek == null) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds no key-encryption key to hand over");
      }
      long wrapping = module.C_CreateObject(session, new CK_ATTRIBUTE[] {
          new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_RSA),
          new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_WRAP, true),
          new CK_ATTRIBUTE(CKA_MODULUS, transport.modulus().toByteArray()),
          new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, transport.exponent().toByteArray())});
      try {
        return module.C_WrapKey(session, oaep(), wrapping, kek);
      } catch (PKCS11Exception e) {
        if (e.getErrorCode() == CKR_KEY_UNEXTRACTABLE) {
          throw new HsmException("the key-encryption key of token '" + token.tokenLabel() + "' is sealed (not"
              + " extractable): it cannot be handed over again; generate a new one for a new pair of HSMs");
        }
        throw e;
      }
    });
  }

  /**
   * Unwraps a KEK that {@link #export} wrapped under this token's transport key, as never
   * extractable, checks its check value against {@code expected} (the sender's), and destroys the
   * transport key pair. Nothing stays in the token if the check fails.
   */
  public static KeyEncryptionKey importWrapped(HsmToken token, byte[] wrapped, String expected) {
    return token.withObjectSession("importing the key-encryption key", (module, session) -> {
      if (handle(module, session) != null) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds a key-encryption key already: nothing"
            + " imported ('kek status' compares both nodes')");
      }
      Long transport = transportPrivate(module, session);
      if (transport == null) {
        throw new HsmException("token '" + token.tokenLabel() + "' has no transport key: the import must follow"
            + " the transport key made for it ('kek transport-key' makes a new one)");
      }
      long kek;
      try {
        kek = module.C_UnwrapKey(session, oaep(), transport, wrapped, template(false));
      } catch (PKCS11Exception e) {
        throw new HsmException("the wrapped key-encryption key does not open with this token's transport key ("
            + e.getMessage() + "): it was made for another transport key or changed on the way; nothing imported");
      }
      KeyEncryptionKey imported = describe(module, session, kek);
      if (!imported.checkValue().equals(expected)) {
        module.C_DestroyObject(session, kek);
        throw new HsmException("the imported key-encryption key has check value " + imported.checkValue()
            + ", the sender's has " + expected + ": not kept");
      }
      destroyTransport(module, session);
      return imported;
    });
  }

  /** Makes the KEK of {@code token} non-extractable for good: the ceremony is complete. */
  public static KeyEncryptionKey seal(HsmToken token) {
    return token.withObjectSession("sealing the key-encryption key", (module, session) -> {
      Long kek = handle(module, session);
      if (kek == null) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds no key-encryption key");
      }
      module.C_SetAttributeValue(session, kek, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_EXTRACTABLE, false)});
      return describe(module, session, kek);
    });
  }

  /** Destroys the KEK (tests, and an operator starting a ceremony over on a token): the zone keys stay. */
  public static boolean destroy(HsmToken token) {
    return token.withObjectSession("destroying the key-encryption key", (module, session) -> {
      Long kek = handle(module, session);
      if (kek != null) {
        module.C_DestroyObject(session, kek);
      }
      destroyTransport(module, session);
      return kek != null;
    });
  }

  /** The KEK's handle on {@code session}, or null. */
  static Long handle(PKCS11 module, long session) throws PKCS11Exception {
    List<Long> found = HsmToken.findObjects(module, session, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY),
        new CK_ATTRIBUTE(CKA_LABEL, LABEL.toCharArray())});
    if (found.size() > 1) {
      throw new HsmException("the token holds " + found.size() + " keys labelled '" + LABEL + "': remove all but"
          + " one with the HSM's own tools");
    }
    return found.isEmpty() ? null : found.get(0);
  }

  private static CK_ATTRIBUTE[] template(boolean extractable, CK_ATTRIBUTE... more) {
    List<CK_ATTRIBUTE> t = new ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES),
        new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SENSITIVE, true),
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, extractable), new CK_ATTRIBUTE(CKA_WRAP, true),
        new CK_ATTRIBUTE(CKA_UNWRAP, true), new CK_ATTRIBUTE(CKA_ENCRYPT, false), new CK_ATTRIBUTE(CKA_DECRYPT, false),
        new CK_ATTRIBUTE(CKA_SIGN, false), new CK_ATTRIBUTE(CKA_VERIFY, false),
        new CK_ATTRIBUTE(CKA_ID, LABEL.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
        new CK_ATTRIBUTE(CKA_LABEL, LABEL.toCharArray())));
    t.addAll(List.of(more));
    return t.toArray(CK_ATTRIBUTE[]::new);
  }

  private static KeyEncryptionKey describe(PKCS11 module, long session, long handle) throws PKCS11Exception {
    CK_ATTRIBUTE[] a = {new CK_ATTRIBUTE(CKA_EXTRACTABLE)};
    module.C_GetAttributeValue(session, handle, a);
    return new KeyEncryptionKey(checkValue(module, session, handle), a[0].getBoolean());
  }

  /**
   * The KEK's check value: the first three bytes of SHA-256 over the AES key wrap (RFC 5649, which
   * has no random IV) of a fixed all-zero AES-256 key. Vendors' CKA_CHECK_VALUE (AES-ECB of zeros)
   * would need the KEK to encrypt, and SoftHSM gives none for an unwrapped key; a wrap needs only
   * what a KEK may do, and every HSM that wraps computes the same value.
   */
  static String checkValue(PKCS11 module, long session, long kek) throws PKCS11Exception {
    long probe = module.C_CreateObject(session, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_SECRET_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, CKK_AES),
        new CK_ATTRIBUTE(CKA_TOKEN, false), new CK_ATTRIBUTE(CKA_SENSITIVE, false),
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, true), new CK_ATTRIBUTE(CKA_VALUE, new byte[32])});
    try {
      byte[] wrapped = module.C_WrapKey(session, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), kek, probe);
      return HexFormat.of().formatHex(Digests.digest("SHA-256", wrapped), 0, 3);
    } finally {
      module.C_DestroyObject(session, probe);
    }
  }

  private static Long transportPrivate(PKCS11 module, long session) throws PKCS11Exception {
    List<Long> found = HsmToken.findObjects(module, session, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY),
        new CK_ATTRIBUTE(CKA_LABEL, TRANSPORT_LABEL.toCharArray())});
    return found.isEmpty() ? null : found.get(0);
  }

  private static void destroyTransport(PKCS11 module, long session) throws PKCS11Exception {
    for (long handle : HsmToken.findObjects(module, session, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_LABEL, TRANSPORT_LABEL.toCharArray())})) {
      module.C_DestroyObject(session, handle);
    }
  }

  private static CK_MECHANISM oaep() {
    CK_RSA_PKCS_OAEP_PARAMS params = new CK_RSA_PKCS_OAEP_PARAMS();
    // SHA-1 is what SoftHSM 2.6 accepts for OAEP (it refuses SHA-256 with CKR_ARGUMENTS_BAD); OAEP
    // with SHA-1 is still sound for encryption, where SHA-1's collisions do not matter
    params.hashAlg = CKM_SHA_1;
    params.mgf = CKG_MGF1_SHA1;
    params.source = CKZ_DATA_SPECIFIED;
    params.pSourceData = null;
    CK_MECHANISM mechanism = new CK_MECHANISM(CKM_RSA_PKCS_OAEP);
    mechanism.pParameter = params;
    return mechanism;
  }
}
