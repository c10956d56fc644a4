package org.twinsign.appliance.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pair node's settings: each mistake named with its file and key. */
class PairConfigTest {
  @TempDir
  Path dir;

  private static final String GOOD = "node.mode=pair\ndb.url=jdbc:mariadb://127.0.0.1:3306/twinsign\ndb.user=twinsign\n"
      + "db.password.file=db.password\nnode.name=alpha\ncluster.name=registry\n"
      + "zookeeper.connect=127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183\npeer.name=beta\npeer.db.host=127.0.0.1\n"
      + "peer.db.port=3307\ndb.admin.user=admin\ndb.admin.password.file=admin.password\nreplication.user=repl\n"
      + "replication.password.file=repl.password\nfence.command=/usr/local/sbin/fence-node --hard\n"
      + "admin.address=127.0.0.1:8441\nadmin.token.file=admin.token\n";

  private TwinsignConfig load(String text) throws Exception {
    Path file = dir.resolve("node.conf");
    Files.writeString(file, text);
    return TwinsignConfig.load(file);
  }

  private String error(String text) {
    return assertThrows(ConfigException.class, () -> load(text)).getMessage();
  }

  @Test
  void aCompletePairConfigIsRead() throws Exception {
    PairConfig pair = load(GOOD).pair();
    assertEquals("alpha", pair.nodeName());
    assertEquals(Duration.ofSeconds(10), pair.sessionTimeout(), "the default session timeout");
    assertEquals(List.of("/usr/local/sbin/fence-node", "--hard"), pair.fenceCommand());
    assertEquals(8441, pair.adminPort());
    assertEquals(dir.resolve("admin.token"), pair.adminTokenFile());
  }

  @Test
  void mistakesNameTheFileAndTheKey() {
    String missingFence = error(GOOD.replace("fence.command=/usr/local/sbin/fence-node --hard\n", ""));
    assertTrue(missingFence.contains("node.conf: 'fence.command' is missing") && missingFence.contains(
        "never takes over from a master that may still act"), missingFence);
    String self = error(GOOD.replace("peer.name=beta", "peer.name=alpha"));
    assertTrue(self.contains("peer.name 'alpha' is this node's own node.name"), self);
    String badName = error(GOOD.replace("node.name=alpha", "node.name=Alpha/1"));
    assertTrue(badName.contains("node.name 'Alpha/1' is not a valid name"), badName);
    String badZk = error(GOOD.replace("127.0.0.1:2182", "zk-b"));
    assertTrue(badZk.contains("zookeeper.connect 'zk-b' is not HOST:PORT"), badZk);
    String session = error(GOOD + "zookeeper.session-timeout=PT0.5S\n");
    assertTrue(session.contains("zookeeper.session-timeout PT0.5S is outside PT2S..PT60S"), session);
    String port = error(GOOD.replace("admin.address=127.0.0.1:8441", "admin.address=127.0.0.1:99999"));
    assertTrue(port.contains("admin.address: '99999' is not a port"), port);
  }

  @Test
  void pairSettingsInASingleNodeConfigAreAnError() {
    String single = error(GOOD.replace("node.mode=pair", "node.mode=single"));
    assertTrue(single.contains("applies to node.mode=pair only"), single);
  }
}
