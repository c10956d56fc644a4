package org.twinsign.appliance.hsm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/** Key sync's HSM side against two real SoftHSM tokens: the KEK ceremony, wrap, unwrap and every refusal. */
class KeyWrapTest {
  private static HsmToken master;
  private static HsmToken standby;

  @BeforeAll
  static void open() {
    master = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)).withWrappableKeys(true), 1);
    standby = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.SECONDARY)).withWrappableKeys(true), 1);
    TestHsm.shareKek(master, standby);
  }

  @AfterAll
  static void close() {
    master.close();
    standby.close();
  }

  @Test
  void theCeremonyLeavesTheSameSealedKekInBothTokens() {
    KeyEncryptionKey a = KeyEncryptionKey.require(master);
    KeyEncryptionKey b = KeyEncryptionKey.require(standby);
    assertEquals(a.checkValue(), b.checkValue());
    assertEquals(6, a.checkValue().length());
    assertFalse(a.extractable(), "sealed once both hold it");
    assertFalse(b.extractable());
    HsmException again = assertThrows(HsmException.class, () -> KeyEncryptionKey.export(master,
        KeyEncryptionKey.transportKey(standby)));
    assertTrue(again.getMessage().contains("sealed"), again.getMessage());
    assertThrows(HsmException.class, () -> KeyEncryptionKey.generate(master), "one KEK per token");
  }

  @Test
  void aKekChangedOnTheWayOrDifferentFromTheSendersIsNotKept() {
    try (HsmToken sender = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.SPARE_A)).withWrappableKeys(true), 1);
        HsmToken receiver = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.SPARE_B)).withWrappableKeys(true),
            1)) {
      KeyEncryptionKey.destroy(sender);
      KeyEncryptionKey.destroy(receiver);
      KeyEncryptionKey made = KeyEncryptionKey.generate(sender);
      assertTrue(made.extractable(), "extractable until the ceremony ends");
      KeyEncryptionKey.TransportKey transport = KeyEncryptionKey.TransportKey.decode(
          KeyEncryptionKey.transportKey(receiver).encode());
      byte[] wrapped = KeyEncryptionKey.export(sender, transport);
      byte[] changed = wrapped.clone();
      changed[7] ^= 0x40;
      HsmException broken = assertThrows(HsmException.class, () -> KeyEncryptionKey.importWrapped(receiver, changed,
          made.checkValue()));
      assertTrue(broken.getMessage().contains("does not open"), broken.getMessage());
      HsmException differs = assertThrows(HsmException.class, () -> KeyEncryptionKey.importWrapped(receiver, wrapped,
          "000000"));
      assertTrue(differs.getMessage().contains("not kept"), differs.getMessage());
      assertTrue(KeyEncryptionKey.find(receiver).isEmpty(), "nothing half-imported");
      KeyEncryptionKey imported = KeyEncryptionKey.importWrapped(receiver, wrapped, made.checkValue());
      assertEquals(made.checkValue(), imported.checkValue());
      assertFalse(imported.extractable());
      assertFalse(KeyEncryptionKey.seal(sender).extractable());
      HsmException twice = assertThrows(HsmException.class, () -> KeyEncryptionKey.importWrapped(receiver, wrapped,
          made.checkValue()));
      assertTrue(twice.getMessage().contains("already"), twice.getMessage());
    }
  }

  @org.junit.jupiter.api.Test
  void keysAreNotExtractableWhereNothingWrapsThem() {
    // a single node, or keysync=shared: keys never leave the token, not even wrapped
    try (HsmToken single = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 1)) {
      HsmKey key = single.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "not-wrappable");
      HsmException e = assertThrows(HsmException.class, () -> KeyWrap.wrap(single, key));
      assertTrue(e.getMessage().contains("is not extractable (made outside Twinsign, or while keysync was not wrap)"),
          e.getMessage());
      single.delete(key.locator());
    }
  }

  @ParameterizedTest
  @EnumSource(DnssecAlgorithm.class)
  void aWrappedKeySignsInTheOtherTokenWithTheSameIdAndLabel(DnssecAlgorithm algorithm) {
    HsmKey key = master.generate(algorithm, 2048, "wrap-" + algorithm);
    if (algorithm == DnssecAlgorithm.ED25519) {
      // SoftHSM 2.6 has no PKCS#8 form for EdDSA keys to wrap: refused, saying what to do
      HsmException e = assertThrows(HsmException.class, () -> KeyWrap.wrap(master, key));
      assertTrue(e.getMessage().contains("cannot wrap ED25519 keys"), e.getMessage());
      return;
    }
    KeyWrap.Wrapped wrapped = KeyWrap.wrap(master, key);
    assertEquals(KeyEncryptionKey.require(master).checkValue(), wrapped.kek());
    HsmKey copy = KeyWrap.unwrap(standby, wrapped, key);
    assertEquals(key.locator(), copy.locator());
    assertEquals(key.label(), copy.label());
    assertArrayEquals(key.publicKey(), copy.publicKey());
    byte[] data = "signed by the standby".getBytes();
    HsmKey usable = copy.algorithm() == algorithm ? copy : copy.withAlgorithm(algorithm);
    assertTrue(PublicKeyEncoding.verifies(algorithm, key.publicKey(), data, standby.sign(usable, data)));
    // again: nothing changes, the same key comes back
    assertEquals(copy.locator(), KeyWrap.unwrap(standby, wrapped, key).locator());
    assertEquals(1, standby.list().stream().filter(k -> k.locator().equals(key.locator())).count());
  }

  @Test
  void aBlobChangedInTheStoreIsRefusedAndNothingIsLeft() {
    HsmKey key = master.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "tampered");
    KeyWrap.Wrapped wrapped = KeyWrap.wrap(master, key);
    byte[] changed = wrapped.blob().clone();
    changed[changed.length / 2] ^= 0x01;
    HsmException e = assertThrows(HsmException.class, () -> KeyWrap.unwrap(standby,
        new KeyWrap.Wrapped(changed, wrapped.kek()), key));
    assertTrue(e.getMessage().contains("does not open under the key-encryption key"), e.getMessage());
    assertTrue(standby.find(key.locator()).isEmpty());
  }

  @Test
  void aBlobOfAnotherKeyIsRefusedAndNothingIsLeft() {
    HsmKey one = master.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "one");
    HsmKey other = master.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "other");
    KeyWrap.Wrapped otherBlob = KeyWrap.wrap(master, other);
    HsmException e = assertThrows(HsmException.class, () -> KeyWrap.unwrap(standby, otherBlob, one));
    assertTrue(e.getMessage().contains("not the key the store describes"), e.getMessage());
    assertTrue(standby.find(one.locator()).isEmpty());
    assertTrue(standby.find(other.locator()).isEmpty());
  }

  @Test
  void aKeyWrappedUnderAnotherKekIsRefused() {
    HsmKey key = master.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "other-kek");
    KeyWrap.Wrapped wrapped = KeyWrap.wrap(master, key);
    HsmException e = assertThrows(HsmException.class, () -> KeyWrap.unwrap(standby,
        new KeyWrap.Wrapped(wrapped.blob(), "abcdef"), key));
    assertTrue(e.getMessage().contains("KEKs differ"), e.getMessage());
    assertTrue(standby.find(key.locator()).isEmpty());
  }

  @Test
  void aDifferentKeyUnderTheSameIdInTheTargetIsRefusedAndKept() {
    HsmKey squatter = standby.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "squatter");
    HsmKey key = master.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "wanted");
    KeyWrap.Wrapped wrapped = KeyWrap.wrap(master, key);
    HsmKey claimsSquattersId = new HsmKey(squatter.locator(), key.label(), key.algorithm(), key.bits(),
        key.publicKey(), 0);
    HsmException e = assertThrows(HsmException.class, () -> KeyWrap.unwrap(standby, wrapped, claimsSquattersId));
    assertTrue(e.getMessage().contains("holds another key with CKA_ID"), e.getMessage());
    assertArrayEquals(squatter.publicKey(), standby.require(squatter.locator()).publicKey(), "the squatter is kept");
  }
}
