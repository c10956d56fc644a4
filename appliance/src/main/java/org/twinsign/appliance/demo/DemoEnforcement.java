package org.twinsign.appliance.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.MariaDb;
import org.twinsign.testkit.SoftHsm2Token;

/**
 * The demo's main job, done as an operator would, each step a {@code twinsign} command in its own
 * process (SoftHSM reads {@code SOFTHSM2_CONF} once per process): set up the store, import a
 * policy, add the example zone, generate and back up keys, run the enforcer, which signs the zone,
 * and show {@code key list --verbose} and {@code rollover list}. With {@code simulate}, the store's
 * clock leaps from event to event until a ZSK and a KSK rollover (with the DS step, the demo
 * playing the parent) are done, the zone checked by ldns-verify-zone at every step.
 */
final class DemoEnforcement {
  static final String ZONE = "example.test";
  private static final Pattern LEAP = Pattern.compile("time leap: (\\S+) -> (\\S+)");
  private static final DateTimeFormatter DNS_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss")
      .withZone(ZoneOffset.UTC);
  private static final int MAX_LEAPS = 200;

  private final SoftHsm2Token token;
  private final Path dir;
  private final PrintWriter out;
  private final Path config;
  private int step;

  private DemoEnforcement(SoftHsm2Token token, Path dir, PrintWriter out, Path config) {
    this.token = token;
    this.dir = dir;
    this.out = out;
    this.config = config;
  }

  /** Runs the demo on database {@code db}; returns the signed zone file. */
  static Path run(SoftHsm2Token token, MariaDb db, Path dir, boolean simulate, PrintWriter out) {
    Path config = prepare(token, db, dir);
    return new DemoEnforcement(token, dir, out, config).run(simulate);
  }

  private Path run(boolean simulate) {
    Path unsigned = dir.resolve("example.test.zone");
    Path signed = dir.resolve("example.test.signed");
    copyResource("example.test.zone", unsigned);
    copyResource("demo-kasp.xml", dir.resolve("kasp.xml"));
    say(twinsign("setup", simulate ? List.of("setup", "--simulation") : List.of("setup")));
    say(twinsign("policy", List.of("policy", "import", dir.resolve("kasp.xml").toString())));
    say(twinsign("zone", List.of("zone", "add", "--zone", ZONE, "--policy", "demo", "--input", unsigned.toString(),
        "--output", signed.toString())));
    say(twinsign("generate", List.of("key", "generate", "--policy", "demo", "--count", "2")));
    say(twinsign("backup", List.of("backup", "prepare")));
    out.println("  (the backup officer backs up the HSM here)");
    say(twinsign("backup", List.of("backup", "commit")));
    say(twinsign("enforce", List.of("enforce")));
    if (!simulate) {
      Path verifyLog = dir.resolve("dnssec-verify.log");
      int exit = LocalProcess.run("dnssec-verify", List.of(HostTool.require("dnssec-verify", "bind9-utils").toString(),
          "-o", ZONE, signed.toString()), java.util.Map.of(), dir, verifyLog, null, Duration.ofMinutes(2));
      out.println("dnssec-verify says (exit " + exit + "):");
      out.println(indent(lastLines(verifyLog, 4)));
      if (exit != 0) {
        throw new IllegalStateException("dnssec-verify rejected the demo zone; see " + verifyLog);
      }
    }
    say(twinsign("keys", List.of("key", "list", "--verbose")));
    say(twinsign("rollovers", List.of("rollover", "list")));
    say(twinsign("export", List.of("key", "export", "--zone", ZONE, "--ds", "--keystate", "publish")));
    if (simulate) {
      simulate(signed);
    }
    out.flush();
    return signed;
  }

  /** Leaps until a ZSK and a KSK have been replaced, playing the parent, checking the zone at each step. */
  private void simulate(Path signed) {
    out.println("simulating: 'time leap' from event to event; the demo plays the parent (DS hooks, ds-seen, ds-gone)");
    boolean zskDone = false;
    boolean kskDone = false;
    String zone = "";
    for (int leaps = 0; leaps < MAX_LEAPS && !(zskDone && kskDone); leaps++) {
      String leap = twinsign("leap", List.of("time", "leap"));
      Matcher matcher = LEAP.matcher(leap);
      if (!matcher.find()) {
        throw new IllegalStateException("time leap said: " + leap);
      }
      Instant now = Instant.parse(matcher.group(2));
      say(leap);
      parent("submitted", "ds-seen", "publishes");
      parent("retracted", "ds-gone", "removes");
      zskDone |= leap.contains("ZSK") && leap.contains("DNSKEY unretentive -> hidden");
      kskDone |= leap.contains("KSK") && leap.contains("DNSKEY unretentive -> hidden");
      String text = read(signed);
      if (!text.equals(zone)) {
        zone = text;
        Path log = dir.resolve("ldns-verify-zone.log");
        int exit = LocalProcess.run("ldns-verify-zone", List.of(HostTool.require("ldns-verify-zone", "ldnsutils")
            .toString(), "-t", DNS_TIME.format(now), signed.toString()), java.util.Map.of(), dir, log, null,
            Duration.ofMinutes(2));
        if (exit != 0) {
          throw new IllegalStateException("the zone does not validate at " + now + ": " + lastLines(log, 5));
        }
        out.println("  zone validates at " + now + " (ldns-verify-zone -t " + DNS_TIME.format(now) + ")");
      }
    }
    say(twinsign("keys", List.of("key", "list", "--verbose")));
    out.println("simulation done: a ZSK rollover (pre-publication) and a KSK rollover (double-KSK, DS exchanged"
        + " with the parent) took place, the zone valid at every step");
  }

  /** The parent acts on what a DS hook handed it: publishes or removes the DS, and the operator reports it. */
  private void parent(String file, String command, String verb) {
    Path handed = dir.resolve("parent-" + file + ".txt");
    if (!Files.exists(handed)) {
      return;
    }
    String text = read(handed);
    try {
      Files.delete(handed);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int tag : keyTags(text, handed)) {
      out.println("  parent: " + verb + " the DS of key " + tag);
      say(twinsign(command, List.of("key", command, "--zone", ZONE, "--keytag", Integer.toString(tag))));
    }
  }

  private static List<Integer> keyTags(String dnskeys, Path from) {
    List<Integer> tags = new ArrayList<>();
    try (org.xbill.DNS.Master master = new org.xbill.DNS.Master(
        new java.io.ByteArrayInputStream(dnskeys.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
      org.xbill.DNS.Record record;
      while ((record = master.nextRecord()) != null) {
        if (record instanceof org.xbill.DNS.DNSKEYRecord key) {
          tags.add(key.getFootprint());
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("the DS hook handed over something that is not DNSKEY records (" + from + "): "
          + e.getMessage(), e);
    }
    return tags;
  }

  /** A database and account for the node, its config file, and DS hooks that hand keys to the "parent". */
  private static Path prepare(SoftHsm2Token token, MariaDb db, Path dir) {
    try {
      byte[] secret = new byte[18];
      new SecureRandom().nextBytes(secret);
      String password = HexFormat.of().formatHex(secret);
      db.execute("CREATE DATABASE twinsign", "CREATE USER 'twinsign'@'127.0.0.1' IDENTIFIED BY '" + password + "'",
          "GRANT ALL ON twinsign.* TO 'twinsign'@'127.0.0.1'");
      Path passwordFile = dir.resolve("db.password");
      Files.writeString(passwordFile, password + "\n");
      Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));
      Path submit = hook(dir, "ds-submit", dir.resolve("parent-submitted.txt"));
      Path retract = hook(dir, "ds-retract", dir.resolve("parent-retracted.txt"));
      Path config = dir.resolve("twinsign.conf");
      Files.writeString(config, "node.mode=single\ndb.url=" + db.jdbcUrl("twinsign") + "\ndb.user=twinsign\ndb.password.file="
          + passwordFile + "\nrepository.SoftHSM.library=" + token.library() + "\nrepository.SoftHSM.token="
          + token.label() + "\nrepository.SoftHSM.pin.file=" + token.userPinFile()
          + "\nrepository.SoftHSM.require-backup=true\nds.submit-command=" + submit + "\nds.retract-command=" + retract
          + "\n");
      return config;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the demo node in " + dir + ": " + e.getMessage(), e);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create the demo database: " + e.getMessage(), e);
    }
  }

  private static Path hook(Path dir, String name, Path target) throws IOException {
    Path script = dir.resolve(name + ".sh");
    Files.writeString(script, "#!/bin/sh\n# hands the DNSKEYs on stdin to the (simulated) parent\ncat >> '" + target
        + "'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return script;
  }

  private String twinsign(String name, List<String> args) {
    List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" > '" + dir.resolve("step.out") + "'",
        "twinsign", HostTool.currentJava().toString(), "--add-exports",
        "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), TwinsignCommand.class.getName(), "--config", config.toString()));
    command.addAll(args);
    Path log = dir.resolve(String.format("step-%03d-%s.log", ++step, name));
    int exit = LocalProcess.run("twinsign " + name, command, token.environment(), dir, log, null, Duration.ofMinutes(5));
    out.println("$ twinsign " + String.join(" ", args));
    if (exit != 0) {
      throw new IllegalStateException("demo step 'twinsign " + String.join(" ", args) + "' failed (exit " + exit
          + "):\n" + lastLines(log, 10));
    }
    return read(dir.resolve("step.out"));
  }

  private void say(String text) {
    if (!text.isBlank()) {
      out.println(indent(text.stripTrailing()));
    }
    out.flush();
  }

  private void copyResource(String name, Path target) {
    try (InputStream in = DemoEnforcement.class.getResourceAsStream(name)) {
      Files.copy(in, target);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the demo file " + target + ": " + e.getMessage(), e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String lastLines(Path file, int count) {
    try {
      List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    } catch (IOException e) {
      return "(cannot read " + file + ")";
    }
  }

  private static String indent(String text) {
    return "  " + text.replace("\n", "\n  ");
  }
}
