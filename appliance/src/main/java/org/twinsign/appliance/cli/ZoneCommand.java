package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.ZoneService;
import org.twinsign.appliance.store.ZoneTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign zone add|list|delete}. */
@Command(name = "zone", description = "Zones: their policy and files.",
    subcommands = {ZoneCommand.Add.class, ZoneCommand.ListZones.class, ZoneCommand.Delete.class,
        ZoneCommand.SetPolicy.class, ZoneCommand.Status.class, ZoneCommand.Resign.class, ZoneCommand.Notify.class})
final class ZoneCommand extends CommandGroup {

  @Command(name = "add", description = "Add a zone; its keys come with the next 'enforce'.")
  static final class Add extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Option(names = "--policy", required = true, paramLabel = "POLICY")
    String policy;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = {"The unsigned zone file; with",
        "--primary, where the master keeps the zone it transfers in."})
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where the signed zone goes.")
    Path output;

    @Option(names = "--cds", description = "Publish CDS and CDNSKEY records for the DS set the parent should have"
        + " (RFC 7344, RFC 8078).")
    boolean cds;

    @Option(names = "--parent-server", paramLabel = "HOST[:PORT]", description = {"A name server of the parent to",
        "ask for the zone's DS set: ds-seen and ds-gone then follow by themselves once the answer has been",
        "stable for the parent's DS TTL plus propagation delay. Repeat for every server of the parent."})
    List<String> parentServers = new ArrayList<>();

    @Option(names = "--primary", paramLabel = "HOST:PORT", description = {"A hidden primary to transfer the",
        "unsigned zone from (IXFR, AXFR; its NOTIFY taken). Repeat for several."})
    List<String> primaries = new ArrayList<>();

    @Option(names = "--primary-key", paramLabel = "NAME", description = {"The TSIG key (in dns.tsig-file) the",
        "transfers from the primaries and their NOTIFY are signed with."})
    String primaryKey;

    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.zones().add(name, policy, input, output, new ZoneService.Options(cds, parentServers,
          primaries, primaryKey)));
    }
  }

  @Command(name = "list", description = "The zones, their policies and files.")
  static final class ListZones extends ServiceCommand {
    @Override
    public boolean changesState() {
      return false;
    }

    @Option(names = "--json", description = "Print the zones as JSON.")
    boolean json;

    @Override
    void run(Services services, PrintWriter out) {
      if (json) {
        JsonOutput.print(out, services.zones().list().stream().map(JsonOutput.Zone::of).toList());
        return;
      }
      out.printf("%-30s %-16s %-12s %s%n", "Zone:", "Policy:", "Serial:", "Input -> output:");
      for (ZoneTable.ZoneRow row : services.zones().list()) {
        out.printf("%-30s %-16s %-12s %s -> %s%n", row.name(), row.policy(),
            row.signedSerial() == null ? "-" : row.signedSerial(), row.input(), row.output());
      }
    }
  }

  @Command(name = "delete", description = {"Delete a zone and its key state; its keys are kept, retired.",
      "They are purged after the policy's <Purge>, or by 'key purge --force'. Warns while the parent has the",
      "zone's DS or the signed file is still there."})
  static final class Delete extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.zones().delete(name));
    }
  }

  @Command(name = "set-policy", description = {"Move a zone to another policy.",
      "Its keys follow the new policy from the next 'enforce' (a new algorithm starts an algorithm rollover)."})
  static final class SetPolicy extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Option(names = "--policy", required = true, paramLabel = "POLICY")
    String policy;

    @Override
    void run(Services services, PrintWriter out) {
      out.println(services.zones().setPolicy(name, policy));
    }
  }

  @Command(name = "status", description = {"One zone as the node asked has it: source, serials, schedule, journal.",
      "In a pair also what the node serves, its last transfers in and out and the last NOTIFY it sent."})
  static final class Status extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Option(names = "--json", description = "As JSON.")
    boolean json;

    @Option(names = "--digest", description = {"On a standby: also the SHA-256 of the zone file its copy of the",
        "master's version makes (compare it with the master's signed file)."})
    boolean digest;

    @Override
    public boolean changesState() {
      return false;
    }

    @Override
    void run(Services services, PrintWriter out) {
      java.util.Map<String, String> status = services.zones().status(name);
      org.twinsign.appliance.dns.DnsOperations dns = dns();
      if (dns != null) {
        status.putAll(dns.status(ZoneService.origin(ZoneService.canonical(name)), digest));
      } else {
        status.put("served", "by file only (no node daemon with dns.listen answered)");
      }
      if (json) {
        JsonOutput.print(out, status);
        return;
      }
      status.forEach((k, v) -> out.printf("%-18s %s%n", k + ":", v));
    }
  }

  @Command(name = "resign", description = {"Sign a zone now, whatever its schedule (signatures still valid are kept).",
      "As OpenDNSSEC's 'ods-signer sign'."})
  static final class Resign extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Override
    void run(Services services, PrintWriter out) {
      services.zones().resign(name).forEach(out::println);
    }
  }

  @Command(name = "notify", description = {"Send NOTIFY of a zone's current serial to the secondaries now.",
      "Runs on the master's DNS side (dns.notify)."})
  static final class Notify extends ServiceCommand {
    @Option(names = "--zone", required = true, paramLabel = "NAME")
    String name;

    @Override
    void run(Services services, PrintWriter out) {
      services.zones().require(name);
      org.twinsign.appliance.dns.DnsOperations dns = dns();
      if (dns == null) {
        throw new IllegalStateException("zone notify needs the node daemon's DNS side (node.mode=pair with"
            + " dns.listen and dns.notify): a single signer publishes by file, and its name servers reload it");
      }
      out.println(dns.notifyNow(ZoneService.origin(ZoneService.canonical(name))));
    }
  }
}
