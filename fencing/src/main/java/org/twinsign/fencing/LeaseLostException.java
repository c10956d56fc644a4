package org.twinsign.fencing;

/** A master action was refused because the lease it needs is not (or no longer) valid. */
public class LeaseLostException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public LeaseLostException(String message) {
    super(message);
  }
}
