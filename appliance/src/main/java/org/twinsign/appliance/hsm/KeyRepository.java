package org.twinsign.appliance.hsm;

import java.util.List;
import java.util.Optional;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/**
 * Where a zone's private keys live and are used, as OpenDNSSEC's {@code <Repository>}: a PKCS#11
 * token ({@link HsmToken}) or a soft key store signing in-process ({@link SoftKeyStore}).
 * Lifecycle: opened by {@link KeyRepositories#open}, then {@link #close()}.
 */
public interface KeyRepository extends AutoCloseable {

  /** A short description for messages: type, name and where. */
  String describe();

  HsmKey generate(DnssecAlgorithm algorithm, int bits, String label);

  Optional<HsmKey> find(KeyLocator locator);

  List<HsmKey> list();

  boolean delete(KeyLocator locator);

  /** The locators of every key pair's private half: one search, for checking many keys at once. */
  default java.util.Set<KeyLocator> locators() {
    java.util.Set<KeyLocator> locators = new java.util.HashSet<>();
    list().forEach(key -> locators.add(key.locator()));
    return locators;
  }

  /** A DNS wire-form signature over {@code data}; safe to call from several threads. */
  byte[] sign(HsmKey key, byte[] data);

  /** The key with this locator, or an error naming it and the repository. */
  default HsmKey require(KeyLocator locator) {
    return find(locator).orElseThrow(() -> new HsmException("no key with locator " + locator + " in " + describe()
        + ": 'twinsign hsm list' shows the keys there"));
  }

  @Override
  void close();
}
