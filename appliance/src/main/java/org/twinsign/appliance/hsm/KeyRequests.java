package org.twinsign.appliance.hsm;

import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/** What every repository checks before it generates a key. */
final class KeyRequests {
  private KeyRequests() {}

  static void check(DnssecAlgorithm algorithm, int bits, String label) {
    if (algorithm.family() == DnssecAlgorithm.KeyFamily.RSA && (bits < 1024 || bits > 4096)) {
      throw new HsmException(algorithm + " keys are 1024 to 4096 bits here, not " + bits);
    }
    if (label == null || label.isBlank() || label.length() > 64) {
      throw new HsmException("a key label of 1 to 64 characters is needed (--label)");
    }
  }
}
