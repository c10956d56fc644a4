package org.twinsign.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * One MariaDB server the tests or the demo talk to: a local {@code mariadbd} process
 * ({@link MariaDbServer}) or, where a Docker engine answers, a Testcontainers container
 * ({@link MariaDbContainer}).
 */
public interface MariaDb extends AutoCloseable {

  /**
   * Starts a plain server (no replication): a container where a Docker engine answers, otherwise
   * a local {@code mariadbd} on a free port.
   */
  static MariaDb start() {
    return DockerEngine.available() ? MariaDbContainer.startStandalone("mariadb") : MariaDbServer.start();
  }

  /** A name for logs and messages ("primary", "replica"). */
  String name();

  /** The port this JVM connects to. */
  int port();

  /** A JDBC URL for {@code database} (empty for none), without credentials. */
  String jdbcUrl(String database);

  /** A new connection with full privileges. */
  Connection rootConnection() throws SQLException;

  /** Host and port under which the other server of a pair reaches this one. */
  String replicationHost();

  int replicationPort();

  /** The host pattern replication accounts are created for ({@code 127.0.0.1}, or {@code %} across a network). */
  String replicationClientHost();

  /** Where the server's own error log can be read. */
  String errorLogLocation();

  /** Stops the server and removes its data. */
  @Override
  void close();

  /** Runs statements in one session, in order. */
  default void execute(String... statements) throws SQLException {
    try (Connection connection = rootConnection(); Statement statement = connection.createStatement()) {
      for (String sql : statements) {
        statement.execute(sql);
      }
    }
  }

  /** The first column of the first row of {@code query}, or null. */
  default String queryString(String query) throws SQLException {
    try (Connection connection = rootConnection(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(query)) {
      return rows.next() ? rows.getString(1) : null;
    }
  }

  /** A global status variable, such as {@code Rpl_semi_sync_master_yes_tx}. */
  default String globalStatus(String variable) throws SQLException {
    try (Connection connection = rootConnection(); Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery("SHOW GLOBAL STATUS LIKE '" + variable.replace("'", "") + "'")) {
      return rows.next() ? rows.getString(2) : null;
    }
  }
}
