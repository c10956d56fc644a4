package org.twinsign.appliance.store;

/**
 * The answer to a commit was lost: the change may or may not be in the store. Callers must not
 * report "nothing was changed"; they re-read the store before undoing anything.
 */
public final class CommitUnknownException extends StoreException {
  private static final long serialVersionUID = 1L;

  public CommitUnknownException(String message, Throwable cause) {
    super(message, cause);
  }
}
