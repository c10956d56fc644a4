package org.twinsign.procedures.runbook;

/** What a check found: whether it passes, and the evidence (what was seen, as an operator would quote it). */
public record Outcome(boolean pass, String evidence) {
  public static Outcome pass(String evidence) {
    return new Outcome(true, evidence);
  }

  public static Outcome fail(String evidence) {
    return new Outcome(false, evidence);
  }
}
