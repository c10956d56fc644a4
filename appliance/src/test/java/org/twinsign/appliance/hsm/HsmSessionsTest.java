package org.twinsign.appliance.hsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.twinsign.appliance.TestHsm;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS;
import sun.security.pkcs11.wrapper.PKCS11;

/**
 * A token whose sessions die under a running process — all sessions closed and the user logged
 * out, as when an HSM restarts — is reopened and logged in again, without restarting the process.
 */
class HsmSessionsTest {

  /** The module as this process loaded it (the JDK keeps one instance per library). */
  private static PKCS11 module() throws Exception {
    CK_C_INITIALIZE_ARGS args = new CK_C_INITIALIZE_ARGS();
    args.flags = 0x2;
    return PKCS11.getInstance("/usr/lib/softhsm/libsofthsm2.so", "C_GetFunctionList", args, false);
  }

  /**
   * Closes every session this process has on {@code slot} (C_CloseAllSessions, which the JDK's
   * wrapper does not offer): the last one closing logs the user out, as an HSM restart does.
   */
  private static int closeAllSessions(long slot) throws Exception {
    PKCS11 module = module();
    int closed = 0;
    for (long handle = 1; handle < 200_000; handle++) {
      try {
        if (module.C_GetSessionInfo(handle).slotID == slot) {
          module.C_CloseSession(handle);
          closed++;
        }
      } catch (sun.security.pkcs11.wrapper.PKCS11Exception e) {
        // not a session
      }
    }
    return closed;
  }

  @Test
  void aTokenWhoseSessionsWereAllClosedIsReopened() throws Exception {
    try (HsmToken token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 2)) {
      HsmKey key = token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "restart-test");
      assertEquals(64, token.sign(key, new byte[] {1, 2, 3}).length);

      assertTrue(closeAllSessions(token.slot()) >= 3, "the token's sessions were found and closed");

      assertEquals(64, token.sign(key, new byte[] {4, 5, 6}).length, "signs again after a reopen");
      assertTrue(token.find(key.locator()).isPresent(), "finds keys again");
      assertTrue(token.list().stream().anyMatch(k -> k.locator().equals(key.locator())));
      assertTrue(token.delete(key.locator()));
    }
  }

  @Test
  void aLoggedOutTokenLogsInAgain() throws Exception {
    try (HsmToken token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 1)) {
      HsmKey key = token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "logout-test");
      PKCS11 module = module();
      long session = module.C_OpenSession(token.slot(), 0x4, null, null);
      try {
        module.C_Logout(session); // the login is the application's: every session of this process loses it
      } finally {
        module.C_CloseSession(session);
      }
      assertEquals(64, token.sign(key, new byte[] {7}).length);
      assertTrue(token.locators().contains(key.locator()), "private keys are visible again");
      token.delete(key.locator());
    }
  }

  @Test
  void aClosedTokenRefusesWorkAndClosesOnce() throws Exception {
    HsmToken token = HsmToken.open(HsmConfig.load(TestHsm.config(TestHsm.PRIMARY)), 2);
    HsmKey key = token.generate(DnssecAlgorithm.ECDSAP256SHA256, 0, "close-test");
    token.delete(key.locator());
    token.close();
    token.close();
    HsmException e = assertThrows(HsmException.class, () -> token.sign(key, new byte[1]));
    assertTrue(e.getMessage().contains("is closed"), e.getMessage());
  }
}
