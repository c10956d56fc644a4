package org.twinsign.appliance.hsm;

import static org.twinsign.appliance.hsm.Pkcs11Constants.*;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import sun.security.pkcs11.wrapper.CK_ATTRIBUTE;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.CK_MECHANISM;
import sun.security.pkcs11.wrapper.CK_TOKEN_INFO;
import sun.security.pkcs11.wrapper.PKCS11;
import sun.security.pkcs11.wrapper.PKCS11Exception;

/**
 * A logged-in PKCS#11 token: generates, finds, lists and deletes DNSSEC key pairs, and signs with
 * them from several threads at once, each signature on a session of its own.
 *
 * <p>It talks to the module through the JDK's own PKCS#11 wrapper (the SunPKCS11 provider's
 * {@code sun.security.pkcs11.wrapper}), because JCA can neither set CKA_ID/CKA_LABEL on a
 * generated key nor reach a private key that has no certificate; and ECDSA through
 * {@code CKM_ECDSA} returns r||s, which is already the DNS wire form. Lifecycle: {@link #open}
 * → use → {@link #close}.
 */
public final class HsmToken implements KeyRepository {
  private static final byte[] RSA_EXPONENT = {0x01, 0x00, 0x01};

  private final HsmConfig config;
  private final PKCS11 module;
  private final long slot;
  private final long adminSession;
  private final BlockingQueue<Long> signingSessions;
  private final List<Long> allSessions = new ArrayList<>();
  private volatile boolean closed;

  private HsmToken(HsmConfig config, PKCS11 module, long slot, long adminSession, int signingSessions) {
    this.config = config;
    this.module = module;
    this.slot = slot;
    this.adminSession = adminSession;
    this.signingSessions = new ArrayBlockingQueue<>(Math.max(1, signingSessions));
    allSessions.add(adminSession);
  }

  /**
   * Loads the module, finds the token by label, logs in with the configured PIN and opens
   * {@code signingSessions} sessions for parallel signing.
   */
  public static HsmToken open(HsmConfig config, int signingSessions) {
    PKCS11 module = loadModule(config);
    long slot = findSlot(module, config);
    long session;
    try {
      session = module.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
    } catch (PKCS11Exception e) {
      throw new HsmException("cannot open a session on token '" + config.tokenLabel() + "': " + e.getMessage(), e);
    }
    HsmToken token = new HsmToken(config, module, slot, session, signingSessions);
    try {
      token.login();
      for (int i = 0; i < Math.max(1, signingSessions); i++) {
        long signing = module.C_OpenSession(slot, CKF_SERIAL_SESSION, null, null);
        token.allSessions.add(signing);
        token.signingSessions.add(signing);
      }
      return token;
    } catch (PKCS11Exception e) {
      token.close();
      throw new HsmException("cannot open signing sessions on token '" + config.tokenLabel() + "': "
          + e.getMessage(), e);
    } catch (RuntimeException e) {
      token.close();
      throw e;
    }
  }

  @Override
  public String describe() {
    return toString();
  }

  public String tokenLabel() {
    return config.tokenLabel();
  }

  public long slot() {
    return slot;
  }

  /** Generates a key pair for {@code algorithm} on the token; {@code bits} matters for RSA only. */
  @Override
  public HsmKey generate(DnssecAlgorithm algorithm, int bits, String label) {
    checkOpen();
    KeyRequests.check(algorithm, bits, label);
    KeyLocator locator = KeyLocator.random();
    List<CK_ATTRIBUTE> pub = new ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_TOKEN, true),
        new CK_ATTRIBUTE(CKA_VERIFY, true),
        new CK_ATTRIBUTE(CKA_ID, locator.bytes()),
        new CK_ATTRIBUTE(CKA_LABEL, label.toCharArray())));
    List<CK_ATTRIBUTE> priv = new ArrayList<>(List.of(
        new CK_ATTRIBUTE(CKA_TOKEN, true),
        new CK_ATTRIBUTE(CKA_PRIVATE, true),
        new CK_ATTRIBUTE(CKA_SIGN, true),
        new CK_ATTRIBUTE(CKA_SENSITIVE, true),
        // extractable only under wrap (sensitive): keys move to the standby's HSM wrapped
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, true),
        new CK_ATTRIBUTE(CKA_ID, locator.bytes()),
        new CK_ATTRIBUTE(CKA_LABEL, label.toCharArray())));
    long mechanism;
    switch (algorithm.family()) {
      case RSA:
        mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        pub.add(new CK_ATTRIBUTE(CKA_MODULUS_BITS, (long) bits));
        pub.add(new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT, RSA_EXPONENT));
        break;
      case EC:
        mechanism = CKM_EC_KEY_PAIR_GEN;
        pub.add(new CK_ATTRIBUTE(CKA_EC_PARAMS, algorithm.curveOid()));
        break;
      default:
        mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
        pub.add(new CK_ATTRIBUTE(CKA_EC_PARAMS, algorithm.curveOid()));
        break;
    }
    synchronized (this) {
      try {
        module.C_GenerateKeyPair(adminSession, new CK_MECHANISM(mechanism), pub.toArray(CK_ATTRIBUTE[]::new),
            priv.toArray(CK_ATTRIBUTE[]::new));
      } catch (PKCS11Exception e) {
        long code = e.getErrorCode();
        if (code == CKR_MECHANISM_INVALID || code == CKR_CURVE_NOT_SUPPORTED || code == CKR_TEMPLATE_INCONSISTENT
            || code == CKR_ATTRIBUTE_VALUE_INVALID) {
          throw new HsmException("token '" + config.tokenLabel() + "' cannot generate " + algorithm + " keys ("
              + e.getMessage() + "): choose another algorithm", e);
        }
        throw new HsmException("key generation on token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
      }
    }
    return find(locator).orElseThrow(() -> new HsmException("generated key " + locator + " not found again"));
  }

  /** The key pair with this locator, if the token holds its private key. */
  @Override
  public Optional<HsmKey> find(KeyLocator locator) {
    checkOpen();
    List<Long> handles = findObjects(new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_ID, locator.bytes())});
    if (handles.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(describe(handles.get(0)));
  }

  /** Every DNSSEC-usable key pair on the token, in locator order. */
  @Override
  public List<HsmKey> list() {
    checkOpen();
    List<HsmKey> keys = new ArrayList<>();
    for (long handle : findObjects(new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY)})) {
      try {
        keys.add(describe(handle));
      } catch (HsmException e) {
        // not a DNSSEC key (another curve, no public half): not ours to list
      }
    }
    keys.sort((a, b) -> a.locator().hex().compareTo(b.locator().hex()));
    return keys;
  }

  /** One search for every private key and one attribute read each: far cheaper than a find per key. */
  @Override
  public java.util.Set<KeyLocator> locators() {
    checkOpen();
    java.util.Set<KeyLocator> locators = new java.util.HashSet<>();
    for (long handle : findObjects(new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY)})) {
      CK_ATTRIBUTE[] id = {new CK_ATTRIBUTE(CKA_ID)};
      getAttributes(handle, id);
      if (id[0].getByteArray() != null && id[0].getByteArray().length > 0) {
        locators.add(KeyLocator.of(id[0].getByteArray()));
      }
    }
    return locators;
  }

  /** Deletes both halves of the key pair; false if there was none. */
  @Override
  public boolean delete(KeyLocator locator) {
    checkOpen();
    List<Long> handles = findObjects(new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_ID, locator.bytes())});
    synchronized (this) {
      for (long handle : handles) {
        try {
          module.C_DestroyObject(adminSession, handle);
        } catch (PKCS11Exception e) {
          throw new HsmException("cannot delete key " + locator + ": " + e.getMessage(), e);
        }
      }
    }
    return !handles.isEmpty();
  }

  /**
   * Signs {@code data} with the private key, per the key's algorithm: ECDSA and RSA over the
   * digest made here (so only the digest crosses into the token), Ed25519 over the data itself.
   * Returns the signature in DNS wire form. Thread-safe: each call borrows a session.
   */
  @Override
  public byte[] sign(HsmKey key, byte[] data) {
    DnssecAlgorithm algorithm = key.algorithm();
    byte[] input;
    long mechanism;
    switch (algorithm.family()) {
      case EC:
        input = Digests.digest(algorithm.digest(), data);
        mechanism = CKM_ECDSA;
        break;
      case RSA:
        byte[] prefix = algorithm.digestInfoPrefix();
        byte[] digest = Digests.digest(algorithm.digest(), data);
        input = Arrays.copyOf(prefix, prefix.length + digest.length);
        System.arraycopy(digest, 0, input, prefix.length, digest.length);
        mechanism = CKM_RSA_PKCS;
        break;
      default:
        input = data;
        mechanism = CKM_EDDSA;
        break;
    }
    long session = borrow();
    try {
      module.C_SignInit(session, new CK_MECHANISM(mechanism), key.privateHandle());
      return module.C_Sign(session, input);
    } catch (PKCS11Exception e) {
      throw new HsmException("signing with key " + key.locator() + " failed: " + e.getMessage(), e);
    } finally {
      signingSessions.add(session);
    }
  }

  /** Closes this token's sessions. The module stays loaded (the JDK keeps it for the process). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (long session : allSessions) {
      try {
        module.C_CloseSession(session);
      } catch (PKCS11Exception e) {
        // already gone with the token
      }
    }
  }

  @Override
  public String toString() {
    return "token '" + config.tokenLabel() + "' (slot " + slot + ", " + config.library() + ")";
  }

  private void login() {
    char[] pin = config.pin().read();
    try {
      module.C_Login(adminSession, CKU_USER, pin);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() == CKR_USER_ALREADY_LOGGED_IN) {
        return;
      }
      if (e.getErrorCode() == CKR_PIN_INCORRECT) {
        throw new HsmException("login to token '" + config.tokenLabel() + "' failed: the PIN (" + config.pin()
            + ") is incorrect");
      }
      if (e.getErrorCode() == CKR_PIN_LOCKED) {
        throw new HsmException("token '" + config.tokenLabel() + "' has locked its user PIN: the security officer"
            + " must unlock it");
      }
      throw new HsmException("login to token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private long borrow() {
    checkOpen();
    try {
      return signingSessions.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException("interrupted while waiting for a signing session", e);
    }
  }

  private synchronized List<Long> findObjects(CK_ATTRIBUTE[] template) {
    List<Long> found = new ArrayList<>();
    try {
      module.C_FindObjectsInit(adminSession, template);
      try {
        while (true) {
          long[] batch = module.C_FindObjects(adminSession, 64);
          if (batch == null || batch.length == 0) {
            break;
          }
          for (long handle : batch) {
            found.add(handle);
          }
        }
      } finally {
        module.C_FindObjectsFinal(adminSession);
      }
    } catch (PKCS11Exception e) {
      throw new HsmException("searching token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
    }
    return found;
  }

  private HsmKey describe(long privateHandle) {
    CK_ATTRIBUTE[] attributes = {new CK_ATTRIBUTE(CKA_ID), new CK_ATTRIBUTE(CKA_LABEL),
        new CK_ATTRIBUTE(CKA_KEY_TYPE)};
    getAttributes(privateHandle, attributes);
    byte[] id = attributes[0].getByteArray();
    char[] labelChars = attributes[1].getCharArray();
    String label = labelChars == null ? "" : new String(labelChars);
    long keyType = attributes[2].getLong();
    KeyLocator locator = KeyLocator.of(id == null ? new byte[0] : id);
    List<Long> publics = findObjects(new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY), new CK_ATTRIBUTE(CKA_ID, id)});
    if (publics.isEmpty()) {
      throw new HsmException("key " + locator + " has no public key object on the token");
    }
    long publicHandle = publics.get(0);
    if (keyType == CKK_RSA) {
      CK_ATTRIBUTE[] rsa = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
      getAttributes(publicHandle, rsa);
      byte[] modulus = unsigned(rsa[0].getByteArray());
      byte[] exponent = unsigned(rsa[1].getByteArray());
      return new HsmKey(locator, label, DnssecAlgorithm.RSASHA256, modulus.length * 8,
          PublicKeyEncoding.rsa(exponent, modulus), privateHandle);
    }
    if (keyType == CKK_EC || keyType == CKK_EC_EDWARDS) {
      CK_ATTRIBUTE[] ec = {new CK_ATTRIBUTE(CKA_EC_PARAMS), new CK_ATTRIBUTE(CKA_EC_POINT)};
      getAttributes(publicHandle, ec);
      DnssecAlgorithm algorithm = PublicKeyEncoding.algorithmOfCurve(ec[0].getByteArray(), keyType == CKK_EC_EDWARDS);
      byte[] point = PublicKeyEncoding.ecPoint(algorithm, ec[1].getByteArray());
      return new HsmKey(locator, label, algorithm, algorithm.coordinateLength() * 8, point, privateHandle);
    }
    throw new HsmException("key " + locator + " has key type " + keyType + ", which DNSSEC does not use here");
  }

  private synchronized void getAttributes(long handle, CK_ATTRIBUTE[] attributes) {
    try {
      module.C_GetAttributeValue(adminSession, handle, attributes);
    } catch (PKCS11Exception e) {
      throw new HsmException("reading key attributes failed: " + e.getMessage(), e);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new HsmException(this + " is closed");
    }
  }

  /** A big-endian integer attribute without leading zero bytes (RFC 3110 wants none). */
  private static byte[] unsigned(byte[] value) {
    int start = 0;
    while (start < value.length - 1 && value[start] == 0) {
      start++;
    }
    return start == 0 ? value : Arrays.copyOfRange(value, start, value.length);
  }

  private static PKCS11 loadModule(HsmConfig config) {
    if (!Files.isRegularFile(config.library())) {
      throw new HsmException("PKCS#11 library " + config.library() + " (library= in " + config.source()
          + ") does not exist: install your HSM's PKCS#11 module (for SoftHSM: apt-get install softhsm2)");
    }
    CK_C_INITIALIZE_ARGS args = new CK_C_INITIALIZE_ARGS();
    // the module may be called from several threads; it brings its own locks
    args.flags = CKF_OS_LOCKING_OK;
    try {
      return PKCS11.getInstance(config.library().toString(), "C_GetFunctionList", args, false);
    } catch (IOException | PKCS11Exception e) {
      throw new HsmException("cannot load PKCS#11 library " + config.library() + ": " + e.getMessage(), e);
    }
  }

  private static long findSlot(PKCS11 module, HsmConfig config) {
    List<String> seen = new ArrayList<>();
    try {
      for (long slot : module.C_GetSlotList(true)) {
        CK_TOKEN_INFO info = module.C_GetTokenInfo(slot);
        if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) {
          continue;
        }
        String label = new String(info.label).trim();
        if (label.equals(config.tokenLabel())) {
          return slot;
        }
        seen.add("'" + label + "'");
      }
    } catch (PKCS11Exception e) {
      throw new HsmException("cannot list the slots of " + config.library() + ": " + e.getMessage(), e);
    }
    throw new HsmException("no token labelled '" + config.tokenLabel() + "' (token= in " + config.source()
        + ") in " + config.library() + "; tokens present: " + (seen.isEmpty() ? "none" : String.join(", ", seen))
        + ". For SoftHSM, check SOFTHSM2_CONF (" + System.getenv("SOFTHSM2_CONF") + ")");
  }
}
