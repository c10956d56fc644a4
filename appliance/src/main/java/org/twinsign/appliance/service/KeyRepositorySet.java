package org.twinsign.appliance.service;

import java.util.LinkedHashMap;
import java.util.Map;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.KeyRepositories;
import org.twinsign.appliance.hsm.KeyRepository;
import org.twinsign.appliance.hsm.Pin;
import org.twinsign.appliance.store.StoreException;

/** The configured key repositories, each opened on first use and closed with the set; changes take the lease. */
public final class KeyRepositorySet implements AutoCloseable {
  private final TwinsignConfig config;
  private final org.twinsign.fencing.Lease lease;
  private final Map<String, KeyRepository> open = new LinkedHashMap<>();
  private final Map<String, java.util.Set<org.twinsign.appliance.hsm.KeyLocator>> locators = new LinkedHashMap<>();
  /** Keys searched for and not found, by repository: a lost key is not searched for on every run. */
  private final Map<String, java.util.Set<org.twinsign.appliance.hsm.KeyLocator>> absent =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final Map<String, org.twinsign.appliance.hsm.HsmKey> keys = new LinkedHashMap<>();

  /** @param lease what key generation and deletion check first */
  public KeyRepositorySet(TwinsignConfig config, org.twinsign.fencing.Lease lease) {
    this.config = config;
    this.lease = lease;
  }

  public synchronized KeyRepository get(String name) {
    KeyRepository repository = open.get(name);
    if (repository == null) {
      TwinsignConfig.Repository configured = configured(name);
      // keys leave the token (wrapped) only where a pair syncs them so
      boolean wrappable = config.pair() != null
          && config.pair().keySync() == org.twinsign.appliance.config.PairConfig.KeySync.WRAP;
      repository = new FencedKeyRepository(KeyRepositories.open(new HsmConfig(config.source(), configured.library(),
          configured.token(), configured.directory(), Pin.fromFile(configured.pinFile()), wrappable), 2), lease);
      open.put(name, repository);
    }
    return repository;
  }

  /**
   * Whether the repository holds the key, from one listing per repository and command (a search per
   * key is slow on a token with thousands of objects). A key not in the listing is searched for
   * once, outside this set's lock: it may have been made since (by the pool's filler, or another
   * zone's run beside this one; a node's commands last a whole term). What the listing and the
   * searches found stays true for the set's life: a key deleted since is still seen as held, and
   * one not found is not searched for again.
   */
  public boolean holds(String repository, org.twinsign.appliance.hsm.KeyLocator locator) {
    java.util.Set<org.twinsign.appliance.hsm.KeyLocator> listed;
    synchronized (this) {
      listed = locators.computeIfAbsent(repository, name -> java.util.concurrent.ConcurrentHashMap.newKeySet());
      if (listed.isEmpty()) {
        listed.addAll(get(repository).locators());
      }
    }
    java.util.Set<org.twinsign.appliance.hsm.KeyLocator> missing = absent.computeIfAbsent(repository,
        name -> java.util.concurrent.ConcurrentHashMap.newKeySet());
    if (listed.contains(locator)) {
      return true;
    }
    if (missing.contains(locator)) {
      return false;
    }
    boolean found = get(repository).find(locator).isPresent();
    (found ? listed : missing).add(locator);
    return found;
  }

  /** The key, looked up once per command. */
  public synchronized org.twinsign.appliance.hsm.HsmKey key(String repository,
      org.twinsign.appliance.hsm.KeyLocator locator) {
    String id = repository + "/" + locator.hex();
    org.twinsign.appliance.hsm.HsmKey key = keys.get(id);
    if (key == null) {
      key = get(repository).require(locator);
      keys.put(id, key);
    }
    return key;
  }

  /** The PKCS#11 token of repository {@code name}, or empty for a soft key store. */
  public synchronized java.util.Optional<org.twinsign.appliance.hsm.HsmToken> token(String name) {
    KeyRepository repository = get(name);
    KeyRepository inner = repository instanceof FencedKeyRepository fenced ? fenced.unfenced() : repository;
    return inner instanceof org.twinsign.appliance.hsm.HsmToken token ? java.util.Optional.of(token)
        : java.util.Optional.empty();
  }

  /** The names of the configured PKCS#11 repositories: key sync moves their keys (soft key stores are files). */
  public java.util.List<String> tokens() {
    return config.tokenRepositories();
  }

  public TwinsignConfig.Repository configured(String name) {
    TwinsignConfig.Repository configured = config.repositories().get(name);
    if (configured == null) {
      throw new StoreException("repository '" + name + "' is not in " + config.source() + ": add repository." + name
          + ".library, .token and .pin.file (the policy names it in <Repository>)");
    }
    return configured;
  }

  @Override
  public synchronized void close() {
    open.values().forEach(KeyRepository::close);
    open.clear();
    locators.clear();
    absent.clear();
    keys.clear();
  }
}
