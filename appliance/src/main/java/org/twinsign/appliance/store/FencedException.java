package org.twinsign.appliance.store;

/** A writer with a lower fencing epoch than the store's highest was refused; nothing was written. */
public final class FencedException extends StoreException {
  private static final long serialVersionUID = 1L;

  public FencedException(String message) {
    super(message);
  }
}
