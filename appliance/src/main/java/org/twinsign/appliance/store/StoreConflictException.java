package org.twinsign.appliance.store;

/**
 * Another writer got to the same rows first (a moved zone version, a deadlock, a lock wait that
 * timed out): nothing was written, and the work can be redone from a fresh read.
 */
public class StoreConflictException extends StoreException {
  private static final long serialVersionUID = 1L;

  public StoreConflictException(String message) {
    super(message);
  }

  public StoreConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
