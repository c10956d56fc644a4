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
    assertEquals(false, pair.kekHandover(), "a KEK over the network only where the node's own config says so");
    assertEquals(true, load(GOOD + "kek.handover=accept\n").pair().kekHandover());
    String handover = error(GOOD + "kek.handover=yes\n");
    assertTrue(handover.contains("node.conf: kek.handover 'yes' is neither accept"), handover);
  }

  @Test
  void theDnsSideIsOptionalAndItsMistakesNameTheKey() throws Exception {
    assertEquals(null, load(GOOD).pair().dns(), "no dns.listen: no DNS");
    DnsConfig dns = load(GOOD + "dns.listen=127.0.0.1:5353\ndns.notify=127.0.0.1:53001, [::1]:53002\n"
        + "dns.tsig-file=tsig.key\ndns.transfer-key=xfr-key\n").pair().dns();
    assertEquals(5353, dns.listenPort());
    assertEquals(DnsConfig.DEFAULT_ALLOW_TRANSFER, dns.allowTransfer(), "loopback only by default");
    assertEquals(List.of(new DnsConfig.Endpoint("127.0.0.1", 53001), new DnsConfig.Endpoint("::1", 53002)),
        dns.notifyTo());
    assertEquals(dir.resolve("tsig.key"), dns.tsigFile());
    String noListen = error(GOOD + "dns.notify=127.0.0.1:53\n");
    assertTrue(noListen.contains("dns.notify is set but dns.listen is not"), noListen);
    String acl = error(GOOD + "dns.listen=127.0.0.1:53\ndns.allow-transfer=10.0.0.0/40\n");
    assertTrue(acl.contains("node.conf: dns.allow-transfer: '10.0.0.0/40'"), acl);
    String key = error(GOOD + "dns.listen=127.0.0.1:53\ndns.transfer-key=xfr-key\n");
    assertTrue(key.contains("dns.transfer-key names TSIG key 'xfr-key', but there is no dns.tsig-file"), key);
    String single = error("node.mode=single\ndb.url=jdbc:mariadb://127.0.0.1:3306/twinsign\ndb.user=twinsign\n"
        + "db.password.file=db.password\ndns.listen=127.0.0.1:53\n");
    assertTrue(single.contains("'dns.listen' applies to node.mode=pair only"), single);
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

  @Test
  void theClockBoundDefaultsToAMinuteAndIsAtLeastTwoSecondsOrOff() throws Exception {
    assertEquals(PairConfig.DEFAULT_CLOCK_BOUND, load(GOOD).pair().clockBound());
    assertEquals(Duration.ZERO, load(GOOD + "clock.bound=PT0S\n").pair().clockBound(), "PT0S: not judged");
    assertEquals(Duration.ofSeconds(10), load(GOOD + "clock.bound=PT10S\n").pair().clockBound());
    String tooSmall = error(GOOD + "clock.bound=PT1S\n");
    assertTrue(tooSmall.contains("node.conf: clock.bound PT1S is below PT2S"), tooSmall);
  }
}
