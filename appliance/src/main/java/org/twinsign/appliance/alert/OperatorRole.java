package org.twinsign.appliance.alert;

/** Who is told of an alert: the roles of DESIGN.md, each with its own recipients ({@code alert.mail.to.ROLE}). */
public enum OperatorRole {
  DNS_OPERATOR("dns-operator"),
  SECURITY_OFFICER("security-officer"),
  BACKUP_OFFICER("backup-officer");

  private final String label;

  OperatorRole(String label) {
    this.label = label;
  }

  /** The role's name in the configuration and in mails. */
  public String label() {
    return label;
  }

  /** The role named {@code label}; null if none. */
  public static OperatorRole parse(String label) {
    for (OperatorRole r : values()) {
      if (r.label.equals(label)) {
        return r;
      }
    }
    return null;
  }
}
