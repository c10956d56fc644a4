package org.twinsign.testkit;

/**
 * The host is not in a state to run a component: a missing package, an occupied port, a missing
 * PKCS#11 library. The message always says what is wrong and how to fix it.
 */
public class HostSetupException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public HostSetupException(String message) {
    super(message);
  }

  public HostSetupException(String message, Throwable cause) {
    super(message, cause);
  }
}
