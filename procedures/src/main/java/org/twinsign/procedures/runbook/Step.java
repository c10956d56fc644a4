package org.twinsign.procedures.runbook;

import java.time.Duration;
import java.util.List;

/**
 * One step of a runbook's How: a precondition, an action, and the verification that it is done.
 * The action is an operator operation (a {@code twinsign} command the pair's admin endpoint runs),
 * a human action the run waits for (with the prompt), or a wait until a check passes. A step whose
 * verification already passes is done without acting (steps are idempotent: a resumed run does not
 * act twice).
 *
 * @param id short name, unique in its runbook: {@code --done ID} confirms a human step
 * @param what what the step does, for {@code runbook show} and the dry run
 * @param precondition must pass before the step acts (null: none)
 * @param operation the admin operation's arguments, or empty for a human step or a wait
 * @param prompt what the operator must do, for a human step; null otherwise
 * @param verification passes once the step is done
 * @param patience how long the run waits for the verification before it stops, resumable
 */
public record Step(String id, String what, Check precondition, List<String> operation, String prompt,
    Check verification, Duration patience) {

  /** A step the pair's admin endpoint carries out. */
  public static Step operation(String id, String what, Check precondition, List<String> args, Check verification,
      Duration patience) {
    return new Step(id, what, precondition, List.copyOf(args), null, verification, patience);
  }

  /** A step a person carries out; the run waits for {@code --done ID}, then verifies. */
  public static Step human(String id, String what, Check precondition, String prompt, Check verification,
      Duration patience) {
    return new Step(id, what, precondition, List.of(), prompt, verification, patience);
  }

  /** A step that only waits until {@code verification} passes. */
  public static Step await(String id, String what, Check verification, Duration patience) {
    return new Step(id, what, null, List.of(), null, verification, patience);
  }

  public boolean human() {
    return prompt != null;
  }
}
