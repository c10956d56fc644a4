package org.twinsign.appliance.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.config.ConfigException;

/** The {@code alert.*} keys: defaults, recipients per role and severity, and errors that name the key. */
class MailSettingsTest {
  private static final Path FILE = Path.of("/etc/twinsign/alpha.conf");

  private static MailSettings parse(String text) throws Exception {
    Properties p = new Properties();
    p.load(new StringReader(text));
    return MailSettings.parse(FILE, p);
  }

  @Test
  void noHostMeansAlertsAreKeptNotMailed() throws Exception {
    MailSettings none = parse("");
    assertFalse(none.mails());
    assertEquals(List.of(), none.recipients(OperatorRole.DNS_OPERATOR, Severity.CRITICAL));
  }

  @Test
  void rolesGetTheirAlertsFromTheirSeverityOnAndFallBackToTheDnsOperator() throws Exception {
    MailSettings s = parse("alert.smtp.host=mail.example.net\nalert.mail.from=signer@example.net\n"
        + "alert.mail.to.dns-operator=noc@example.net, oncall@example.net\nalert.mail.to.backup-officer=b@example.net\n"
        + "alert.mail.severity.backup-officer=critical\n");
    assertEquals(MailSettings.Tls.STARTTLS, s.tls());
    assertEquals(587, s.smtpPort());
    assertEquals(List.of("noc@example.net", "oncall@example.net"), s.recipients(OperatorRole.SECURITY_OFFICER,
        Severity.WARNING));
    assertEquals(List.of(), s.recipients(OperatorRole.DNS_OPERATOR, Severity.INFO), "warning and up by default");
    assertEquals(List.of(), s.recipients(OperatorRole.BACKUP_OFFICER, Severity.WARNING));
    assertEquals(List.of("b@example.net"), s.recipients(OperatorRole.BACKUP_OFFICER, Severity.CRITICAL));
  }

  @Test
  void errorsNameTheKey() {
    ConfigException unknown = assertThrows(ConfigException.class, () -> parse("alert.smtp.hots=x\n"));
    assertTrue(unknown.getMessage().contains("alert.smtp.hots") && unknown.getMessage().contains(FILE.toString()),
        unknown.getMessage());
    ConfigException clear = assertThrows(ConfigException.class, () -> parse("alert.smtp.host=m\nalert.smtp.tls=none\n"
        + "alert.smtp.user=u\nalert.smtp.password.file=p\nalert.mail.from=a@b\nalert.mail.to.dns-operator=c@d\n"));
    assertTrue(clear.getMessage().contains("in clear"), clear.getMessage());
    ConfigException address = assertThrows(ConfigException.class, () -> parse("alert.smtp.host=m\n"
        + "alert.mail.from=a@b\nalert.mail.to.dns-operator=c@d, nobody\n"));
    assertTrue(address.getMessage().contains("alert.mail.to.dns-operator") && address.getMessage().contains("nobody"),
        address.getMessage());
    ConfigException orphan = assertThrows(ConfigException.class, () -> parse("alert.mail.from=a@b\n"));
    assertTrue(orphan.getMessage().contains("alert.smtp.host"), orphan.getMessage());
  }
}
