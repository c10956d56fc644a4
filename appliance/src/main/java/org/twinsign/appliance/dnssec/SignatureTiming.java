package org.twinsign.appliance.dnssec;

import java.time.Duration;

/**
 * Signature lifetimes, as OpenDNSSEC's KASP {@code <Signatures>}: validity of ordinary RRsets, of
 * denial records (NSEC/NSEC3) and of the DNSKEY RRset; the refresh period (a signature expiring
 * within it is replaced); jitter (spreads expirations so re-signing does not come in one burst);
 * inception offset (back-dates inception against clock skew).
 */
public record SignatureTiming(Duration validity, Duration validityDenial, Duration validityKeyset, Duration refresh,
    Duration jitter, Duration inceptionOffset) {

  /** OpenDNSSEC's default policy values. */
  public static final SignatureTiming DEFAULT = new SignatureTiming(Duration.ofDays(14), Duration.ofDays(14),
      Duration.ofDays(14), Duration.ofDays(3), Duration.ofHours(12), Duration.ofHours(1));

  public SignatureTiming {
    if (refresh.plus(jitter).compareTo(validity) >= 0 || refresh.plus(jitter).compareTo(validityDenial) >= 0
        || refresh.plus(jitter).compareTo(validityKeyset) >= 0) {
      throw new IllegalArgumentException("refresh (" + refresh + ") plus jitter (" + jitter
          + ") must be shorter than every validity period, or signatures would be replaced as soon as made");
    }
    if (inceptionOffset.isNegative() || jitter.isNegative() || refresh.isNegative()) {
      throw new IllegalArgumentException("refresh, jitter and inception offset cannot be negative");
    }
  }
}
