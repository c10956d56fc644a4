package org.twinsign.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.containers.MariaDBContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.utility.DockerImageName;

/**
 * A MariaDB server in a container (Testcontainers' MariaDB module), used instead of a local
 * {@code mariadbd} where a Docker engine answers. Same options as {@link MariaDbServer}: GTID in
 * strict mode, semi-sync with wait point AFTER_SYNC.
 */
public final class MariaDbContainer implements MariaDb {
  /** The MariaDB line Debian 12 ships, so both paths run the same server. */
  public static final DockerImageName IMAGE = DockerImageName.parse("mariadb:10.11");
  private static final int SERVER_PORT = 3306;

  private final String name;
  private final MariaDBContainer<?> container;

  private MariaDbContainer(String name, MariaDBContainer<?> container) {
    this.name = name;
    this.container = container;
  }

  /** Starts a plain server with the image's defaults. */
  @SuppressWarnings("resource") // closed by close()
  static MariaDbContainer startStandalone(String name) {
    MariaDBContainer<?> container = new MariaDBContainer<>(IMAGE).withCommand("--skip-name-resolve");
    container.start();
    return new MariaDbContainer(name, container);
  }

  /** Starts a replication-ready server on {@code network} under the alias {@code name}. */
  @SuppressWarnings("resource") // closed by close()
  static MariaDbContainer start(String name, Network network, int serverId, boolean semiSyncPrimary,
      Duration semiSyncTimeout) {
    List<String> options = new ArrayList<>(List.of("--server-id=" + serverId, "--skip-name-resolve"));
    options.addAll(ReplicationOptions.of("binlog", semiSyncPrimary, semiSyncTimeout.toMillis()));
    MariaDBContainer<?> container = new MariaDBContainer<>(IMAGE)
        .withNetwork(network)
        .withNetworkAliases(name)
        .withCommand(options.toArray(String[]::new));
    container.start();
    return new MariaDbContainer(name, container);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public int port() {
    return container.getMappedPort(SERVER_PORT);
  }

  @Override
  public String jdbcUrl(String database) {
    return "jdbc:mariadb://" + container.getHost() + ":" + port() + "/" + database;
  }

  @Override
  public Connection rootConnection() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(""), "root", container.getPassword());
  }

  @Override
  public String replicationHost() {
    return name;
  }

  @Override
  public int replicationPort() {
    return SERVER_PORT;
  }

  @Override
  public String replicationClientHost() {
    return "%";
  }

  @Override
  public String errorLogLocation() {
    return "docker logs " + container.getContainerId();
  }

  @Override
  public void close() {
    container.stop();
  }

  @Override
  public String toString() {
    return "MariaDB container '" + name + "' (" + IMAGE + ") on " + container.getHost() + ":" + port();
  }
}
