package org.twinsign.appliance.alert;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Date;
import java.util.Properties;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.twinsign.appliance.config.ConfigException;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.store.AlertTable;

/**
 * Hands mails to the SMTP server with Jakarta Mail (Angus): STARTTLS (required) or implicit TLS,
 * the server's certificate checked against the JDK's trust store or {@code alert.smtp.trust-file}
 * and its name, SMTP AUTH with the password from its file. The Message-ID is the outbox row's, so
 * that a mail sent again (after a failover) is recognisably the same mail.
 */
public final class AlertMailer {
  private final MailSettings settings;
  private final SmtpCertificate certificate = new SmtpCertificate();
  private final Session session;

  public AlertMailer(MailSettings settings) {
    if (!settings.mails()) {
      throw new IllegalArgumentException("no alert.smtp.host");
    }
    this.settings = settings;
    this.session = Session.getInstance(properties(settings, certificate));
    if (settings.smtpUser() != null) {
      PairConfig.secret(settings.smtpPasswordFile(), "alert.smtp.password.file"); // unreadable: said at start
    }
  }

  private static Properties properties(MailSettings s, SmtpCertificate certificate) {
    String protocol = s.tls() == MailSettings.Tls.IMPLICIT ? "smtps" : "smtp";
    String p = "mail." + protocol + ".";
    Properties props = new Properties();
    props.setProperty("mail.transport.protocol", protocol);
    props.setProperty(p + "host", s.smtpHost());
    props.setProperty(p + "port", Integer.toString(s.smtpPort()));
    // an SMTP server that hangs must not hold the outbox for long
    props.setProperty(p + "connectiontimeout", "10000");
    props.setProperty(p + "timeout", "20000");
    props.setProperty(p + "writetimeout", "20000");
    props.setProperty(p + "auth", Boolean.toString(s.smtpUser() != null));
    // one refused address does not hold the mail back from the others
    props.setProperty(p + "sendpartial", "true");
    if (s.tls() == MailSettings.Tls.STARTTLS) {
      props.setProperty(p + "starttls.enable", "true");
      props.setProperty(p + "starttls.required", "true"); // never fall back to clear text
    }
    if (s.tls() != MailSettings.Tls.NONE) {
      props.setProperty(p + "ssl.checkserveridentity", "true");
      props.setProperty(p + "ssl.protocols", "TLSv1.3 TLSv1.2");
      try {
        props.put(p + "ssl.socketFactory", certificate.socketFactory(trust(s)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("TLS for the SMTP server: " + e.getMessage(), e);
      }
    }
    return props;
  }

  /** The JDK's trust manager for the certificates of {@code alert.smtp.trust-file}, or for its own trust store. */
  private static X509ExtendedTrustManager trust(MailSettings s) throws GeneralSecurityException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(s.trustFile() == null ? null : trustFile(s));
    for (javax.net.ssl.TrustManager m : tmf.getTrustManagers()) {
      if (m instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
  }

  /** The certificates of {@code alert.smtp.trust-file}, as a trust store. */
  private static KeyStore trustFile(MailSettings s) {
    try (InputStream in = Files.newInputStream(s.trustFile())) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new ConfigException("alert.smtp.trust-file " + s.trustFile() + " holds no certificate (PEM)");
      }
      return trust;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException("cannot read alert.smtp.trust-file " + s.trustFile() + ": " + e.getMessage());
    }
  }

  /**
   * Sends one mail of the outbox.
   *
   * @throws MessagingException when the server did not take it (its message names the server, never the password)
   */
  public void send(AlertTable.Mail mail) throws MessagingException {
    MimeMessage message = new MimeMessage(session) {
      @Override
      protected void updateMessageID() throws MessagingException {
        setHeader("Message-ID", mail.messageId());
      }
    };
    message.setFrom(new InternetAddress(settings.from()));
    message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(mail.recipients()));
    message.setSubject(mail.subject(), "UTF-8");
    message.setText(mail.body(), "UTF-8");
    message.setSentDate(new Date());
    if (mail.threadId() != null && !mail.threadId().equals(mail.messageId())) {
      message.setHeader("In-Reply-To", mail.threadId());
      message.setHeader("References", mail.threadId());
    }
    message.setHeader("Auto-Submitted", "auto-generated"); // RFC 3834: no vacation replies to the signer
    message.saveChanges();
    Transport transport = connected();
    try {
      transport.sendMessage(message, message.getAllRecipients());
    } catch (jakarta.mail.SendFailedException e) {
      if (e.getValidSentAddresses() == null || e.getValidSentAddresses().length == 0) {
        if (e.getInvalidAddresses() != null && e.getInvalidAddresses().length > 0
            || e instanceof org.eclipse.angus.mail.smtp.SMTPSendFailedException f && f.getReturnCode() >= 500) {
          throw new Refused(e); // every address refused, or the content: trying again changes nothing
        }
        throw e;
      }
      // taken for some recipients (sendpartial): sent; the refused addresses are a config error to log
      throw new PartlySent(e);
    } finally {
      try {
        transport.close(); // a QUIT that fails after the server took the mail does not make it unsent
      } catch (MessagingException e) {
        // the mail is sent or the error above says why not
      }
    }
  }

  /**
   * Connects to the server and leaves (TLS and AUTH as for a mail, no mail): what its certificate
   * is now ({@link #certificate()}) when no mail has gone out for a while.
   *
   * @throws MessagingException when the server could not be reached or refused the connection
   */
  public void probe() throws MessagingException {
    Transport transport = connected();
    try {
      transport.close();
    } catch (MessagingException e) {
      // connected: a QUIT that fails says nothing of the certificate
    }
  }

  /** A transport connected to the server (TLS, and AUTH with the password from its file when configured). */
  private Transport connected() throws MessagingException {
    Transport transport = session.getTransport();
    if (settings.smtpUser() != null) {
      transport.connect(settings.smtpHost(), settings.smtpPort(), settings.smtpUser(),
          PairConfig.secret(settings.smtpPasswordFile(), "alert.smtp.password.file"));
    } else {
      transport.connect();
    }
    return transport;
  }

  /** The server refused the mail for good (5xx for every address or for its content). */
  public static final class Refused extends RuntimeException {
    Refused(jakarta.mail.MessagingException e) {
      super("refused for good: " + e.getMessage());
    }
  }

  /** The server took the mail for some recipients and refused others: it counts as sent. */
  public static final class PartlySent extends RuntimeException {
    PartlySent(jakarta.mail.SendFailedException e) {
      super("refused for " + java.util.Arrays.toString(e.getInvalidAddresses()) + ": " + e.getMessage());
    }
  }

  /** What the last TLS handshake showed of the server's certificate; null before the first or without TLS. */
  public SmtpCertificate.Seen certificate() {
    return settings.tls() == MailSettings.Tls.NONE ? null : certificate.last();
  }

  /** The server's host and port. */
  public String address() {
    return settings.smtpHost() + ":" + settings.smtpPort();
  }

  /** Where mails go, for messages. */
  public String server() {
    return settings.smtpHost() + ":" + settings.smtpPort() + " (" + settings.tls().name().toLowerCase(
        java.util.Locale.ROOT) + ")";
  }
}
