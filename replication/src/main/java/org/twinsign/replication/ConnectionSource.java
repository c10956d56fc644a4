package org.twinsign.replication;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Opens an administrative connection to one MariaDB server. The caller supplies it, so that
 * addresses and credentials (secrets) stay in the node's configuration and never pass through here.
 */
@FunctionalInterface
public interface ConnectionSource {
  Connection open() throws SQLException;
}
