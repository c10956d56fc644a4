package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Callable;
import org.twinsign.appliance.dns.TsigKeys;
import org.twinsign.appliance.dnssec.SignatureExpiry;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.ZoneTransferIn;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign check signatures}: a Nagios/Icinga plugin. One line {@code SIGNATURES STATE -
 * text | perfdata}, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for bad usage: a plugin's
 * usage error is not a critical zone).
 */
@Command(name = "check", description = "Monitoring plugins (Nagios/Icinga): one line, perfdata, exit 0/1/2/3.",
    subcommands = CheckCommand.Signatures.class, exitCodeOnInvalidInput = 3)
final class CheckCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** {@code check} alone: its usage, and UNKNOWN for a monitoring system that runs it so. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return State.UNKNOWN.ordinal();
  }

  /** Whether a usage error happened in a plugin: it is answered as UNKNOWN (3), on one line. */
  static boolean isPlugin(CommandLine commandLine) {
    for (CommandLine c = commandLine; c != null; c = c.getParent()) {
      if (c.getCommand() instanceof CheckCommand) {
        return true;
      }
    }
    return false;
  }

  /** A plugin's usage error: {@code SIGNATURES UNKNOWN - what is wrong}, exit 3. */
  static int unknown(CommandLine.ParameterException e) {
    PrintWriter out = e.getCommandLine().getOut();
    String service = e.getCommandLine().getCommandName().toUpperCase(java.util.Locale.ROOT);
    out.println(service + " UNKNOWN - usage: " + e.getMessage().replace('|',
        '/').replace('\n', ' '));
    out.flush();
    return State.UNKNOWN.ordinal();
  }

  /** The plugin states and their exit codes. */
  enum State { OK, WARNING, CRITICAL, UNKNOWN }

  @Command(name = "signatures", exitCodeOnInvalidInput = 3, exitCodeOnExecutionException = 3, description = {
      "The remaining validity of every RRSIG of a zone, as served (AXFR from --server, with --tsig-file)"
          + " or as signed (--file).",
      "CRITICAL when the first expires within --critical, WARNING within --warning."})
  static final class Signatures implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--zone", required = true, paramLabel = "ZONE", description = "The zone.")
    String zone;

    @Option(names = "--server", paramLabel = "HOST[:PORT]", description = "Transfer the zone from this server"
        + " (port 53 by default).")
    String server;

    @Option(names = "--file", paramLabel = "FILE", description = "Read the signed zone from this file instead.")
    Path file;

    @Option(names = "--tsig-file", paramLabel = "FILE", description = "TSIG key for the transfer (BIND key syntax).")
    Path tsigFile;

    @Option(names = "--tsig-key", paramLabel = "NAME", description = "Which key of --tsig-file (default: the only one).")
    String tsigKey;

    @Option(names = "--warning", paramLabel = "DURATION", defaultValue = "3d", description = "Default 3d.")
    String warning;

    @Option(names = "--critical", paramLabel = "DURATION", defaultValue = "1d", description = "Default 1d.")
    String critical;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s", description = "For the transfer;"
        + " default 30s.")
    String timeout;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      State state;
      String text;
      String perf = "";
      try {
        if ((server == null) == (file == null)) {
          throw new CommandLine.ParameterException(spec.commandLine(), "give --server HOST[:PORT] (the zone as"
              + " served) or --file FILE (as signed), one of them");
        }
        Duration warn = Durations.parse(spec.commandLine(), "--warning", warning);
        Duration crit = Durations.parse(spec.commandLine(), "--critical", critical);
        Duration wait = Durations.parse(spec.commandLine(), "--timeout", timeout);
        if (crit.compareTo(warn) > 0) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--critical " + critical + " is longer than"
              + " --warning " + warning);
        }
        Name origin = Name.fromString(zone.endsWith(".") ? zone : zone + ".");
        SignatureExpiry expiry = new SignatureExpiry();
        String from = server != null ? transfer(origin, expiry, wait) : read(origin, expiry);
        Instant now = Instant.now();
        if (expiry.signatures() == 0) {
          state = State.CRITICAL;
          text = zone + ": no RRSIG in the zone " + from + ": it is not signed";
        } else {
          Duration left = Duration.between(now, expiry.earliest());
          state = left.compareTo(crit) < 0 ? State.CRITICAL : left.compareTo(warn) < 0 ? State.WARNING : State.OK;
          text = zone + ": " + expiry.signatures() + " RRSIGs " + from + ", the first expires " + expiry.earliest()
              .truncatedTo(ChronoUnit.SECONDS) + (left.isNegative() ? " (expired " + human(left.negated()) + " ago)"
              : " (in " + human(left) + ")") + " on " + expiry.earliestCovers();
          // thresholds as ranges: alert when the remaining time falls below them (plugin guidelines)
          perf = " | remaining=" + left.toSeconds() + "s;" + warn.toSeconds() + ":;" + crit.toSeconds() + ": rrsigs="
              + expiry.signatures();
        }
      } catch (CommandLine.ParameterException e) {
        throw e; // usage: picocli prints it, exit 3
      } catch (Exception e) {
        state = State.UNKNOWN;
        text = zone + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
      }
      out.println("SIGNATURES " + state + " - " + text.replace('|', '/').replace('\n', ' ') + perf);
      out.flush();
      return state.ordinal();
    }

    private String transfer(Name origin, SignatureExpiry expiry, Duration wait) throws Exception {
      String host = server;
      int port = 53;
      int colon = server.lastIndexOf(':');
      if (colon > 0 && server.indexOf(':') == colon) { // HOST:PORT; a bare IPv6 address has several colons
        host = server.substring(0, colon);
        port = Integer.parseInt(server.substring(colon + 1));
      } else if (server.startsWith("[") && server.contains("]:")) {
        host = server.substring(1, server.indexOf(']'));
        port = Integer.parseInt(server.substring(server.indexOf("]:") + 2));
      }
      TSIG key = null;
      if (tsigFile != null) {
        TsigKeys keys = TsigKeys.parse(tsigFile.toString(), Files.readString(tsigFile, StandardCharsets.UTF_8));
        if (tsigKey != null) {
          key = keys.require(tsigKey, "--tsig-key");
        } else if (keys.names().size() == 1) {
          key = keys.get(keys.names().iterator().next());
        } else {
          throw new IllegalArgumentException(tsigFile + " holds " + keys.names().size() + " keys: name one with"
              + " --tsig-key");
        }
      }
      ZoneTransferIn xfr = ZoneTransferIn.newAXFR(origin, host, port, key);
      xfr.setTimeout(wait);
      xfr.run();
      for (Record r : xfr.getAXFR()) {
        expiry.add(r);
      }
      return "served by " + server;
    }

    private String read(Name origin, SignatureExpiry expiry) throws Exception {
      try (org.xbill.DNS.Master master = new org.xbill.DNS.Master(file.toString(), origin)) {
        for (Record r; (r = master.nextRecord()) != null; ) {
          expiry.add(r);
        }
      }
      return "in " + file;
    }

    private static String human(Duration d) {
      long days = d.toDays();
      long hours = d.minusDays(days).toHours();
      long minutes = d.minusDays(days).minusHours(hours).toMinutes();
      return days > 0 ? days + "d " + hours + "h" : hours > 0 ? hours + "h " + minutes + "m" : minutes + "m";
    }
  }
}
