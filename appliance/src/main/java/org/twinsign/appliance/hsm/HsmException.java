package org.twinsign.appliance.hsm;

/**
 * An HSM operation failed. The message says what and how to fix it, and never contains a PIN.
 */
public class HsmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public HsmException(String message) {
    super(message);
  }

  public HsmException(String message, Throwable cause) {
    super(message, cause);
  }
}
