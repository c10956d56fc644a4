package org.twinsign.appliance.dnssec;

import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.RRSIGRecord;

/**
 * Fault injection for tests: makes the signer produce corrupt signatures, as a faulty HSM would,
 * to prove that {@link SignedZoneCheck} stops them before publication. Disarmed unless a test
 * arms it; costs one volatile read per signature.
 */
public final class SignatureFault {
  private static final AtomicInteger REMAINING = new AtomicInteger();

  private SignatureFault() {}

  /** The next {@code count} signatures made in this JVM get one byte flipped. */
  public static void corruptNext(int count) {
    REMAINING.set(count);
  }

  /** Disarms it. */
  public static void clear() {
    REMAINING.set(0);
  }

  static RRSIGRecord apply(RRSIGRecord rrsig) {
    if (REMAINING.get() <= 0 || REMAINING.getAndDecrement() <= 0) {
      return rrsig;
    }
    byte[] signature = rrsig.getSignature().clone();
    signature[signature.length / 2] ^= 0x01;
    return new RRSIGRecord(rrsig.getName(), rrsig.getDClass(), rrsig.getTTL(), rrsig.getTypeCovered(),
        rrsig.getAlgorithm(), rrsig.getOrigTTL(), rrsig.getExpire(), rrsig.getTimeSigned(), rrsig.getFootprint(),
        rrsig.getSigner(), signature);
  }
}
