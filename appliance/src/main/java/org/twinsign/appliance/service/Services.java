package org.twinsign.appliance.service;

import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.store.Store;

/**
 * The service layer: every operator command acts on the store through these, never on tables
 * directly, so that a later release can route them through the active master. Lifecycle:
 * {@link #open} → use → {@link #close}.
 */
public final class Services implements AutoCloseable {
  private final TwinsignConfig config;
  private final Store store;
  private final KeyRepositorySet repositories;

  private Services(TwinsignConfig config, Store store) {
    this.config = config;
    this.store = store;
    this.repositories = new KeyRepositorySet(config);
  }

  public static Services open(TwinsignConfig config) {
    return new Services(config, Store.open(config));
  }

  public TwinsignConfig config() {
    return config;
  }

  public Store store() {
    return store;
  }

  public KeyRepositorySet repositories() {
    return repositories;
  }

  public PolicyService policies() {
    return new PolicyService(this);
  }

  public ZoneService zones() {
    return new ZoneService(this);
  }

  public KeyService keys() {
    return new KeyService(this);
  }

  public BackupService backups() {
    return new BackupService(this);
  }

  public EnforcerService enforcer() {
    return new EnforcerService(this);
  }

  @Override
  public void close() {
    try {
      repositories.close();
    } finally {
      store.close();
    }
  }
}
