package org.twinsign.procedures.runbooks;

import java.util.List;
import java.util.Optional;
import org.twinsign.procedures.runbook.Runbook;

/** Every runbook {@code twinsign runbook} knows. */
public final class Runbooks {
  private Runbooks() {}

  public static List<Runbook> all() {
    return List.of(new SignerFailureMaster(), new SignerFailureStandby(), new KskRollover(), new KeyBackup(),
        new KeyRecovery(), new HsmReplacement(), new TimingDrift());
  }

  public static Optional<Runbook> named(String name) {
    return all().stream().filter(r -> r.name().equals(name)).findFirst();
  }
}
