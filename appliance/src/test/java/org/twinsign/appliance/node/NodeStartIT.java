package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.Ports;
import org.twinsign.testkit.TempDirs;

/**
 * A node started with something wrong says which setting is wrong, exits, and never acts as
 * master; a second process with a node's name is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodeStartIT {
  private static final Duration LIMIT = Duration.ofSeconds(60);
  private Path dir;
  private LocalPair pair;

  @BeforeAll
  void start() throws Exception {
    dir = TempDirs.create("node-start");
    pair = LocalPair.create(dir, 1, Duration.ofSeconds(4), new PrintWriter(System.out, true));
    pair.startNode("alpha");
    long end = System.nanoTime() + LIMIT.toNanos();
    while (!pair.cli("alpha", "cluster", "list").out().matches("(?s).*alpha\\s+master.*")) {
      assertTrue(System.nanoTime() < end, "alpha did not become master:\n" + pair.process("alpha").logTail(30));
      Thread.sleep(200);
    }
    // the first master records the cluster's name in the store (its first commit waits out semi-sync)
    while (!"demo".equals(pair.database("alpha").queryString("SELECT cluster_name FROM twinsign.store_meta"))) {
      assertTrue(System.nanoTime() < end, "no cluster name in the store:\n" + pair.process("alpha").logTail(30));
      Thread.sleep(200);
    }
  }

  @AfterAll
  void stop() {
    if (pair != null) {
      pair.close();
    }
    TempDirs.deleteRecursively(dir);
  }

  /** alpha's config with {@code from} replaced by {@code to}, as a new file. */
  private Path variant(String name, String from, String to) throws Exception {
    String text = Files.readString(pair.config("alpha"));
    assertTrue(text.contains(from), from);
    Path file = dir.resolve(name + ".conf");
    Files.writeString(file, text.replace(from, to));
    return file;
  }

  private String refused(Path config) {
    LocalPair.Answer a = pair.runNodeUntilExit(config, LIMIT);
    assertEquals(1, a.exit(), "the node must refuse to start:\n" + a.out());
    assertFalse(a.out().contains("is master with fencing epoch"), a.out());
    return a.out();
  }

  @Test
  void aSecondProcessWithTheSameNodeNameIsRefused() throws Exception {
    String out = refused(pair.config("alpha"));
    // on one host the node lock says so at once; across hosts ZooKeeper's registration does
    assertTrue(out.contains("node.name=alpha is already in use on this host"), out);
    assertTrue(pair.process("alpha").isAlive(), "the running alpha is left alone");
  }

  @Test
  void anUnreachableZooKeeperIsNamed() throws Exception {
    String config = Files.readString(pair.config("alpha"));
    String connect = config.lines().filter(l -> l.startsWith("zookeeper.connect=")).findFirst().orElseThrow();
    int free = Ports.freeLoopbackPort();
    String out = refused(variant("nozk", connect, "zookeeper.connect=127.0.0.1:" + free));
    assertTrue(out.contains("zookeeper.connect=127.0.0.1:" + free + ": no ZooKeeper server answered"), out);
  }

  @Test
  void aWrongDatabaseAccountIsNamed() throws Exception {
    Path wrong = dir.resolve("wrong.password");
    Files.writeString(wrong, "not-the-password\n");
    Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
    String out = refused(variant("wrongdb", "db.admin.password.file=db-admin.password",
        "db.admin.password.file=wrong.password"));
    assertTrue(out.contains("db.admin.user twinsign_admin cannot reach the local database"), out);
    assertFalse(out.contains("not-the-password"), "no secret in the message");
  }

  @Test
  void anotherClustersNameIsRefusedOnThisStore() throws Exception {
    String out = refused(variant("othercluster", "cluster.name=demo", "cluster.name=other"));
    assertTrue(out.contains("cluster.name=other, but the store in the database at") && out.contains(
        "belongs to cluster demo"), out);
  }

  @Test
  void underSystemdTheNodeSaysReadyAndFeedsTheWatchdog() throws Exception {
    Path socket = dir.resolve("notify.sock");
    Path received = dir.resolve("notify.txt");
    // systemd's side: a datagram socket that writes down what the node says
    try (var listener = org.twinsign.testkit.LocalProcess.start("notify socket", java.util.List.of("python3", "-c",
        "import socket,sys\ns=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\n"
            + "while True:\n  m=s.recv(4096)\n  open(sys.argv[2],'a').write(m.decode()+'\\n')\n",
        socket.toString(), received.toString()), java.util.Map.of(), dir, dir.resolve("notify.log"))) {
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!Files.exists(socket) && System.nanoTime() < end) {
        Thread.sleep(50);
      }
      pair.startNode("beta", java.util.Map.of("NOTIFY_SOCKET", socket.toString(), "WATCHDOG_USEC", "1000000"));
      end = System.nanoTime() + LIMIT.toNanos();
      String said = "";
      while (System.nanoTime() < end && !(said.contains("READY=1") && said.indexOf("WATCHDOG=1")
          != said.lastIndexOf("WATCHDOG=1"))) {
        Thread.sleep(200);
        said = Files.exists(received) ? Files.readString(received) : "";
      }
      assertTrue(said.startsWith("READY=1") && said.contains("WATCHDOG=1"), "systemd heard: " + said + "\n"
          + pair.process("beta").logTail(20));
      pair.process("beta").stop(Duration.ofSeconds(20));
      assertTrue(Files.readString(received).contains("STOPPING=1"), Files.readString(received));
    }
  }

  @Test
  void aPeerThatNamesThisNodeIsRefused() throws Exception {
    String out = refused(variant("self", "peer.name=beta", "peer.name=alpha"));
    assertTrue(out.contains("peer.name 'alpha' is this node's own node.name"), out);
  }
}
