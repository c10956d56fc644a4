package org.twinsign.replication;

/** A server that has transactions its would-be primary lacks: it must be rebuilt, not rejoined. */
public final class ErrantTransactionsException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public ErrantTransactionsException(String message) {
    super(message);
  }
}
