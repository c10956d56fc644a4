package org.twinsign.appliance.service;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.hsm.HsmException;
import org.twinsign.appliance.hsm.HsmToken;
import org.twinsign.appliance.hsm.KeyEncryptionKey;

/**
 * The key-encryption key of each PKCS#11 repository of this node ({@link KeyEncryptionKey}): the
 * steps of the ceremony that happen in this node's HSMs. A pair's node runs the ceremony between
 * its HSMs and its peer's through these steps on both sides; nothing here holds a plaintext key.
 */
public final class KekService {
  private final KeyRepositorySet repositories;

  /** Over {@code repositories}: the ceremony needs only the HSMs, not the store (an offline step runs without it). */
  public KekService(KeyRepositorySet repositories) {
    this.repositories = repositories;
  }

  /** Per PKCS#11 repository: the KEK's check value and whether it is still extractable, or "none". */
  public Map<String, String> status() {
    Map<String, String> status = new LinkedHashMap<>();
    for (String name : repositories.tokens()) {
      try {
        status.put(name, KeyEncryptionKey.find(token(name)).map(k -> k.checkValue() + (k.extractable()
            ? " (extractable: the ceremony is not finished)" : "")).orElse("none"));
      } catch (HsmException e) {
        status.put(name, "error: " + e.getMessage());
      }
    }
    return status;
  }

  /** The check value of repository {@code name}'s KEK if it is still extractable (its hand-over not done), else empty. */
  public java.util.Optional<String> unsealed(String name) {
    return KeyEncryptionKey.find(token(name)).filter(KeyEncryptionKey::extractable)
        .map(KeyEncryptionKey::checkValue);
  }

  /** Generates the KEK in repository {@code name}'s token; returns its check value. */
  public String generate(String name) {
    return KeyEncryptionKey.generate(token(name)).checkValue();
  }

  /** A one-time transport key in repository {@code name}'s token, encoded for the peer. */
  public String transportKey(String name) {
    return KeyEncryptionKey.transportKey(token(name)).encode();
  }

  /** The KEK of repository {@code name}, wrapped under the peer's transport key (base64), with its check value. */
  public Map<String, String> export(String name, String transport) {
    HsmToken token = token(name);
    byte[] wrapped = KeyEncryptionKey.export(token, KeyEncryptionKey.TransportKey.decode(transport));
    return Map.of("wrapped", Base64.getEncoder().encodeToString(wrapped), "check",
        KeyEncryptionKey.require(token).checkValue());
  }

  /** Imports the KEK the peer exported for this token's transport key; returns its check value. */
  public String importWrapped(String name, String wrapped, String check) {
    return KeyEncryptionKey.importWrapped(token(name), Base64.getDecoder().decode(wrapped), check).checkValue();
  }

  /** Seals the KEK of repository {@code name} if its check value is {@code check} (the peer's). */
  public String seal(String name, String check) {
    HsmToken token = token(name);
    String own = KeyEncryptionKey.require(token).checkValue();
    if (!own.equals(check)) {
      throw new HsmException("the key-encryption key of repository " + name + " has check value " + own
          + ", the peer's " + check + ": not sealed; the HSMs' KEKs differ");
    }
    return KeyEncryptionKey.seal(token).checkValue();
  }

  /** The names of this node's PKCS#11 repositories. */
  public List<String> repositories() {
    return repositories.tokens();
  }

  private HsmToken token(String name) {
    return repositories.token(name).orElseThrow(() -> new HsmException("repository " + name
        + " is a soft key store: it has no key-encryption key"));
  }
}
