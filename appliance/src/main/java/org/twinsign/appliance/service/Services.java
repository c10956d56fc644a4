package org.twinsign.appliance.service;

import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.store.Store;
import org.twinsign.fencing.Lease;

/**
 * The service layer: every operator command acts on the store through these, never on tables
 * directly, so that a later release can route them through the active master. Lifecycle:
 * {@link #open} → use → {@link #close}.
 */
public final class Services implements AutoCloseable {
  private final TwinsignConfig config;
  private final Store store;
  private final KeyRepositorySet repositories;
  private final Lease lease;
  private final SignedZones signedZones = new SignedZones();
  private final FileDigests fileDigests = new FileDigests();
  private final KeyPoolClaims poolClaims = new KeyPoolClaims();
  private volatile ZoneInputs inputs = ZoneInputs.NONE;
  private volatile PublicationGate gate = PublicationGate.OPEN;

  private Services(TwinsignConfig config, Store store, Lease lease) {
    this.config = config;
    this.store = store;
    this.lease = lease;
    this.repositories = new KeyRepositorySet(config, lease);
  }

  /**
   * Opens the services of a single node ({@code node.mode=single}). A node of a pair acts only
   * under the lease its leadership gives ({@link #open(TwinsignConfig, Lease)}).
   */
  public static Services open(TwinsignConfig config) {
    if (config.nodeMode() != TwinsignConfig.NodeMode.SINGLE) {
      throw new org.twinsign.appliance.config.ConfigException(config.source() + ": node.mode=pair: this node changes"
          + " state only as master, under the lease of its node daemon; run the command on a node configured with"
          + " node.mode=single, or through the master");
    }
    return open(config, Lease.singleNode());
  }

  /** Opens the services acting under {@code lease}: every write and outside effect checks it. */
  public static Services open(TwinsignConfig config, Lease lease) {
    if (lease.epoch().isEmpty() && config.nodeMode() != TwinsignConfig.NodeMode.SINGLE) {
      throw new IllegalArgumentException("a lease without a fencing epoch is for node.mode=single only");
    }
    return new Services(config, Store.open(config), lease);
  }

  /** The lease every master action of these services takes. */
  public Lease lease() {
    return lease;
  }

  public TwinsignConfig config() {
    return config;
  }

  public Store store() {
    return store;
  }

  public KeyRepositorySet repositories() {
    return repositories;
  }

  /** Where unsigned zones held in memory come from (the node's transfers); set before the first signing. */
  public void takeInputsFrom(ZoneInputs inputs) {
    this.inputs = inputs;
  }

  ZoneInputs inputs() {
    return inputs;
  }

  /** What a key's publication waits for beyond the policy (the standby's HSM, in a pair); set before the first run. */
  public void gateKeysWith(PublicationGate gate) {
    this.gate = gate;
  }

  PublicationGate gate() {
    return gate;
  }

  public KekService kek() {
    return new KekService(repositories);
  }

  public KeySyncService keySync() {
    return new KeySyncService(this);
  }

  /** The pool keys chosen by runs in progress (zones are enforced side by side). */
  KeyPoolClaims poolClaims() {
    return poolClaims;
  }

  /** The signed zones these services published, in memory for the next signing and the DNS server. */
  public SignedZones signedZones() {
    return signedZones;
  }

  /** The digests of zone files, remembered while the files do not change. */
  FileDigests fileDigests() {
    return fileDigests;
  }

  public PolicyService policies() {
    return new PolicyService(this);
  }

  public ZoneService zones() {
    return new ZoneService(this);
  }

  public KeyService keys() {
    return new KeyService(this);
  }

  public BackupService backups() {
    return new BackupService(this);
  }

  public EnforcerService enforcer() {
    return new EnforcerService(this);
  }

  public AlertService alerts() {
    return new AlertService(this);
  }

  /** Runbook runs: their state and audit trail ({@code procedures/} drives them through the CLI). */
  public RunbookJournal runbooks() {
    return new RunbookJournal(this);
  }

  @Override
  public void close() {
    try {
      repositories.close();
    } finally {
      store.close();
    }
  }
}
