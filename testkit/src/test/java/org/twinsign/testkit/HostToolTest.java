package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostToolTest {

  @Test
  void aMissingProgramNamesItsDebianPackage(@TempDir Path dir) {
    HostSetupException e = assertThrows(HostSetupException.class,
        () -> HostTool.require("ldns-verify-zone", "ldnsutils", List.of(dir)));
    assertTrue(e.getMessage().contains("'ldns-verify-zone' not found"), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install ldnsutils"), e.getMessage());
  }

  @Test
  void findsProgramsOnTheSearchPath() {
    assertEquals("sh", HostTool.require("sh", "dash").getFileName().toString());
  }

  @Test
  void everyHostProgramTheTestsNeedIsInstalled() {
    // what bin/test installs; a failure here names the package to install
    HostTool.require("softhsm2-util", "softhsm2");
    HostTool.require("mariadbd", "mariadb-server");
    HostTool.require("dnssec-verify", "bind9-utils");
    HostTool.require("dig", "bind9-dnsutils");
    HostTool.require("ldns-verify-zone", "ldnsutils");
    HostTool.require("kdig", "knot-dnsutils");
    HostTool.require("kzonecheck", "knot-dnssecutils");
    HostTool.require("nsd", "nsd");
    HostTool.require("unbound", "unbound");
    HostTool.requireFile(ProcessZooKeeper.ZOOKEEPER_JAR, "ZooKeeper server jar", "zookeeper");
  }
}
