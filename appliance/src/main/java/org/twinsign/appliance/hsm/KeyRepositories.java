package org.twinsign.appliance.hsm;

/** Opens the repository a config file describes. */
public final class KeyRepositories {
  private KeyRepositories() {}

  /** @param sessions how many threads will sign at once */
  public static KeyRepository open(HsmConfig config, int sessions) {
    return config.isSoft() ? SoftKeyStore.open(config) : HsmToken.open(config, sessions);
  }
}
