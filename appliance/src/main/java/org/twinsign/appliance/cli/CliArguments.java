package org.twinsign.appliance.cli;

import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.hsm.KeyLocator;
import picocli.CommandLine;

/** Turns option text into values, with a usage error (exit 2) that names the option. */
final class CliArguments {
  private CliArguments() {}

  static DnssecAlgorithm algorithm(String option, String text, CommandLine.Model.CommandSpec spec) {
    try {
      return DnssecAlgorithm.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }

  /** A zone apex; a missing final dot is added. */
  static org.xbill.DNS.Name zone(String option, String text, CommandLine.Model.CommandSpec spec) {
    try {
      return org.xbill.DNS.Name.fromString(text.endsWith(".") ? text : text + ".");
    } catch (org.xbill.DNS.TextParseException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": '" + text + "' is not a domain name");
    }
  }

  static KeyLocator locator(String option, String text, CommandLine.Model.CommandSpec spec) {
    try {
      return new KeyLocator(text);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }
}
