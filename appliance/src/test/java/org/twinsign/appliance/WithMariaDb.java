package org.twinsign.appliance;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.twinsign.testkit.MariaDbServer;

/** A test class that shares one private mariadbd among its tests; each test makes its own database. */
public abstract class WithMariaDb {
  protected static MariaDbServer server;

  @BeforeAll
  static void startServer() {
    server = MariaDbServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
      server = null;
    }
  }
}
