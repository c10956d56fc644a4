package org.twinsign.appliance.hsm;

import java.security.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider a soft key store signs and generates with: Amazon Corretto Crypto Provider
 * (AWS-LC, native) where it loads — ECDSA P-256 there is several times faster than SoftHSM and
 * than the JDK's SunEC — and otherwise the JDK's own providers.
 */
final class SoftCrypto {
  private static final Logger LOG = LoggerFactory.getLogger(SoftCrypto.class);
  private static final Provider PROVIDER = load();

  private SoftCrypto() {}

  /** The native provider, or null to use the JDK's. */
  static Provider provider() {
    return PROVIDER;
  }

  static String describe() {
    return PROVIDER == null ? "JDK providers" : PROVIDER.getName();
  }

  private static Provider load() {
    if ("off".equalsIgnoreCase(System.getenv("TWINSIGN_ACCP"))) {
      return null;
    }
    try {
      Class<?> type = Class.forName("com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider");
      Provider provider = (Provider) type.getField("INSTANCE").get(null);
      type.getMethod("assertHealthy").invoke(provider);
      return provider;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      LOG.info("Amazon Corretto Crypto Provider is not usable here ({}); soft keys use the JDK's providers",
          e.toString());
      return null;
    }
  }
}
