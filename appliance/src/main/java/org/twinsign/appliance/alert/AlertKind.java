package org.twinsign.appliance.alert;

import java.time.Duration;
import java.util.List;

/**
 * What an alert is about. A kind has a default severity, the role it goes to, and whether it is a
 * <em>condition</em> (open while it holds; a mail when it is raised and one when it clears) or an
 * <em>event</em> (one mail; nothing to clear). Some conditions remind while nobody acts: after the
 * given delays from when they were raised, unless acknowledged ({@code alert ack}).
 */
public enum AlertKind {
  FAILOVER("failover", Severity.WARNING, OperatorRole.DNS_OPERATOR, true),
  FENCING_DONE("fencing-done", Severity.WARNING, OperatorRole.DNS_OPERATOR, true),
  FENCING_FAILED("fencing-failed", Severity.CRITICAL, OperatorRole.DNS_OPERATOR, false),
  FAILOVER_PAUSED("failover-paused", Severity.WARNING, OperatorRole.DNS_OPERATOR, false),
  REPLICATION_BROKEN("replication-broken", Severity.CRITICAL, OperatorRole.DNS_OPERATOR, false),
  REPLICATION_LAGGING("replication-lagging", Severity.WARNING, OperatorRole.DNS_OPERATOR, false),
  STANDBY_NOT_ELIGIBLE("standby-not-eligible", Severity.CRITICAL, OperatorRole.DNS_OPERATOR, false),
  KEY_WAITING_SYNC("key-waiting-sync", Severity.WARNING, OperatorRole.SECURITY_OFFICER, false),
  KEY_WAITING_BACKUP("key-waiting-backup", Severity.WARNING, OperatorRole.BACKUP_OFFICER, false),
  KEY_POOL_LOW("key-pool-low", Severity.WARNING, OperatorRole.SECURITY_OFFICER, false),
  DS_SUBMIT("ds-submit", Severity.WARNING, OperatorRole.SECURITY_OFFICER, false),
  /** Raised a day after the DS was submitted; reminds at three days and at a week. */
  DS_NOT_SEEN("ds-not-seen", Severity.WARNING, OperatorRole.SECURITY_OFFICER, false, Duration.ofDays(2),
      Duration.ofDays(6)),
  SIGNATURES_EXPIRING("signatures-expiring", Severity.CRITICAL, OperatorRole.DNS_OPERATOR, false),
  TIMING_DRIFT("timing-drift", Severity.WARNING, OperatorRole.SECURITY_OFFICER, false),
  HSM_ERROR("hsm-error", Severity.CRITICAL, OperatorRole.SECURITY_OFFICER, false),
  TRANSFER_FAILED("transfer-failed", Severity.WARNING, OperatorRole.DNS_OPERATOR, false),
  SECONDARY_NOT_FOLLOWING("secondary-not-following", Severity.WARNING, OperatorRole.DNS_OPERATOR, false),
  TSIG_PROBLEM("tsig-problem", Severity.WARNING, OperatorRole.DNS_OPERATOR, false),
  CERTIFICATE_PROBLEM("certificate-problem", Severity.WARNING, OperatorRole.DNS_OPERATOR, false),
  /** The daily digest ({@code alert.digest.time}): one event a day, a mail to each role's addresses. */
  DIGEST("digest", Severity.INFO, OperatorRole.DNS_OPERATOR, true),
  /** {@code alert test}: a mail to the address given, nobody else. */
  TEST("test", Severity.INFO, OperatorRole.DNS_OPERATOR, true);

  private final String id;
  private final Severity severity;
  private final OperatorRole role;
  private final boolean event;
  private final List<Duration> reminders;

  AlertKind(String id, Severity severity, OperatorRole role, boolean event, Duration... reminders) {
    this.id = id;
    this.severity = severity;
    this.role = role;
    this.event = event;
    this.reminders = List.of(reminders);
  }

  /** The kind's name in mails, {@code alert list} and the store. */
  public String id() {
    return id;
  }

  public Severity severity() {
    return severity;
  }

  public OperatorRole role() {
    return role;
  }

  /** Whether it happened once (one mail) rather than holding until it clears. */
  public boolean event() {
    return event;
  }

  /** When reminders are due, counted from when the alert was raised. */
  public List<Duration> reminders() {
    return reminders;
  }

  /** The kind named {@code id}; null if none. */
  public static AlertKind parse(String id) {
    for (AlertKind k : values()) {
      if (k.id.equals(id)) {
        return k;
      }
    }
    return null;
  }
}
