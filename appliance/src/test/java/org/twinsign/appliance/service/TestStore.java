package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;
import org.twinsign.appliance.CliRun;
import org.twinsign.appliance.TestHsm;
import org.twinsign.testkit.MariaDbServer;

/**
 * A Twinsign node for tests: a fresh database and account on a real mariadbd, a config file with
 * the test SoftHSM token as repository "SoftHSM", and the CLI run against it.
 */
public final class TestStore {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private final Path dir;
  private final Path config;
  private final String database;

  private TestStore(Path dir, Path config, String database) {
    this.dir = dir;
    this.config = config;
    this.database = database;
  }

  /**
   * @param extra more config lines (hooks, keypool.horizon)
   * @param requireBackup whether repository SoftHSM requires backup
   */
  public static TestStore create(MariaDbServer server, Path dir, boolean requireBackup, String extra) {
    String name = "ts" + ProcessHandle.current().pid() + "x" + DATABASES.incrementAndGet();
    try {
      server.execute("CREATE DATABASE " + name,
          "CREATE USER '" + name + "'@'127.0.0.1' IDENTIFIED BY 'db-secret-" + name + "'",
          "GRANT ALL ON " + name + ".* TO '" + name + "'@'127.0.0.1'");
      org.twinsign.appliance.TestFiles.secret(dir.resolve("db.password"), "db-secret-" + name + "\n");
      Path config = dir.resolve("twinsign.conf");
      Path pin = TestHsm.directory().resolve(TestHsm.PRIMARY + ".user.pin");
      TestHsm.config(TestHsm.PRIMARY); // the tokens exist before SoftHSM is loaded
      Files.writeString(config, "node.mode=single\ndb.url=" + server.jdbcUrl(name) + "\ndb.user=" + name
          + "\ndb.password.file=db.password\n"
          + "repository.SoftHSM.library=/usr/lib/softhsm/libsofthsm2.so\nrepository.SoftHSM.token=" + TestHsm.PRIMARY
          + "\nrepository.SoftHSM.pin.file=" + pin + "\nrepository.SoftHSM.require-backup=" + requireBackup + "\n"
          + extra);
      return new TestStore(dir, config, name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path config() {
    return config;
  }

  public Path dir() {
    return dir;
  }

  public String database() {
    return database;
  }

  /** Runs {@code twinsign --config CONFIG args...} in this JVM. */
  public CliRun cli(String... args) {
    String[] full = new String[args.length + 2];
    full[0] = "--config";
    full[1] = config.toString();
    System.arraycopy(args, 0, full, 2, args.length);
    return CliRun.of(full);
  }

  /** As {@link #cli}, and fails the test with what the command said if it failed. */
  public String ok(String... args) {
    CliRun run = cli(args);
    if (run.exit() != 0) {
      throw new AssertionError("twinsign " + String.join(" ", args) + " failed (exit " + run.exit() + "):\n"
          + run.err() + run.out());
    }
    return run.out();
  }

  /** A small zone file (SOA, NS, one address) for {@code zone} in this node's directory; returns it. */
  public Path minimalZone(String zone, long serial) {
    Path file = dir.resolve(zone + ".zone");
    try {
      Files.writeString(file, "$ORIGIN " + zone + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster " + serial
          + " 7200 3600 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  /** Adds {@code zone} (a {@link #minimalZone}) with {@code policy}, signed into {@code zone}.signed. */
  public void addMinimalZone(String zone, String policy, long serial) {
    ok("zone", "add", "--zone", zone, "--policy", policy, "--input", minimalZone(zone, serial).toString(), "--output",
        dir.resolve(zone + ".signed").toString());
  }
}
