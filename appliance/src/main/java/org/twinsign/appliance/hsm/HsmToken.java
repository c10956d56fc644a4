package org.twinsign.appliance.hsm;

import static org.twinsign.appliance.hsm.Pkcs11Constants.*;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 *
 * <p>Sessions that die under a running process (the HSM restarted, the token logged out, its
 * sessions closed) are reopened and logged in again once, and the call retried; key generation
 * runs on a session of its own, so it holds up neither searches nor signing.
 */
public final class HsmToken implements KeyRepository {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HsmToken.class);
  private static final byte[] RSA_EXPONENT = {0x01, 0x00, 0x01};

  /** How long {@link #close} waits for signings in progress to give their sessions back. */
  private static final long CLOSE_WAIT_SECONDS = 30;

  private final HsmConfig config;
  private final PKCS11 module;
  private final int signingCount;
  /**
   * SoftHSM's file object store is not safe while an object is being written: a search, an
   * attribute read or a signature in another thread can read the half-written file and fail
   * (CKR_GENERAL_ERROR), and so can a second generation. So object writes (generation, deletion)
   * are exclusive, and every read (searches, attribute reads, signing) shares the lock; uncontended
   * that costs far less than a signature.
   */
  private final java.util.concurrent.locks.ReentrantReadWriteLock objects =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  /** The sessions in use; replaced as a whole when the token must be reopened. */
  private volatile Sessions sessions;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * One generation of sessions: the slot the token was found in, a read-write session for
   * searches and deletions (guarded by its own lock), and a pool of signing sessions.
   */
  private static final class Sessions {
    final int generation;
    final long slot;
    final long admin;
    final BlockingQueue<Long> signing;
    final List<Long> all = new ArrayList<>();
    /** Private-key handles looked up on these sessions (after a reopen, old handles mean nothing). */
    final java.util.Map<KeyLocator, Long> handles = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Keys found or made on these sessions. A search costs time linear in the token's objects
     * (SoftHSM reads its store anew), a check of one handle does not: a key is taken from here
     * once its handle still shows its CKA_ID.
     */
    final java.util.Map<KeyLocator, HsmKey> keys = new java.util.concurrent.ConcurrentHashMap<>();
    /** Replaced by newer sessions: signing sessions are closed as they come back, not under a signer. */
    volatile boolean retired;

    Sessions(int generation, long slot, long admin, int signingCount) {
      this.generation = generation;
      this.slot = slot;
      this.admin = admin;
      this.signing = new ArrayBlockingQueue<>(signingCount);
      all.add(admin);
    }
  }

  private HsmToken(HsmConfig config, PKCS11 module, int signingCount) {
    this.config = config;
    this.module = module;
    this.signingCount = Math.max(1, signingCount);
  }

  /**
   * Loads the module, finds the token by label, logs in with the configured PIN and opens
   * {@code signingSessions} sessions for parallel signing.
   */
  public static HsmToken open(HsmConfig config, int signingSessions) {
    HsmToken token = new HsmToken(config, loadModule(config), signingSessions);
    token.sessions = token.openSessions(0);
    return token;
  }

  /** Finds the token's slot, opens the sessions and logs in; on failure nothing stays open. */
  private Sessions openSessions(int generation) {
    long slot = findSlot(module, config);
    long admin;
    try {
      admin = module.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
    } catch (PKCS11Exception e) {
      throw new HsmException("cannot open a session on token '" + config.tokenLabel() + "': " + e.getMessage(), e);
    }
    Sessions opened = new Sessions(generation, slot, admin, signingCount);
    try {
      login(admin);
      for (int i = 0; i < signingCount; i++) {
        long signing = module.C_OpenSession(slot, CKF_SERIAL_SESSION, null, null);
        opened.all.add(signing);
        opened.signing.add(signing);
      }
      return opened;
    } catch (PKCS11Exception e) {
      closeAll(opened);
      throw new HsmException("cannot open signing sessions on token '" + config.tokenLabel() + "': "
          + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  /**
   * Whether an error says the sessions are gone rather than the request was wrong: the token was
   * restarted, logged out, or its sessions were closed under us. Such a token is reopened (and
   * logged in again) once, and the request retried.
   */
  private static boolean sessionsGone(PKCS11Exception e) {
    long code = e.getErrorCode();
    return code == CKR_SESSION_HANDLE_INVALID || code == CKR_SESSION_CLOSED || code == CKR_USER_NOT_LOGGED_IN
        || code == CKR_TOKEN_NOT_PRESENT || code == CKR_DEVICE_REMOVED || code == CKR_DEVICE_ERROR;
  }

  /** Replaces {@code broken} with new sessions, unless another thread already did. */
  private synchronized void reopen(Sessions broken, PKCS11Exception cause) {
    checkOpen();
    if (sessions != broken) {
      return;
    }
    LOG.warn("token '{}' lost its sessions ({}): reopening and logging in again", config.tokenLabel(),
        cause.getMessage());
    // a session another thread is signing on is closed when it comes back (signOn), never under it
    broken.retired = true;
    synchronized (broken) {
      closeQuietly(broken.admin);
    }
    for (Long idle = broken.signing.poll(); idle != null; idle = broken.signing.poll()) {
      closeQuietly(idle);
    }
    sessions = openSessions(broken.generation + 1);
  }

  /**
   * Fails as "not logged in" (so that the sessions are reopened and the call tried again) when the
   * session lost its login: a token that restarted under us, or lost its storage for a moment, may
   * keep the session but show no private object, and a search would find nothing rather than fail.
   */
  private void requireLogin(long session) throws PKCS11Exception {
    long state = module.C_GetSessionInfo(session).state;
    if (state != CKS_RO_USER_FUNCTIONS && state != CKS_RW_USER_FUNCTIONS) {
      throw new PKCS11Exception(CKR_USER_NOT_LOGGED_IN, "the session is not logged in (state " + state + ")");
    }
  }

  /** A PKCS#11 call on the current sessions, retried once on new sessions if the old ones are gone. */
  @FunctionalInterface
  private interface Call<T> {
    T on(Sessions sessions) throws PKCS11Exception;
  }

  private <T> T withSessions(Call<T> call) throws PKCS11Exception {
    checkOpen();
    Sessions current = sessions;
    try {
      return call.on(current);
    } catch (PKCS11Exception e) {
      if (!sessionsGone(e)) {
        throw e;
      }
      reopen(current, e);
      return call.on(sessions);
    }
  }

  /**
   * What a PKCS#11 signature is made over for {@code algorithm}: ECDSA and RSA over the digest made
   * here (so only the digest crosses into the token), Ed25519 over the data itself.
   */
  record SignInput(long mechanism, byte[] input) {
    static SignInput of(DnssecAlgorithm algorithm, byte[] data) {
      switch (algorithm.family()) {
        case EC:
          return new SignInput(CKM_ECDSA, Digests.digest(algorithm.digest(), data));
        case RSA:
          byte[] prefix = algorithm.digestInfoPrefix();
          byte[] digest = Digests.digest(algorithm.digest(), data);
          byte[] input = Arrays.copyOf(prefix, prefix.length + digest.length);
          System.arraycopy(digest, 0, input, prefix.length, digest.length);
          return new SignInput(CKM_RSA_PKCS, input);
        default:
          return new SignInput(CKM_EDDSA, data);
      }
    }
  }

  /** Work on the token's objects for this package's other classes (key wrap, the KEK). */
  @FunctionalInterface
  interface ObjectCall<T> {
    T on(PKCS11 module, long session) throws PKCS11Exception;
  }

  /**
   * Runs {@code call} on a read-write session of its own, logged in, with the object store to
   * itself (see {@link #objects}); the session and the session objects made on it end with the
   * call. A PKCS#11 error becomes an {@link HsmException} saying what was being done. (Keys this
   * token remembers are checked by handle before use: one the call destroyed is not used.)
   */
  <T> T withObjectSession(String what, ObjectCall<T> call) {
    checkOpen();
    objects.writeLock().lock();
    try {
      return withSessions(current -> {
        long session = module.C_OpenSession(current.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
        try {
          requireLogin(session);
          return call.on(module, session);
        } finally {
          closeQuietly(session);
        }
      });
    } catch (PKCS11Exception e) {
      throw new HsmException(what + " on token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
    } finally {
      objects.writeLock().unlock();
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
    return sessions.slot;
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
        // extractable only under wrap (sensitive), and only where keys move to the standby's HSM wrapped
        new CK_ATTRIBUTE(CKA_EXTRACTABLE, config.wrappableKeys()),
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
    long generation = mechanism;
    HsmKey made;
    try {
      // a session of its own, and the object store to itself (see objects)
      objects.writeLock().lock();
      try {
        made = withSessions(current -> {
          long session = module.C_OpenSession(current.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
          long[] pair;
          try {
            pair = module.C_GenerateKeyPair(session, new CK_MECHANISM(generation), pub.toArray(CK_ATTRIBUTE[]::new),
                priv.toArray(CK_ATTRIBUTE[]::new));
          } finally {
            closeQuietly(session);
          }
          // the handles are the application's, not the session's: described without a search
          HsmKey key = describe(current, pair[1], found -> pair[0]);
          current.keys.put(locator, key);
          return key;
        });
      } finally {
        objects.writeLock().unlock();
      }
    } catch (PKCS11Exception e) {
      long code = e.getErrorCode();
      if (code == CKR_MECHANISM_INVALID || code == CKR_CURVE_NOT_SUPPORTED || code == CKR_TEMPLATE_INCONSISTENT
          || code == CKR_ATTRIBUTE_VALUE_INVALID) {
        throw new HsmException("token '" + config.tokenLabel() + "' cannot generate " + algorithm + " keys ("
            + e.getMessage() + "): choose another algorithm", e);
      }
      throw new HsmException("key generation on token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
    }
    return made;
  }

  /** The key pair with this locator, if the token holds its private key. */
  @Override
  public Optional<HsmKey> find(KeyLocator locator) {
    checkOpen();
    // the search and the attribute reads on one generation of sessions: handles mean nothing on another
    return onSessions("looking up key " + locator, current -> {
      HsmKey known = current.keys.get(locator);
      if (known != null && stillThere(current, known)) {
        return Optional.of(known);
      }
      current.keys.remove(locator);
      List<Long> handles = findOn(current, new CK_ATTRIBUTE[] {
          new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_ID, locator.bytes())});
      if (handles.isEmpty()) {
        synchronized (current) {
          requireLogin(current.admin); // a token that lost our login shows no private key: not "missing"
        }
        return Optional.<HsmKey>empty();
      }
      HsmKey key = describe(current, handles.get(0));
      current.keys.put(locator, key);
      return Optional.of(key);
    });
  }

  /** Every DNSSEC-usable key pair on the token, in locator order. */
  @Override
  public List<HsmKey> list() {
    checkOpen();
    List<HsmKey> keys = onSessions("listing keys", current -> {
      // the public halves by CKA_ID from one search: a search per key reads the whole token each time
      // in SoftHSM, which made a listing of a few hundred keys take tens of seconds
      Map<KeyLocator, Long> publics = new java.util.HashMap<>();
      for (long handle : findOn(current, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY)})) {
        CK_ATTRIBUTE[] id = {new CK_ATTRIBUTE(CKA_ID)};
        getAttributesOn(current, handle, id);
        if (id[0].getByteArray() != null) {
          publics.putIfAbsent(KeyLocator.of(id[0].getByteArray()), handle);
        }
      }
      List<HsmKey> found = new ArrayList<>();
      for (long handle : findOn(current, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY)})) {
        try {
          HsmKey key = describe(current, handle, publics::get);
          if (!KeyEncryptionKey.ceremonyObject(key.locator())) {
            found.add(key);
          }
        } catch (HsmException e) {
          // not a DNSSEC key (another curve, no public half): not ours to list
        }
      }
      return found;
    });
    keys.sort((a, b) -> a.locator().hex().compareTo(b.locator().hex()));
    return keys;
  }

  /** One search for every private key and one attribute read each: far cheaper than a find per key. */
  @Override
  public java.util.Set<KeyLocator> locators() {
    checkOpen();
    return onSessions("listing keys", current -> {
      java.util.Set<KeyLocator> locators = new java.util.HashSet<>();
      for (long handle : findOn(current, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY)})) {
        CK_ATTRIBUTE[] id = {new CK_ATTRIBUTE(CKA_ID)};
        getAttributesOn(current, handle, id);
        if (id[0].getByteArray() != null && id[0].getByteArray().length > 0
            && !KeyEncryptionKey.ceremonyObject(KeyLocator.of(id[0].getByteArray()))) {
          locators.add(KeyLocator.of(id[0].getByteArray()));
        }
      }
      return locators;
    });
  }

  /** Deletes both halves of the key pair; false if there was none. */
  @Override
  public boolean delete(KeyLocator locator) {
    checkOpen();
    List<Long> found;
    try {
      // search and destroy on the same sessions: handles found before a reopen mean nothing after it
      objects.writeLock().lock();
      try {
        found = withSessions(current -> {
          List<Long> handles = findOn(current, new CK_ATTRIBUTE[] {new CK_ATTRIBUTE(CKA_ID, locator.bytes())});
          synchronized (current) {
            for (long handle : handles) {
              module.C_DestroyObject(current.admin, handle);
            }
          }
          current.handles.remove(locator);
          current.keys.remove(locator);
          return handles;
        });
      } finally {
        objects.writeLock().unlock();
      }
    } catch (PKCS11Exception e) {
      throw new HsmException("cannot delete key " + locator + ": " + e.getMessage(), e);
    }
    return !found.isEmpty();
  }

  /**
   * Signs {@code data} with the private key, per the key's algorithm: ECDSA and RSA over the
   * digest made here (so only the digest crosses into the token), Ed25519 over the data itself.
   * Returns the signature in DNS wire form. Thread-safe: each call borrows a session.
   */
  @Override
  public byte[] sign(HsmKey key, byte[] data) {
    SignInput in = SignInput.of(key.algorithm(), data);
    long mechanism = in.mechanism();
    byte[] input = in.input();
    checkOpen();
    Sessions current = sessions;
    try {
      return signOn(current, key, mechanism, input);
    } catch (PKCS11Exception e) {
      long code = e.getErrorCode();
      if (!sessionsGone(e) && code != CKR_KEY_HANDLE_INVALID && code != CKR_OBJECT_HANDLE_INVALID) {
        throw new HsmException("signing with key " + key.locator() + " failed: " + e.getMessage(), e);
      }
      // the token restarted, logged out or renumbered its objects: new sessions, the key found
      // again by its CKA_ID on them, and one more try
      reopen(current, e);
      try {
        return signOn(sessions, key, mechanism, input);
      } catch (PKCS11Exception retry) {
        throw new HsmException("signing with key " + key.locator() + " failed: " + retry.getMessage(), retry);
      }
    }
  }

  private byte[] signOn(Sessions current, HsmKey key, long mechanism, byte[] input) throws PKCS11Exception {
    long handle = handle(current, key);
    long session = borrow(current);
    objects.readLock().lock();
    try {
      module.C_SignInit(session, new CK_MECHANISM(mechanism), handle);
      return module.C_Sign(session, input);
    } finally {
      objects.readLock().unlock();
      if (current.retired) {
        closeQuietly(session);
      } else {
        current.signing.add(session);
      }
    }
  }

  /** The key's private handle on these sessions: as found, on the first ones; looked up by CKA_ID after a reopen. */
  private long handle(Sessions current, HsmKey key) throws PKCS11Exception {
    if (current.generation == 0) {
      return key.privateHandle();
    }
    Long known = current.handles.get(key.locator());
    if (known != null) {
      return known;
    }
    List<Long> found = findOn(current, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PRIVATE_KEY), new CK_ATTRIBUTE(CKA_ID, key.locator().bytes())});
    if (found.isEmpty()) {
      throw new HsmException("key " + key.locator() + " is missing from " + this + " (not found again after the"
          + " token's sessions were reopened)");
    }
    current.handles.put(key.locator(), found.get(0));
    return found.get(0);
  }

  /**
   * Closes this token's sessions, after the signings in progress have given theirs back (for at
   * most {@link #CLOSE_WAIT_SECONDS} s). The module stays loaded (the JDK keeps it for the process).
   */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    Sessions current;
    synchronized (this) {
      current = sessions; // a reopen in progress has finished
    }
    if (current == null) {
      return;
    }
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
    int back = 0;
    try {
      while (back < signingCount) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || current.signing.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS) == null) {
          LOG.warn("token '{}': {} signing(s) still running after {} s; closing their sessions", config.tokenLabel(),
              signingCount - back, CLOSE_WAIT_SECONDS);
          break;
        }
        back++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeAll(current);
  }

  private void closeAll(Sessions set) {
    for (long session : set.all) {
      closeQuietly(session);
    }
  }

  private void closeQuietly(long session) {
    try {
      module.C_CloseSession(session);
    } catch (PKCS11Exception e) {
      // already gone with the token
    }
  }

  @Override
  public String toString() {
    Sessions current = sessions;
    return "token '" + config.tokenLabel() + "' (slot " + (current == null ? "?" : current.slot) + ", "
        + config.library() + ")";
  }

  /**
   * Logins this process was refused, by token and PIN (a digest of it, never the PIN): a refused
   * PIN is never tried again in the same process, and a locked token not at all, so that one run
   * cannot spend an HSM's lockout counter zone by zone. A corrected PIN file is tried.
   */
  private static final java.util.Map<String, String> REFUSED = new java.util.concurrent.ConcurrentHashMap<>();

  private void login(long session) {
    char[] pin = config.pin().read();
    String tokenKey = config.library() + "\0" + config.tokenLabel();
    String pinKey = tokenKey + "\0" + pinDigest(pin);
    try {
      String earlier = REFUSED.getOrDefault(tokenKey, REFUSED.get(pinKey));
      if (earlier != null) {
        throw new HsmException(earlier + " (refused earlier in this process; not tried again, so that the token's"
            + " lockout counter is not spent: correct it, then run again)");
      }
      module.C_Login(session, CKU_USER, pin);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() == CKR_USER_ALREADY_LOGGED_IN) {
        return;
      }
      if (e.getErrorCode() == CKR_PIN_INCORRECT) {
        String message = "login to token '" + config.tokenLabel() + "' failed: the PIN (" + config.pin()
            + ") is incorrect";
        REFUSED.put(pinKey, message);
        throw new HsmException(message);
      }
      if (e.getErrorCode() == CKR_PIN_LOCKED) {
        String message = "token '" + config.tokenLabel() + "' has locked its user PIN: the security officer must"
            + " unlock it";
        REFUSED.put(tokenKey, message);
        throw new HsmException(message);
      }
      throw new HsmException("login to token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
    } finally {
      Arrays.fill(pin, '\0');
    }
  }

  private static String pinDigest(char[] pin) {
    java.nio.CharBuffer chars = java.nio.CharBuffer.wrap(pin);
    java.nio.ByteBuffer bytes = java.nio.charset.StandardCharsets.UTF_8.encode(chars);
    byte[] data = new byte[bytes.remaining()];
    bytes.get(data);
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(data));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      Arrays.fill(data, (byte) 0);
      if (bytes.hasArray()) {
        Arrays.fill(bytes.array(), (byte) 0);
      }
    }
  }

  private long borrow(Sessions current) {
    try {
      while (true) {
        checkOpen(); // a token closed while this thread waited gives no session back
        Long session = current.signing.poll(1, java.util.concurrent.TimeUnit.SECONDS);
        if (session != null) {
          return session;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HsmException("interrupted while waiting for a signing session", e);
    }
  }

  /** One search on the admin session of {@code current} (searches on a session do not overlap). */
  private List<Long> findOn(Sessions current, CK_ATTRIBUTE[] template) throws PKCS11Exception {
    List<Long> found = new ArrayList<>();
    objects.readLock().lock();
    try {
      synchronized (current) {
        findAllOn(current, template, found);
      }
    } finally {
      objects.readLock().unlock();
    }
    return found;
  }

  private void findAllOn(Sessions current, CK_ATTRIBUTE[] template, List<Long> found) throws PKCS11Exception {
    found.addAll(findObjects(module, current.admin, template));
  }

  /** Every object on {@code session} that matches {@code template}: one search, ended in any case. */
  static List<Long> findObjects(PKCS11 module, long session, CK_ATTRIBUTE[] template) throws PKCS11Exception {
    List<Long> found = new ArrayList<>();
    module.C_FindObjectsInit(session, template);
    try {
      while (true) {
        long[] batch = module.C_FindObjects(session, 64);
        if (batch == null || batch.length == 0) {
          return found;
        }
        for (long handle : batch) {
          found.add(handle);
        }
      }
    } finally {
      try {
        module.C_FindObjectsFinal(session);
      } catch (PKCS11Exception e) {
        // the search ends with the session in any case
      }
    }
  }

  /** Whether the key's private handle still holds an object with its CKA_ID (another process may have deleted it). */
  private boolean stillThere(Sessions current, HsmKey key) throws PKCS11Exception {
    CK_ATTRIBUTE[] id = {new CK_ATTRIBUTE(CKA_ID)};
    try {
      getAttributesOn(current, key.privateHandle(), id);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() == CKR_OBJECT_HANDLE_INVALID || e.getErrorCode() == CKR_KEY_HANDLE_INVALID) {
        return false;
      }
      throw e;
    }
    return id[0].getByteArray() != null && Arrays.equals(id[0].getByteArray(), key.locator().bytes());
  }

  private HsmKey describe(Sessions current, long privateHandle) throws PKCS11Exception {
    return describe(current, privateHandle, found -> null);
  }

  /**
   * The key pair of {@code privateHandle}; its public half is {@code publicOf} the pair's locator,
   * or, where that gives none, found by CKA_ID.
   */
  private HsmKey describe(Sessions current, long privateHandle,
      java.util.function.Function<KeyLocator, Long> publicOf) throws PKCS11Exception {
    CK_ATTRIBUTE[] attributes = {new CK_ATTRIBUTE(CKA_ID), new CK_ATTRIBUTE(CKA_LABEL),
        new CK_ATTRIBUTE(CKA_KEY_TYPE)};
    getAttributesOn(current, privateHandle, attributes);
    byte[] id = attributes[0].getByteArray();
    char[] labelChars = attributes[1].getCharArray();
    String label = labelChars == null ? "" : new String(labelChars);
    long keyType = attributes[2].getLong();
    KeyLocator locator = KeyLocator.of(id == null ? new byte[0] : id);
    Long publicKnown = publicOf.apply(locator);
    List<Long> publics = publicKnown != null ? List.of(publicKnown) : findOn(current, new CK_ATTRIBUTE[] {
        new CK_ATTRIBUTE(CKA_CLASS, CKO_PUBLIC_KEY), new CK_ATTRIBUTE(CKA_ID, id)});
    if (publics.isEmpty()) {
      throw new HsmException("key " + locator + " has no public key object on the token");
    }
    long publicHandle = publics.get(0);
    if (keyType == CKK_RSA) {
      CK_ATTRIBUTE[] rsa = {new CK_ATTRIBUTE(CKA_MODULUS), new CK_ATTRIBUTE(CKA_PUBLIC_EXPONENT)};
      getAttributesOn(current, publicHandle, rsa);
      byte[] modulus = PublicKeyEncoding.unsigned(rsa[0].getByteArray());
      byte[] exponent = PublicKeyEncoding.unsigned(rsa[1].getByteArray());
      return new HsmKey(locator, label, DnssecAlgorithm.RSASHA256, modulus.length * 8,
          PublicKeyEncoding.rsa(exponent, modulus), privateHandle);
    }
    if (keyType == CKK_EC || keyType == CKK_EC_EDWARDS) {
      CK_ATTRIBUTE[] ec = {new CK_ATTRIBUTE(CKA_EC_PARAMS), new CK_ATTRIBUTE(CKA_EC_POINT)};
      getAttributesOn(current, publicHandle, ec);
      DnssecAlgorithm algorithm = PublicKeyEncoding.algorithmOfCurve(ec[0].getByteArray(), keyType == CKK_EC_EDWARDS);
      byte[] point = PublicKeyEncoding.ecPoint(algorithm, ec[1].getByteArray());
      return new HsmKey(locator, label, algorithm, algorithm.coordinateLength() * 8, point, privateHandle);
    }
    throw new HsmException("key " + locator + " has key type " + keyType + ", which DNSSEC does not use here");
  }

  private void getAttributesOn(Sessions current, long handle, CK_ATTRIBUTE[] attributes) throws PKCS11Exception {
    objects.readLock().lock();
    try {
      synchronized (current) {
        module.C_GetAttributeValue(current.admin, handle, attributes);
      }
    } finally {
      objects.readLock().unlock();
    }
  }

  /** {@link #withSessions}, with a PKCS#11 error as an {@link HsmException} saying what was being done. */
  private <T> T onSessions(String what, Call<T> call) {
    try {
      return withSessions(call);
    } catch (PKCS11Exception e) {
      throw new HsmException(what + " on token '" + config.tokenLabel() + "' failed: " + e.getMessage(), e);
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new HsmException(this + " is closed");
    }
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
