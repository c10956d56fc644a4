package org.twinsign.appliance.store;

import java.util.List;
import java.util.Map;
import org.twinsign.appliance.config.TwinsignConfig;

/** The {@code repository} table: the key repositories of the configuration, and whether each requires backup. */
public final class RepositoryTable {
  private RepositoryTable() {}

  /** Records the configured repositories (a key refers to its repository by name). */
  public static void sync(StoreTransaction tx, Map<String, TwinsignConfig.Repository> repositories) {
    for (TwinsignConfig.Repository repository : repositories.values()) {
      tx.update("INSERT INTO repository (name, require_backup, epoch) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE"
          + " require_backup = VALUES(require_backup), epoch = VALUES(epoch)", repository.name(),
          repository.requireBackup(), tx.epoch());
    }
  }

  public static List<String> names(StoreTransaction tx) {
    return tx.query("SELECT name FROM repository ORDER BY name", row -> row.getString(1));
  }
}
