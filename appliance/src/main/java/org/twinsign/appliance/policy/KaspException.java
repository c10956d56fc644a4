package org.twinsign.appliance.policy;

/** A kasp.xml that cannot be imported; the message names the file, the line and the element. */
public class KaspException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public KaspException(String message) {
    super(message);
  }
}
