package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.internet.MimeMessage;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.KnotServer;
import org.twinsign.testkit.NsdServer;
import org.twinsign.testkit.SmtpServer;

/**
 * Transfers that stop, for real: the hidden primary (Knot) hangs (SIGSTOP), so the pair gets no copy
 * of its zone; the secondary (NSD) hangs, so it does not follow the master. Each is mailed to the
 * DNS operator after its grace, and mailed resolved once the process goes on (SIGCONT). A second
 * zone is asked for with a TSIG key the primary does not know (one rotated there but not here):
 * a TSIG problem, not a mere transfer failure.
 */
@org.junit.jupiter.api.Tag("slow") // a long fault scenario (minutes): CI runs it (-Pslow)
class PairTransferAlertIT {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path dir;

  private LocalPair pair;
  private PairRun run;
  private SmtpServer smtp;
  private KnotServer hidden;
  private NsdServer secondary;

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {pair, hidden, secondary, smtp}) {
      if (c != null) {
        try {
          if (c == hidden) {
            hidden.resume();
          } else if (c == secondary) {
            secondary.resume();
          }
          c.close();
        } catch (Exception e) {
          System.out.println("closing " + c + ": " + e);
        }
      }
    }
  }

  private List<String> subjects() {
    List<String> out = new ArrayList<>();
    for (MimeMessage m : smtp.receivedMessages()) {
      try {
        out.add(m.getSubject() + " -> " + m.getAllRecipients()[0] + "\n" + m.getContent());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  private String awaitMail(String what, Predicate<String> which) throws InterruptedException {
    String[] found = new String[1];
    run.await(what, Duration.ofMinutes(3), () -> {
      found[0] = subjects().stream().filter(which).findFirst().orElse(null);
      return found[0] != null;
    });
    return found[0];
  }

  private static String unsigned(long serial) {
    return "$ORIGIN xfr.test.\n$TTL 3600\n@ SOA ns1 hostmaster " + serial + " 60 30 1209600 300\n@ NS ns1\n"
        + "ns1 A 192.0.2.1\nwww A 192.0.2.80\n";
  }

  @Test
  void aHungPrimaryAndAHungSecondaryAreMailedAndResolved() throws Exception {
    smtp = SmtpServer.start();
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    run = new PairRun(pair);
    List<String> signers = LocalPair.NODES.stream().map(n -> pair.dnsAddress(n).replace(':', '@')).toList();
    secondary = NsdServer.secondary(List.of("xfr.test"), signers, null);
    hidden = KnotServer.start(Map.of("xfr.test", unsigned(2026120101), "tsig.test", unsigned(2026120101).replace(
        "xfr.test.", "tsig.test.")), signers);
    java.nio.file.Path tsig = dir.resolve("tsig.key");
    java.nio.file.Files.writeString(tsig, "key \"stale-key\" {\n  algorithm hmac-sha256;\n  secret"
        + " \"c3RhbGUtc2VjcmV0LXRoYXQtdGhlLXByaW1hcnktZHJvcHBlZA==\";\n};\n");
    java.nio.file.Files.setPosixFilePermissions(tsig, java.nio.file.attribute.PosixFilePermissions.fromString(
        "rw-------"));
    for (String node : LocalPair.NODES) {
      pair.configure(node, "dns.tsig-file=" + tsig + "\ndns.notify=127.0.0.1:" + secondary.port()
          + "\nalert.smtp.host=127.0.0.1\n"
          + "alert.smtp.port=" + smtp.port() + "\nalert.smtp.tls=none\nalert.mail.from=twinsign@pair.test\n"
          + "alert.mail.to.dns-operator=noc@pair.test\nalert.rate-limit=PT60S\n");
    }
    pair.startNode("alpha");
    run.await("alpha master", () -> pair.cli("alpha", "cluster", "list").out().lines()
        .anyMatch(l -> l.matches("alpha\\s+master\\s.*")));
    pair.startNode("beta");
    run.ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    run.ok("alpha", "zone", "add", "--zone", "xfr.test", "--policy", "short", "--input",
        dir.resolve("xfr.test.unsigned").toString(), "--output", dir.resolve("xfr.test.signed").toString(),
        "--primary", "127.0.0.1:" + hidden.port());
    run.ok("alpha", "zone", "add", "--zone", "tsig.test", "--policy", "short", "--input",
        dir.resolve("tsig.test.unsigned").toString(), "--output", dir.resolve("tsig.test.signed").toString(),
        "--primary", "127.0.0.1:" + hidden.port(), "--primary-key", "stale-key");
    run.await("the secondary serves the signed zone", () -> pair.cli("alpha", "zone", "status", "--zone", "xfr.test")
        .out().contains("transfer out"));

    // the hidden primary hangs: the pair's refreshes (SOA refresh 60 s, retry 30 s) fail
    hidden.pause();
    String failed = awaitMail("transfer-failed", m -> m.contains("WARNING transfer-failed: zone xfr.test (in)"));
    assertTrue(failed.startsWith("[twinsign demo] WARNING transfer-failed: zone xfr.test (in) -> noc@pair.test"),
        failed);
    assertTrue(failed.contains("127.0.0.1:" + hidden.port()) && failed.contains("zone status --zone xfr.test"),
        failed);
    hidden.resume();
    awaitMail("transfer-failed resolved", m -> m.contains("RESOLVED transfer-failed: zone xfr.test (in)"));

    // the secondary hangs: it answers nothing; the master's next serial does not reach it
    secondary.pause();
    hidden.update("xfr.test", unsigned(2026120102) + "new A 192.0.2.99\n", 2026120102);
    String lagging = awaitMail("secondary-not-following", m -> m.contains("secondary-not-following: secondary"
        + " 127.0.0.1:" + secondary.port()));
    assertTrue(lagging.contains("does not answer"), lagging);
    secondary.resume();
    awaitMail("secondary-not-following resolved", m -> m.contains("RESOLVED secondary-not-following"));
    assertEquals(1, subjects().stream().filter(m -> m.contains("WARNING transfer-failed: zone xfr.test")).count(), subjects()
        .toString());

    // the primary refuses the key the pair signs its queries with (long since past the grace by now)
    String tsigProblem = awaitMail("tsig-problem", m -> m.contains("WARNING tsig-problem: zone tsig.test (in)"));
    assertTrue(tsigProblem.contains(" -> noc@pair.test") && tsigProblem.contains("127.0.0.1:" + hidden.port())
        && tsigProblem.contains("same TSIG key") && tsigProblem.contains("no valid signature with the zone's TSIG key"),
        tsigProblem);
    assertTrue(subjects().stream().noneMatch(m -> m.contains("c3RhbGUt")), "the TSIG secret in a mail");
    for (String node : LocalPair.NODES) {
      assertTrue(!java.nio.file.Files.readString(pair.process(node).log()).contains("c3RhbGUt"), "the TSIG secret in"
          + " node " + node + "'s log");
    }
  }
}
