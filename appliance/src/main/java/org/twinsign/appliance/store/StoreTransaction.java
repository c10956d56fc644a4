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

/**
 * One transaction on the store: every state change of one decision is written here and committed
 * together, or not at all. A writing transaction first locks {@code store_meta} and checks the
 * writer's fencing epoch: a writer whose epoch is lower than the highest that has written is
 * refused before it writes anything (DESIGN invariant 1). Rows written carry {@link #epoch()}.
 */
public final class StoreTransaction implements AutoCloseable {
  private final Connection connection;
  private final long epoch;
  private final String where;
  private final boolean write;
  private boolean done;

  private StoreTransaction(Connection connection, long epoch, String where, boolean write) {
    this.connection = connection;
    this.epoch = epoch;
    this.where = where;
    this.write = write;
  }

  /** Whether this transaction may write. */
  public boolean writes() {
    return write;
  }

  /**
   * @param writerEpoch the epoch the writer holds, or null to write with the store's current one
   *     (a single node, or a command routed through the master)
   */
  static StoreTransaction begin(Connection connection, Long writerEpoch, boolean write, String where) {
    try {
      connection.setAutoCommit(false);
      connection.setReadOnly(!write);
      long epoch = 0;
      try (PreparedStatement statement = connection.prepareStatement(
          "SELECT fencing_epoch FROM store_meta WHERE id = 1" + (write ? " FOR UPDATE" : ""));
          ResultSet rows = statement.executeQuery()) {
        if (!rows.next()) {
          throw new StoreException("the database " + where + " has no Twinsign store: run 'twinsign setup' first");
        }
        epoch = rows.getLong(1);
      }
      if (write && writerEpoch != null) {
        if (writerEpoch < epoch) {
          throw new StoreException("refused: this writer holds fencing epoch " + writerEpoch
              + " but epoch " + epoch + " has already written to " + where + " (another node is master)");
        }
        if (writerEpoch > epoch) {
          try (PreparedStatement raise = connection.prepareStatement(
              "UPDATE store_meta SET fencing_epoch = ? WHERE id = 1")) {
            raise.setLong(1, writerEpoch);
            raise.executeUpdate();
          }
          epoch = writerEpoch;
        }
      }
      return new StoreTransaction(connection, epoch, where, write);
    } catch (SQLException e) {
      closeQuietly(connection);
      throw failure(e, where);
    } catch (RuntimeException e) {
      closeQuietly(connection);
      throw e;
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

  public void commit() {
    try {
      connection.commit();
      done = true;
    } catch (SQLException e) {
      throw failure(e, where);
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
    boolean connection = e instanceof SQLNonTransientConnectionException || e instanceof SQLTransientConnectionException
        || (e.getSQLState() != null && e.getSQLState().startsWith("08"));
    if (connection) {
      return new StoreException("lost the connection to the database " + where
          + " before the change was committed: nothing was changed; check the database and run the command again ("
          + e.getMessage() + ")", e);
    }
    return new StoreException("database error in " + where + ": " + e.getMessage(), e);
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // already closed or broken
    }
  }
}
