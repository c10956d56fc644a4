package org.twinsign.appliance.policy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * xsd:duration as OpenDNSSEC reads it in kasp.xml: {@code P[nY][nM][nW][nD][T[nH][nM][nS]]}, a
 * year counted as 365 days and a month as 31 days (OpenDNSSEC's convention), so that a policy
 * means the same here as there.
 */
final class IsoDuration {
  private static final Pattern FORMAT = Pattern.compile(
      "P(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)W)?(?:(\\d+)D)?(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+)S)?)?");

  private IsoDuration() {}

  /** @throws IllegalArgumentException with a message naming the text */
  static Duration parse(String text) {
    String trimmed = text.trim();
    Matcher matcher = FORMAT.matcher(trimmed);
    if (!matcher.matches() || trimmed.equals("P") || trimmed.endsWith("T")) {
      throw new IllegalArgumentException("'" + text + "' is not a duration (ISO 8601, e.g. P14D, PT1H, P1Y)");
    }
    long days = value(matcher, 1) * 365 + value(matcher, 2) * 31 + value(matcher, 3) * 7 + value(matcher, 4);
    return Duration.ofDays(days).plusHours(value(matcher, 5)).plusMinutes(value(matcher, 6))
        .plusSeconds(value(matcher, 7));
  }

  private static long value(Matcher matcher, int group) {
    String text = matcher.group(group);
    return text == null ? 0 : Long.parseLong(text);
  }
}
