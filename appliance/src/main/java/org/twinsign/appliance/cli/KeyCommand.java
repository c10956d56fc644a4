package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.RecordType;
import org.twinsign.appliance.service.KeyReport;
import org.twinsign.appliance.service.Services;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign key ...}: OpenDNSSEC's key commands. */
@Command(name = "key", description = "Zone keys: list, generate, rollover, export, DS exchange.",
    subcommands = {KeyCommand.ListKeys.class, KeyCommand.Generate.class, KeyCommand.Rollover.class,
        KeyCommand.Export.class, KeyCommand.DsSubmit.class, KeyCommand.DsSeen.class, KeyCommand.DsRetract.class,
        KeyCommand.DsGone.class, KeyCommand.KskRetire.class, KeyCommand.Purge.class, KeyCommand.Pool.class,
        KeyCommand.Verify.class})
final class KeyCommand extends CommandGroup {
  static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

  static String time(Instant at) {
    return at == null ? "-" : TIME.format(at);
  }

  static KeyRole role(CommandLine commandLine, String text) {
    try {
      return KeyRole.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(commandLine, "--keytype " + text + ": use KSK, ZSK or CSK");
    }
  }

  @Command(name = "list", description = {"The zones' keys, with their state and next transition.",
      "--verbose adds the key's details and its record states (DS, DNSKEY, RRSIG(DNSKEY), RRSIG)."})
  static final class ListKeys extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--zone", paramLabel = "NAME")
    String zone;

    @Option(names = {"--verbose", "-v"})
    boolean verbose;

    @Option(names = "--json", description = "Print the keys as JSON (everything --verbose shows).")
    boolean json;

    @Override
    void run(Services services, PrintWriter out) {
      List<KeyReport> keys = services.keys().list(zone);
      if (json) {
        JsonOutput.print(out, JsonOutput.keys(keys));
        return;
      }
      out.println("Keys:");
      String format = "%-24s %-8s %-9s %-24s";
      if (verbose) {
        out.printf(format + " %-5s %-10s %-33s %-12s %-7s %-12s %-12s %-14s %-12s %-10s %-10s%n", "Zone:",
            "Keytype:", "State:", "Date of next transition:", "Size:", "Algorithm:", "CKA_ID:", "Repository:",
            "KeyTag:", "DS:", "DNSKEY:", "RRSIGDNSKEY:", "RRSIG:", "Backup:", "DsAtParent:");
      } else {
        out.printf(format + "%n", "Zone:", "Keytype:", "State:", "Date of next transition:");
      }
      for (KeyReport report : keys) {
        String when = report.at() != null ? time(report.at()) : "waiting for " + shortWait(report);
        if (!verbose) {
          out.printf(format + "%n", report.zone(), report.role(), report.state(), when);
          continue;
        }
        KeyState state = report.key().state();
        List<String> records = Arrays.stream(RecordType.values())
            .map(t -> state.has(t) ? state.state(t).label() : "n/a").toList();
        out.printf(format + " %-5d %-10d %-33s %-12s %-7d %-12s %-12s %-14s %-12s %-10s %-10s%n", report.zone(),
            report.role(), report.state(), when, state.bits(), state.algorithm(), state.locator(),
            state.repository(), report.keyTag(), records.get(0), records.get(1), records.get(2), records.get(3),
            state.lost() ? "LOST" : report.key().hsm().backup().name().toLowerCase(Locale.ROOT),
            state.has(RecordType.DS) ? state.dsAtParent().label() : "n/a");
      }
    }

    private static String shortWait(KeyReport report) {
      String waits = report.waitsFor();
      if (waits.startsWith("you to submit")) {
        return "ds-submit";
      }
      if (waits.startsWith("you to have the parent remove")) {
        return "ds-retract";
      }
      if (waits.startsWith("the parent to publish")) {
        return "ds-seen";
      }
      if (waits.startsWith("the parent to remove")) {
        return "ds-gone";
      }
      if (waits.startsWith("a backup")) {
        return "backup";
      }
      return report.next();
    }
  }

  @Command(name = "verify", description = {"Whether this node's key repositories hold each key the zones use.",
      "Answered by the node asked, from a fresh listing of its HSMs (after an HSM was restored, say)."})
  static final class Verify extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--zone", paramLabel = "NAME")
    String zone;

    @Option(names = "--json", description = "As JSON: zone, keytype, key tag, locator, repository, present.")
    boolean json;

    @Override
    void run(Services services, PrintWriter out) {
      java.util.Map<String, java.util.Set<String>> held = new java.util.HashMap<>();
      List<java.util.Map<String, Object>> rows = new java.util.ArrayList<>();
      for (KeyReport report : services.keys().list(zone)) {
        org.twinsign.appliance.enforcer.KeyState state = report.key().state();
        if (state.allHidden()) {
          continue; // a dead key is used by no zone any more
        }
        java.util.Set<String> locators = held.computeIfAbsent(state.repository(), r -> {
          java.util.Set<String> hex = new java.util.HashSet<>();
          services.repositories().get(r).locators().forEach(l -> hex.add(l.hex()));
          return hex;
        });
        java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
        row.put("zone", report.zone());
        row.put("keytype", report.role().name());
        row.put("key_tag", report.keyTag());
        row.put("locator", state.locator());
        row.put("repository", state.repository());
        row.put("present", locators.contains(new org.twinsign.appliance.hsm.KeyLocator(state.locator()).hex()));
        rows.add(row);
      }
      long missing = rows.stream().filter(r -> !(Boolean) r.get("present")).count();
      if (json) {
        JsonOutput.print(out, rows);
      } else {
        for (java.util.Map<String, Object> r : rows) {
          out.printf("%-24s %-4s %5s %-34s %-12s %s%n", r.get("zone"), r.get("keytype"), r.get("key_tag"),
              r.get("locator"), r.get("repository"), (Boolean) r.get("present") ? "present" : "MISSING");
        }
        out.println(rows.size() + " key(s) in use, " + missing + " missing from this node's HSMs");
      }
    }
  }

  @Command(name = "pool", description = {"The key pools against what the rollovers until the next backup need.",
      "Per repository, role and algorithm: the keys generated and backed up, the pool's target and the level",
      "below which it is short (keypool.horizon; the enforcer's runs top the pools up)."})
  static final class Pool extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Override
    void run(Services services, PrintWriter out) {
      List<org.twinsign.appliance.service.KeyPool.Level> levels = new org.twinsign.appliance.service.KeyPool(services)
          .levels();
      if (json) {
        JsonOutput.print(out, levels.stream().map(l -> {
          java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
          m.put("repository", l.repository());
          m.put("role", l.role().name());
          m.put("algorithm", l.algorithm());
          m.put("bits", l.bits());
          m.put("keys", l.keys());
          m.put("backed_up", l.backedUp());
          m.put("require_backup", services.repositories().configured(l.repository()).requireBackup());
          m.put("target", l.target());
          m.put("least", l.least());
          m.put("last_generated", l.lastGenerated() == null ? null : l.lastGenerated().toString());
          return m;
        }).toList());
        return;
      }
      String format = "%-16s %-4s %-10s %-6s %-10s %-7s %-13s %s%n";
      out.printf(format, "Repository:", "Role:", "Algorithm:", "Keys:", "Backed up:", "Target:", "Short below:",
          "Last generated:");
      for (org.twinsign.appliance.service.KeyPool.Level l : levels) {
        out.printf(format, l.repository(), l.role(), l.algorithm() + (l.bits() > 0 ? "/" + l.bits() : ""), l.keys(),
            l.backedUp(), l.target(), l.least(), time(l.lastGenerated()));
      }
    }
  }

  @Command(name = "generate", description = "Generate keys into the pool: COUNT of each key of the policy.")
  static final class Generate extends ServiceCommand {
    @Option(names = "--policy", required = true, paramLabel = "NAME")
    String policy;

    @Option(names = "--count", required = true, paramLabel = "N")
    int count;

    @Override
    void check() {
      if (count < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--count must be at least 1");
      }
    }

    @Override
    void run(Services services, PrintWriter out) {
      services.keys().generate(policy, count).forEach(out::println);
    }
  }

  @Command(name = "rollover", description = "Roll the current keys of a type at the next 'enforce'.")
  static final class Rollover extends ServiceCommand {
    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
      @Option(names = "--zone", paramLabel = "NAME")
      String zone;

      @Option(names = "--policy", paramLabel = "NAME", description = "Every zone of the policy.")
      String policy;
    }

    @Option(names = "--keytype", required = true, paramLabel = "KSK|ZSK|CSK")
    String keytype;

    @Option(names = "--lost", description = {"The keys are gone from their repository: an emergency rollover",
        "(the enforcer decides this alone unless no key of the zone is left in the repository)."})
    boolean lost;

    @Override
    void check() {
      role(spec.commandLine(), keytype);
    }

    @Override
    void run(Services services, PrintWriter out) {
      services.keys().rollover(target.zone, target.policy, role(spec.commandLine(), keytype), lost)
          .forEach(out::println);
    }
  }

  @Command(name = "export", description = {"Print DNSKEY (or --ds: DS) records in BIND format.",
      "By default those of the zone's ready and active KSKs and CSKs."})
  static final class Export extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String zone;

    @Option(names = "--ds", description = "DS records (SHA-256) instead of DNSKEYs.")
    boolean ds;

    @Option(names = "--keystate", paramLabel = "STATE",
        description = "generate, publish, ready, active, retire or dead (default: ready and active).")
    String keystate;

    @Option(names = "--keytype", paramLabel = "KSK|ZSK|CSK", description = "Default: KSKs and CSKs.")
    String keytype;

    @Override
    void check() {
      if (keytype != null) {
        role(spec.commandLine(), keytype);
      }
    }

    @Override
    void run(Services services, PrintWriter out) {
      out.print(services.keys().export(zone, ds, keystate, keytype));
    }
  }

  /** A command on one key of a zone, given by --keytag or --cka-id. */
  abstract static class OnKey extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String zone;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
      @Option(names = "--keytag", paramLabel = "TAG")
      Integer keyTag;

      @Option(names = "--cka-id", paramLabel = "HEX")
      String ckaId;
    }
  }

  @Command(name = "ds-submit", description = {"You submitted the DS of this key to the parent.",
      "Needed when no ds.submit-command is configured; 'ds-seen' follows once the parent publishes it."})
  static final class DsSubmit extends OnKey {
    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.keys().dsSubmit(zone, which.keyTag, which.ckaId));
    }
  }

  @Command(name = "ds-retract", description = {"You asked the parent to remove the DS of this key.",
      "Needed when no ds.retract-command is configured; 'ds-gone' follows once the parent has removed it."})
  static final class DsRetract extends OnKey {
    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.keys().dsRetract(zone, which.keyTag, which.ckaId));
    }
  }

  @Command(name = "ds-seen", description = "The parent publishes the DS of this key.")
  static final class DsSeen extends OnKey {
    @Option(names = "--no-retire", description = "Keep the old KSKs until 'key ksk-retire'.")
    boolean noRetire;

    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.keys().dsSeen(zone, which.keyTag, which.ckaId, noRetire));
    }
  }

  @Command(name = "ds-gone", description = "The parent no longer publishes the DS of this key.")
  static final class DsGone extends OnKey {
    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.keys().dsGone(zone, which.keyTag, which.ckaId));
    }
  }

  @Command(name = "ksk-retire", description = "Retire a KSK that has a successor, or one kept by ds-seen --no-retire.")
  static final class KskRetire extends OnKey {
    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.keys().kskRetire(zone, which.keyTag, which.ckaId));
    }
  }

  @Command(name = "purge", description = {"List the keys of deleted zones; with --force, destroy them.",
      "The enforcer purges them by itself once their policy's <Purge> has passed."})
  static final class Purge extends ServiceCommand {
    @Option(names = "--force", description = "Destroy them in their repositories (irreversible without a backup).")
    boolean force;

    @Override
    void run(Services services, PrintWriter out) {
      services.zones().purge(force).forEach(out::println);
    }
  }
}
