package org.twinsign.appliance.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.testkit.SoftHsm2Token;

/**
 * The demo's signing step, done as an operator would: {@code twinsign hsm generate} twice and
 * {@code twinsign sign}, each in its own process whose {@code SOFTHSM2_CONF} names the demo token
 * (SoftHSM reads it once per process), then BIND's {@code dnssec-verify} on the result.
 */
final class DemoSigning {
  static final String ZONE = "example.test.";

  private DemoSigning() {}

  /** Signs the bundled zone into {@code dir}; returns the signed file. */
  static Path run(SoftHsm2Token token, Path dir, PrintWriter out) {
    Path hsmConfig = dir.resolve("hsm.conf");
    Path unsigned = dir.resolve("example.test.zone");
    Path signed = dir.resolve("example.test.signed");
    try {
      Files.writeString(hsmConfig, "library=" + token.library() + "\ntoken=" + token.label() + "\npin.file="
          + token.userPinFile() + "\n");
      try (InputStream zone = DemoSigning.class.getResourceAsStream("example.test.zone")) {
        Files.copy(zone, unsigned);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the demo zone in " + dir + ": " + e.getMessage(), e);
    }
    String ksk = twinsign(token, dir, "generate-ksk", "hsm", "generate", "--hsm", hsmConfig.toString(),
        "--algorithm", "ECDSAP256SHA256", "--label", "demo-ksk", "--ksk").strip();
    String zsk = twinsign(token, dir, "generate-zsk", "hsm", "generate", "--hsm", hsmConfig.toString(),
        "--algorithm", "ECDSAP256SHA256", "--label", "demo-zsk").strip();
    out.println("generated KSK " + ksk + " and ZSK " + zsk + " (ECDSAP256SHA256) in the demo token");
    twinsign(token, dir, "sign", "sign", "--hsm", hsmConfig.toString(), "--zone", ZONE, "--input",
        unsigned.toString(), "--output", signed.toString(), "--ksk", ksk, "--zsk", zsk, "--nsec3");
    out.println("signed " + ZONE + " with NSEC3: " + signed);
    out.println(lastLines(dir.resolve("sign.log"), 1));
    Path verifyLog = dir.resolve("dnssec-verify.log");
    int exit = LocalProcess.run("dnssec-verify", List.of(HostTool.require("dnssec-verify", "bind9-utils").toString(),
        "-o", ZONE, signed.toString()), Map.of(), dir, verifyLog, null, Duration.ofMinutes(2));
    out.println("dnssec-verify says (exit " + exit + "):");
    out.println(indent(lastLines(verifyLog, 4)));
    out.flush();
    if (exit != 0) {
      throw new IllegalStateException("dnssec-verify rejected the demo zone; see " + verifyLog);
    }
    return signed;
  }

  private static String twinsign(SoftHsm2Token token, Path dir, String step, String... args) {
    List<String> command = new ArrayList<>(List.of(HostTool.currentJava().toString(),
        "--add-exports", "jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), TwinsignCommand.class.getName()));
    command.addAll(List.of(args));
    Path log = dir.resolve(step + ".log");
    Path out = dir.resolve(step + ".out");
    // stdout (the command's answer) and stderr (its report) apart: run through sh to split them
    List<String> shell = List.of("sh", "-c", "exec \"$@\" > '" + out + "'", "twinsign");
    List<String> full = new ArrayList<>(shell);
    full.addAll(command);
    int exit = LocalProcess.run("twinsign " + step, full, token.environment(), dir, log, null, Duration.ofMinutes(5));
    if (exit != 0) {
      throw new IllegalStateException("demo step 'twinsign " + String.join(" ", args) + "' failed (exit " + exit
          + "):\n" + lastLines(log, 10));
    }
    try {
      return Files.readString(out);
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
