package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.SmtpServer;

/**
 * The master's HSM goes away for real (its SoftHSM token directory is moved aside under the
 * running node): signing fails, the security officer is mailed an HSM error, and once the served
 * signatures near expiry the DNS operator is mailed that they expire. A failover to the standby,
 * whose HSM is whole, re-signs the zone, and both alerts are mailed resolved by the new master.
 */
@org.junit.jupiter.api.Tag("slow") // a long fault scenario (minutes): CI runs it (-Pslow)
class PairZoneAlertIT {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path dir;

  private LocalPair pair;
  private PairRun run;
  private SmtpServer smtp;

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
    if (smtp != null) {
      smtp.close();
    }
  }

  private List<String[]> mails() throws Exception {
    List<String[]> out = new ArrayList<>();
    for (MimeMessage m : smtp.receivedMessages()) {
      out.add(new String[] {m.getSubject(), m.getAllRecipients()[0].toString(), String.valueOf(m.getContent())});
    }
    return out;
  }

  private String[] awaitMail(String what, Duration limit, Predicate<String[]> which) throws Exception {
    String[][] found = new String[1][];
    run.await(what, limit, () -> {
      try {
        found[0] = mails().stream().filter(which).findFirst().orElse(null);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return found[0] != null;
    });
    return found[0];
  }

  private static String serial(Path signed) {
    try {
      return Files.readAllLines(signed).stream().map(String::trim).filter(l -> l.split("\\s+").length > 6
          && l.split("\\s+")[3].equals("SOA")).map(l -> l.split("\\s+")[6]).findFirst().orElse("");
    } catch (IOException e) {
      return ""; // being replaced
    }
  }

  private Path tokenOf(String node) throws IOException {
    byte[] label = ("twinsign-" + node).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (var dirs = Files.list(pair.token(node).directory().resolve("tokens"))) {
      for (Path d : dirs.toList()) {
        byte[] token = Files.readAllBytes(d.resolve("token.object"));
        if (new String(token, java.nio.charset.StandardCharsets.ISO_8859_1).contains(new String(label,
            java.nio.charset.StandardCharsets.ISO_8859_1))) {
          return d;
        }
      }
    }
    throw new AssertionError("no SoftHSM token labelled twinsign-" + node);
  }

  @Test
  void anHsmThatFailsIsMailedAndSoAreSignaturesNearExpiryUntilTheStandbyTakesOver() throws Exception {
    smtp = SmtpServer.start();
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    run = new PairRun(pair);
    for (String node : LocalPair.NODES) {
      pair.configure(node, "alert.smtp.host=127.0.0.1\nalert.smtp.port=" + smtp.port() + "\nalert.smtp.tls=none\n"
          + "alert.mail.from=twinsign@pair.test\nalert.mail.to.dns-operator=noc@pair.test\n"
          + "alert.mail.to.security-officer=security@pair.test\nalert.rate-limit=PT60S\n");
    }
    pair.startNode("alpha");
    run.await("alpha master", () -> pair.cli("alpha", "cluster", "list").out().lines()
        .anyMatch(l -> l.startsWith("alpha ") && l.contains(" master ")));
    pair.startNode("beta");
    run.await("beta eligible", () -> pair.cli("alpha", "cluster", "list").out().lines()
        .anyMatch(l -> l.startsWith("beta ") && l.contains(" yes ")));
    run.ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/alerting.xml").toAbsolutePath().toString());
    Path zone = dir.resolve("expiry.test.zone");
    Files.writeString(zone, "$ORIGIN expiry.test.\n$TTL 60\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
        + "@ IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A 192.0.2.80\n");
    Path signed = dir.resolve("expiry.test.signed");
    run.ok("alpha", "zone", "add", "--zone", "expiry.test", "--policy", "alerting", "--input", zone.toString(),
        "--output", signed.toString());
    run.await("expiry.test signed", () -> Files.exists(signed));
    // the master re-signs on the policy's Resign interval with no key event due (it did not before:
    // its duties ran a zone only for key transitions, and signatures lapsed between them)
    String first = serial(signed);
    run.await("expiry.test re-signed on its Resign interval", Duration.ofSeconds(90), () -> !serial(signed).equals(
        first));

    // the HSM goes away under the running master
    Path token = tokenOf("alpha");
    Path gone = token.resolveSibling(token.getFileName() + ".gone");
    Files.move(token, gone);
    String[] hsm;
    try {
      hsm = awaitMail("hsm-error", Duration.ofMinutes(2), m -> m[0].contains("CRITICAL hsm-error: key"
          + " repositories"));
    } catch (AssertionError e) {
      // where the master's duties are, for the record
      Process jstack = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(),
          Long.toString(pair.process("alpha").pid())).redirectErrorStream(true).start();
      String threads = new String(jstack.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      jstack.waitFor();
      throw new AssertionError(e.getMessage() + "\nalpha's threads:\n" + threads, e);
    }
    assertEquals("security@pair.test", hsm[1], "the security officer's");
    assertTrue(hsm[2].contains("expiry.test") && hsm[2].contains("twinsign hsm list"), hsm[2]);
    String[] expiring = awaitMail("signatures-expiring", Duration.ofMinutes(4), m -> m[0].contains(
        "CRITICAL signatures-expiring: zone expiry.test"));
    assertEquals("noc@pair.test", expiring[1], "the DNS operator's");
    assertTrue(expiring[2].contains("zone resign --zone expiry.test"), expiring[2]);

    // the operator fails over to the standby, whose HSM holds the keys: the new master re-signs.
    // The token goes back first: the nodes' tokens share one SoftHSM directory here (one machine),
    // and the standby's library must not meet a token directory that vanished when it lists its slots
    pair.process("alpha").kill();
    Files.move(gone, token);
    run.await("beta master", () -> pair.cli("beta", "cluster", "list").out().lines()
        .anyMatch(l -> l.startsWith("beta ") && l.contains(" master ")));
    awaitMail("signatures-expiring resolved", Duration.ofMinutes(2), m -> m[0].contains(
        "RESOLVED signatures-expiring: zone expiry.test"));
    awaitMail("hsm-error resolved", Duration.ofMinutes(1), m -> m[0].contains("RESOLVED hsm-error"));
    String list = run.ok("beta", "alert", "list");
    assertTrue(list.lines().anyMatch(l -> l.contains("hsm-error") && l.contains("resolved")), list);
  }
}
