package org.twinsign.appliance.policy;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * xsd:duration as OpenDNSSEC reads it in kasp.xml: {@code P[nY][nM][nW][nD][T[nH][nM][nS]]}, a
 * year counted as 365 days and a month as 31 days (OpenDNSSEC's convention), so that a policy
 * means the same here as there.
 */
public final class IsoDuration {
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

  /** A duration as an operator reads it: "30 days", "4 hours", "1 day 12 hours", "90 seconds". */
  public static String human(Duration duration) {
    long seconds = duration.getSeconds();
    if (seconds == 0) {
      return "0 seconds";
    }
    long[] sizes = {86_400, 3_600, 60, 1};
    String[] names = {"day", "hour", "minute", "second"};
    StringBuilder out = new StringBuilder();
    int parts = 0;
    for (int i = 0; i < sizes.length && parts < 2; i++) {
      long count = seconds / sizes[i];
      if (count > 0) {
        out.append(out.length() == 0 ? "" : " ").append(count).append(' ').append(names[i]).append(count == 1 ? "" : "s");
        seconds -= count * sizes[i];
        parts++;
      } else if (parts > 0) {
        break;
      }
    }
    return out.toString();
  }
}
