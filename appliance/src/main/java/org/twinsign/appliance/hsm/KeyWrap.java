package org.twinsign.appliance.hsm;

import static org.twinsign.appliance.hsm.Pkcs11Constants.*;

import java.util.Arrays;
import java.util.List;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * A zone key moved between HSMs under the {@link KeyEncryptionKey}: AES key wrap with padding
 * (RFC 5649, CKM_AES_KEY_WRAP_PAD) of the private key, which never exists in clear outside an HSM.
 * The receiving HSM gets the key with the same CKA_ID and label, sensitive and extractable only
 * wrapped, plus its public key object made from the public key the store holds.
 *
 * <p>Unwrapping checks before it keeps anything: the KEK's check value must be the one the key was
 * wrapped under; the blob must open (RFC 5649's integrity check catches a changed byte); the key
 * must sign what its stored public key verifies (a blob swapped for another key's is caught). The
 * key is unwrapped as a session object and copied into the token only then, so a refused or
 * interrupted unwrap leaves nothing behind.
 */
public final class KeyWrap {
  private KeyWrap() {}

  /** A wrapped private key and the check value of the KEK it was wrapped under. */
  public record Wrapped(byte[] blob, String kek) {}

  /** Wraps {@code key}'s private key under the token's KEK. */
  public static Wrapped wrap(HsmToken token, HsmKey key) {
    return token.withObjectSession("wrapping key " + key.locator(), (module, session) -> {
      Long kek = KeyEncryptionKey.handle(module, session);
      if (kek == null) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds no key-encryption key, so key "
            + key.locator() + " cannot go to the standby: run 'twinsign kek generate'");
      }
      String check = KeyEncryptionKey.checkValue(module, session, kek);
      Long handle = privateHandle(module, session, key.locator());
      if (handle == null) {
        throw new HsmException("key " + key.locator() + " is not in token '" + token.tokenLabel() + "'");
      }
      try {
        return new Wrapped(module.C_WrapKey(session, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), kek, handle), check);
      } catch (PKCS11Exception e) {
        if (e.getErrorCode() == CKR_KEY_UNEXTRACTABLE) {
          throw new HsmException("key " + key.locator() + " in token '" + token.tokenLabel() + "' is not extractable"
              + " (made outside Twinsign, or while keysync was not wrap): it cannot go to the standby; roll it over"
              + " to a key made with keysync=wrap");
        }
        if (e.getErrorCode() == CKR_KEY_NOT_WRAPPABLE) {
          throw new HsmException("token '" + token.tokenLabel() + "' cannot wrap " + key.algorithm() + " keys (key "
              + key.locator() + "), so they cannot go to the standby's HSM: with keysync=wrap use an algorithm the"
              + " HSM wraps (SoftHSM 2.6 wraps RSA and ECDSA keys, not Ed25519), or keysync=shared");
        }
        throw e;
      }
    });
  }

  /**
   * Puts the wrapped key into {@code token} as {@code expected} says (locator, label, algorithm,
   * public key; its handle is ignored) and returns it as the token has it. A token that holds the
   * key already returns it unchanged; one that holds another key under the same CKA_ID refuses.
   */
  public static HsmKey unwrap(HsmToken token, Wrapped wrapped, HsmKey expected) {
    KeyLocator locator = expected.locator();
    boolean made = token.<Boolean>withObjectSession("unwrapping key " + locator, (module, session) -> {
      Long kek = KeyEncryptionKey.handle(module, session);
      if (kek == null) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds no key-encryption key, so key " + locator
            + " cannot be unwrapped here: provision it ('twinsign kek generate' on the other node, or the offline"
            + " steps of 'twinsign kek')");
      }
      String check = KeyEncryptionKey.checkValue(module, session, kek);
      if (!check.equals(wrapped.kek())) {
        throw new HsmException("key " + locator + " was wrapped under the key-encryption key with check value "
            + wrapped.kek() + ", but token '" + token.tokenLabel() + "' holds the one with check value " + check
            + ": the HSMs' KEKs differ ('twinsign kek status'); nothing unwrapped");
      }
      Long existing = privateHandle(module, session, locator);
      if (existing != null) {
        if (!proves(module, session, existing, expected)) {
          throw new HsmException("token '" + token.tokenLabel() + "' holds another key with CKA_ID " + locator
              + " (its signature does not verify with the stored public key): nothing unwrapped; remove it with the"
              + " HSM's tools if it is not needed");
        }
        ensurePublic(module, session, expected, token);
        return Boolean.FALSE;
      }
      long temporary;
      try {
        temporary = module.C_UnwrapKey(session, new CK_MECHANISM(CKM_AES_KEY_WRAP_PAD), kek, wrapped.blob(),
            privateTemplate(expected, false));
      } catch (PKCS11Exception e) {
        long code = e.getErrorCode();
        // SoftHSM answers a blob that fails RFC 5649's integrity check with CKR_GENERAL_ERROR
        if (code == CKR_WRAPPED_KEY_INVALID || code == CKR_ENCRYPTED_DATA_INVALID || code == CKR_GENERAL_ERROR || code == CKR_WRAPPED_KEY_LEN_RANGE
            || code == CKR_ENCRYPTED_DATA_LEN_RANGE || code == CKR_TEMPLATE_INCONSISTENT
            || code == CKR_ATTRIBUTE_VALUE_INVALID) {
          throw new HsmException("the wrapped key " + locator + " does not open under the key-encryption key ("
              + e.getMessage() + "): it was changed after it was wrapped; nothing unwrapped");
        }
        throw e;
      }
      try {
        if (!proves(module, session, temporary, expected)) {
          throw new HsmException("the wrapped key " + locator + " is not the key the store describes (its signature"
              + " does not verify with the stored public key): the store was tampered with; nothing unwrapped");
        }
        ensurePublic(module, session, expected, token);
        module.C_CopyObject(session, temporary, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_TOKEN, true)});
      } finally {
        module.C_DestroyObject(session, temporary);
      }
      return Boolean.TRUE;
    });
    HsmKey found = token.require(locator);
    if (!Arrays.equals(found.publicKey(), expected.publicKey())) {
      throw new HsmException("key " + locator + " in token '" + token.tokenLabel() + "' has a public key other than"
          + " the store's" + (made ? "" : " (it was there before)"));
    }
    return found;
  }

  private static Long privateHandle(PKCS11 module, long session, KeyLocator locator) throws PKCS11Exception {
    List<Long> found = HsmToken.findObjects(module, session, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_ID, locator.bytes()),
        new CK_ATTRIBUTE(CKA_TOKEN, true)});
    return found.isEmpty() ? null : found.get(0);
  }

  /** The public key object from the stored public key, unless the token has one; one that differs is refused. */
  private static void ensurePublic(PKCS11 module, long session, HsmKey expected, HsmToken token)
      throws PKCS11Exception {
    CK_ATTRIBUTE[] template = publicTemplate(expected);
    List<Long> found = HsmToken.findObjects(module, session, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY), new CK_ATTRIBUTE(CKA_ID, expected.locator().bytes())});
    for (long handle : found) {
      CK_ATTRIBUTE[] values = expected.algorithm().family() == DnssecAlgorithm.KeyFamily.RSA
          ? new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_MODULUS)} : new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_EC_POINT)};
      module.C_GetAttributeValue(session, handle, values);
      byte[] want = expected.algorithm().family() == DnssecAlgorithm.KeyFamily.RSA
          ? PublicKeyEncoding.rsaParts(expected.publicKey())[1] : PublicKeyEncoding.ecPointDer(expected.algorithm(),
              expected.publicKey());
      if (!Arrays.equals(PublicKeyEncoding.unsigned(values[0].getByteArray()),
          PublicKeyEncoding.unsigned(want))) {
        throw new HsmException("token '" + token.tokenLabel() + "' holds another public key with CKA_ID "
            + expected.locator() + ": nothing unwrapped; remove it with the HSM's tools if it is not needed");
      }
    }
    if (found.isEmpty()) {
      module.C_CreateObject(session, template);
    }
  }

  /** Whether the private key signs what the stored public key verifies. */
  private static boolean proves(PKCS11 module, long session, long privateKey, HsmKey expected)
      throws PKCS11Exception {
    byte[] challenge = new byte[32];
    new java.security.SecureRandom().nextBytes(challenge);
    HsmToken.SignInput in = HsmToken.SignInput.of(expected.algorithm(), challenge);
    byte[] signature;
    try {
      module.C_SignInit(session, new CK_MECHANISM(in.mechanism()), privateKey);
      signature = module.C_Sign(session, in.input());
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() == CKR_KEY_HANDLE_INVALID || e.getErrorCode() == 0x63 /* CKR_KEY_TYPE_INCONSISTENT */
          || e.getErrorCode() == 0x68 /* CKR_KEY_FUNCTION_NOT_PERMITTED */) {
        return false;
      }
      throw e;
    }
    return PublicKeyEncoding.verifies(expected.algorithm(), expected.publicKey(), challenge, signature);
  }

  private static CK_ATTRIBUTE[] privateTemplate(HsmKey key, boolean onToken) {
    return new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, keyType(key.algorithm())),
        new CK_ATTRIBUTE(CKA_TOKEN, onToken), new CK_ATTRIBUTE(CKA_PRIVATE, true), new CK_ATTRIBUTE(CKA_SIGN, true),
        new CK_ATTRIBUTE(CKA_SENSITIVE, true),
        // extractable only under wrap (sensitive), as on the master: this node may hand it on as master
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, true),
        new CK_ATTRIBUTE(CKA_ID, key.locator().bytes()), new CK_ATTRIBUTE(CKA_LABEL, key.label().toCharArray())};
  }

  private static CK_ATTRIBUTE[] publicTemplate(HsmKey key) {
    List<CK_ATTRIBUTE> t = new java.util.ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY), new CK_ATTRIBUTE(CKA_KEY_TYPE, keyType(key.algorithm())),
        new CK_ATTRIBUTE(CKA_TOKEN, true), new CK_ATTRIBUTE(CKA_VERIFY, true),
        new CK_ATTRIBUTE(CKA_ID, key.locator().bytes()), new CK_ATTRIBUTE(CKA_LABEL, key.label().toCharArray())));
    if (key.algorithm().family() == DnssecAlgorithm.KeyFamily.RSA) {
      byte[][] parts = PublicKeyEncoding.rsaParts(key.publicKey());
      t.add(new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, parts[0]));
      t.add(new CK_ATTRIBUTE(CKA_MODULUS, parts[1]));
    } else {
      t.add(new CK_ATTRIBUTE(CKA_EC_PARAMS, key.algorithm().curveOid()));
      t.add(new CK_ATTRIBUTE(CKA_EC_POINT, PublicKeyEncoding.ecPointDer(key.algorithm(), key.publicKey())));
    }
    return t.toArray(CK_ATTRIBUTE[]::new);
  }

  private static long keyType(DnssecAlgorithm algorithm) {
    return switch (algorithm.family()) {
      case RSA -> CKK_RSA;
      case EC -> CKK_EC;
      case EDWARDS -> CKK_EC_EDWARDS;
    };
  }
}
