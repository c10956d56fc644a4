package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.internet.MimeMessage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.SmtpServer;
import org.twinsign.testkit.TcpProxy;

/**
 * Alerts of a real pair, mailed through a real SMTP server (GreenMail, SMTPS with AUTH) behind a
 * TCP proxy that cuts the link: conditions made for real (a standby not running, replication
 * stopped by hand, kill -9 of the master), counted by Message-ID.
 */
@org.junit.jupiter.api.Tag("slow") // a long fault scenario (minutes): CI runs it (-Pslow)
class PairAlertIT {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path dir;

  private LocalPair pair;
  private PairRun run;
  private SmtpServer smtp;
  private TcpProxy link;

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
    if (link != null) {
      link.close();
    }
    if (smtp != null) {
      smtp.close();
    }
  }

  /** One mail as received: its Message-ID, subject, recipient and text. */
  record Mail(String id, String subject, String to, String body, String references) {}

  private List<Mail> mails() throws Exception {
    List<Mail> out = new ArrayList<>();
    for (MimeMessage m : smtp.receivedMessages()) {
      out.add(new Mail(m.getMessageID(), m.getSubject(), String.join(",", List.of(java.util.Arrays.stream(
          m.getAllRecipients()).map(Object::toString).toArray(String[]::new))), String.valueOf(m.getContent()),
          m.getHeader("References", ",")));
    }
    return out;
  }

  private Mail awaitMail(String what, Predicate<Mail> which) throws Exception {
    return awaitMail(what, which, Duration.ofSeconds(90));
  }

  private Mail awaitMail(String what, Predicate<Mail> which, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      for (Mail m : mails()) {
        if (which.test(m)) {
          return m;
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no mail within " + timeout.toSeconds() + " s: " + what + "\nreceived: " + subjects() + "\n" + run.logs());
  }

  private List<String> subjects() {
    try {
      return mails().stream().map(m -> m.subject() + " -> " + m.to() + " " + m.id()).toList();
    } catch (Exception e) {
      return List.of("(cannot read the mails: " + e + ")");
    }
  }

  /** Waits until {@code cluster list} asked on {@code node} satisfies {@code condition}. */
  private void awaitCluster(String node, String what, Predicate<String> condition) throws InterruptedException {
    run.await(what, () -> {
      LocalPair.Answer answer = pair.cli(node, "cluster", "list");
      return answer.exit() == 0 && condition.test(answer.out());
    });
  }

  private static boolean row(String list, String node, String role) {
    return list.lines().anyMatch(l -> l.startsWith(node + " ") && l.split("\\s+")[1].equals(role));
  }

  private static boolean eligible(String list, String node) {
    return list.lines().anyMatch(x -> x.startsWith(node + " ") && x.contains(" yes "));
  }

  @Test
  void thePairMailsWhoMustActOnceEachAndLosesNoMailAcrossAFailoverWhileSmtpIsDown() throws Exception {
    smtp = SmtpServer.startImplicitTls().withUser("twinsign@pair.test", "twinsign", "smtp-Secret-4711");
    link = TcpProxy.start(smtp.port());
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    run = new PairRun(pair);
    Path password = dir.resolve("smtp.password");
    Files.writeString(password, "smtp-Secret-4711\n");
    Files.setPosixFilePermissions(password, PosixFilePermissions.fromString("rw-------"));
    for (String node : LocalPair.NODES) {
      pair.configure(node, "alert.smtp.host=127.0.0.1\nalert.smtp.port=" + link.port() + "\nalert.smtp.tls=implicit\n"
          + "alert.smtp.user=twinsign\nalert.smtp.password.file=" + password + "\nalert.smtp.trust-file="
          + smtp.certificate() + "\nalert.mail.from=twinsign@pair.test\nalert.mail.to.dns-operator=noc@pair.test\n"
          + "alert.mail.to.security-officer=security@pair.test\nalert.rate-limit=PT60S\n");
    }

    // 1. alpha alone: a test mail, then "no standby can take over" to the DNS operator
    pair.startNode("alpha");
    awaitCluster("alpha", "alpha master", l -> row(l, "alpha", "master"));
    String queued = run.ok("alpha", "alert", "test", "--to", "ops@pair.test");
    assertTrue(queued.contains("queued"), queued);
    Mail test = awaitMail("the test mail", m -> m.to().equals("ops@pair.test"));
    assertTrue(test.subject().contains("test mail from node alpha"), test.subject());
    // the test server's certificate expires in two days: the mails' own way out is an alert too
    Mail certificate = awaitMail("certificate-problem", m -> m.subject().contains(
        "WARNING certificate-problem: SMTP server 127.0.0.1:" + link.port()));
    assertEquals("noc@pair.test", certificate.to());
    assertTrue(certificate.body().contains("expires at") && certificate.body().contains("renew the SMTP server's"
        + " certificate"), certificate.body());
    Mail lonely = awaitMail("standby-not-eligible", m -> m.subject().contains("CRITICAL standby-not-eligible: node beta"));
    assertEquals("noc@pair.test", lonely.to());
    assertTrue(lonely.body().contains("node beta is not running") && lonely.body().contains("twinsign node run"),
        lonely.body());

    // 2. beta starts: the condition clears, one "resolved" mail in the same thread
    pair.startNode("beta");
    awaitCluster("alpha", "beta an eligible standby", l -> eligible(l, "beta"));
    Mail resolved = awaitMail("standby-not-eligible resolved", m -> m.subject().contains(
        "RESOLVED standby-not-eligible: node beta"));
    assertEquals(lonely.id(), resolved.references(), "threaded under the first mail");

    // an operator pauses automatic failover for maintenance, and resumes it
    run.ok("alpha", "cluster", "pause");
    Mail paused = awaitMail("failover-paused", m -> m.subject().contains(
        "WARNING failover-paused: cluster failover switch"));
    assertEquals("noc@pair.test", paused.to());
    assertTrue(paused.body().contains("paused by an operator") && paused.body().contains("'twinsign cluster resume'"),
        paused.body());
    run.ok("alpha", "cluster", "resume");
    awaitMail("failover-paused resolved", m -> m.subject().contains("RESOLVED failover-paused"));

    // 3. replication stopped and started by hand, again and again: one mail raised, one resolved
    for (int i = 0; i < 4; i++) {
      pair.database("beta").execute("STOP SLAVE");
      Thread.sleep(6_000);
      pair.database("beta").execute("START SLAVE");
      Thread.sleep(4_000);
    }
    Mail broken = awaitMail("replication-broken", m -> m.subject().contains("CRITICAL replication-broken: node beta"));
    assertTrue(broken.body().contains("node beta") && broken.body().contains("What to do:"), broken.body());
    awaitMail("replication-broken resolved", m -> m.subject().contains("RESOLVED replication-broken: node beta"));
    awaitCluster("alpha", "beta eligible again", l -> eligible(l, "beta"));
    Thread.sleep(3_000); // anything more the flapping would have mailed
    long raisedMails = mails().stream().filter(m -> m.subject().contains("replication-broken")
        && !m.subject().contains("RESOLVED")).count();
    long resolvedMails = mails().stream().filter(m -> m.subject().contains("RESOLVED replication-broken")).count();
    assertEquals(1, raisedMails, "one 'raised' mail in the rate-limit window: " + subjects());
    assertEquals(1, resolvedMails, "one 'resolved' mail in the rate-limit window: " + subjects());
    String list = run.ok("alpha", "alert", "list");
    assertEquals(1, list.lines().filter(l -> l.contains("replication-broken")).count(), "one alert:\n" + list);

    // beta applies the master's changes 75 s late (MariaDB's delayed replication): it lags over the 60 s bound
    pair.database("beta").execute("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 75", "START SLAVE");
    run.ok("alpha", "alert", "test", "--to", "lag@pair.test"); // a change for beta to be late with
    Mail lagging = awaitMail("replication-lagging", m -> m.subject().contains(
        "WARNING replication-lagging: node beta"), Duration.ofSeconds(180));
    assertEquals("noc@pair.test", lagging.to());
    assertTrue(lagging.body().contains("s behind the master's") && lagging.body().contains("twinsign node status"),
        lagging.body());
    pair.database("beta").execute("STOP SLAVE", "CHANGE MASTER TO MASTER_DELAY = 0", "START SLAVE");
    awaitMail("replication-lagging resolved", m -> m.subject().contains("RESOLVED replication-lagging: node beta"));
    awaitCluster("alpha", "beta eligible after its lag", l -> eligible(l, "beta"));

    // 4. SMTP away: a mail queued on alpha waits; alpha is killed; beta takes over and sends it with
    //    its own failover mails once SMTP is back, each once
    link.cut();
    String waiting = run.ok("alpha", "alert", "test", "--to", "later@pair.test");
    String waitingId = waiting.replaceAll("(?s).*Message-ID (<[^>]+>).*", "$1");
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String pending = "";
    while (System.nanoTime() < end && !pending.contains("attempt(s), last:")) {
      pending = run.ok("alpha", "alert", "list", "--mails");
      Thread.sleep(500);
    }
    assertTrue(pending.contains(waitingId + " to later@pair.test: pending"), pending);
    pair.process("alpha").kill();
    awaitCluster("beta", "beta master", l -> row(l, "beta", "master"));
    Thread.sleep(12_000); // beta's outbox tries (and fails) meanwhile
    assertFalse(mails().stream().anyMatch(m -> m.to().equals("later@pair.test")), "SMTP is cut");
    link.restore();
    awaitMail("the mail alpha had queued", m -> m.id().equals(waitingId));
    Mail failover = awaitMail("failover", m -> m.subject().contains("failover: epoch"));
    assertTrue(failover.body().contains("taking over from node alpha"), failover.body());
    Mail fenced = awaitMail("fencing-done", m -> m.subject().contains("fencing-done: node alpha"));
    assertTrue(fenced.body().contains("fence.command"), fenced.body());
    awaitMail("no standby after the failover", m -> m.subject().contains("CRITICAL standby-not-eligible: node alpha"));
    Thread.sleep(5_000);

    // every mail once (by Message-ID and recipient), none carrying a secret
    Map<String, Integer> count = new TreeMap<>();
    for (Mail m : mails()) {
      count.merge(m.id() + " " + m.to(), 1, Integer::sum);
    }
    count.forEach((id, n) -> assertEquals(1, n, id + " received " + n + " times: " + subjects()));
    List<String> secrets = new ArrayList<>(List.of("smtp-Secret-4711"));
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().matches(".*(password|token|\\.pin).*")
          && Files.isRegularFile(f)).toList()) {
        secrets.add(Files.readString(f).strip());
      }
    }
    for (Mail m : mails()) {
      for (String secret : secrets) {
        assertFalse(!secret.isEmpty() && (m.body().contains(secret) || m.subject().contains(secret)),
            "a secret in mail " + m.subject());
      }
    }
    for (String node : LocalPair.NODES) {
      String log = Files.readString(pair.process(node).log());
      assertFalse(log.contains("smtp-Secret-4711"), "the SMTP password in " + node + "'s log");
    }
    // 5. alpha comes back with its clock 30 s ahead (libfaketime): the security officer hears of the drift
    // (for step 6: alpha's fence command fails while a flag file exists, as a fence device that is unreachable)
    Path fenceDown = dir.resolve("fence-device-down");
    Path failingFence = dir.resolve("fence-or-fail.sh");
    Files.writeString(failingFence, "#!/bin/sh\n[ -e '" + fenceDown + "' ] && { echo 'fence device unreachable';"
        + " exit 1; }\nexec '" + dir.resolve("fence-node.sh") + "' \"$@\"\n");
    Files.setPosixFilePermissions(failingFence, PosixFilePermissions.fromString("rwx------"));
    pair.configure("alpha", "fence.command=" + failingFence + "\n");
    Path clock = dir.resolve("clock-alpha");
    Files.writeString(clock, "+30s\n");
    pair.startNode("alpha", Map.of("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "FAKETIME_TIMESTAMP_FILE", clock.toString(), "FAKETIME_CACHE_DURATION", "1", "DONT_FAKE_MONOTONIC", "1"));
    Mail drift = awaitMail("timing-drift", m -> m.subject().contains("WARNING timing-drift: node alpha"));
    assertEquals("security@pair.test", drift.to());
    assertTrue(drift.body().contains("ahead of ZooKeeper's by") && drift.body().contains("chronyc"), drift.body());
    assertFalse(mails().stream().anyMatch(m -> m.subject().contains("timing-drift: node beta")), subjects().toString());

    run.await("beta's outbox empty", () -> {
      String beta = run.ok("beta", "alert", "list", "--json");
      return beta.contains("\"state\" : \"sent\"") && !beta.contains("\"state\" : \"pending\"");
    });

    // 6. beta dies and alpha cannot fence it: no master, nobody can record an alert; alpha mails it directly, once
    awaitCluster("beta", "alpha an eligible standby", l -> eligible(l, "alpha"));
    Files.writeString(fenceDown, "");
    pair.process("beta").kill();
    Mail noMaster = awaitMail("fencing-failed without a master", m -> m.subject().contains(
        "CRITICAL fencing-failed: cluster failover switch"));
    assertEquals("noc@pair.test", noMaster.to());
    assertTrue(noMaster.body().contains("NO MASTER") && noMaster.body().contains("fencing node beta failed")
        && noMaster.body().contains("fence device unreachable") && noMaster.body().contains("sent by node alpha (not"
        + " master)") && noMaster.body().contains("twinsign cluster resume"), noMaster.body());
    Thread.sleep(12_000); // alpha keeps refusing: it does not mail again within the rate-limit window
    assertEquals(1, mails().stream().filter(m -> m.subject().contains("fencing-failed")).count(), subjects()
        .toString());
  }
}
