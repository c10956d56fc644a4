package org.twinsign.appliance.policy;

import java.time.Duration;
import java.util.List;

/**
 * One {@code <Policy>} of OpenDNSSEC's kasp.xml, every parameter kept. Durations are as
 * {@link IsoDuration} reads them; optional parameters are null when absent.
 */
public record KaspPolicy(String name, String description, boolean passthrough, Signatures signatures,
    Denial denial, Keys keys, Zone zone, Parent parent) {

  /** {@code <Signatures>}. */
  public record Signatures(Duration resign, Duration refresh, Duration validityDefault, Duration validityDenial,
      Duration validityKeyset, Duration jitter, Duration inceptionOffset, Duration maxZoneTtl) {}

  /** {@code <Denial>}: NSEC (nsec3 false) or NSEC3 with its parameters. */
  public record Denial(boolean nsec3, Duration ttl, boolean optOut, Duration resalt, int hashAlgorithm,
      int iterations, int saltLength, String salt) {}

  /** {@code <Keys>}. */
  public record Keys(Duration ttl, Duration retireSafety, Duration publishSafety, boolean shareKeys, Duration purge,
      List<Key> keys) {}

  /** A {@code <KSK>}, {@code <ZSK>} or {@code <CSK>}. */
  public record Key(String role, int algorithm, int length, Duration lifetime, String repository, int standby,
      boolean manualRollover, boolean rfc5011, String rollType) {}

  /** {@code <Zone>}. */
  public record Zone(Duration propagationDelay, Duration soaTtl, Duration soaMinimum, String serial) {}

  /** {@code <Parent>}. */
  public record Parent(Duration propagationDelay, Duration dsTtl, Duration soaTtl, Duration soaMinimum,
      Duration registrationDelay) {}
}
