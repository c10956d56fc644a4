package org.twinsign.appliance.alert;

import java.util.Locale;

/** How soon a person must act on an alert. Ordered: a role mailed for WARNING also gets CRITICAL. */
public enum Severity {
  /** For the record (a planned switchover, a test mail). */
  INFO,
  /** Act within the working day: nothing is broken yet. */
  WARNING,
  /** Act now: zones go bogus or the pair cannot survive the next failure. */
  CRITICAL;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code info}, {@code warning} or {@code critical}; null for anything else. */
  public static Severity parse(String text) {
    for (Severity s : values()) {
      if (s.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    return null;
  }
}
