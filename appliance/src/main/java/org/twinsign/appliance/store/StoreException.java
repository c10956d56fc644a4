package org.twinsign.appliance.store;

/** A store operation failed; the message names the database and what to do. Never holds a password. */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
