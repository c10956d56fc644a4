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
    org.twinsign.appliance.TestFiles.secret(pinFile, pin + "\n");
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

  @Test
  void aKeyFileSwappedWithAnotherKeysFileIsRefused() throws Exception {
    HsmConfig config = HsmConfig.load(config("swap-pin-42"));
    HsmKey first;
    HsmKey second;
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      first = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "first");
      second = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "second");
    }
    Path keys = dir.resolve("keys");
    Path a = keys.resolve(first.locator().hex() + ".softkey");
    Path b = keys.resolve(second.locator().hex() + ".softkey");
    Path swap = keys.resolve("swap");
    Files.move(a, swap);
    Files.move(b, a);
    Files.move(swap, b);
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      for (HsmKey key : new HsmKey[] {first, second}) {
        HsmException e = assertThrows(HsmException.class, () -> store.sign(store.require(key.locator()), new byte[8]));
        assertTrue(e.getMessage().contains("not this key's"), e.getMessage());
      }
    }
  }

  @Test
  void aPrivateKeyThatDoesNotMatchItsPublicKeyIsRefused() throws Exception {
    HsmConfig config = HsmConfig.load(config("pair-pin-43"));
    HsmKey shown;
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      shown = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "shown");
    }
    // a well-formed, correctly sealed file (made by someone holding the PIN) whose private key is
    // another key's than the public key it shows
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("EC");
    generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    byte[] otherPrivate = generator.generateKeyPair().getPrivate().getEncoded();
    KeyLocator locator = KeyLocator.random();
    Properties file = new Properties();
    file.setProperty("label", "mismatched");
    file.setProperty("algorithm", "ECDSAP256SHA256");
    file.setProperty("bits", "256");
    file.setProperty("public", Base64.getEncoder().encodeToString(shown.publicKey()));
    file.setProperty("format", "2");
    byte[] salt = new byte[16];
    byte[] iv = new byte[12];
    new java.security.SecureRandom().nextBytes(salt);
    new java.security.SecureRandom().nextBytes(iv);
    byte[] key = javax.crypto.SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(
        new javax.crypto.spec.PBEKeySpec("pair-pin-43".toCharArray(), salt, 200_000, 256)).getEncoded();
    javax.crypto.Cipher cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "AES"),
        new javax.crypto.spec.GCMParameterSpec(128, iv));
    cipher.updateAAD(("twinsign soft key 2\n" + locator.hex() + "\nECDSAP256SHA256\n256\n"
        + file.getProperty("public")).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    file.setProperty("private.kdf", "PBKDF2WithHmacSHA256 200000");
    file.setProperty("private.salt", Base64.getEncoder().encodeToString(salt));
    file.setProperty("private.iv", Base64.getEncoder().encodeToString(iv));
    file.setProperty("private", Base64.getEncoder().encodeToString(cipher.doFinal(otherPrivate)));
    try (var writer = Files.newBufferedWriter(dir.resolve("keys").resolve(locator.hex() + ".softkey"))) {
      file.store(writer, null);
    }
    Files.setPosixFilePermissions(dir.resolve("keys").resolve(locator.hex() + ".softkey"),
        PosixFilePermissions.fromString("rw-------"));
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      HsmKey mismatched = store.require(locator);
      HsmException e = assertThrows(HsmException.class, () -> store.sign(mismatched, new byte[8]));
      assertTrue(e.getMessage().contains("does not match its public key"), e.getMessage());
      store.sign(store.require(shown.locator()), new byte[8]); // the genuine key still signs
    }
  }

  @Test
  void aKeyFileWithTooFewKeyDerivationRoundsIsRefused() throws Exception {
    HsmConfig config = HsmConfig.load(config("kdf-pin-44"));
    HsmKey key;
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      key = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "kdf");
    }
    Path file = dir.resolve("keys").resolve(key.locator().hex() + ".softkey");
    Files.writeString(file, Files.readString(file).replace("PBKDF2WithHmacSHA256 200000", "PBKDF2WithHmacSHA256 1000"));
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      HsmException e = assertThrows(HsmException.class, () -> store.sign(store.require(key.locator()), new byte[8]));
      assertTrue(e.getMessage().contains("below the floor of " + SoftKeyStore.PBKDF2_FLOOR), e.getMessage());
    }
  }

  @Test
  void aPinFileOrKeyFileOthersCanReadIsRefusedWithTheChmodToRun() throws Exception {
    HsmConfig config = HsmConfig.load(config("open-pin-45"));
    HsmKey key;
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      key = store.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "open");
    }
    Path keyFile = dir.resolve("keys").resolve(key.locator().hex() + ".softkey");
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
    try (KeyRepository store = KeyRepositories.open(config, 1)) {
      HsmException e = assertThrows(HsmException.class, () -> store.require(key.locator()));
      assertTrue(e.getMessage().contains("chmod 600 " + keyFile), e.getMessage());
    }
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(dir.resolve("soft.pin"), PosixFilePermissions.fromString("rw-r-----"));
    HsmException e = assertThrows(HsmException.class, () -> KeyRepositories.open(config, 1));
    assertTrue(e.getMessage().contains("PIN file " + dir.resolve("soft.pin")) && e.getMessage().contains("chmod 600"),
        e.getMessage());
    assertFalse(e.getMessage().contains("open-pin-45"), e.getMessage());
  }
}
