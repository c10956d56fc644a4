package org.twinsign.appliance.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.UpdateSummaryEnum;
import liquibase.UpdateSummaryOutputEnum;
import liquibase.command.CommandScope;
import liquibase.command.core.UpdateCommandStep;
import liquibase.command.core.helpers.DbUrlConnectionArgumentsCommandStep;
import liquibase.command.core.helpers.ShowSummaryArgument;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.database.jvm.JdbcConnection;
import liquibase.exception.LiquibaseException;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.ui.LoggerUIService;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.fencing.Lease;
import org.twinsign.replication.CommitAcknowledgement;

/**
 * Twinsign's state in MariaDB: a connection pool and the schema, which one Liquibase changelog
 * owns. Lifecycle: {@link #open} → use → {@link #close}.
 */
public final class Store implements AutoCloseable {
  static final String CHANGELOG = "org/twinsign/appliance/store/changelog/db.changelog-master.xml";

  /** Whether the enforcer runs on the wall clock or on a clock that {@code time leap} moves. */
  public enum Mode { PRODUCTION, SIMULATION }

  private final TwinsignConfig config;
  private final HikariDataSource pool;
  private volatile CommitAcknowledgement acknowledgement = CommitAcknowledgement.NONE;
  private volatile MasterActionLog actions = MasterActionLog.NONE;

  private Store(TwinsignConfig config, HikariDataSource pool) {
    this.config = config;
    this.pool = pool;
  }

  /**
   * What decides after each writing commit whether it counts as done: in a pair, acknowledged by
   * the standby or the standby marked not eligible first ({@link CommitAcknowledgement}).
   */
  public void acknowledgeCommitsWith(CommitAcknowledgement acknowledgement) {
    this.acknowledgement = acknowledgement;
  }

  /** Where completed commits (and publications, by their writers) are recorded with their epoch. */
  public void logActionsTo(MasterActionLog log) {
    this.actions = log;
  }

  public MasterActionLog actions() {
    return actions;
  }

  /** Connects (the password is read from its file here, and only here). */
  public static Store open(TwinsignConfig config) {
    HikariConfig hikari = new HikariConfig();
    hikari.setJdbcUrl(config.dbUrl());
    hikari.setUsername(config.dbUser());
    hikari.setPassword(config.readDbPassword());
    hikari.setPoolName("twinsign-store");
    // the enforcer's side-by-side zones (EnforcerService.WORKERS), the key pool's filler, the admin endpoint
    hikari.setMaximumPoolSize(12);
    hikari.setMinimumIdle(0);
    hikari.setConnectionTimeout(10_000);
    // transactions are short (nothing slow runs inside one): a writer that waits this long for a
    // row has met a stuck one, and gives up as a conflict to be retried
    hikari.setConnectionInitSql("SET SESSION innodb_lock_wait_timeout = 60");
    try {
      return new Store(config, new HikariDataSource(hikari));
    } catch (HikariPool.PoolInitializationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new StoreException("cannot connect to the database " + config.dbUrl() + " as " + config.dbUser()
          + " (db.url, db.user, db.password.file in " + config.source() + "): " + cause.getMessage(), e);
    }
  }

  /** The mode the schema was set up in, or empty if there is no Twinsign schema yet. */
  public Optional<Mode> mode() {
    try (Connection connection = pool.getConnection()) {
      if (!tableExists(connection, "store_meta")) {
        return Optional.empty();
      }
      try (PreparedStatement statement = connection.prepareStatement("SELECT mode FROM store_meta WHERE id = 1");
          ResultSet rows = statement.executeQuery()) {
        return rows.next() ? Optional.of(Mode.valueOf(rows.getString(1).toUpperCase(java.util.Locale.ROOT)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw new StoreException("cannot read the store's mode from " + config.dbUrl() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the schema, or upgrades it to this release's changelog. An existing store keeps its
   * data and mode; asking for another mode, or {@code wipe}, drops everything first — only with
   * {@code force}.
   *
   * @return what was done, for the operator
   */
  public String setup(Mode mode, boolean force) {
    return setup(mode, force, null);
  }

  /** @param simulationStart where a new simulation store's clock starts (null: now) */
  public String setup(Mode mode, boolean force, Instant simulationStart) {
    Optional<Mode> existing = mode();
    if (existing.isPresent() && existing.get() != mode && !force) {
      throw new StoreException("the database " + config.dbUrl() + " holds a " + name(existing.get())
          + " store; making it a " + name(mode) + " store wipes it: add --force if that is what you want");
    }
    boolean wipe = existing.isPresent() && existing.get() != mode;
    // Liquibase reports to stdout and JUL; our stdout is the operator's answer
    java.util.logging.Logger.getLogger("liquibase").setLevel(Level.SEVERE);
    try {
      return Scope.child(java.util.Map.of(Scope.Attr.ui.name(), new LoggerUIService(),
          Scope.Attr.resourceAccessor.name(), new ClassLoaderResourceAccessor()), () -> migrate(existing, mode, wipe, simulationStart));
    } catch (StoreException e) {
      throw e;
    } catch (Exception e) {
      throw new StoreException("setting up the store in " + config.dbUrl() + " failed: " + e.getMessage(), e);
    }
  }

  private String migrate(Optional<Mode> existing, Mode mode, boolean wipe, Instant simulationStart) {
    try (Connection connection = pool.getConnection()) {
      Database database = DatabaseFactory.getInstance().findCorrectDatabaseImplementation(
          new JdbcConnection(connection));
      try (Liquibase liquibase = new Liquibase(CHANGELOG, new ClassLoaderResourceAccessor(), database)) {
        long epoch = existing.isPresent() ? highestEpoch(connection) : 0;
        if (wipe) {
          liquibase.dropAll();
        }
        int pending = liquibase.listUnrunChangeSets(new Contexts(), new LabelExpression()).size();
        CommandScope update = new CommandScope(UpdateCommandStep.COMMAND_NAME);
        update.addArgumentValue(DbUrlConnectionArgumentsCommandStep.DATABASE_ARG, database);
        update.addArgumentValue(UpdateCommandStep.CHANGELOG_FILE_ARG, CHANGELOG);
        update.addArgumentValue(ShowSummaryArgument.SHOW_SUMMARY, UpdateSummaryEnum.OFF);
        update.addArgumentValue(ShowSummaryArgument.SHOW_SUMMARY_OUTPUT, UpdateSummaryOutputEnum.LOG);
        update.setOutput(java.io.OutputStream.nullOutputStream());
        update.execute();
        if (existing.isEmpty() || wipe) {
          try (PreparedStatement insert = connection.prepareStatement(
              "INSERT INTO store_meta (id, mode, created_at, simulated_now, fencing_epoch) VALUES (1, ?, ?, ?, ?)")) {
            java.time.LocalDateTime now = java.time.LocalDateTime.ofInstant(
                simulationStart == null ? Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) : simulationStart, java.time.ZoneOffset.UTC);
            insert.setString(1, name(mode));
            insert.setObject(2, java.time.LocalDateTime.ofInstant(Instant.now(), java.time.ZoneOffset.UTC));
            insert.setObject(3, mode == Mode.SIMULATION ? now : null);
            // a wipe never lowers the epoch: a deposed master must stay fenced off a fresh store
            insert.setLong(4, epoch);
            insert.executeUpdate();
          }
          return (wipe ? "wiped and created" : "created") + " a " + name(mode) + " store (" + pending
              + " changesets) in " + config.dbUrl();
        }
        return pending == 0
            ? "the " + name(mode) + " store in " + config.dbUrl() + " is up to date"
            : "upgraded the " + name(mode) + " store in " + config.dbUrl() + " (" + pending + " changesets)";
      }
    } catch (SQLException | LiquibaseException e) {
      throw new StoreException("setting up the store in " + config.dbUrl() + " failed: " + e.getMessage(), e);
    }
  }

  private volatile boolean schemaChecked;

  /**
   * Once per process: the schema must be this release's, or commands would fail on a missing
   * column; the operator is told to run {@code setup}, which upgrades it in place.
   */
  private void checkSchema() {
    if (schemaChecked) {
      return;
    }
    int expected = changesetCount();
    try (Connection connection = connection()) {
      if (!tableExists(connection, "store_meta")) {
        throw new StoreException("the database " + config.dbUrl() + " has no Twinsign store: run 'twinsign setup'"
            + " first");
      }
      int applied = 0;
      if (tableExists(connection, "DATABASECHANGELOG") || tableExists(connection, "databasechangelog")) {
        try (PreparedStatement statement = connection.prepareStatement("SELECT COUNT(*) FROM DATABASECHANGELOG");
            ResultSet rows = statement.executeQuery()) {
          rows.next();
          applied = rows.getInt(1);
        }
      }
      if (applied < expected) {
        throw new StoreException("the store in " + config.dbUrl() + " has " + applied + " of this release's "
            + expected + " schema changes: run 'twinsign setup' to upgrade it (its data is kept)");
      }
    } catch (SQLException e) {
      throw StoreTransaction.failure(e, config.dbUrl());
    }
    schemaChecked = true;
  }

  /** The highest fencing epoch the store has seen (0 without one). */
  private static long highestEpoch(Connection connection) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("SELECT fencing_epoch FROM store_meta WHERE id = 1");
        ResultSet rows = statement.executeQuery()) {
      return rows.next() ? rows.getLong(1) : 0;
    }
  }

  /** The changesets of this release's changelog (the master file includes one file per release step). */
  static int changesetCount() {
    int count = 0;
    try (java.io.InputStream master = Store.class.getClassLoader().getResourceAsStream(CHANGELOG)) {
      String text = new String(master.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      java.util.regex.Matcher include = java.util.regex.Pattern.compile("<include file=\"([^\"]+)\"").matcher(text);
      String base = CHANGELOG.substring(0, CHANGELOG.lastIndexOf('/') + 1);
      while (include.find()) {
        try (java.io.InputStream part = Store.class.getClassLoader().getResourceAsStream(base + include.group(1))) {
          String changes = new String(part.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
          count += changes.split("<changeSet ", -1).length - 1;
        }
      }
    } catch (java.io.IOException | NullPointerException e) {
      throw new IllegalStateException("this build's changelog " + CHANGELOG + " cannot be read", e);
    }
    return count;
  }

  /**
   * Runs {@code work} in one short writing transaction under {@code lease} and commits it; on any
   * error nothing is written. The lease's epoch is checked at the start and the lease itself just
   * before the commit ({@link StoreTransaction}).
   */
  public <T> T write(Lease lease, java.util.function.Function<StoreTransaction, T> work) {
    checkSchema();
    long started = System.nanoTime();
    try (StoreTransaction transaction = StoreTransaction.begin(connection(), lease, true, config.dbUrl(),
        acknowledgement)) {
      T result = work.apply(transaction);
      transaction.commit();
      actions.acted("commit", transaction.epoch(), "", started);
      return result;
    }
  }

  /** Runs {@code work} in one read-only transaction (a consistent snapshot). */
  public <T> T read(java.util.function.Function<StoreTransaction, T> work) {
    checkSchema();
    try (StoreTransaction transaction = StoreTransaction.begin(connection(), null, false, config.dbUrl())) {
      T result = work.apply(transaction);
      transaction.commit();
      return result;
    }
  }

  /**
   * Runs {@code work} in a transaction that may take locking reads ({@code LOCK IN SHARE MODE})
   * but writes nothing: to learn the committed outcome of a transaction whose answer was lost, a
   * locking read waits for it to end, where a snapshot read would show the old rows.
   */
  public <T> T inspect(java.util.function.Function<StoreTransaction, T> work) {
    checkSchema();
    try (StoreTransaction transaction = StoreTransaction.beginInspection(connection(), config.dbUrl())) {
      T result = work.apply(transaction);
      transaction.commit();
      return result;
    }
  }

  /** The enforcer's time: the wall clock, or in a simulation store the time {@code time leap} set. */
  public static Instant now(StoreTransaction transaction) {
    List<Instant> simulated = transaction.query(
        "SELECT mode, simulated_now FROM store_meta WHERE id = 1",
        row -> "simulation".equals(row.getString("mode")) ? StoreTransaction.instant(row, "simulated_now") : null);
    // whole seconds: the DNS counts in seconds, and operators read these times
    return simulated.isEmpty() || simulated.get(0) == null
        ? Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) : simulated.get(0);
  }

  /** The store's mode, within a transaction. */
  /**
   * Records {@code name} as the store's cluster unless it has one; returns the one it has. The
   * first master of a pair does this, under its lease.
   */
  public static String claimClusterName(StoreTransaction transaction, String name) {
    transaction.update("UPDATE store_meta SET cluster_name = ? WHERE id = 1 AND cluster_name IS NULL", name);
    return transaction.query("SELECT cluster_name FROM store_meta WHERE id = 1", row -> row.getString(1)).get(0);
  }

  public static Mode mode(StoreTransaction transaction) {
    return Mode.valueOf(transaction.query("SELECT mode FROM store_meta WHERE id = 1", row -> row.getString(1))
        .get(0).toUpperCase(java.util.Locale.ROOT));
  }

  /** Moves a simulation store's clock; refused on a production store. */
  public static void setSimulatedNow(StoreTransaction transaction, Instant to) {
    if (mode(transaction) != Mode.SIMULATION) {
      throw new StoreException("time leap works only on a store made with 'setup --simulation': this is a"
          + " production store, whose enforcer follows the wall clock");
    }
    transaction.update("UPDATE store_meta SET simulated_now = ? WHERE id = 1", to);
  }

  private Connection connection() {
    try {
      return pool.getConnection();
    } catch (SQLException e) {
      throw StoreTransaction.failure(e, config.dbUrl());
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  private static String name(Mode mode) {
    return mode.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static boolean tableExists(Connection connection, String table) throws SQLException {
    try (ResultSet tables = connection.getMetaData().getTables(connection.getCatalog(), null, table, null)) {
      return tables.next();
    }
  }
}
