package org.twinsign.appliance.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.store.AlertTable;
import org.twinsign.testkit.SmtpServer;

/**
 * The SMTP server's certificate as the alert mailer meets it, over real TLS (GreenMail's SMTPS
 * with a keytool certificate for 127.0.0.1 that expires in two days): trusted but expiring soon,
 * refused for its name, refused as untrusted; each is a {@code certificate-problem}.
 */
class SmtpCertificateTest {
  private static SmtpServer smtp;

  @BeforeAll
  static void start() {
    smtp = SmtpServer.startImplicitTls();
  }

  @AfterAll
  static void stop() {
    if (smtp != null) {
      smtp.close();
    }
  }

  private static AlertMailer mailer(String host, Path trustFile) throws Exception {
    Properties p = new Properties();
    p.load(new StringReader("alert.smtp.host=" + host + "\nalert.smtp.port=" + smtp.port() + "\nalert.smtp.tls=implicit\n"
        + "alert.mail.from=signer@pair.test\nalert.mail.to.dns-operator=noc@pair.test\n"
        + (trustFile == null ? "" : "alert.smtp.trust-file=" + trustFile + "\n")));
    return new AlertMailer(MailSettings.parse(Path.of("/etc/twinsign/alpha.conf"), p));
  }

  private static AlertTable.Mail mail(String id) {
    return new AlertTable.Mail(1, null, "<" + id + "@pair.test>", null, "test", "noc@pair.test", "test " + id,
        "body", Instant.now(), 0, null, null, null, null, null);
  }

  @Test
  void aTrustedCertificateThatExpiresSoonIsAWarning() throws Exception {
    AlertMailer mailer = mailer("127.0.0.1", smtp.certificate());
    CertificateAlerts alerts = new CertificateAlerts(mailer);
    // before any mail the source connects by itself and sees the certificate
    List<Condition> probed = alerts.look(null);
    assertEquals(1, probed.size(), String.valueOf(probed));
    assertTrue(probed.get(0).summary().contains("expires at "), probed.get(0).summary());
    mailer.send(mail("soon"));
    assertTrue(smtp.receivedMessages().stream().anyMatch(m -> subject(m).equals("test soon")));
    assertNull(mailer.certificate().problem());
    List<Condition> seen = alerts.look(null);
    assertEquals(1, seen.size(), seen.toString());
    Condition c = seen.get(0);
    assertEquals(Severity.WARNING, c.severity());
    assertEquals("SMTP server 127.0.0.1:" + smtp.port(), c.subject());
    assertTrue(c.summary().contains("expires at ") && c.summary().matches(".*in (4[0-8]|[0-9]) hours.*"),
        c.summary());
  }

  @Test
  void aCertificateForAnotherNameIsRefusedAndSaidSo() throws Exception {
    AlertMailer mailer = mailer("localhost", smtp.certificate()); // the certificate names 127.0.0.1 only
    Exception e = assertThrows(Exception.class, () -> mailer.send(mail("name")));
    String problem = mailer.certificate().problem();
    assertTrue(problem != null && problem.contains("is refused") && problem.contains("localhost"), problem + " / " + e);
    Condition c = new CertificateAlerts(mailer).look(null).get(0);
    assertEquals(Severity.CRITICAL, c.severity());
    assertTrue(c.summary().startsWith("no alert mail can be sent") && c.todo().contains("alert.smtp.trust-file"),
        c.toString());
  }

  @Test
  void aCertificateNobodyVouchesForIsRefused() throws Exception {
    AlertMailer mailer = mailer("127.0.0.1", null); // the JDK's trust store does not know the self-signed one
    assertThrows(Exception.class, () -> mailer.send(mail("untrusted")));
    String problem = mailer.certificate().problem();
    assertTrue(problem != null && problem.contains("CN=127.0.0.1") && problem.contains("is refused"), problem);
  }

  private static String subject(jakarta.mail.internet.MimeMessage m) {
    try {
      return m.getSubject();
    } catch (jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
  }
}
