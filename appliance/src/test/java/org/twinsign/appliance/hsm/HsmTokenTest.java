package org.twinsign.appliance.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twinsign.appliance.TestHsm;
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

class HsmTokenTest {
  private static HsmToken token;

  @BeforeAll
  static void open() {
    token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 2);
  }

  @AfterAll
  static void close() {
    token.close();
  }

  @ParameterizedTest
  @EnumSource(DnssecAlgorithm.class)
  void generatesFindsAndSignsWhatDnsjavaVerifies(DnssecAlgorithm algorithm) throws Exception {
    HsmKey key = token.generate(algorithm, 2048, "test-" + algorithm);
    assertEquals(algorithm.family(), key.algorithm().family());
    HsmKey usable = key.algorithm() == algorithm ? key : key.withAlgorithm(algorithm);
    assertEquals(key.locator(), token.require(key.locator()).locator());
    assertTrue(token.list().stream().anyMatch(k -> k.locator().equals(key.locator())));

    Name zone = Name.fromString("example.test.");
    ZoneKey zoneKey = ZoneKey.of(key.locator().hex(), KeyRole.ZSK, zone, 3600, algorithm, usable.publicKey(),
        data -> token.sign(usable, data));
    RRset rrset = new RRset(new ARecord(Name.fromString("www.example.test."), DClass.IN, 300,
        java.net.InetAddress.getByName("192.0.2.1")));
    Instant now = Instant.now();
    RRSIGRecord sig = RrsigFactory.sign(rrset, zoneKey, zone, now.minusSeconds(60), now.plusSeconds(3600));
    DNSSEC.verify(rrset, sig, zoneKey.dnskey(), now);

    assertTrue(token.delete(key.locator()));
    assertFalse(token.find(key.locator()).isPresent());
  }

  @Test
  void aKeyFoundBeforeIsNotFoundOnceAnotherSessionDeletedIt() {
    HsmKey key = token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "cached-then-deleted");
    assertTrue(token.find(key.locator()).isPresent(), "found (from what generate learnt, without a search)");
    try (HsmToken other = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 1)) {
      assertTrue(other.delete(key.locator()));
    }
    assertTrue(token.find(key.locator()).isEmpty(), "a key remembered from an earlier find is checked, not trusted");
  }

  @Test
  void theDnskeyPublicKeyHasTheRightSize() {
    HsmKey p256 = token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "size-p256");
    HsmKey rsa = token.generate(DnssecAlgorithm.RSASHA256, 2048, "size-rsa");
    assertEquals(64, p256.publicKey().length);
    assertEquals(1 + 3 + 256, rsa.publicKey().length);
    assertArrayEquals(new byte[] {3, 1, 0, 1}, java.util.Arrays.copyOf(rsa.publicKey(), 4));
    token.delete(p256.locator());
    token.delete(rsa.locator());
  }

  @Test
  void aWrongPinIsAClearErrorWithoutThePin(@TempDir Path dir) throws Exception {
    Path pin = dir.resolve("wrong.pin");
    org.twinsign.appliance.TestFiles.secret(pin, "not-the-pin-4711\n");
    Path config = dir.resolve("hsm.conf");
    Files.writeString(config, "library=/usr/lib/softhsm/libsofthsm2.so\ntoken=" + TestHsm.SECONDARY
        + "\npin.file=" + pin + "\n");
    HsmException e = assertThrows(HsmException.class, () -> HsmToken.open(HsmConfig.load(config), 1));
    assertTrue(e.getMessage().contains("PIN"), e.getMessage());
    assertTrue(e.getMessage().contains("incorrect"), e.getMessage());
    assertFalse(e.getMessage().contains("not-the-pin-4711"), "the PIN must not appear: " + e.getMessage());
    // a token with a lockout counter must not see the same wrong PIN twice from one process
    HsmException again = assertThrows(HsmException.class, () -> HsmToken.open(HsmConfig.load(config), 1));
    assertTrue(again.getMessage().contains("not tried again"), again.getMessage());
    // the corrected PIN is tried
    org.twinsign.appliance.TestFiles.secret(pin, Files.readString(TestHsm.directory().resolve(TestHsm.SECONDARY
        + ".user.pin")));
    HsmToken.open(HsmConfig.load(config), 1).close();
  }

  @Test
  void aMissingLibraryNamesTheFileAndTheConfig(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("hsm.conf");
    Files.writeString(config, "library=/opt/nothere/libpkcs11.so\ntoken=x\npin.env=TWINSIGN_TEST_PIN\n");
    HsmException e = assertThrows(HsmException.class, () -> HsmToken.open(HsmConfig.load(config), 1));
    assertTrue(e.getMessage().contains("/opt/nothere/libpkcs11.so"), e.getMessage());
    assertTrue(e.getMessage().contains(config.toString()), e.getMessage());
  }

  @Test
  void anUnknownTokenLabelListsTheTokensPresent(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("hsm.conf");
    Files.writeString(config, "library=/usr/lib/softhsm/libsofthsm2.so\ntoken=no-such-token\npin.env=X\n");
    HsmException e = assertThrows(HsmException.class, () -> HsmToken.open(HsmConfig.load(config), 1));
    assertTrue(e.getMessage().contains("no token labelled 'no-such-token'"), e.getMessage());
    assertTrue(e.getMessage().contains(TestHsm.PRIMARY), e.getMessage());
  }

  @Test
  void badConfigsNameTheKey(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("hsm.conf");
    Files.writeString(config, "library=/usr/lib/softhsm/libsofthsm2.so\ntoken=x\n");
    HsmException e = assertThrows(HsmException.class, () -> HsmConfig.load(config));
    assertTrue(e.getMessage().contains("pin.file") && e.getMessage().contains(config.toString()), e.getMessage());
    Files.writeString(config, "library=/usr/lib/softhsm/libsofthsm2.so\ntoken=x\npin.file=p\nslot=3\n");
    e = assertThrows(HsmException.class, () -> HsmConfig.load(config));
    assertTrue(e.getMessage().contains("slot"), e.getMessage());
  }

  @Test
  void anUnknownLocatorIsNamed() {
    HsmException e = assertThrows(HsmException.class, () -> token.require(new KeyLocator("00ff00ff")));
    assertTrue(e.getMessage().contains("00ff00ff"), e.getMessage());
  }

  /**
   * SoftHSM's object store fails reads that meet a half-written object (CKR_GENERAL_ERROR): key
   * generation while other threads search and sign, as the key pool does beside a signing run.
   */
  @Test
  void generatingWhileOthersSearchAndSignNeverFails() throws Exception {
    try (HsmToken token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 2)) {
      HsmKey signer = token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "busy-signer");
      java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.List<Throwable> failures = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
      java.util.List<Thread> readers = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        int n = i;
        Thread t = new Thread(() -> {
          try {
            while (!done.get()) {
              if (n == 0) {
                token.list();
              } else {
                token.sign(signer, new byte[] {1, 2, 3});
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        t.start();
        readers.add(t);
      }
      java.util.List<HsmKey> made = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 25 && failures.isEmpty(); i++) {
          made.add(token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "busy-" + i));
        }
      } finally {
        done.set(true);
        for (Thread t : readers) {
          t.join();
        }
      }
      org.junit.jupiter.api.Assertions.assertEquals(java.util.List.of(), failures);
      org.junit.jupiter.api.Assertions.assertEquals(25, made.size());
      for (HsmKey key : made) {
        token.delete(key.locator());
      }
      token.delete(signer.locator());
    }
  }
}
