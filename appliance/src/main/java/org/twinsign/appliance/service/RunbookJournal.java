package org.twinsign.appliance.service;

import java.util.List;
import java.util.Set;
import org.twinsign.appliance.store.RunbookTable;
import org.twinsign.appliance.store.Store;

/**
 * Where runbook runs keep their state and audit trail: in the replicated store, written by the
 * master like every other state, so that a run begun on one node goes on on the other after a
 * failover. What a runbook is, and what its steps mean, is {@code procedures/}'s business.
 */
public final class RunbookJournal {
  /** A run's states: the last three are final. */
  public static final Set<String> STATES = Set.of("running", "waiting", "done", "failed", "abandoned");
  private static final Set<String> FINAL = Set.of("done", "failed", "abandoned");

  private final Services services;

  RunbookJournal(Services services) {
    this.services = services;
  }

  /** Starts a run of {@code name}; returns its id. */
  public long start(String name, String params, String who) {
    return services.store().write(services.lease(), tx -> RunbookTable.start(tx, name, params, who, Store.now(tx)));
  }

  /** Adds an entry to run {@code run}'s trail; a finished run takes none. */
  public long record(long run, String step, String kind, String status, String evidence, String who) {
    String node = services.config().pair() == null ? "single" : services.config().pair().nodeName();
    return services.store().write(services.lease(), tx -> {
      RunbookTable.Run r = require(tx, run);
      if (FINAL.contains(r.state())) {
        throw new IllegalStateException("runbook run " + run + " (" + r.name() + ") is " + r.state()
            + ": start a new run");
      }
      return RunbookTable.record(tx, run, step, kind, status, evidence, who, node, Store.now(tx));
    });
  }

  /** Sets run {@code run}'s state. */
  public void state(long run, String state) {
    if (!STATES.contains(state)) {
      throw new IllegalArgumentException("state '" + state + "' is not one of " + STATES);
    }
    services.store().write(services.lease(), tx -> {
      RunbookTable.Run r = require(tx, run);
      if (FINAL.contains(r.state())) { // a finished run stays finished: another run is started
        throw new IllegalStateException("runbook run " + run + " (" + r.name() + ") is " + r.state()
            + ": start a new run");
      }
      RunbookTable.state(tx, run, state, FINAL.contains(state), Store.now(tx));
      return null;
    });
  }

  public RunbookTable.Run run(long id) {
    return services.store().read(tx -> require(tx, id));
  }

  public List<RunbookTable.Event> events(long run) {
    return services.store().read(tx -> {
      require(tx, run);
      return RunbookTable.events(tx, run);
    });
  }

  /** The newest {@code limit} runs. */
  public List<RunbookTable.Run> runs(int limit) {
    return services.store().read(tx -> RunbookTable.runs(tx, limit));
  }

  private static RunbookTable.Run require(org.twinsign.appliance.store.StoreTransaction tx, long id) {
    return RunbookTable.run(tx, id).orElseThrow(() -> new IllegalArgumentException("no runbook run " + id
        + " ('twinsign runbook history' lists them)"));
  }
}
