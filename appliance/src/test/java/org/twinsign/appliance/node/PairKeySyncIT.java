package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.cli.AdminClient;
import org.twinsign.appliance.demo.LocalPair;

/**
 * Key sync between two nodes with their own SoftHSM tokens, every part a separate process: the
 * master's keys reach the standby's token (same CKA_ID, same public key), the databases are equal
 * table by table, a key is not published while the standby's token cannot take it (and
 * {@code rollover list} says why), and a wrapped key changed in the store is refused by the
 * standby with nothing half-written. No secret appears in any log or command line.
 */
class PairKeySyncIT {
  private static final Duration SESSION = Duration.ofSeconds(4);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private LocalPair pair;
  private PairRun run;
  private org.twinsign.testkit.SmtpServer smtp;

  /** The mails received whose subject holds {@code part}: subject, recipient and text. */
  private List<String> mails(String part) {
    List<String> out = new ArrayList<>();
    try {
      for (jakarta.mail.internet.MimeMessage m : smtp.receivedMessages()) {
        if (m.getSubject().contains(part)) {
          out.add(m.getSubject() + " -> " + m.getAllRecipients()[0] + "\n" + m.getContent());
        }
      }
    } catch (IOException | jakarta.mail.MessagingException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private void start(boolean kek) {
    LocalPair made = LocalPair.allocate(dir, SESSION);
    pair = kek ? made : made.withoutKek();
    pair.prepare(1, new PrintWriter(System.out, true));
    run = new PairRun(pair);
  }

  @AfterEach
  void stop() throws Exception {
    if (pair != null) {
      pair.close();
    }
    if (smtp != null) {
      smtp.close();
    }
    // a failed run may leave a token directory immutable: the temporary directory must go
    new ProcessBuilder("chattr", "-R", "-i", dir.resolve("hsm").toString()).redirectErrorStream(true).start()
        .waitFor();
  }

  @Test
  void theKekGeneratedOnlineLetsTheWaitingKeysThrough() throws Exception {
    start(false);
    pair.configure("beta", "kek.handover=refuse"); // as a real node by default: no KEK over the network
    pair.startNode("alpha");
    run.await("alpha master", () -> member("alpha").path("role").asText().equals("master"));
    pair.startNode("beta");
    run.await("beta eligible", () -> member("beta").path("eligible").asText().equals("yes"));
    run.await("kek status saying neither HSM has a KEK", () -> pair.cli("alpha", "kek", "status").out()
        .contains("node alpha none, node beta none: no KEK yet"));
    run.ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    Path signed = dir.resolve("example.test.signed");
    run.ok("alpha", "zone", "add", "--zone", "example.test", "--policy", "short", "--input",
        zone("example.test").toString(), "--output", signed.toString());
    run.await("rollover list saying the keys wait for the standby", () -> pair.cli("alpha", "rollover", "list",
        "--zone", "example.test").out().contains("node beta's HSM holds it (key sync"));
    assertFalse(Files.exists(signed), "nothing published that beta cannot sign with");
    run.await("alpha saying why it cannot wrap the keys", () -> pair.process("alpha").logTail(200)
        .contains("holds no key-encryption key"));

    // beta takes no KEK over the network until its own config says so: the admin token is not enough
    String refused = run.ok("alpha", "kek", "generate");
    assertTrue(refused.contains("key-encryption key generated in node alpha's HSM"), refused);
    assertTrue(refused.contains("not handed over: ") && refused.contains("node beta takes no key-encryption key over"
        + " the network (kek.handover=refuse in "), refused);
    assertTrue(run.ok("alpha", "kek", "status").contains("node beta none"), "nothing reached beta");
    pair.process("beta").stop(Duration.ofSeconds(20));
    pair.configure("beta", "kek.handover=accept"); // beta's operator opens it for the ceremony
    pair.startNode("beta");
    run.await("beta eligible again", () -> member("beta").path("eligible").asText().equals("yes"));
    String generated = run.ok("alpha", "kek", "generate"); // hands the KEK made before over now
    assertTrue(generated.contains("(not handed over yet) in node alpha's HSM already"), generated);
    assertTrue(generated.contains("carried to node beta's HSM under a one-time transport key"), generated);
    String status = run.ok("alpha", "kek", "status");
    assertTrue(status.contains(": the same KEK"), status);
    LocalPair.Answer again = pair.cli("beta", "kek", "generate");
    assertTrue(again.out().contains("holds a key-encryption key already") || again.err().contains(
        "holds a key-encryption key already"), again.out() + again.err());
    run.await("example.test signed once beta's HSM holds its keys", () -> Files.exists(signed));
    run.await("every key in beta's HSM", () -> member("alpha").path("keys").asText().equals("in sync"));
    assertStandbyHoldsEveryKey();
  }

  @Test
  void keysReachTheStandbysHsmAndWaitForItWhenItCannotTakeThem() throws Exception {
    start(true);
    smtp = org.twinsign.testkit.SmtpServer.start();
    for (String node : LocalPair.NODES) {
      pair.configure(node, "keypool.max=1\n" // one spare key per pool: a second zone empties it
          + "alert.smtp.host=127.0.0.1\nalert.smtp.port=" + smtp.port() + "\nalert.smtp.tls=none\n"
          + "alert.mail.from=twinsign@pair.test\nalert.mail.to.dns-operator=noc@pair.test\n"
          + "alert.mail.to.security-officer=security@pair.test\n");
    }
    pair.startNode("alpha");
    run.await("alpha master", () -> member("alpha").path("role").asText().equals("master"));
    pair.startNode("beta");
    run.await("beta eligible", () -> member("beta").path("eligible").asText().equals("yes"));
    String kek = run.ok("beta", "kek", "status");
    assertTrue(kek.contains(": the same KEK"), kek);

    run.ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    Path signed = dir.resolve("example.test.signed");
    run.ok("alpha", "zone", "add", "--zone", "example.test", "--policy", "short", "--input", zone("example.test").toString(),
        "--output", signed.toString());
    run.await("example.test signed", () -> Files.exists(signed));
    run.await("every key in beta's HSM", () -> member("alpha").path("keys").asText().equals("in sync"));
    assertStandbyHoldsEveryKey();
    assertTablesEqual();
    assertEquals(2, dnskeys(signed), "KSK and ZSK");

    // beta's token cannot take new objects. A second zone takes the pool's spare keys (beta holds them);
    // the pool's new spares cannot reach beta; a ZSK rollover of the first zone takes one and must wait
    Path tokenDir = tokenDirectory("twinsign-beta");
    immutable(tokenDir, true); // no new object can be stored in beta's token (even by root)
    Path other = dir.resolve("other.test.signed");
    run.ok("alpha", "zone", "add", "--zone", "other.test", "--policy", "short", "--input", zone("other.test").toString(),
        "--output", other.toString());
    run.await("other.test signed with the pool's spares", () -> Files.exists(other));
    run.ok("alpha", "key", "rollover", "--zone", "example.test", "--keytype", "ZSK");
    run.ok("alpha", "enforce");
    run.await("rollover list saying what the new ZSK waits for", () -> pair.cli("alpha", "rollover", "list",
        "--zone", "example.test").out().contains("node beta's HSM holds it (key sync"));
    String why = pair.cli("alpha", "rollover", "list", "--zone", "example.test").out();
    Thread.sleep(3000); // several rounds of key sync and of the master's duties
    run.ok("alpha", "enforce");
    assertEquals(2, dnskeys(signed), "no DNSKEY published that beta's HSM lacks\n" + why);
    assertEquals("yes", member("beta").path("eligible").asText(), "beta stays eligible: it holds every published"
        + " key");
    // the security officer hears of the key that waits (after its 30 s grace)
    run.await("the key-waiting-sync mail", Duration.ofMinutes(2), () -> mails("WARNING key-waiting-sync: key ZSK ")
        .size() == 1);
    String mail = mails("WARNING key-waiting-sync: key ZSK ").get(0);
    assertTrue(mail.contains("of zone example.test -> security@pair.test") && mail.contains("node beta's HSM holds it")
        && mail.contains("'twinsign kek status'"), mail);

    immutable(tokenDir, false);
    run.await("the new ZSK published once beta's HSM holds it", () -> dnskeys(signed) == 3);
    run.await("every key in beta's HSM again", () -> member("alpha").path("keys").asText().equals("in sync"));
    assertStandbyHoldsEveryKey();
    run.await("the key-waiting-sync resolved mail", Duration.ofMinutes(2), () -> mails(
        "RESOLVED key-waiting-sync: key ZSK ").size() == 1);

    // a wrapped key changed in the store: beta refuses it and keeps nothing of it
    pair.process("beta").kill();
    run.ok("alpha", "key", "generate", "--policy", "short", "--count", "1");
    run.await("the new pool keys wrapped", () -> count("SELECT COUNT(*) FROM twinsign.hsm_key h WHERE NOT EXISTS"
        + " (SELECT 1 FROM twinsign.wrapped_key w WHERE w.hsm_key = h.id)") == 0);
    String tampered;
    try (Connection c = pair.database("alpha").rootConnection(); Statement s = c.createStatement()) {
      try (ResultSet r = s.executeQuery("SELECT h.repository, h.locator FROM twinsign.hsm_key h ORDER BY h.id DESC"
          + " LIMIT 1")) {
        r.next();
        tampered = r.getString(1) + "/" + r.getString(2);
      }
      s.executeUpdate("UPDATE twinsign.wrapped_key SET wrapped = CONCAT(LEFT(wrapped, 20),"
          + " CHAR(ASCII(SUBSTRING(wrapped, 21, 1)) ^ 1), SUBSTRING(wrapped, 22)) ORDER BY hsm_key DESC LIMIT 1");
    }
    pair.startNode("beta");
    run.await("beta refuses the changed key", () -> member("beta").path("keys").asText().contains("1 refused"));
    String refusal = member("beta").path("keys").asText();
    assertTrue(refusal.contains("does not open under the key-encryption key"), refusal);
    assertTrue(held("beta", List.of(tampered)).get(tampered).startsWith("missing"), "nothing of it in beta's HSM");
    assertTrue(pair.process("beta").logTail(400).contains("refused"), pair.process("beta").logTail(40));

    assertNoSecretAnywhere();
  }

  // ---- checks

  /** Every key the store knows is in beta's token under its locator, with the store's public key. */
  private void assertStandbyHoldsEveryKey() throws Exception {
    Map<String, String> store = new LinkedHashMap<>();
    try (Connection c = pair.database("beta").rootConnection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT repository, locator, public_key FROM twinsign.hsm_key")) {
      while (r.next()) {
        store.put(r.getString(1) + "/" + r.getString(2), HexFormat.of().formatHex(r.getBytes(3)));
      }
    }
    assertFalse(store.isEmpty());
    Map<String, String> answers = held("beta", new ArrayList<>(store.keySet()));
    store.forEach((id, publicKey) -> assertEquals(publicKey, answers.get(id), "key " + id + " in beta's HSM"));
  }

  /** {@code CHECKSUM TABLE} of every table of the store, on both databases, once beta has caught up. */
  private void assertTablesEqual() throws Exception {
    run.await("every table equal on both databases", () -> checksums("alpha").equals(checksums("beta")));
    assertTrue(checksums("alpha").size() >= 10, checksums("alpha").toString());
  }

  private Map<String, Long> checksums(String node) {
    Map<String, Long> sums = new LinkedHashMap<>();
    try (Connection c = pair.database(node).rootConnection(); Statement s = c.createStatement()) {
      for (String table : tables(s)) {
        try (ResultSet r = s.executeQuery("CHECKSUM TABLE twinsign.`" + table + "`")) {
          r.next();
          sums.put(table, r.getLong(2));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return sums;
  }

  /**
   * No password, token or PIN of the pair, and no private key in clear, in the nodes' logs, on any
   * process's command line, or in either database.
   */
  private void assertNoSecretAnywhere() throws Exception {
    List<String> secrets = new ArrayList<>();
    for (String file : List.of("db.password", "db-admin.password", "replication.password", "admin.token")) {
      secrets.add(Files.readString(dir.resolve(file)).strip());
    }
    for (String node : LocalPair.NODES) {
      secrets.add(Files.readString(pair.token(node).userPinFile()).strip());
    }
    StringBuilder seen = new StringBuilder();
    try (var files = Files.walk(dir)) {
      for (Path log : files.filter(p -> p.toString().endsWith(".log") && Files.isRegularFile(p)).toList()) {
        seen.append(Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1));
      }
    }
    Process ps = new ProcessBuilder("ps", "-eo", "args").redirectErrorStream(true).start();
    seen.append(new String(ps.getInputStream().readAllBytes()));
    // and the whole store, every column of every row, on both databases
    for (String node : LocalPair.NODES) {
      try (Connection c = pair.database(node).rootConnection(); Statement s = c.createStatement()) {
        for (String table : tables(s)) {
          try (ResultSet r = s.executeQuery("SELECT * FROM twinsign.`" + table + "`")) {
            while (r.next()) {
              for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                Object value = r.getObject(i);
                seen.append(value instanceof byte[] bytes ? new String(bytes,
                    java.nio.charset.StandardCharsets.ISO_8859_1) : String.valueOf(value)).append('\n');
              }
            }
          }
        }
      }
    }
    // an EC private key in clear would be PKCS#8: SEQUENCE, version 0, id-ecPublicKey
    String pkcs8 = new String(HexFormat.of().parseHex("020100301306072a8648ce3d0201"),
        java.nio.charset.StandardCharsets.ISO_8859_1);
    assertFalse(seen.toString().contains(pkcs8), "no private key in clear in the logs, on a command line or in the store");
    for (String secret : secrets) {
      assertTrue(secret.length() >= 8);
      assertFalse(seen.toString().contains(secret), "a secret appears in a log, on a command line or in the store");
    }
  }

  // ---- helpers

  private static List<String> tables(Statement s) throws SQLException {
    List<String> tables = new ArrayList<>();
    try (ResultSet r = s.executeQuery("SHOW TABLES FROM twinsign")) {
      while (r.next()) {
        tables.add(r.getString(1));
      }
    }
    return tables;
  }

  private Map<String, String> held(String node, List<String> ids) {
    JsonNode answer = new AdminClient(pair.adminAddress(node), adminToken(), "test").peer("keys-held",
        Map.of("ids", ids), Duration.ofSeconds(30));
    Map<String, String> held = new LinkedHashMap<>();
    answer.path("keys").properties().forEach(e -> held.put(e.getKey(), e.getValue().asText()));
    return held;
  }

  private String adminToken() {
    try {
      return Files.readString(dir.resolve("admin.token")).strip();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code chattr +i} / {@code -i}: a directory nobody (root included) can add files to. */
  private static void immutable(Path directory, boolean on) throws Exception {
    Process chattr = new ProcessBuilder("chattr", on ? "+i" : "-i", directory.toString()).redirectErrorStream(true)
        .start();
    String out = new String(chattr.getInputStream().readAllBytes());
    assertEquals(0, chattr.waitFor(), "chattr on " + directory + " (the test needs a file system with immutable"
        + " directories, such as ext4): " + out);
  }

  /** The token directory (SoftHSM keeps one per token, named by its serial) holding token {@code label}. */
  private Path tokenDirectory(String label) throws IOException {
    try (var dirs = Files.walk(dir.resolve("hsm"), 3)) {
      for (Path p : dirs.filter(p -> p.getFileName().toString().equals("token.object")).toList()) {
        if (new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1).contains(label)) {
          return p.getParent();
        }
      }
    }
    throw new IllegalStateException("no SoftHSM token directory of " + label);
  }

  private JsonNode member(String node) {
    LocalPair.Answer answer = pair.cli("alpha".equals(node) ? "alpha" : "beta", "cluster", "list", "--json");
    if (answer.exit() != 0) {
      return JSON.createObjectNode();
    }
    try {
      for (JsonNode m : JSON.readTree(answer.out()).path("nodes")) {
        if (m.path("node").asText().equals(node)) {
          return m;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return JSON.createObjectNode();
  }

  private long count(String sql) {
    try (Connection c = pair.database("alpha").rootConnection(); Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long dnskeys(Path signed) {
    try {
      return Files.readAllLines(signed).stream().filter(l -> l.split("\\s+").length > 4
          && l.split("\\s+")[3].equals("DNSKEY")).count();
    } catch (IOException e) {
      return -1;
    }
  }

  private Path zone(String name) throws IOException {
    Path file = dir.resolve(name + ".zone");
    Files.writeString(file, "$ORIGIN " + name + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster 2026120101 7200 3600 1209600"
        + " 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A 192.0.2.80\n");
    return file;
  }

}
