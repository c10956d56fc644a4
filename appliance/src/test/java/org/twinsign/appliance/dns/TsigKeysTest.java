package org.twinsign.appliance.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;

/** TSIG keys in BIND's syntax and transfer ACLs: what is accepted, and errors that name the line, never the secret. */
class TsigKeysTest {
  private static final String SECRET = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXh4eHg=";

  @Test
  void bindKeyFilesAreReadWithTheirComments() {
    TsigKeys keys = TsigKeys.parse("tsig.key", "/* made by tsig-keygen */\nkey \"xfr-key\" {\n"
        + "\talgorithm hmac-sha256; // the default\n\tsecret \"" + SECRET + "\";\n};\n# another\n"
        + "key notify-key { algorithm hmac-sha512; secret \"" + SECRET + "\"; };\n");
    assertNotNull(keys.get(Name.fromConstantString("xfr-key.")));
    assertNotNull(keys.require("notify-key", "dns.notify-key"));
    assertFalse(keys.toString().contains(SECRET));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> keys.require("nope", "dns.transfer-key"));
    assertTrue(missing.getMessage().contains("dns.transfer-key names TSIG key 'nope'"), missing.getMessage());
  }

  @Test
  void badKeysAreRefusedNamingTheLineAndNotTheSecret() {
    String[][] cases = {
        {"key \"a\" {\n  algorithm hmac-md5;\n  secret \"" + SECRET + "\";\n};\n", "tsig.key:1: key a uses hmac-md5"},
        {"\n\nkey \"a\" { algorithm hmac-sha256; };\n", "tsig.key:3: key a has no 'secret"},
        {"key \"a\" { algorithm hmac-sha256; secret \"c2hvcnQ=\"; };\n", "shorter than 128 bits"},
        {"key \"a\" { algorithm hmac-sha256; secret \"" + SECRET + "\"; };\nkey \"a\" { algorithm hmac-sha256;"
            + " secret \"" + SECRET + "\"; };\n", "tsig.key:2: key a is defined twice"},
        {"options { };\n", "tsig.key:1: expected a 'key"},
    };
    for (String[] c : cases) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TsigKeys.parse("tsig.key",
          c[0]));
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
      assertFalse(e.getMessage().contains(SECRET), e.getMessage());
    }
  }

  @Test
  void aclsMatchPrefixesOfTheirOwnFamily() throws Exception {
    AddressAcl acl = AddressAcl.parse(List.of("192.0.2.0/25", "2001:db8::/32", "198.51.100.7"));
    assertTrue(acl.allows(InetAddress.getByName("192.0.2.127")));
    assertFalse(acl.allows(InetAddress.getByName("192.0.2.128")));
    assertTrue(acl.allows(InetAddress.getByName("::ffff:192.0.2.1")), "IPv4-mapped counts as IPv4");
    assertTrue(acl.allows(InetAddress.getByName("2001:db8:1::1")));
    assertFalse(acl.allows(InetAddress.getByName("2001:db9::1")));
    assertTrue(acl.allows(InetAddress.getByName("198.51.100.7")));
    assertFalse(acl.allows(InetAddress.getByName("198.51.100.8")));
    for (String bad : new String[] {"192.0.2.0/33", "example.com", "10.0.0.0/x"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AddressAcl.parse(List.of(bad)));
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
    assertEquals("192.0.2.0/25,2001:db8::/32,198.51.100.7", acl.toString());
  }
}
