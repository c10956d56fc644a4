package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MariaDbServerTest {

  @Test
  void startsAnswersAndRemovesItsDirectory() throws Exception {
    MariaDbServer server = MariaDbServer.start();
    Path dir = server.directory();
    try {
      assertTrue(server.queryString("SELECT VERSION()").contains("MariaDB"));
      assertTrue(server.queryString("SELECT @@bind_address").contains("127.0.0.1"));
    } finally {
      server.close();
    }
    assertFalse(server.process().isAlive(), "mariadbd must have exited");
    assertFalse(Files.exists(dir), "the temporary directory must be gone");
  }

  @Test
  void theDefaultServerIsLocalWhenNoDockerEngineAnswers() throws Exception {
    try (MariaDb server = MariaDb.start()) {
      assertTrue(server.queryString("SELECT VERSION()").startsWith("10.11"), "MariaDB 10.11 on both paths");
      assertEquals(DockerEngine.available(), server instanceof MariaDbContainer);
    }
  }

  @Test
  void anOccupiedPortIsAClearError() throws Exception {
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress(Ports.loopback(), 0));
      int port = squatter.getLocalPort();
      HostSetupException e = assertThrows(HostSetupException.class,
          () -> MariaDbServer.builder().name("blocked").port(port).start());
      assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
      assertTrue(e.getMessage().contains("already in use"), e.getMessage());
      assertTrue(e.getMessage().contains("choose another port"), e.getMessage());
    }
  }

  @Test
  void aMissingServerPackageIsNamed(@TempDir Path emptyBin) {
    HostSetupException e = assertThrows(HostSetupException.class,
        () -> MariaDbServer.builder().binDirectory(emptyBin).start());
    assertTrue(e.getMessage().contains("'mariadbd' not found"), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install mariadb-server"), e.getMessage());
  }
}
