package org.twinsign.appliance.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** Parses operator durations: {@code 30s}, {@code 5m}, {@code 12h}, {@code 14d}, {@code 2w} or ISO-8601 {@code PT30S}. */
final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d+)([smhdw])");

  private Durations() {}

  static Duration parse(CommandLine commandLine, String option, String text) {
    Matcher matcher = SHORT.matcher(text.trim());
    if (matcher.matches()) {
      long amount = Long.parseLong(matcher.group(1));
      switch (matcher.group(2)) {
        case "s": return Duration.ofSeconds(amount);
        case "m": return Duration.ofMinutes(amount);
        case "h": return Duration.ofHours(amount);
        case "d": return Duration.ofDays(amount);
        default: return Duration.ofDays(7 * amount);
      }
    }
    try {
      return Duration.parse(text.trim());
    } catch (DateTimeParseException e) {
      throw new CommandLine.ParameterException(commandLine,
          "invalid value '" + text + "' for " + option + ": use a number with s, m, h, d or w (e.g. 30s, 14d),"
              + " or ISO-8601 like PT30S");
    }
  }
}
