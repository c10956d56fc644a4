package org.twinsign.appliance.cli;

/** A command that ran on a node (over its admin endpoint) and failed there; its output is already printed. */
final class RemoteExit extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int code;

  RemoteExit(int code) {
    super("exit " + code, null, false, false);
    this.code = code;
  }

  int code() {
    return code;
  }
}
