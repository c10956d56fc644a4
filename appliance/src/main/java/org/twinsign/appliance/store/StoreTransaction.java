package org.twinsign.appliance.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.fencing.Lease;
import org.twinsign.replication.CommitAcknowledgement;

/**
 * One transaction on the store: every state change of one decision is written here and committed
 * together, or not at all. A writing transaction first locks {@code store_meta} and checks the
 * writer's fencing epoch: a writer whose epoch is lower than the highest that has written is
 * refused before it writes anything (DESIGN invariant 1), and a writer whose lease ended while the
 * transaction ran is refused at the commit. Rows written carry {@link #epoch()}. Transactions are
 * short: no signing, HSM work or network query runs inside one.
 */
public final class StoreTransaction implements AutoCloseable {
  private final Connection connection;
  private final long epoch;
  private final String where;
  private final Lease lease;
  private final CommitAcknowledgement acknowledgement;
  private boolean done;

  private StoreTransaction(Connection connection, long epoch, String where, Lease lease,
      CommitAcknowledgement acknowledgement) {
    this.connection = connection;
    this.epoch = epoch;
    this.where = where;
    this.lease = lease;
    this.acknowledgement = acknowledgement;
  }

  /** Whether this transaction may write. */
  public boolean writes() {
    return lease != null;
  }

  /** The lease this transaction writes under (null when it only reads). */
  public Lease lease() {
    return lease;
  }

  /**
   * Begins a transaction. A writing one takes a shared lock on {@code store_meta} for its whole
   * length and checks the lease's epoch there: lower than the stored one is refused, higher raises
   * it (which waits for the writers of the older epoch to finish). While the shared lock is held
   * no other node can raise the epoch, so the check holds until the commit; the lease itself is
   * checked again just before the commit ({@link #commit()}).
   *
   * @param lease the writer's lease; null for a read-only transaction
   */
  static StoreTransaction begin(Connection connection, Lease lease, boolean write, String where) {
    return begin(connection, lease, write, where, CommitAcknowledgement.NONE);
  }

  /**
   * As {@link #begin(Connection, Lease, boolean, String)}, with what decides after the commit
   * whether it may count as done (in a pair: acknowledged by the standby, or the standby marked
   * not eligible first).
   */
  static StoreTransaction begin(Connection connection, Lease lease, boolean write, String where,
      CommitAcknowledgement acknowledgement) {
    if (write && lease == null) {
      throw new IllegalArgumentException("a writing transaction needs a lease");
    }
    try {
      if (write && lease.epoch().isPresent() && storedEpoch(connection) < lease.epoch().getAsLong()) {
        // a higher epoch is raised in a transaction of its own, before this one takes its shared
        // lock: two first writers of a new epoch never meet in a lock upgrade. Only when it is
        // higher: the raise takes the row exclusively and would wait for every write in progress
        try (PreparedStatement raise = connection.prepareStatement(
            "UPDATE store_meta SET fencing_epoch = ? WHERE id = 1 AND fencing_epoch < ?")) {
          raise.setLong(1, lease.epoch().getAsLong());
          raise.setLong(2, lease.epoch().getAsLong());
          raise.executeUpdate();
        }
      }
      connection.setAutoCommit(false);
      connection.setReadOnly(!write);
      // writers read what is committed now (their rows are locked first); readers keep one snapshot
      connection.setTransactionIsolation(write ? Connection.TRANSACTION_READ_COMMITTED
          : Connection.TRANSACTION_REPEATABLE_READ);
      long epoch = 0;
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT fencing_epoch FROM store_meta WHERE id = 1" + (write ? " LOCK IN SHARE MODE" : ""));
          ResultSet rows = statement.executeQuery()) {
        if (!rows.next()) {
          throw new StoreException("the database " + where + " has no Twinsign store: run 'twinsign setup' first");
        }
        epoch = rows.getLong(1);
      }
      if (write && lease.epoch().isPresent() && lease.epoch().getAsLong() < epoch) {
        throw new FencedException("refused: this writer holds fencing epoch " + lease.epoch().getAsLong()
            + " but epoch " + epoch + " has already written to " + where + " (another node is master);"
            + " nothing was changed");
      }
      return new StoreTransaction(connection, epoch, where, write ? lease : null, acknowledgement);
    } catch (SQLException e) {
      closeQuietly(connection);
      throw failure(e, where);
    } catch (RuntimeException e) {
      closeQuietly(connection);
      throw e;
    }
  }

  /** The stored epoch, read outside any transaction (autocommit, no lock). */
  private static long storedEpoch(Connection connection) throws SQLException {
    connection.setAutoCommit(true);
    try (PreparedStatement statement = connection.prepareStatement("SELECT fencing_epoch FROM store_meta WHERE id = 1");
        ResultSet rows = statement.executeQuery()) {
      return rows.next() ? rows.getLong(1) : 0;
    }
  }

  /** A transaction for {@link Store#inspect}: locking reads allowed, no writes (no lease), READ COMMITTED. */
  static StoreTransaction beginInspection(Connection connection, String where) {
    try {
      connection.setAutoCommit(false);
      connection.setReadOnly(false); // a read-only transaction may not take locking reads
      connection.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      return new StoreTransaction(connection, 0, where, null, CommitAcknowledgement.NONE);
    } catch (SQLException e) {
      closeQuietly(connection);
      throw failure(e, where);
    }
  }

  /** The fencing epoch this transaction writes with. */
  public long epoch() {
    return epoch;
  }

  /** Runs an INSERT, UPDATE or DELETE. */
  public int update(String sql, Object... parameters) {
    try (PreparedStatement statement = prepare(sql, parameters)) {
      return statement.executeUpdate();
    } catch (SQLException e) {
      throw failure(e, where);
    }
  }

  /** Runs an INSERT and returns the generated id. */
  public long insert(String sql, Object... parameters) {
    try (PreparedStatement statement = connection.prepareStatement(sql, java.sql.Statement.RETURN_GENERATED_KEYS)) {
      bind(statement, parameters);
      statement.executeUpdate();
      try (ResultSet keys = statement.getGeneratedKeys()) {
        keys.next();
        return keys.getLong(1);
      }
    } catch (SQLException e) {
      throw failure(e, where);
    }
  }

  /** Maps one row of a result. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  public <T> List<T> query(String sql, RowMapper<T> mapper, Object... parameters) {
    try (PreparedStatement statement = prepare(sql, parameters); ResultSet rows = statement.executeQuery()) {
      List<T> result = new ArrayList<>();
      while (rows.next()) {
        result.add(mapper.map(rows));
      }
      return result;
    } catch (SQLException e) {
      throw failure(e, where);
    }
  }

  /**
   * Commits, after checking the lease once more: a lease lost while the transaction ran refuses
   * the commit and nothing is written. A commit whose answer is lost has an unknown outcome,
   * and says so ({@link CommitUnknownException}).
   */
  public void commit() {
    if (lease != null) {
      try {
        lease.check("commit to the store " + where);
      } catch (RuntimeException e) {
        rollbackQuietly();
        throw e;
      }
    }
    try {
      connection.commit();
      done = true;
    } catch (SQLException e) {
      if (lease == null) {
        throw failure(e, where);
      }
      if (isConnectionLoss(e)) {
        throw new CommitUnknownException("lost the connection to the database " + where + " while committing: whether"
            + " the change was written is unknown; the next run reads the store and carries on from what it holds ("
            + e.getMessage() + ")", e);
      }
      throw new StoreException("the database " + where + " refused the commit: nothing was changed (" + e.getMessage()
          + ")", e);
    }
    if (lease != null) {
      try {
        acknowledgement.afterCommit(connection);
      } catch (Exception e) {
        throw new CommitUnknownException("committed to " + where + ", but the standby did not acknowledge it and could"
            + " not be marked as not eligible (" + e.getMessage() + "): the change may be lost if the standby is"
            + " promoted; the next run reads the store and carries on from what it holds", e);
      }
    }
  }

  private void rollbackQuietly() {
    try {
      connection.rollback();
      done = true;
    } catch (SQLException e) {
      // the server rolls back a transaction whose connection is gone
    }
  }

  @Override
  public void close() {
    if (!done) {
      try {
        connection.rollback();
      } catch (SQLException e) {
        // the connection is gone: the server rolls the transaction back itself
      }
    }
    closeQuietly(connection);
  }

  /** A UTC time as the store keeps it. */
  public static Instant instant(ResultSet row, String column) throws SQLException {
    LocalDateTime time = row.getObject(column, LocalDateTime.class);
    return time == null ? null : time.toInstant(ZoneOffset.UTC);
  }

  private PreparedStatement prepare(String sql, Object... parameters) throws SQLException {
    PreparedStatement statement = connection.prepareStatement(sql);
    bind(statement, parameters);
    return statement;
  }

  private static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
    for (int i = 0; i < parameters.length; i++) {
      Object value = parameters[i];
      if (value instanceof Instant) {
        value = LocalDateTime.ofInstant((Instant) value, ZoneOffset.UTC);
      } else if (value instanceof Enum<?>) {
        value = ((Enum<?>) value).name().toLowerCase(java.util.Locale.ROOT);
      }
      statement.setObject(i + 1, value);
    }
  }

  /** A database error as the operator should read it; a lost connection says that nothing was changed. */
  static StoreException failure(SQLException e, String where) {
    if ("40001".equals(e.getSQLState()) || e.getErrorCode() == 1213 || e.getErrorCode() == 1205) {
      return new StoreConflictException("another writer held the same rows in " + where + " (" + e.getMessage()
          + "); nothing was changed", e);
    }
    if (isConnectionLoss(e)) {
      return new StoreException("lost the connection to the database " + where
          + " before the change was committed: nothing was changed; check the database and run the command again ("
          + e.getMessage() + ")", e);
    }
    return new StoreException("database error in " + where + ": " + e.getMessage(), e);
  }

  static boolean isConnectionLoss(SQLException e) {
    return e instanceof SQLNonTransientConnectionException || e instanceof SQLTransientConnectionException
        || (e.getSQLState() != null && e.getSQLState().startsWith("08"));
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // already closed or broken
    }
  }
}
