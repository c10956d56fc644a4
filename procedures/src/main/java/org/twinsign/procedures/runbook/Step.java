package org.twinsign.procedures.runbook;

import java.time.Duration;
import java.util.List;

/**
 * One step of a runbook's How: a precondition, an action, and the verification that it is done.
 * The action is an operator operation (a {@code twinsign} command the pair's admin endpoint runs),
 * a host command the operator configured (run by this CLI, on this machine: an HSM's backup tool),
 * a human action the run waits for (with the prompt), or a wait until a check passes. A step whose
 * verification already passes is done without acting (steps are idempotent: a resumed run does not
 * act twice).
 *
 * @param id short name, unique in its runbook: {@code --done ID} confirms a human step
 * @param what what the step does, for {@code runbook show} and the dry run
 * @param precondition must pass before the step acts (null: none)
 * @param operation the admin operation's arguments, or empty for a human step or a wait
 * @param prompt what the operator must do, for a human step; null otherwise
 * @param command a host command ({@code /bin/sh -c} runs it here), or null
 * @param late for a step that depends on what earlier steps made (a new key's tag): makes the
 *     step when the run reaches it; the other fields are then only its id and description
 * @param verification passes once the step is done
 * @param patience how long the run waits for the verification before it stops, resumable
 */
public record Step(String id, String what, Check precondition, List<String> operation, String prompt,
    String command, Check verification, Duration patience, java.util.function.Function<PairAccess, Step> late) {

  /** A step the pair's admin endpoint carries out. */
  public static Step operation(String id, String what, Check precondition, List<String> args, Check verification,
      Duration patience) {
    return new Step(id, what, precondition, List.copyOf(args), null, null, verification, patience, null);
  }

  /** A step a person carries out; the run waits for {@code --done ID}, then verifies. */
  public static Step human(String id, String what, Check precondition, String prompt, Check verification,
      Duration patience) {
    return new Step(id, what, precondition, List.of(), prompt, null, verification, patience, null);
  }

  /** A step that only waits until {@code verification} passes. */
  public static Step await(String id, String what, Check verification, Duration patience) {
    return new Step(id, what, null, List.of(), null, null, verification, patience, null);
  }

  /**
   * A step that runs the host command {@code command} on this machine ({@code /bin/sh -c}), as the
   * operator who runs the runbook; its exit code and output's last lines go into the trail.
   */
  public static Step command(String id, String what, Check precondition, String command, Check verification,
      Duration patience) {
    return new Step(id, what, precondition, List.of(), null, command, verification, patience, null);
  }

  /**
   * A step made when the run reaches it, from what the pair holds then ({@code make} may throw:
   * the run waits, saying why it cannot be made yet). Its id must be the one {@code make} gives.
   */
  public static Step late(String id, String what, java.util.function.Function<PairAccess, Step> make) {
    return new Step(id, what, null, List.of(), null, null, null, Duration.ZERO, make);
  }

  /**
   * A human step that is done once the operator confirms it ({@code --done ID}): what a person did
   * outside the pair's reach (a DS handed to the registrar), checked by the steps that follow.
   */
  public static Step confirmed(String id, String what, Check precondition, String prompt) {
    return new Step(id, what, precondition, List.of(), prompt, null, null, Duration.ZERO, null);
  }

  public boolean human() {
    return prompt != null;
  }
}
