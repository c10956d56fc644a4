package org.twinsign.procedures.health;

/** How a finding stands; the order is severity, and each has its Nagios plugin exit code. */
public enum State {
  OK(0), WARNING(1), CRITICAL(2), UNKNOWN(3);

  private final int exitCode;

  State(int exitCode) {
    this.exitCode = exitCode;
  }

  /** The monitoring plugin's exit code (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN). */
  public int exitCode() {
    return exitCode;
  }

  /** The worse of the two: CRITICAL over UNKNOWN over WARNING over OK, as Nagios ranks a service. */
  public State worse(State other) {
    return rank() >= other.rank() ? this : other;
  }

  private int rank() {
    return switch (this) {
      case OK -> 0;
      case WARNING -> 1;
      case UNKNOWN -> 2;
      case CRITICAL -> 3;
    };
  }
}
