package org.twinsign.appliance.dnssec;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * How the signer sets the SOA serial (OpenDNSSEC's {@code <Serial>}), in RFC 1982 serial
 * arithmetic. Whatever the policy, a serial never goes backwards from the last one published, nor
 * below the unsigned zone's serial.
 */
public enum SerialPolicy {
  /** The input serial, or one more than the last published if that is not larger. */
  COUNTER,
  /** YYYYMMDDnn of today (UTC) or the input serial if larger, or one more than the last published. */
  DATECOUNTER,
  /** Seconds since the epoch or the input serial if larger, or one more than the last published. */
  UNIXTIME,
  /** The input serial as is; an error if it does not increase on the last published. */
  KEEP;

  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC);

  public static SerialPolicy parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown serial policy '" + text
          + "': use counter, datecounter, unixtime or keep");
    }
  }

  /**
   * The serial to publish.
   *
   * @param input the unsigned zone's serial
   * @param previous the last published serial, or null if none
   */
  public long next(long input, Long previous, Instant now) {
    long candidate;
    switch (this) {
      case COUNTER:
        candidate = input;
        break;
      case DATECOUNTER:
        candidate = Long.parseLong(DAY.format(now)) * 100;
        break;
      case UNIXTIME:
        candidate = now.getEpochSecond() & 0xFFFFFFFFL;
        break;
      default:
        if (previous != null && !greaterThan(input, previous)) {
          throw new IllegalStateException("serial policy keep: the input serial " + input
              + " does not increase on the last published serial " + previous
              + "; raise the serial in the unsigned zone or use --serial counter");
        }
        return input;
    }
    if (greaterThan(input, candidate)) {
      // never below the unsigned zone's own serial: secondaries of a zone migrated from another
      // signer (or from none) already hold it, and would ignore anything lower
      candidate = input;
    }
    if (previous != null && !greaterThan(candidate, previous)) {
      candidate = (previous + 1) & 0xFFFFFFFFL;
    }
    return candidate;
  }

  /** RFC 1982 §3.2: whether s1 is greater than s2. */
  public static boolean greaterThan(long s1, long s2) {
    long half = 1L << 31;
    return (s1 < s2 && s2 - s1 > half) || (s1 > s2 && s1 - s2 < half);
  }
}
