package org.twinsign.appliance.dnssec;

/** A signing stopped before its end because its caller cancelled it; nothing of it is used. */
public final class SigningCancelledException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public SigningCancelledException(String message) {
    super(message);
  }
}
