package org.twinsign.procedures.runbook;

import java.util.List;
import java.util.Map;

/**
 * A procedure as operators write them: When to run it, What must hold (a checklist, each item a
 * {@link Check}), Why, and How (the {@link Step}s). Its parameters ({@code --param KEY=VALUE})
 * shape the checks and steps.
 */
public interface Runbook {
  /** Its name on the command line ({@code signer-failure-standby}). */
  String name();

  /** One line for {@code runbook list}. */
  String summary();

  String when();

  String why();

  /** The parameters it takes, with what each means (and its default, if any). */
  Map<String, String> parameters();

  /**
   * The run's parameters with their defaults resolved against the pair as it is when the run
   * starts: a run resumed later (after a failover, say) keeps them, whatever the pair looks like then.
   */
  default Map<String, String> resolve(Map<String, String> params, PairAccess pair) {
    return params;
  }

  /** What must hold before the steps start, given the run's parameters. */
  List<Check> checklist(Map<String, String> params, PairAccess pair);

  /** How: the steps, given the run's parameters. */
  List<Step> steps(Map<String, String> params, PairAccess pair);

  /**
   * What a finished run reports (recorded in its trail, shown as pass or WARN): checks of what the
   * run was for that it cannot make hold itself (enough backed-up keys, say). None by default.
   */
  default List<Check> report(Map<String, String> params, PairAccess pair) {
    return List.of();
  }
}
