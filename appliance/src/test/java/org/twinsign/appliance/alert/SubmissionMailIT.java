package org.twinsign.appliance.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeMessage;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.store.AlertTable;
import org.twinsign.testkit.SmtpServer;
import org.twinsign.testkit.SubmissionServer;

/**
 * The default way out, {@code alert.smtp.tls=starttls} with AUTH, against a real submission
 * server (aiosmtpd, in its own process) that requires STARTTLS before AUTH: the mail arrives with
 * its Message-ID; a wrong password is a failure to try again (the password in no message); a
 * server that offers no STARTTLS gets nothing, never the mail in clear.
 */
class SubmissionMailIT {
  private static final String PASSWORD = "submission-Secret-0815";
  private static SubmissionServer server;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    server = SubmissionServer.start("twinsign", PASSWORD);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private AlertMailer mailer(int port, String password) throws Exception {
    Path file = dir.resolve("smtp.password");
    Files.writeString(file, password + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Properties p = new Properties();
    p.load(new StringReader("alert.smtp.host=127.0.0.1\nalert.smtp.port=" + port + "\nalert.smtp.user=twinsign\n"
        + "alert.smtp.password.file=" + file + "\nalert.smtp.trust-file=" + server.certificate() + "\n"
        + "alert.mail.from=signer@pair.test\nalert.mail.to.dns-operator=noc@pair.test\n"));
    MailSettings settings = MailSettings.parse(dir.resolve("alpha.conf"), p);
    assertEquals(MailSettings.Tls.STARTTLS, settings.tls(), "STARTTLS is the default");
    return new AlertMailer(settings);
  }

  private static AlertTable.Mail mail(String id) {
    return new AlertTable.Mail(1, null, "<" + id + "@pair.test>", null, "test", "noc@pair.test", "test " + id,
        "What to do: nothing\n", Instant.now(), 0, null, null, null, null, null);
  }

  @Test
  void aMailGoesThroughStarttlsAndAuth() throws Exception {
    AlertMailer mailer = mailer(server.port(), PASSWORD);
    mailer.send(mail("starttls"));
    List<MimeMessage> got = server.receivedMessages().stream().filter(m -> header(m, "Message-ID").equals(
        "<starttls@pair.test>")).toList();
    assertEquals(1, got.size(), server.log());
    assertEquals("test starttls", got.get(0).getSubject());
    assertEquals("noc@pair.test", header(got.get(0), "X-RcptTo"));
    assertNull(mailer.certificate().problem());
    assertTrue(new CertificateAlerts(mailer).look(null).get(0).summary().contains("expires at"),
        "the handshake after STARTTLS is watched too");
  }

  @Test
  void aWrongPasswordIsAFailureToTryAgainAndNamesNoPassword() throws Exception {
    AlertMailer mailer = mailer(server.port(), "not-the-password");
    MessagingException e = assertThrows(MessagingException.class, () -> mailer.send(mail("wrong")));
    assertInstanceOf(jakarta.mail.AuthenticationFailedException.class, e);
    assertFalse(String.valueOf(e.getMessage()).contains("not-the-password"), e.getMessage());
    assertFalse(server.receivedMessages().stream().anyMatch(m -> header(m, "Message-ID").equals(
        "<wrong@pair.test>")));
  }

  @Test
  void aServerWithoutStarttlsGetsNothing() throws Exception {
    try (SmtpServer plain = SmtpServer.start()) { // GreenMail offers no STARTTLS
      AlertMailer mailer = mailer(plain.port(), PASSWORD);
      MessagingException e = assertThrows(MessagingException.class, () -> mailer.send(mail("clear")));
      assertTrue(e.getMessage().contains("STARTTLS"), e.getMessage());
      assertEquals(List.of(), plain.receivedMessages(), "never in clear");
    }
  }

  private static String header(MimeMessage m, String name) {
    try {
      String[] values = m.getHeader(name);
      return values == null ? "" : values[0];
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }
}
