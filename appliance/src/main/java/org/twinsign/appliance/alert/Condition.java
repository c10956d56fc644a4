package org.twinsign.appliance.alert;

/**
 * One thing that is wrong (or happened), as a source of alerts sees it: its kind, what it concerns
 * ({@code node beta}, {@code zone example.com}, {@code key 12345 of example.com}), what happened
 * and what to do next (the {@code twinsign} command or runbook). Two observations of the same kind
 * and subject are the same condition: it stays one alert however often it is seen.
 */
public record Condition(AlertKind kind, Severity severity, String subject, String summary, String todo) {
  public Condition {
    if (subject.isBlank() || summary.isBlank() || todo.isBlank()) {
      throw new IllegalArgumentException("an alert names what it concerns, what happened and what to do");
    }
  }

  /** A condition of the kind's default severity. */
  public Condition(AlertKind kind, String subject, String summary, String todo) {
    this(kind, kind.severity(), subject, summary, todo);
  }

  /** The condition's identity: kind and subject. */
  public String key() {
    return kind.id() + " " + subject;
  }
}
