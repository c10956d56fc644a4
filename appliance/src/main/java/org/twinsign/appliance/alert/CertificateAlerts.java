package org.twinsign.appliance.alert;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.twinsign.appliance.service.Services;

/**
 * {@code certificate-problem}: the SMTP server's certificate, as the mailer saw it at its last
 * handshake (a mail, or a connection of its own after an hour without one), is refused (then no alert mail goes out: the alert waits in the outbox and in
 * {@code alert list}, the metrics and {@code health}), or expires within {@link #EXPIRY_WARNING}
 * (mailed while mails still go).
 */
public final class CertificateAlerts implements AlertSource {
  /** A certificate that expires sooner than this is an alert: its renewal should have happened by now. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(14);
  /**
   * Without a mail for this long, the source connects to the server to see its certificate (a
   * renewed certificate clears the alert, an expiring one is seen, without waiting for a mail).
   */
  static final Duration PROBE_AFTER = Duration.ofHours(1);

  private final AlertMailer mailer;
  private Instant probed; // the last connection of its own: a server that is away is not asked every second

  public CertificateAlerts(AlertMailer mailer) {
    this.mailer = mailer;
  }

  @Override
  public Set<AlertKind> kinds() {
    return Set.of(AlertKind.CERTIFICATE_PROBLEM);
  }

  @Override
  public Duration every() {
    return Duration.ZERO; // reads what the last handshake left: nothing to pace
  }

  /** Null until the mailer has met the server: there is nothing to tell, nor to clear. */
  @Override
  public List<Condition> look(Services services) {
    SmtpCertificate.Seen seen = mailer.certificate();
    boolean stale = seen == null || seen.at().isBefore(Instant.now().minus(PROBE_AFTER));
    if (stale && (probed == null || probed.isBefore(Instant.now().minus(Duration.ofMinutes(5))))) {
      probed = Instant.now();
      try {
        mailer.probe();
      } catch (jakarta.mail.MessagingException | RuntimeException e) {
        // the watch recorded a certificate problem; a server that is away says nothing of its certificate
      }
      seen = mailer.certificate();
    }
    if (seen == null) {
      return null;
    }
    String subject = "SMTP server " + mailer.address();
    if (seen.problem() != null) {
      return List.of(new Condition(AlertKind.CERTIFICATE_PROBLEM, Severity.CRITICAL, subject, "no alert mail can be"
          + " sent (this one waits in the outbox): " + seen.problem(), "renew or correct the SMTP server's"
          + " certificate, or set alert.smtp.trust-file to the certificate of the CA that issued it (PEM); 'twinsign"
          + " alert list --mails' shows what waits"));
    }
    Instant expires = seen.certificate().getNotAfter().toInstant();
    if (Instant.now().plus(EXPIRY_WARNING).isAfter(expires)) {
      long hours = Math.max(0, Duration.between(Instant.now(), expires).toHours());
      return List.of(new Condition(AlertKind.CERTIFICATE_PROBLEM, subject, "the SMTP server's certificate ("
          + seen.certificate().getSubjectX500Principal().getName() + ") expires at " + expires.truncatedTo(
              ChronoUnit.SECONDS) + ", in " + (hours >= 48 ? hours / 24 + " days" : hours + " hours")
          + ": after that no alert mail can be sent", "renew the SMTP server's certificate"));
    }
    return List.of();
  }
}
