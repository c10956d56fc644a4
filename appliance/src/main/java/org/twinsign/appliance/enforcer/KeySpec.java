package org.twinsign.appliance.enforcer;

import java.time.Duration;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.policy.KaspPolicy;

/** One {@code <KSK>}, {@code <ZSK>} or {@code <CSK>} of a policy: the key a zone must have. */
public record KeySpec(KeyRole role, int algorithm, int bits, String repository, Duration lifetime,
    boolean manualRollover, RolloverMethod method) {

  public static KeySpec of(KaspPolicy.Key key) {
    KeyRole role = KeyRole.valueOf(key.role());
    return new KeySpec(role, key.algorithm(), key.length(), key.repository(), key.lifetime(), key.manualRollover(),
        RolloverMethod.of(key.rollType(), role));
  }

  /** Whether {@code key} is a key of this kind (a policy change makes the other keys retire). */
  public boolean matches(KeyState key) {
    return key.role() == role && fits(key.algorithm(), key.bits()) && key.repository().equals(repository);
  }

  /** Whether a key of this algorithm and size serves this spec (the size matters for RSA only). */
  public boolean fits(int keyAlgorithm, int keyBits) {
    return keyAlgorithm == algorithm && (!DnssecAlgorithm.isRsa(algorithm) || keyBits == bits);
  }
}
