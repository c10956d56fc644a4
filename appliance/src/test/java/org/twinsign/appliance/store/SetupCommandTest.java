package org.twinsign.appliance.store;

import org.twinsign.fencing.EpochLease;
import org.twinsign.fencing.LeaseLostException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.WithMariaDb;

/** {@code twinsign --config F setup} against a real mariadbd. */
class SetupCommandTest extends WithMariaDb {
  private static int database;

  @TempDir
  Path dir;

  /** A fresh database and account for each test, and a config file naming them. */
  private Path config() throws Exception {
    String name = "twinsign" + (++database);
    server.execute("CREATE DATABASE " + name,
        "CREATE USER '" + name + "'@'127.0.0.1' IDENTIFIED BY 'db-secret-" + name + "'",
        "GRANT ALL ON " + name + ".* TO '" + name + "'@'127.0.0.1'");
    org.twinsign.appliance.TestFiles.secret(dir.resolve("db.password"), "db-secret-" + name + "\n");
    Path config = dir.resolve("twinsign.conf");
    Files.writeString(config, "node.mode=single\ndb.url=" + server.jdbcUrl(name) + "\ndb.user=" + name
        + "\ndb.password.file=db.password\n"
        + "repository.SoftHSM.library=/usr/lib/softhsm/libsofthsm2.so\nrepository.SoftHSM.token=twinsign-a\n"
        + "repository.SoftHSM.pin.file=a.pin\nrepository.SoftHSM.require-backup=true\n");
    return config;
  }

  @Test
  void createsThenUpgradesInPlace() throws Exception {
    Path config = config();
    CliRun first = CliRun.of("--config", config.toString(), "setup");
    assertEquals(0, first.exit(), first.err());
    assertTrue(first.out().contains("created a production store"), first.out());
    CliRun again = CliRun.of("--config", config.toString(), "setup");
    assertEquals(0, again.exit(), again.err());
    assertTrue(again.out().contains("is up to date"), again.out());
    assertEquals("production", server.queryString("SELECT mode FROM twinsign" + database + ".store_meta"));
  }

  @Test
  void changingTheModeNeedsForce() throws Exception {
    Path config = config();
    assertEquals(0, CliRun.of("--config", config.toString(), "setup").exit());
    CliRun refused = CliRun.of("--config", config.toString(), "setup", "--simulation");
    assertEquals(1, refused.exit());
    assertTrue(refused.err().contains("--force") && refused.err().contains("production store"), refused.err());
    assertEquals("production", server.queryString("SELECT mode FROM twinsign" + database + ".store_meta"));
    CliRun forced = CliRun.of("--config", config.toString(), "setup", "--simulation", "--force");
    assertEquals(0, forced.exit(), forced.err());
    assertTrue(forced.out().contains("wiped and created a simulation store"), forced.out());
    assertEquals("simulation", server.queryString("SELECT mode FROM twinsign" + database + ".store_meta"));
  }

  @Test
  void badConfigurationsNameTheFileAndKey() throws Exception {
    Path config = dir.resolve("bad.conf");
    Files.writeString(config, "node.mode=single\ndb.url=jdbc:mariadb://127.0.0.1:1/x\ndb.user=u\ndb.password.file=p\ndb.pasword=x\n");
    CliRun result = CliRun.of("--config", config.toString(), "setup");
    assertEquals(1, result.exit());
    assertTrue(result.err().contains("unknown key 'db.pasword'") && result.err().contains(config.toString()), result.err());

    Files.writeString(config, "node.mode=single\ndb.url=jdbc:mariadb://127.0.0.1:1/x\ndb.user=u\ndb.password.file=p\n"
        + "repository.A.library=/x.so\nrepository.A.pin.file=a.pin\n");
    result = CliRun.of("--config", config.toString(), "setup");
    assertTrue(result.err().contains("'repository.A.token' is missing"), result.err());

    result = CliRun.of("setup");
    assertEquals(2, result.exit());
    assertTrue(result.err().contains("--config"), result.err());
  }

  @Test
  void anUnreachableDatabaseIsNamedWithoutThePassword() throws Exception {
    org.twinsign.appliance.TestFiles.secret(dir.resolve("db.password"), "never-shown-42\n");
    Path config = dir.resolve("twinsign.conf");
    Files.writeString(config, "node.mode=single\ndb.url=jdbc:mariadb://127.0.0.1:" + closedPort() + "/twinsign\ndb.user=twinsign\n"
        + "db.password.file=db.password\n");
    CliRun result = CliRun.of("--config", config.toString(), "setup");
    assertEquals(1, result.exit());
    assertTrue(result.err().contains("cannot connect to the database jdbc:mariadb://127.0.0.1:"), result.err());
    assertFalse(result.err().contains("never-shown-42"), result.err());
  }

  private static int closedPort() throws Exception {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }


  @Test
  void aCommandOnAnOlderSchemaSaysToRunSetup() throws Exception {
    Path config = config();
    assertEquals(0, CliRun.of("--config", config.toString(), "setup").exit());
    assertEquals(0, CliRun.of("--config", config.toString(), "zone", "list").exit());
    server.execute("DELETE FROM twinsign" + database + ".DATABASECHANGELOG WHERE ID = '0002-schedule'");
    CliRun list = CliRun.of("--config", config.toString(), "zone", "list");
    assertEquals(1, list.exit());
    assertTrue(list.err().contains("schema changes: run 'twinsign setup' to upgrade it"), list.err());
  }

  @Test
  void aWriterWithALowerFencingEpochIsRefused() throws Exception {
    Path config = config();
    assertEquals(0, CliRun.of("--config", config.toString(), "setup").exit());
    org.twinsign.appliance.config.TwinsignConfig node = org.twinsign.appliance.config.TwinsignConfig.load(config);
    try (Store master = Store.open(node); Store old = Store.open(node)) {
      master.write(new EpochLease(7), tx -> tx.update("UPDATE store_meta SET created_at = created_at WHERE id = 1"));
      assertEquals("7", server.queryString("SELECT fencing_epoch FROM twinsign" + database + ".store_meta"));
      StoreException refused = org.junit.jupiter.api.Assertions.assertThrows(FencedException.class,
          () -> old.write(new EpochLease(6), tx -> tx.update("UPDATE store_meta SET created_at = created_at WHERE id = 1")));
      assertTrue(refused.getMessage().contains("holds fencing epoch 6 but epoch 7 has already written"),
          refused.getMessage());
      assertEquals(7L, (long) old.read(StoreTransaction::epoch), "readers see the epoch that wrote last");
    }
  }

  @Test
  void aLeaseLostBeforeTheCommitWritesNothing() throws Exception {
    Path config = config();
    assertEquals(0, CliRun.of("--config", config.toString(), "setup").exit());
    org.twinsign.appliance.config.TwinsignConfig node = org.twinsign.appliance.config.TwinsignConfig.load(config);
    EpochLease lease = new EpochLease(3);
    try (Store store = Store.open(node)) {
      LeaseLostException refused = org.junit.jupiter.api.Assertions.assertThrows(LeaseLostException.class,
          () -> store.write(lease, tx -> {
            tx.update("UPDATE store_meta SET created_at = '2001-01-01' WHERE id = 1");
            lease.revoke("ZooKeeper session suspended");
            return null;
          }));
      assertTrue(refused.getMessage().contains("ZooKeeper session suspended"), refused.getMessage());
      // the epoch was raised in a transaction of its own before the work (fencing older writers is
      // always safe); the work itself was not committed
      assertEquals("3", server.queryString("SELECT fencing_epoch FROM twinsign" + database + ".store_meta"));
      assertFalse(server.queryString("SELECT created_at FROM twinsign" + database + ".store_meta").startsWith("2001"));
    }
  }

  @Test
  void aWipeNeverLowersTheFencingEpoch() throws Exception {
    Path config = config();
    assertEquals(0, CliRun.of("--config", config.toString(), "setup").exit());
    org.twinsign.appliance.config.TwinsignConfig node = org.twinsign.appliance.config.TwinsignConfig.load(config);
    try (Store store = Store.open(node)) {
      store.write(new EpochLease(41), tx -> null);
    }
    CliRun wipe = CliRun.of("--config", config.toString(), "setup", "--simulation", "--force");
    assertEquals(0, wipe.exit(), wipe.err());
    assertTrue(wipe.out().contains("wiped"), wipe.out());
    assertEquals("41", server.queryString("SELECT fencing_epoch FROM twinsign" + database + ".store_meta"));
  }

  @Test
  void aConfigWithoutNodeModeSaysWhichToChoose() throws Exception {
    Path config = dir.resolve("nomode.conf");
    Files.writeString(config, "db.url=jdbc:mariadb://127.0.0.1:1/x\ndb.user=u\ndb.password.file=p\n");
    CliRun result = CliRun.of("--config", config.toString(), "zone", "list");
    assertEquals(1, result.exit());
    assertTrue(result.err().contains("'node.mode' is missing") && result.err().contains("node.mode=single"),
        result.err());
  }

  @Test
  void aNodeOfAPairDoesNotWriteWithoutItsLease() throws Exception {
    Path config = config();
    Files.writeString(config, Files.readString(config).replace("node.mode=single", "node.mode=pair"));
    CliRun result = CliRun.of("--config", config.toString(), "zone", "list");
    assertEquals(1, result.exit());
    // a node of a pair acts through its node daemon: its config must say which node it is
    assertTrue(result.err().contains("'node.name' is missing (node.mode=pair needs it)"), result.err());
    Files.writeString(config, Files.readString(config).replace("node.mode=pair", "node.mode=double"));
    result = CliRun.of("--config", config.toString(), "zone", "list");
    assertTrue(result.err().contains("node.mode must be 'single'"), result.err());
  }

  @Test
  void aPasswordFileOthersCanReadIsRefused() throws Exception {
    Path config = config();
    Path password = dir.resolve("db.password");
    Files.setPosixFilePermissions(password, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    CliRun result = CliRun.of("--config", config.toString(), "setup");
    assertEquals(1, result.exit());
    assertTrue(result.err().contains("db.password.file " + password) && result.err().contains("chmod 600 " + password),
        result.err());
    assertFalse(result.err().contains("db-secret"), result.err());
  }
}
