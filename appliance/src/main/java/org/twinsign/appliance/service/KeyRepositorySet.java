package org.twinsign.appliance.service;

import java.util.LinkedHashMap;
import java.util.Map;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.KeyRepositories;
import org.twinsign.appliance.hsm.KeyRepository;
import org.twinsign.appliance.hsm.Pin;
import org.twinsign.appliance.store.StoreException;

/** The configured key repositories, each opened on first use and closed with the set. */
public final class KeyRepositorySet implements AutoCloseable {
  private final TwinsignConfig config;
  private final Map<String, KeyRepository> open = new LinkedHashMap<>();

  public KeyRepositorySet(TwinsignConfig config) {
    this.config = config;
  }

  public synchronized KeyRepository get(String name) {
    KeyRepository repository = open.get(name);
    if (repository == null) {
      TwinsignConfig.Repository configured = configured(name);
      repository = KeyRepositories.open(new HsmConfig(config.source(), configured.library(), configured.token(), null,
          Pin.fromFile(configured.pinFile())), 2);
      open.put(name, repository);
    }
    return repository;
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
  }
}
