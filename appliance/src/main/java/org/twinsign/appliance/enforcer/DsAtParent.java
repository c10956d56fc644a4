package org.twinsign.appliance.enforcer;

/**
 * Where a key's DS stands in the exchange with the parent, as OpenDNSSEC's {@code ds_at_parent}:
 * the enforcer asks for a submission or retraction, the hook carries it out, and {@code ds-seen}
 * / {@code ds-gone} (from an operator or the parent check) report that the parent did it.
 */
public enum DsAtParent {
  UNSUBMITTED,
  /** The enforcer wants the DS at the parent; the submit hook has not run successfully yet. */
  SUBMIT,
  /** Handed to the parent; waiting for {@code ds-seen}. */
  SUBMITTED,
  /** The parent publishes it. */
  SEEN,
  /** The enforcer wants it gone; the retract hook has not run successfully yet. */
  RETRACT,
  /** Retraction handed to the parent; waiting for {@code ds-gone}. */
  RETRACTED,
  /** The parent no longer publishes it. */
  GONE;

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
