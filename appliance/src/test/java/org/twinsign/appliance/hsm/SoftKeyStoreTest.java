package org.twinsign.appliance.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.dnssec.RrsigFactory;
import org.twinsign.appliance.dnssec.ZoneKey;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;

class SoftKeyStoreTest {
  @TempDir
  Path dir;

  private Path config(String pin) throws Exception {
    Path pinFile = dir.resolve("soft.pin");
    Files.writeString(pinFile, pin + "\n");
    Path config = dir.resolve("soft.conf");
    Files.writeString(config, "type=soft\ndirectory=keys\npin.file=soft.pin\n");
    return config;
  }

  @ParameterizedTest
  @EnumSource(DnssecAlgorithm.class)
  void generatedKeysSignWhatDnsjavaVerifiesAndSurviveAReopen(DnssecAlgorithm algorithm) throws Exception {
    HsmConfig config = HsmConfig.load(config("soft-pin-1234"));
    HsmKey key;
    try (KeyRepository store = KeyRepositories.open(config, 2)) {
      key = store.generate(algorithm, 2048, "soft-" + algorithm);
    }
    try (KeyRepository store = KeyRepositories.open(config, 2)) {
      HsmKey found = store.require(key.locator());
      assertEquals(algorithm, found.algorithm());
      Name zone = Name.fromString("soft.test.");
      ZoneKey zoneKey = ZoneKey.of(found.locator().hex(), KeyRole.ZSK, zone, 3600, algorithm, found.publicKey(),
          data -> store.sign(found, data));
      RRset rrset = new RRset(new ARecord(Name.fromString("www.soft.test."), DClass.IN, 300,
          InetAddress.getByName("192.0.2.7")));
      Instant now = Instant.now();
      RRSIGRecord sig = RrsigFactory.sign(rrset, zoneKey, zone, now.minusSeconds(60), now.plusSeconds(3600));
      DNSSEC.verify(rrset, sig, zoneKey.dnskey(), now);
      assertTrue(store.delete(key.locator()));
      assertFalse(store.find(key.locator()).isPresent());
    }
  }

  @Test
  void keyFilesAreOwnerOnlyAndThePrivateKeyIsEncrypted() throws Exception {
    HsmConfig config = HsmConfig.load(config("soft-pin-1234"));
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      HsmKey key = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "file-test");
      Path file = dir.resolve("keys").resolve(key.locator().hex() + ".softkey");
      assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
      Properties properties = new Properties();
      try (var reader = Files.newBufferedReader(file)) {
        properties.load(reader);
      }
      assertTrue(properties.getProperty("private.kdf").startsWith("PBKDF2WithHmacSHA256"), properties.toString());
      byte[] sealed = Base64.getDecoder().decode(properties.getProperty("private"));
      // an unencrypted PKCS#8 EC key starts with SEQUENCE and version 0; the sealed form must not parse as one
      assertFalse(sealed[0] == 0x30 && sealed[2] == 0x02 && sealed[3] == 0x01 && sealed[4] == 0x00,
          "the private key must not be stored in clear");
    }
  }

  @Test
  void aWrongPinIsAClearErrorWithoutThePin() throws Exception {
    HsmKey key;
    try (KeyRepository store = KeyRepositories.open(HsmConfig.load(config("right-pin-77")), 1)) {
      key = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "pin-test");
    }
    try (KeyRepository store = KeyRepositories.open(HsmConfig.load(config("wrong-pin-88")), 1)) {
      HsmKey found = store.require(key.locator());
      HsmException e = assertThrows(HsmException.class, () -> store.sign(found, new byte[10]));
      assertTrue(e.getMessage().contains("PIN") && e.getMessage().contains("incorrect"), e.getMessage());
      assertFalse(e.getMessage().contains("wrong-pin-88") || e.getMessage().contains("right-pin-77"), e.getMessage());
    }
  }

  @Test
  void softAndPkcs11KeysDoNotMix() throws Exception {
    Path config = dir.resolve("bad.conf");
    Files.writeString(config, "type=soft\ndirectory=keys\nlibrary=/usr/lib/softhsm/libsofthsm2.so\npin.env=X\n");
    HsmException e = assertThrows(HsmException.class, () -> HsmConfig.load(config));
    assertTrue(e.getMessage().contains("'library' does not apply to type=soft"), e.getMessage());
  }
}
