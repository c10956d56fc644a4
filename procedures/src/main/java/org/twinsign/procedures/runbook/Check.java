package org.twinsign.procedures.runbook;

/**
 * One item of a runbook's checklist, or a step's precondition or verification: executable, it
 * asks the pair (through its admin operations) and passes or not, with evidence.
 */
public interface Check {
  /** What it checks, as the checklist says it. */
  String name();

  /** Looks at the pair now; never changes anything. */
  Outcome check(PairAccess pair);

  /** A check from its name and a function. */
  static Check of(String name, java.util.function.Function<PairAccess, Outcome> check) {
    return new Check() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Outcome check(PairAccess pair) {
        return check.apply(pair);
      }
    };
  }
}
