package org.twinsign.appliance.alert;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.twinsign.appliance.config.ConfigException;

/**
 * Where alerts are mailed, from the node's configuration file:
 *
 * <pre>
 * alert.smtp.host=mail.example.net        # without it alerts are kept and shown ('alert list'), not mailed
 * alert.smtp.port=587                     # optional: 587 for starttls, 465 for implicit, 25 for none
 * alert.smtp.tls=starttls                 # starttls (required, the default), implicit (SMTPS) or none
 * alert.smtp.user=twinsign                # optional: SMTP AUTH
 * alert.smtp.password.file=/etc/twinsign/smtp.password
 * alert.smtp.trust-file=/etc/twinsign/smtp-ca.pem   # optional: the CA certificates (PEM) to trust instead of the JDK's
 * alert.mail.from=twinsign@example.net
 * alert.mail.to.dns-operator=noc@example.net, oncall@example.net
 * alert.mail.to.security-officer=security@example.net
 * alert.mail.to.backup-officer=backup@example.net
 * alert.mail.severity.dns-operator=warning   # optional: the least severity a role is mailed (default warning)
 * alert.rate-limit=PT1H                    # optional: per condition, one mail raised and one resolved in this window
 * alert.digest.time=07:00                  # optional: a daily digest to each role after this time (UTC)
 * </pre>
 * A role without recipients gets its alerts from the DNS operator's addresses. Secrets are not
 * read here: the password stays in its file until a mail is sent.
 */
public record MailSettings(String smtpHost, int smtpPort, Tls tls, String smtpUser, Path smtpPasswordFile,
    Path trustFile, String from, Map<OperatorRole, List<String>> recipients, Map<OperatorRole, Severity> least,
    Duration rateLimit, java.time.LocalTime digestTime) {

  /** How the connection to the SMTP server is protected. */
  public enum Tls { STARTTLS, IMPLICIT, NONE }

  public static final Duration DEFAULT_RATE_LIMIT = Duration.ofHours(1);

  private static final Set<String> PLAIN = Set.of("alert.smtp.host", "alert.smtp.port", "alert.smtp.tls",
      "alert.smtp.user", "alert.smtp.password.file", "alert.smtp.trust-file", "alert.mail.from", "alert.rate-limit",
      "alert.digest.time");

  /** No mail: alerts are only kept and shown. */
  public static MailSettings none() {
    return new MailSettings(null, 0, Tls.NONE, null, null, null, null, Map.of(), Map.of(), DEFAULT_RATE_LIMIT, null);
  }

  /** Whether alerts are mailed at all. */
  public boolean mails() {
    return smtpHost != null;
  }

  /** Whether {@code key} is one of these settings' (the config loader's check for unknown keys). */
  public static boolean owns(String key) {
    if (PLAIN.contains(key)) {
      return true;
    }
    for (String prefix : new String[] {"alert.mail.to.", "alert.mail.severity."}) {
      if (key.startsWith(prefix) && OperatorRole.parse(key.substring(prefix.length())) != null) {
        return true;
      }
    }
    return false;
  }

  /** Reads the {@code alert.*} keys of {@code file}; every error names the file and the key. */
  public static MailSettings parse(Path file, Properties p) {
    for (String key : new TreeSet<>(p.stringPropertyNames())) {
      if (key.startsWith("alert.") && !owns(key)) {
        throw new ConfigException(file + ": unknown key '" + key + "': alerts take " + new TreeSet<>(PLAIN)
            + ", alert.mail.to.ROLE and alert.mail.severity.ROLE (ROLE: dns-operator, security-officer,"
            + " backup-officer)");
      }
    }
    Duration window = DEFAULT_RATE_LIMIT;
    String windowText = value(p, "alert.rate-limit");
    if (windowText != null) {
      try {
        window = Duration.parse(windowText);
      } catch (DateTimeParseException e) {
        window = Duration.ZERO;
      }
      if (window.compareTo(Duration.ofSeconds(10)) < 0) {
        throw new ConfigException(file + ": alert.rate-limit '" + windowText + "' is not a duration of 10 s or more"
            + " (PT1H, PT15M)");
      }
    }
    String host = value(p, "alert.smtp.host");
    if (host == null) {
      for (String key : p.stringPropertyNames()) {
        if (key.startsWith("alert.") && !key.equals("alert.rate-limit")) {
          throw new ConfigException(file + ": '" + key + "' is set but alert.smtp.host is not: name the SMTP server"
              + " that alerts are mailed through");
        }
      }
      return new MailSettings(null, 0, Tls.NONE, null, null, null, null, Map.of(), Map.of(), window, null);
    }
    String tlsText = value(p, "alert.smtp.tls");
    Tls tls;
    if (tlsText == null || tlsText.equals("starttls")) {
      tls = Tls.STARTTLS;
    } else if (tlsText.equals("implicit")) {
      tls = Tls.IMPLICIT;
    } else if (tlsText.equals("none")) {
      tls = Tls.NONE;
    } else {
      throw new ConfigException(file + ": alert.smtp.tls '" + tlsText + "' must be starttls (the default), implicit"
          + " (SMTPS) or none");
    }
    int port = tls == Tls.IMPLICIT ? 465 : tls == Tls.STARTTLS ? 587 : 25;
    String portText = value(p, "alert.smtp.port");
    if (portText != null) {
      try {
        port = Integer.parseInt(portText);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw new ConfigException(file + ": alert.smtp.port '" + portText + "' is not a port number (1-65535)");
      }
    }
    String user = value(p, "alert.smtp.user");
    Path base = file.toAbsolutePath().getParent();
    String passwordText = value(p, "alert.smtp.password.file");
    if ((user == null) != (passwordText == null)) {
      throw new ConfigException(file + ": alert.smtp.user and alert.smtp.password.file go together (SMTP AUTH):"
          + " set both or neither");
    }
    if (user != null && tls == Tls.NONE) {
      throw new ConfigException(file + ": alert.smtp.user with alert.smtp.tls=none would send the SMTP password in"
          + " clear: use starttls or implicit");
    }
    String trust = value(p, "alert.smtp.trust-file");
    String from = value(p, "alert.mail.from");
    if (from == null || !isAddress(from)) {
      throw new ConfigException(file + ": alert.mail.from " + (from == null ? "is missing" : "'" + from
          + "' is not a mail address") + ": alerts are sent from this address");
    }
    Map<OperatorRole, List<String>> to = new EnumMap<>(OperatorRole.class);
    Map<OperatorRole, Severity> least = new EnumMap<>(OperatorRole.class);
    for (OperatorRole role : OperatorRole.values()) {
      String list = value(p, "alert.mail.to." + role.label());
      if (list != null) {
        List<String> addresses = new ArrayList<>();
        for (String a : list.split(",")) {
          String address = a.trim();
          if (!isAddress(address)) {
            throw new ConfigException(file + ": alert.mail.to." + role.label() + ": '" + address + "' is not a mail"
                + " address (a comma-separated list)");
          }
          addresses.add(address);
        }
        to.put(role, List.copyOf(addresses));
      }
      String severity = value(p, "alert.mail.severity." + role.label());
      if (severity != null) {
        Severity s = Severity.parse(severity);
        if (s == null) {
          throw new ConfigException(file + ": alert.mail.severity." + role.label() + " '" + severity + "' must be info,"
              + " warning or critical");
        }
        least.put(role, s);
      }
    }
    if (!to.containsKey(OperatorRole.DNS_OPERATOR)) {
      throw new ConfigException(file + ": alert.mail.to.dns-operator is missing: the DNS operator gets every alert"
          + " whose role has no recipients of its own");
    }
    java.time.LocalTime digest = null;
    String digestText = value(p, "alert.digest.time");
    if (digestText != null) {
      try {
        digest = java.time.LocalTime.parse(digestText);
      } catch (DateTimeParseException e) {
        throw new ConfigException(file + ": alert.digest.time '" + digestText + "' must be a time of day, HH:MM (UTC)");
      }
    }
    return new MailSettings(host, port, tls, user, passwordText == null ? null : base.resolve(passwordText),
        trust == null ? null : base.resolve(trust), from, Collections.unmodifiableMap(to),
        Collections.unmodifiableMap(least), window, digest);
  }

  /** A Message-ID of {@code local} (made safe) at the domain of {@code alert.mail.from}. */
  public String messageId(String local) {
    String domain = from == null ? "twinsign.invalid" : from.substring(from.indexOf('@') + 1);
    return "<" + local.replaceAll("[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", "-") + "@" + domain + ">";
  }

  /** Whether {@code text} looks like one mail address (LOCAL@DOMAIN, no blanks); the server judges the rest. */
  public static boolean isAddress(String text) {
    return text.matches("[^@\\s]+@[^@\\s]+");
  }

  /** Who is mailed an alert of {@code severity} for {@code role}: empty when below the role's least severity. */
  public List<String> recipients(OperatorRole role, Severity severity) {
    if (!mails() || severity.compareTo(least.getOrDefault(role, Severity.WARNING)) < 0) {
      return List.of();
    }
    return recipients.getOrDefault(role, recipients.getOrDefault(OperatorRole.DNS_OPERATOR, List.of()));
  }

  /**
   * How long a condition must have stayed clear before its "resolved" mail goes: a quarter of the
   * rate-limit window, at most 30 s, so that a flap does not mail "resolved" and "raised" back to back.
   */
  public Duration settle() {
    Duration quarter = rateLimit.dividedBy(4);
    return quarter.compareTo(Duration.ofSeconds(30)) < 0 ? quarter : Duration.ofSeconds(30);
  }

  private static String value(Properties p, String key) {
    String v = p.getProperty(key);
    return v == null || v.isBlank() ? null : v.trim();
  }
}
