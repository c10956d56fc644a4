package org.twinsign.appliance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;

/** The independent validators a signed zone must satisfy: BIND's and ldns's, and BIND's zone compiler. */
public final class Verifiers {
  private static final Set<String> DNSSEC_TYPES = Set.of("RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY");

  private Verifiers() {}

  /** What a tool printed and how it exited. */
  public record Outcome(int exit, String output) {
    public boolean ok() {
      return exit == 0;
    }
  }

  /** BIND's dnssec-verify; {@code csk} adds -z (a key with the SEP flag may sign everything). */
  public static Outcome dnssecVerify(Path zone, String origin, boolean csk) {
    List<String> command = new ArrayList<>(List.of(
        HostTool.require("dnssec-verify", "bind9-utils").toString(), "-o", origin));
    if (csk) {
      command.add("-z");
    }
    command.add(zone.toString());
    return run("dnssec-verify", command, zone.getParent());
  }

  /** ldns' ldns-verify-zone, optionally as of a UTC time YYYYMMDDhhmmss. */
  public static Outcome ldnsVerifyZone(Path zone, String at) {
    List<String> command = new ArrayList<>(List.of(
        HostTool.require("ldns-verify-zone", "ldnsutils").toString()));
    if (at != null) {
      command.addAll(List.of("-t", at));
    }
    command.add(zone.toString());
    return run("ldns-verify-zone", command, zone.getParent());
  }

  /** Knot's kzonecheck with DNSSEC checks, optionally as of a UTC time YYYYMMDDhhmmss. */
  public static Outcome kzonecheck(Path zone, String origin, String at) {
    List<String> command = new ArrayList<>(List.of(
        HostTool.require("kzonecheck", "knot-dnssecutils").toString(), "-o", origin, "-d", "on"));
    if (at != null) {
      command.addAll(List.of("-t", at));
    }
    command.add(zone.toString());
    return run("kzonecheck", command, zone.getParent());
  }

  /**
   * The zone's records as BIND's named-compilezone reads them (one per line, full names,
   * canonical text), without DNSSEC records and without the SOA (whose serial the signer sets).
   */
  public static Set<String> canonicalRecords(Path zone, String origin) {
    Path out = zone.resolveSibling(zone.getFileName() + ".canonical");
    Outcome outcome = run("named-compilezone", List.of(
        HostTool.require("named-compilezone", "bind9-utils").toString(), "-q", "-i", "none", "-k", "ignore",
        "-s", "full", "-o", out.toString(), origin, zone.toString()), zone.getParent());
    if (!outcome.ok()) {
      throw new AssertionError("named-compilezone cannot read " + zone + ":\n" + outcome.output());
    }
    Set<String> records = new TreeSet<>();
    try {
      for (String line : Files.readAllLines(out)) {
        if (line.isBlank() || line.startsWith(";")) {
          continue;
        }
        String[] fields = line.trim().split("\\s+");
        String type = fields.length > 3 ? fields[3] : "";
        if (DNSSEC_TYPES.contains(type) || "SOA".equals(type)) {
          continue;
        }
        records.add(String.join(" ", fields).toLowerCase(java.util.Locale.ROOT));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return records;
  }

  private static Outcome run(String name, List<String> command, Path dir) {
    try {
      Path log = Files.createTempFile(dir, name + "-", ".log");
      int exit = LocalProcess.run(name, command, Map.of(), dir, log, null, Duration.ofMinutes(10));
      String output = Files.readString(log);
      Files.deleteIfExists(log);
      return new Outcome(exit, output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
