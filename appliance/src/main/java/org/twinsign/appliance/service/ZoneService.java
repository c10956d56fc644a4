package org.twinsign.appliance.service;

import org.twinsign.appliance.policy.KaspPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.twinsign.appliance.hsm.KeyLocator;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.StoreException;
import org.twinsign.appliance.store.ZoneTable;
import org.twinsign.appliance.zone.ZoneFileException;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.twinsign.appliance.zone.ZonelistReader;
import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

/** {@code zone add|list|delete} and {@code zonelist import}. */
public final class ZoneService {
  private final Services services;

  ZoneService(Services services) {
    this.services = services;
  }

  /** A zone name as the store keeps it: lower case, without the final dot. */
  public static String canonical(String zone) {
    String name = zone.trim().toLowerCase(Locale.ROOT);
    if (name.endsWith(".") && name.length() > 1) {
      name = name.substring(0, name.length() - 1);
    }
    try {
      Name.fromString(name + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("'" + zone + "' is not a domain name: " + e.getMessage());
    }
    return name;
  }

  public static Name origin(String zone) {
    return Name.fromConstantString(zone + ".");
  }

  /**
   * What a zone may have besides its policy and files: CDS, the parent's servers to check for
   * its DS, and hidden primaries (HOST:PORT) to transfer it from, with their TSIG key (or null).
   */
  public record Options(boolean publishCds, List<String> parentServers, List<String> primaries, String primaryKey) {
    public static final Options NONE = new Options(false, List.of());

    public Options(boolean publishCds, List<String> parentServers) {
      this(publishCds, parentServers, List.of(), null);
    }
  }

  /** Adds a zone; its keys come at the next {@code enforce}. The input must read as a zone now. */
  public String add(String zone, String policy, Path input, Path output, Options options) {
    for (String server : options.parentServers()) {
      ParentCheck.address(server); // a bad server is an error now, naming it
    }
    String name = canonical(zone);
    Path in = input.toAbsolutePath();
    Path out = output.toAbsolutePath();
    List<String> primaries = primaries("--primary", options.primaries());
    if (options.primaryKey() != null && primaries.isEmpty()) {
      throw new IllegalArgumentException("--primary-key " + options.primaryKey() + " needs --primary HOST:PORT");
    }
    if (primaries.isEmpty()) {
      checkInput(in, name);
    } else if (!Files.isDirectory(in.getParent())) {
      throw new StoreException("--input " + in + ": the directory " + in.getParent() + " does not exist (the"
          + " transferred zone is kept there)");
    }
    if (!Files.isDirectory(out.getParent())) {
      throw new StoreException("--output " + out + ": the directory " + out.getParent() + " does not exist");
    }
    return services.store().write(services.lease(), tx -> {
      PolicyTable.require(tx, policy);
      if (ZoneTable.find(tx, name).isPresent()) {
        throw new StoreException("zone " + name + " exists already: 'zone delete --zone " + name
            + "' first to add it anew");
      }
      String conflict = ZoneTable.pathConflict(tx, name, in, out);
      if (conflict != null) {
        throw new StoreException(conflict + " (nothing was added)");
      }
      ZoneTable.insert(tx, name, policy, in, out, Store.now(tx), options.publishCds(), options.parentServers(),
          primaries, options.primaryKey());
      return "zone " + name + " added with policy " + policy + " (" + (primaries.isEmpty() ? in.toString()
          : "transferred from " + String.join(", ", primaries) + " into " + in) + " -> " + out + ")";
    });
  }

  /** The primaries as the store keeps them ({@code HOST:PORT} by address); a bad one is an error now, naming it. */
  private static List<String> primaries(String option, List<String> given) {
    List<String> primaries = new ArrayList<>();
    for (String primary : given) {
      primaries.add(org.twinsign.appliance.dns.ServerAddress.format(
          org.twinsign.appliance.dns.ServerAddress.parse(option, primary)));
    }
    return primaries;
  }

  /** The input must read as the zone now (errors name its line) and hold the zone's SOA. */
  private static void checkInput(Path input, String zone) {
    if (ZoneFileReader.read(input, origin(zone)).soa() == null) {
      throw new ZoneFileException(input + " has no SOA record for " + zone + ": is it the zone file of " + zone + "?");
    }
  }

  /**
   * Reads each zone's published file into memory (a new master's term starts with none), where
   * the store records it as published (same digest): the DNS server serves it, the next signing
   * starts from it. A file that is missing or differs is left for the next signing to replace.
   *
   * @return what was loaded or why not, one line per zone
   */
  /** The serial the store records as published: the journal's when changes were published by journal since the file. */
  public static Long publishedSerial(Long signedSerial, String publishedDigest) {
    PublishedDigest published = PublishedDigest.parse(publishedDigest);
    return published != null && published.journalSerial() != null ? published.journalSerial() : signedSerial;
  }

  /** A signed zone a standby ingested from its master: the version, and the signed diffs that led to it. */
  public record Ingested(long serial, org.twinsign.appliance.zone.Zone zone,
      List<org.twinsign.appliance.zone.ZoneDiff> diffs) {}

  /**
   * At the start of a term after a promotion: takes the last master's versions this node ingested
   * as its own, for the zones where the store records that very serial as published, so that the
   * first signing continues from the master's signatures (no full re-sign, no serial going back).
   * Zones without a matching copy are read from their published files ({@link #loadPublished}).
   */
  public List<String> adopt(java.util.Map<String, Ingested> ingested) {
    List<String> lines = new ArrayList<>();
    if (ingested.isEmpty()) {
      return lines;
    }
    int adopted = 0;
    for (ZoneTable.ZoneRow row : list()) {
      Ingested copy = ingested.get(row.name());
      if (copy == null || row.publishedDigest() == null || services.signedZones().current(row.name()) != null) {
        continue;
      }
      Long expected = publishedSerial(row.signedSerial(), row.publishedDigest());
      if (expected == null || expected != copy.serial()) {
        lines.add("zone " + row.name() + ": the copy ingested from the last master has serial " + copy.serial()
            + ", the store records " + expected + " as published: the published file is read instead");
        continue;
      }
      // this node's file is written from the copy, in the background: reading a large file to learn
      // whether it already holds that version would delay the first signing by seconds
      services.signedZones().adopted(row.name(), copy.serial(), row.publishedDigest(), copy.zone(), copy.diffs(),
          org.twinsign.appliance.zone.JournalFile.of(row.output()), ZoneInputs.Input.serialOf(row.inputDigest()),
          true);
      adopted++;
      lines.add("zone " + row.name() + ": serial " + copy.serial() + " taken over from the last master's output"
          + " (ingested while standby" + (copy.diffs().isEmpty() ? "" : ", " + copy.diffs().size()
              + " diff(s) for IXFR") + "); " + row.output() + " is written from it");
    }
    if (lines.size() > 20) {
      List<String> some = new ArrayList<>(lines.subList(0, 5));
      some.add(adopted + " zone(s) taken over from the last master's output in all");
      return some;
    }
    return lines;
  }

  public List<String> loadPublished() {
    List<String> lines = new ArrayList<>();
    for (ZoneTable.ZoneRow row : list()) {
      if (services.signedZones().current(row.name()) != null || row.publishedDigest() == null) {
        continue;
      }
      try {
        PublishedDigest published = PublishedDigest.parse(row.publishedDigest());
        if (!Files.isRegularFile(row.output())
            || !services.fileDigests().of(row.output()).equals(published.file())) {
          lines.add("zone " + row.name() + ": the published file " + row.output() + " is not the version the store"
              + " recorded: the next signing replaces it");
          continue;
        }
        org.twinsign.appliance.zone.Zone zone = ZoneFileReader.read(row.output(), origin(row.name()));
        long serial = zone.soa() == null ? 0 : zone.soa().getSerial();
        java.nio.file.Path journal = org.twinsign.appliance.zone.JournalFile.of(row.output());
        String how = "";
        if (published.journalSerial() != null && published.journalSerial() != serial) {
          // changes published by journal since the file was written: the file plus its journal
          int applied = 0;
          for (org.twinsign.appliance.zone.ZoneDiff diff : org.twinsign.appliance.zone.JournalFile.read(journal,
              published.journalSerial())) {
            if (diff.from().getSerial() == zone.soa().getSerial()) {
              diff.applyTo(zone);
              applied++;
            }
          }
          if (zone.soa().getSerial() != published.journalSerial()) {
            lines.add("zone " + row.name() + ": the journal " + journal + " does not lead from the published file's"
                + " serial " + serial + " to the serial " + published.journalSerial() + " the store recorded: the"
                + " next signing replaces both");
            continue;
          }
          how = " and " + applied + " diff(s) from its journal";
          serial = published.journalSerial();
        }
        services.signedZones().loaded(row.name(), serial, row.publishedDigest(), zone, journal,
            ZoneInputs.Input.serialOf(row.inputDigest()));
        lines.add("zone " + row.name() + ": serial " + serial + " loaded from " + row.output() + how);
      } catch (RuntimeException e) {
        lines.add("zone " + row.name() + ": the published file " + row.output() + " could not be loaded ("
            + e.getMessage() + "): the next signing replaces it");
      }
    }
    return lines;
  }

  /** The zone's row, or an error naming it. */
  public ZoneTable.ZoneRow require(String zone) {
    String name = canonical(zone);
    return services.store().read(tx -> ZoneTable.require(tx, name));
  }

  /**
   * {@code zone status}: the zone as the store and this process have it (what a node's DNS side
   * serves is added by the node).
   */
  public java.util.Map<String, String> status(String zone) {
    String name = canonical(zone);
    java.util.Map<String, String> s = new java.util.LinkedHashMap<>();
    record Stored(ZoneTable.ZoneRow row, java.util.Optional<ZoneTable.Due> due) {}
    Stored stored = services.store().read(tx -> new Stored(ZoneTable.require(tx, name),
        ZoneTable.schedule(tx).stream().filter(d -> d.zone().equals(name)).findFirst()));
    ZoneTable.ZoneRow row = stored.row();
    s.put("zone", row.name());
    s.put("policy", row.policy());
    s.put("input", row.transferredIn() ? "transferred from " + String.join(", ", row.primaries())
        + (row.primaryKey() == null ? "" : " (TSIG " + row.primaryKey() + ")") + ", kept in " + row.input()
        : row.input().toString());
    s.put("source serial", sourceSerial(row));
    PublishedDigest published = PublishedDigest.parse(row.publishedDigest());
    if (published != null && published.journalSerial() != null) {
      s.put("signed file", "behind: the changes up to serial " + published.journalSerial() + " are in its journal"
          + " (secondaries have them by IXFR); the file is written once the zone is quiet");
    }
    s.put("signed serial", row.signedSerial() == null ? "not signed yet" : row.signedSerial() + " at "
        + row.signedAt());
    s.put("output", row.output().toString());
    s.put("next re-sign", row.resignAt() == null ? "at the next run" : row.resignAt().toString());
    s.put("next enforcer run", stored.due().map(d -> d.at() == null ? "nothing scheduled" : d.at() + " (" + d.reason() + ")")
        .orElse("nothing scheduled"));
    SignedZones.Version v = services.signedZones().current(name);
    if (v != null) {
      s.put("in memory", "serial " + v.serial() + ", journal " + v.journal().depth() + " versions");
      String expire = signaturesExpire(name);
      if (expire != null) {
        s.put("signatures expire", expire);
      }
    }
    return s;
  }

  /**
   * When the first signature of the zone's version in this process's memory expires, with the
   * policy's Refresh and Resign ({@code zone status}; {@code health} weighs one against the
   * others); null without a signed version here.
   */
  public String signaturesExpire(String zone) {
    String name = canonical(zone);
    SignedZones.Version v = services.signedZones().current(name);
    long expiry = v == null ? 0 : services.signedZones().earliestExpiry(v);
    if (expiry <= 0) {
      return null;
    }
    KaspPolicy policy = services.store().read(tx -> PolicyTable.require(tx, ZoneTable.require(tx, name).policy()));
    return java.time.Instant.ofEpochSecond(expiry) + " (earliest; refresh " + policy.signatures().refresh()
        + ", resign " + policy.signatures().resign() + ")";
  }

  private String sourceSerial(ZoneTable.ZoneRow row) {
    ZoneInputs.Input held = services.inputs().current(row.name());
    if (held != null) {
      return held.serial() + " (held in memory; its file is written after)";
    }
    if (!Files.isRegularFile(row.input())) {
      return row.transferredIn() ? "none yet (no transfer in)" : "the input file is missing";
    }
    try {
      org.xbill.DNS.SOARecord soa = ZoneFileReader.soa(row.input(), origin(row.name()));
      return soa == null ? "no SOA in the input" : Long.toString(soa.getSerial());
    } catch (RuntimeException e) {
      return "unreadable input: " + e.getMessage();
    }
  }

  /** {@code zone resign}: the zone is signed now (signatures still valid are kept); the run's report. */
  public List<String> resign(String zone) {
    String name = canonical(zone);
    services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, name);
      ZoneTable.require(tx, name);
      ZoneTable.signNeeded(tx, name);
      ZoneTable.schedule(tx, name, Store.now(tx), "zone resign by an operator");
      return null;
    });
    EnforcerService.Report report = services.enforcer().enforce(List.of(name));
    List<String> lines = new ArrayList<>(report.lines());
    if (!report.failures().isEmpty()) {
      throw new IllegalStateException(String.join("; ", report.failures()));
    }
    return lines;
  }

  public List<ZoneTable.ZoneRow> list() {
    return services.store().read(ZoneTable::all);
  }

  /**
   * Deletes a zone and its key state, as OpenDNSSEC 2 does: its keys that no other zone uses are
   * kept in their repositories, retired (never back in the pool: a key once published belongs to
   * its zone), and purged after their policy's {@code <Purge>} or by {@code key purge --force}.
   * Warns when the parent still has the zone's DS or the signed file is still there to be served.
   */
  public String delete(String zone) {
    String name = canonical(zone);
    return services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, name);
      ZoneTable.ZoneRow row = ZoneTable.require(tx, name);
      Instant now = Store.now(tx);
      List<String> warnings = new ArrayList<>();
      List<KeyTable.StoredKey> keys = KeyTable.zoneKeys(tx, name);
      for (KeyTable.StoredKey key : keys) {
        org.twinsign.appliance.enforcer.DsAtParent ds = key.state().dsAtParent();
        if (ds == org.twinsign.appliance.enforcer.DsAtParent.SEEN
            || ds == org.twinsign.appliance.enforcer.DsAtParent.SUBMITTED) {
          warnings.add("warning: the parent may still publish the DS of " + key.state().role() + " "
              + key.state().keyTag() + " (" + ds.label() + "): have it removed, or the zone turns bogus once its"
              + " signatures expire; its key is kept");
        }
      }
      if (Files.exists(row.output())) {
        warnings.add("warning: the signed file " + row.output() + " is still there: remove the zone from the name"
            + " servers that serve it, or its signatures expire in place");
      }
      ZoneTable.delete(tx, name);
      java.util.Set<Long> retired = new java.util.TreeSet<>();
      for (KeyTable.StoredKey key : keys) {
        if (!KeyTable.inUse(tx, key.hsm().id()) && retired.add(key.hsm().id())) {
          KeyTable.retire(tx, key.hsm().id(), name, now);
        }
      }
      KaspPolicy policy = PolicyTable.find(tx, row.policy()).orElse(null);
      String purge = policy == null || policy.keys().purge() == null ? "'key purge --force' destroys them"
          : "purged after " + policy.keys().purge() + " (policy " + policy.name() + "), or by 'key purge --force'";
      List<String> lines = new ArrayList<>(warnings);
      lines.add("zone " + name + " deleted; " + retired.size() + " keys kept in their repositories (" + purge + ")");
      return String.join("\n", lines);
    });
  }

  /** Moves a zone to another policy (OpenDNSSEC's {@code zone set-policy}); keys follow it from the next run. */
  public String setPolicy(String zone, String policy) {
    String name = canonical(zone);
    return services.store().write(services.lease(), tx -> {
      ZoneTable.lock(tx, name);
      ZoneTable.ZoneRow row = ZoneTable.require(tx, name);
      PolicyTable.require(tx, policy);
      if (row.policy().equals(policy)) {
        return "zone " + name + " has policy " + policy + " already";
      }
      ZoneTable.setPolicy(tx, name, policy);
      ZoneTable.schedule(tx, name, Store.now(tx), "policy changed to " + policy);
      return "zone " + name + ": policy " + row.policy() + " -> " + policy + "; its keys follow the new policy at the"
          + " next 'enforce' (a new algorithm starts an algorithm rollover)";
    });
  }

  /** The zones as an OpenDNSSEC 2 zonelist.xml with File adapters; {@link #importZonelist} reads it back unchanged. */
  public String exportZonelist() {
    List<ZoneTable.ZoneRow> zones = services.store().read(ZoneTable::all);
    StringBuilder out = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ZoneList>\n");
    for (ZoneTable.ZoneRow zone : zones) {
      out.append("  <Zone name=\"").append(xml(zone.name())).append("\">\n")
          .append("    <Policy>").append(xml(zone.policy())).append("</Policy>\n")
          .append("    <Adapters>\n")
          .append("      <Input><Adapter type=\"File\">").append(xml(zone.input().toString()))
          .append("</Adapter></Input>\n")
          .append("      <Output><Adapter type=\"File\">").append(xml(zone.output().toString()))
          .append("</Adapter></Output>\n")
          .append("    </Adapters>\n  </Zone>\n");
    }
    return out.append("</ZoneList>\n").toString();
  }

  private static String xml(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /**
   * Retired keys (of deleted zones): lists them, and with {@code force} destroys them in their
   * repositories — the one irreversible step, so it is asked for explicitly.
   */
  public List<String> purge(boolean force) {
    List<KeyTable.RetiredKey> keys = services.store().read(KeyTable::retired);
    List<String> lines = new ArrayList<>();
    if (keys.isEmpty()) {
      lines.add("no retired keys: every key belongs to a zone or to the pool");
      return lines;
    }
    for (KeyTable.RetiredKey key : keys) {
      lines.add((force ? "destroyed " : "would destroy ") + key.locator() + " in repository " + key.repository()
          + " (zone " + key.zone() + ", retired " + key.retiredAt() + ")");
      if (force) {
        destroyRetired(key);
      }
    }
    if (!force) {
      lines.add("nothing destroyed: add --force to destroy these " + keys.size() + " keys (they cannot be recovered"
          + " without a backup)");
    }
    return lines;
  }

  /** The row first, then the key: a crash between leaves a key nobody refers to, never a row without its key. */
  void destroyRetired(KeyTable.RetiredKey key) {
    services.store().write(services.lease(), tx -> {
      KeyTable.deleteHsmKey(tx, key.id());
      return null;
    });
    if (!key.lost()) {
      services.repositories().get(key.repository()).delete(new KeyLocator(key.locator()));
    }
  }

  /** Adds the zones of an OpenDNSSEC zonelist.xml that are not in the store yet; all or none. */
  public List<String> importZonelist(Path file) {
    List<ZonelistReader.Entry> entries = ZonelistReader.read(file);
    java.util.Map<ZonelistReader.Entry, List<String>> primariesOf = new java.util.HashMap<>();
    for (ZonelistReader.Entry entry : entries) {
      try {
        primariesOf.put(entry, primaries("primary", entry.primaries()));
        if (!entry.primaries().isEmpty()) {
          continue; // transferred in: no input file yet
        }
        checkInput(entry.input(), canonical(entry.name()));
      } catch (RuntimeException e) {
        throw new StoreException(file + ":" + entry.line() + ": zone " + entry.name() + ": " + e.getMessage());
      }
    }
    return services.store().write(services.lease(), tx -> {
      Instant now = Store.now(tx);
      List<String> report = new ArrayList<>();
      org.twinsign.appliance.store.ZoneFileIndex files = org.twinsign.appliance.store.ZoneFileIndex.of(tx);
      for (ZonelistReader.Entry entry : entries) {
        String name = canonical(entry.name());
        if (PolicyTable.find(tx, entry.policy()).isEmpty()) {
          throw new StoreException(file + ":" + entry.line() + ": zone " + name + " names policy '" + entry.policy()
              + "', which is not in the store: 'policy import' it first");
        }
        java.util.Optional<ZoneTable.ZoneRow> existing = ZoneTable.find(tx, name);
        if (existing.isPresent()) {
          if (!existing.get().policy().equals(entry.policy())) {
            // as OpenDNSSEC: the zone changes policy; its keys follow the new rules from the next run
            ZoneTable.lock(tx, name);
            ZoneTable.setPolicy(tx, name, entry.policy());
            ZoneTable.schedule(tx, name, now, "policy changed to " + entry.policy());
            report.add("zone " + name + ": policy changed from " + existing.get().policy() + " to " + entry.policy());
          } else {
            report.add("zone " + name + ": exists, unchanged");
          }
          continue;
        }
        String conflict = files.conflict(name, entry.input(), entry.output());
        if (conflict != null) {
          throw new StoreException(file + ":" + entry.line() + ": " + conflict + " (no zone of " + file
              + " was added)");
        }
        files.add(name, entry.input(), entry.output());
        List<String> primaries = primariesOf.get(entry);
        ZoneTable.insert(tx, name, entry.policy(), entry.input(), entry.output(), now, false, List.of(), primaries,
            entry.primaryKey());
        report.add("zone " + name + ": added with policy " + entry.policy() + (primaries.isEmpty() ? ""
            : ", transferred from " + String.join(", ", primaries)));
      }
      return report;
    });
  }
}
