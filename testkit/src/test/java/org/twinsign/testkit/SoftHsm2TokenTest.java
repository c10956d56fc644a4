package org.twinsign.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftHsm2TokenTest {

  @Test
  void tokenGeneratesAndSignsWithAKeyThroughSunPkcs11(@TempDir Path work) throws Exception {
    try (SoftHsm2Token token = SoftHsm2Token.create("fixture-test")) {
      assertTrue(token.slot() > 0, "SoftHSM reassigns an initialised token to a non-zero slot");
      Path providerConfig = work.resolve("pkcs11.cfg");
      Files.writeString(providerConfig, token.sunPkcs11Config("TwinsignTest"));
      Path log = work.resolve("sign-check.log");
      List<String> command = List.of(HostTool.currentJava().toString(), "-cp", System.getProperty("java.class.path"),
          Pkcs11SignCheck.class.getName(), providerConfig.toString(), token.userPinFile().toString());
      int exit = LocalProcess.run("pkcs11 sign check", command, token.environment(), work, log, null,
          Duration.ofMinutes(2));
      String output = Files.readString(log);
      assertEquals(0, exit, output);
      assertTrue(output.contains("verified=true"), output);
      assertTrue(output.contains("privateKeyClass=sun.security.pkcs11.P11Key"), output);
      assertTrue(output.contains("privateKeyExported=false"), "private key must stay sensitive: " + output);
    }
  }

  @Test
  void pinsAreOnlyInOwnerReadableFiles() throws Exception {
    try (SoftHsm2Token token = SoftHsm2Token.create("pin-test")) {
      String userPin = Files.readString(token.userPinFile()).strip();
      String soPin = Files.readString(token.soPinFile()).strip();
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(token.userPinFile()));
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(token.soPinFile()));
      try (Stream<Path> files = Files.walk(token.directory())) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          if (file.equals(token.userPinFile()) || file.equals(token.soPinFile())
              || file.startsWith(token.directory().resolve("tokens"))) {
            continue;
          }
          String text = Files.readString(file);
          assertFalse(text.contains(userPin) || text.contains(soPin), "a PIN leaked into " + file);
        }
      }
    }
  }

  @Test
  void closeRemovesTheTokenDirectory() {
    SoftHsm2Token token = SoftHsm2Token.create("close-test");
    Path dir = token.directory();
    assertTrue(Files.isDirectory(dir.resolve("tokens")));
    token.close();
    assertFalse(Files.exists(dir));
  }

  @Test
  void missingLibraryIsNamedWithTheFix(@TempDir Path dir) {
    Path missing = dir.resolve("libnothere.so");
    HostSetupException e = assertThrows(HostSetupException.class,
        () -> SoftHsm2Token.create(dir, "x", missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("apt-get install softhsm2"), e.getMessage());
  }

  @Test
  void unusableLabelIsRefused(@TempDir Path dir) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SoftHsm2Token.create(dir, "bad label; rm -rf /", SoftHsm2Token.DEFAULT_LIBRARY));
    assertTrue(e.getMessage().contains("bad label"), e.getMessage());
  }
}
