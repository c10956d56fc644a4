package org.twinsign.appliance.service;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.store.BackupTable;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.RepositoryTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.StoreException;
import org.twinsign.appliance.store.StoreTransaction;
import org.twinsign.appliance.store.ZoneTable;

/**
 * {@code backup prepare|commit|rollback|list}, OpenDNSSEC's two-step key backup: {@code prepare}
 * fixes the set of keys the HSM backup will hold; after the backup, {@code commit} marks exactly
 * those keys backed up. A key generated in between is not in the backup and stays unbacked. In a
 * repository that requires backup, the enforcer publishes no key that is not backed up.
 */
public final class BackupService {
  private final Services services;

  BackupService(Services services) {
    this.services = services;
  }

  public List<String> prepare(String repository) {
    return services.store().write(services.lease(), tx -> {
      lockZones(tx);
      Instant now = Store.now(tx);
      List<String> report = new ArrayList<>();
      for (String name : repositories(tx, repository)) {
        BackupTable.open(tx, name).ifPresent(open -> {
          throw new StoreException("a backup of repository " + name + " was prepared at " + open.preparedAt()
              + " and not finished: 'backup commit' or 'backup rollback' it first");
        });
        int keys = KeyTable.prepareBackup(tx, name, now);
        BackupTable.prepared(tx, name, now, keys);
        report.add("repository " + name + ": " + keys + " keys to back up: back up the HSM now, then 'backup commit"
            + (repository == null ? "" : " --repository " + name) + "'");
      }
      return report;
    });
  }

  /**
   * Every zone's row, before any key row: the lock order of the enforcer's commit (zone, then its
   * keys), so that a backup and a signing run never deadlock.
   */
  private static List<String> lockZones(StoreTransaction tx) {
    return ZoneTable.lockAll(tx, ZoneTable.all(tx).stream().map(ZoneTable.ZoneRow::name).toList());
  }

  public List<String> commit(String repository) {
    return finish(repository, true);
  }

  public List<String> rollback(String repository) {
    return finish(repository, false);
  }

  private List<String> finish(String repository, boolean commit) {
    return services.store().write(services.lease(), tx -> {
      List<String> zones = lockZones(tx);
      Instant now = Store.now(tx);
      List<String> report = new ArrayList<>();
      for (String name : repositories(tx, repository)) {
        BackupTable.BackupRow open = BackupTable.open(tx, name).orElseThrow(() -> new StoreException(
            "no backup of repository " + name + " is prepared: run 'backup prepare' before the HSM backup"));
        int keys = KeyTable.finishBackup(tx, name, commit, now);
        BackupTable.finish(tx, open.id(), now, commit ? "committed" : "rolled back");
        report.add("repository " + name + ": " + keys + " keys " + (commit ? "backed up" : "back to unbacked"));
      }
      if (commit) {
        // keys that waited for this backup may be published now
        // the zones locked above (a zone added since waits for its own first run anyway)
        zones.forEach(zone -> ZoneTable.schedule(tx, zone, now, "backup committed"));
      }
      return report;
    });
  }

  /** Per repository: whether it requires backup, its keys by backup state, the last backup, an open one. */
  public List<String> list(String repository) {
    return list(repository, false);
  }

  /**
   * Per repository: whether it requires backup, its keys by backup state, the last backup, an open
   * one, and the oldest key not backed up; {@code verbose} lists every key not backed up.
   */
  public List<String> list(String repository, boolean verbose) {
    return services.store().read(tx -> {
      List<String> report = new ArrayList<>();
      for (String name : repositories(tx, repository)) {
        List<KeyTable.HsmKeyRow> keys = KeyTable.hsmKeys(tx, name);
        long backedUp = keys.stream().filter(k -> k.backup() == KeyTable.Backup.BACKED_UP).count();
        long prepared = keys.stream().filter(k -> k.backup() == KeyTable.Backup.PREPARED).count();
        List<KeyTable.HsmKeyRow> unbacked = keys.stream().filter(k -> k.backup() == KeyTable.Backup.UNBACKED).toList();
        boolean required = services.repositories().configured(name).requireBackup();
        report.add("repository " + name + " (backup " + (required ? "required" : "not required") + "): "
            + backedUp + " backed up, " + prepared + " prepared, " + unbacked.size() + " not backed up; last backup: "
            + BackupTable.lastCommitted(tx, name).map(b -> b.finishedAt().toString()).orElse("never")
            + BackupTable.open(tx, name).map(b -> "; prepared at " + b.preparedAt() + ", not committed").orElse(""));
        for (KeyTable.HsmKeyRow key : verbose ? unbacked : unbacked.stream().limit(1).toList()) {
          report.add("  " + (verbose ? "" : "oldest ") + "not backed up: " + key.role() + " " + key.locator()
              + " (algorithm " + key.algorithm() + ", generated " + key.createdAt() + ")");
        }
        if (!verbose && unbacked.size() > 1) {
          report.add("  (" + (unbacked.size() - 1) + " more: 'backup list --verbose')");
        }
      }
      return report;
    });
  }

  /** A key's backup state, for {@code backup list --json}. */
  public record KeyBackup(String locator, String role, int algorithm, String backup, String generated) {}

  /** A repository's backups, for {@code backup list --json}: {@code preparedAt} is set while one is open. */
  public record RepositoryBackups(String repository, boolean requireBackup, String lastBackup, String preparedAt,
      List<KeyBackup> keys) {}

  /** As {@link #list}, for machines: every key of each repository with its backup state. */
  public List<RepositoryBackups> status(String repository) {
    return services.store().read(tx -> {
      List<RepositoryBackups> all = new ArrayList<>();
      for (String name : repositories(tx, repository)) {
        List<KeyBackup> keys = KeyTable.hsmKeys(tx, name).stream().map(k -> new KeyBackup(k.locator(),
            k.role().name(), k.algorithm(), k.backup().name().toLowerCase(java.util.Locale.ROOT), k.createdAt() == null ? null : k.createdAt().toString()))
            .toList();
        all.add(new RepositoryBackups(name, services.repositories().configured(name).requireBackup(),
            BackupTable.lastCommitted(tx, name).map(b -> b.finishedAt().toString()).orElse(null), BackupTable.open(tx,
                name).map(b -> b.preparedAt().toString()).orElse(null), keys));
      }
      return all;
    });
  }

  /** The repository named, or every configured one; a writer records them first (keys and backups refer to them). */
  private List<String> repositories(StoreTransaction tx, String repository) {
    if (repository != null && !services.config().repositories().containsKey(repository)) {
      throw new StoreException("--repository " + repository + ": no such repository in "
          + services.config().source() + " (configured: " + String.join(", ", services.config().repositories()
          .keySet()) + ")");
    }
    if (tx.writes()) {
      RepositoryTable.sync(tx, services.config().repositories());
    }
    return repository != null ? List.of(repository) : new ArrayList<>(services.config().repositories().keySet());
  }
}
