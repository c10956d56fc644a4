package org.twinsign.appliance.hsm;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Message digests for signing, one instance per thread and algorithm (MessageDigest is not thread-safe). */
final class Digests {
  private static final ThreadLocal<java.util.Map<String, MessageDigest>> CACHE =
      ThreadLocal.withInitial(java.util.HashMap::new);

  private Digests() {}

  static byte[] digest(String algorithm, byte[] data) {
    MessageDigest digest = CACHE.get().computeIfAbsent(algorithm, name -> {
      try {
        return MessageDigest.getInstance(name);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(name + " is missing from this JDK", e);
      }
    });
    return digest.digest(data);
  }
}
