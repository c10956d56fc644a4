package org.twinsign.appliance.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.CliRun;
import org.twinsign.testkit.HostTool;
import org.twinsign.testkit.LocalProcess;
import org.twinsign.appliance.WithMariaDb;
import org.twinsign.testkit.MariaDbServer;
import org.twinsign.testkit.NsdServer;

/**
 * What operators see and what they cannot break: backup gating, DS export in BIND format checked
 * against BIND's dnssec-dsfromkey, the key and rollover listings, and clear errors that leave the
 * store as it was — bad kasp.xml, unknown names, a ds-seen nobody waits for, a database that dies
 * in the middle of a command.
 */
class OperatorCommandsTest extends WithMariaDb {

  @TempDir
  Path dir;

  private static final Path SHORT = Path.of("src/test/resources/kasp/short.xml").toAbsolutePath();

  private TestStore node(MariaDbServer db, boolean requireBackup, String extra, String... zoneOptions)
      throws Exception {
    TestStore node = TestStore.create(db, dir, requireBackup, extra);
    node.ok("setup", "--simulation", "--start", "2025-01-01T00:00:00Z");
    node.ok("policy", "import", SHORT.toString());
    Files.copy(Path.of("src/test/resources/zones/minimal.test.zone"), dir.resolve("minimal.test.zone"));
    List<String> add = new ArrayList<>(List.of("zone", "add", "--zone", "minimal.test", "--policy", "short", "--input",
        dir.resolve("minimal.test.zone").toString(), "--output", dir.resolve("minimal.test.signed").toString()));
    add.addAll(List.of(zoneOptions));
    node.ok(add.toArray(String[]::new));
    return node;
  }

  /**
   * The optional DS automation: the zone publishes CDS/CDNSKEY; a parent (NSD) that follows them
   * (as an RFC 7344 parental agent would) changes its DS set; the parent check sees each change
   * once it has held for the DS TTL plus propagation delay and reports ds-seen and ds-gone itself.
   */
  @Test
  void cdsAndTheParentCheckCarryAKskRolloverWithoutAnOperator() throws Exception {
    String parentZone = "$TTL 3600\ntest. IN SOA ns.test. root.test. %d 3600 600 86400 3600\ntest. IN NS ns.test.\n"
        + "ns.test. IN A 192.0.2.53\nminimal.test. IN NS ns.minimal.test.\nns.minimal.test. IN A 192.0.2.1\n";
    try (NsdServer parent = NsdServer.start(Map.of("test", String.format(parentZone, 1)))) {
      TestStore node = node(server, false, "", "--cds", "--parent-server", parent.address());
      Path signed = dir.resolve("minimal.test.signed");
      String first = node.ok("enforce").replaceAll("(?s).*KSK (\\d+) assigned.*", "$1");
      boolean rolled = false;
      long serial = 1;
      java.util.Set<String> parentDs = new java.util.TreeSet<>();
      StringBuilder log = new StringBuilder();
      boolean oldKskGone = false;
      for (int leaps = 0; leaps < 80 && !oldKskGone; leaps++) {
        String out = node.ok("time", "leap");
        log.append(out);
        oldKskGone = out.contains("KSK " + first + " DNSKEY unretentive -> hidden");
        if (!rolled && out.contains("parent check: DS of KSK " + first + " seen")) {
          node.ok("key", "rollover", "--zone", "minimal.test", "--keytype", "KSK"); // the first KSK is in: roll it
          rolled = true;
        }
        java.util.Set<String> cds = new java.util.TreeSet<>();
        for (String line : Files.readAllLines(signed)) {
          String[] f = line.trim().split("\\s+");
          if (f.length >= 8 && f[3].equals("CDS")) {
            cds.add("minimal.test. 3600 IN DS " + f[4] + " " + f[5] + " " + f[6] + " " + String.join("",
                List.of(f).subList(7, f.length)));
          }
        }
        if (!cds.equals(parentDs)) { // the parental agent follows the CDS RRset
          parentDs = cds;
          parent.update("test", String.format(parentZone, ++serial) + String.join("\n", parentDs) + "\n", serial);
        }
        if (!parentDs.isEmpty()) { // the parent's DS always matches a KSK the zone serves
          java.util.Set<String> ksks = new java.util.TreeSet<>();
          for (String line : Files.readAllLines(signed)) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 8 && f[3].equals("DNSKEY") && f[4].equals("257")) {
              ksks.add(Integer.toString(((org.xbill.DNS.DNSKEYRecord) org.xbill.DNS.Record.fromString(
                  org.xbill.DNS.Name.fromConstantString("minimal.test."), org.xbill.DNS.Type.DNSKEY,
                  org.xbill.DNS.DClass.IN, 3600, String.join(" ", List.of(f).subList(4, f.length)),
                  org.xbill.DNS.Name.root)).getFootprint()));
            }
          }
          assertTrue(parentDs.stream().anyMatch(ds -> ksks.contains(ds.split("\\s+")[4])),
              "the parent's DS " + parentDs + " matches no KSK of the zone " + ksks + "\n" + log);
        }
        var verify = org.twinsign.appliance.Verifiers.dnssecVerify(signed, "minimal.test", false);
        assertTrue(verify.ok(), verify.output() + log);
      }
      String all = log.toString();
      assertTrue(oldKskGone, "the KSK rollover finished:\n" + all);
      assertTrue(all.matches("(?s).*parent check: DS of KSK \\d+ seen.*parent check: DS of KSK \\d+ seen.*"), all);
      assertTrue(all.matches("(?s).*parent check: DS of KSK \\d+ gone.*"), all);
      assertFalse(all.contains("warning: parent check"), "the parent never changed on its own:\n" + all);
      Map<String, Integer> events = count(node, "SELECT event, COUNT(*) FROM ds_event WHERE detail LIKE"
          + " 'parent check%' GROUP BY event");
      assertEquals(Map.of("seen", 2, "gone", 1), events);
    }
  }

  @Test
  void noKeyIsPublishedBeforeABackupCoversIt() throws Exception {
    TestStore node = node(server, true, "");
    String first = node.ok("enforce");
    assertFalse(Files.exists(dir.resolve("minimal.test.signed")), "nothing published before a backup:\n" + first);
    String rollovers = node.ok("rollover", "list");
    assertTrue(rollovers.contains("a backup of repository SoftHSM"), rollovers);
    assertTrue(node.ok("key", "list").contains("waiting for backup"), node.ok("key", "list"));

    node.ok("backup", "prepare");
    node.ok("key", "generate", "--policy", "short", "--count", "1"); // after prepare: not in this backup
    CliRun again = node.cli("backup", "prepare");
    assertEquals(1, again.exit());
    assertTrue(again.err().contains("'backup commit' or 'backup rollback' it first"), again.err());
    node.ok("backup", "commit");
    Map<String, Integer> states = count(node, "SELECT backup, COUNT(*) FROM hsm_key GROUP BY backup");
    assertEquals(2, states.get("unbacked"), "the KSK and ZSK generated after prepare: " + states);
    assertTrue(states.get("backed_up") >= 2, states.toString());
    String list = node.ok("backup", "list");
    assertTrue(list.contains("2 not backed up") && list.contains("  oldest not backed up: ")
        && list.contains("(1 more: 'backup list --verbose')"), list);
    String verbose = node.ok("backup", "list", "--verbose");
    assertTrue(verbose.contains("  not backed up: KSK") && verbose.contains("  not backed up: ZSK"), verbose);

    node.ok("enforce");
    assertTrue(Files.exists(dir.resolve("minimal.test.signed")), "published once backed up");
    Map<String, Integer> published = count(node, "SELECT h.backup, COUNT(*) FROM zone_key z JOIN hsm_key h"
        + " ON h.id = z.hsm_key WHERE z.dnskey_state <> 'hidden' GROUP BY h.backup");
    assertEquals(Map.of("backed_up", 2), published);
    CliRun noOpen = node.cli("backup", "commit");
    assertEquals(1, noOpen.exit());
    assertTrue(noOpen.err().contains("no backup of repository SoftHSM is prepared"), noOpen.err());
  }

  /**
   * A repository that requires backups: the pool's keys are generated but not backed up, so the
   * rollovers until the next backup find none ready ({@code key-pool-low}, to the security officer,
   * saying to back up); a backup covers them and the alert is resolved.
   */
  @Test
  void keysAndAPoolWaitingForABackupAreAlertedUntilOneCoversThem() throws Exception {
    try (org.twinsign.testkit.SmtpServer smtp = org.twinsign.testkit.SmtpServer.start()) {
      TestStore node = node(server, true, "alert.smtp.host=127.0.0.1\nalert.smtp.port=" + smtp.port()
          + "\nalert.smtp.tls=none\nalert.mail.from=signer@single.test\nalert.mail.to.dns-operator=noc@single.test\n"
          + "alert.mail.to.security-officer=security@single.test\nalert.mail.to.backup-officer=backup@single.test\n"
          + "alert.rate-limit=PT1H\n");
      node.ok("enforce");
      // the zone's own first keys wait for a backup: the backup officer hears of each
      List<String> waiting = mails(smtp, "key-waiting-backup");
      assertEquals(2, waiting.size(), waiting.toString());
      assertTrue(waiting.stream().allMatch(m -> m.startsWith("[twinsign single] WARNING key-waiting-backup: key ")
          && m.endsWith(" of zone minimal.test -> backup@single.test")), waiting.toString());
      assertTrue(body(smtp, "key-waiting-backup: key KSK").contains("'twinsign backup prepare'"));
      List<String> low = mails(smtp, "key-pool-low");
      assertEquals(List.of("[twinsign single] WARNING key-pool-low: pool KSK keys of algorithm 13 in repository SoftHSM"
          + " -> security@single.test", "[twinsign single] WARNING key-pool-low: pool ZSK keys of algorithm 13 in"
          + " repository SoftHSM -> security@single.test"), low.stream().sorted().toList());
      String body = body(smtp, "key-pool-low: pool ZSK");
      assertTrue(body.contains("holds 0 backed-up keys") && body.contains("need 6")
          && body.contains("'twinsign backup prepare'"), body);
      node.ok("enforce");
      assertEquals(2, mails(smtp, "key-pool-low").size(), "still short, mailed once");
      node.ok("backup", "prepare");
      node.ok("backup", "commit");
      node.ok("enforce");
      node.ok("time", "leap"); // the resolved mails wait until the condition has stayed clear a while
      assertEquals(2, mails(smtp, "RESOLVED key-pool-low").size(), mails(smtp, "").toString());
      assertEquals(2, mails(smtp, "RESOLVED key-waiting-backup").size(), mails(smtp, "").toString());
      assertEquals(List.of(), node.ok("alert", "list", "--open").lines().filter(l -> l.contains("key-pool-low"))
          .toList());
    }
  }

  private static String lastDigest(org.twinsign.testkit.SmtpServer smtp, String to) throws Exception {
    String last = null;
    for (jakarta.mail.internet.MimeMessage m : smtp.receivedMessages()) {
      if (m.getSubject().contains("] digest ") && m.getAllRecipients()[0].toString().equals(to)) {
        last = m.getContent().toString();
      }
    }
    assertTrue(last != null, "no digest to " + to);
    return last;
  }

  private static List<String> mails(org.twinsign.testkit.SmtpServer smtp, String part) {
    return smtp.receivedMessages().stream().map(m -> {
      try {
        return m.getSubject() + " -> " + m.getAllRecipients()[0];
      } catch (jakarta.mail.MessagingException e) {
        throw new IllegalStateException(e);
      }
    }).filter(x -> x.contains(part)).toList();
  }

  private static String body(org.twinsign.testkit.SmtpServer smtp, String subjectPart) throws Exception {
    for (jakarta.mail.internet.MimeMessage m : smtp.receivedMessages()) {
      if (m.getSubject().contains(subjectPart)) {
        return m.getContent().toString();
      }
    }
    throw new AssertionError("no mail with '" + subjectPart + "'");
  }

  /**
   * A single signer (no daemon) mails the DS exchange after each enforcer run: the DS to submit,
   * then, a day after the submission, that the parent does not show it, reminding at three days
   * and stopping once acknowledged. Simulated time moves the reminders; a real SMTP server takes the mails.
   */
  @Test
  void aSingleSignerMailsTheDsExchangeAndRemindsUntilAcknowledged() throws Exception {
    try (org.twinsign.testkit.SmtpServer smtp = org.twinsign.testkit.SmtpServer.start()) {
      TestStore node = node(server, false, "alert.smtp.host=127.0.0.1\nalert.smtp.port=" + smtp.port()
          + "\nalert.smtp.tls=none\nalert.mail.from=signer@single.test\nalert.mail.to.dns-operator=noc@single.test\n"
          + "alert.mail.to.security-officer=security@single.test\nalert.rate-limit=PT1H\nalert.digest.time=00:00\n");
      node.ok("enforce");
      node.ok("time", "leap");
      node.ok("time", "leap"); // the KSK is ready: its DS is to be submitted
      java.util.function.Function<String, List<String>> subjects = part -> smtp.receivedMessages().stream().map(m -> {
        try {
          return m.getSubject() + " -> " + m.getAllRecipients()[0];
        } catch (jakarta.mail.MessagingException e) {
          throw new IllegalStateException(e);
        }
      }).filter(x -> x.contains(part)).toList();
      List<String> submit = subjects.apply("ds-submit");
      assertEquals(1, submit.size(), smtp.receivedMessages().size() + " mails: " + submit);
      assertTrue(submit.get(0).startsWith("[twinsign single] WARNING ds-submit: key KSK ")
          && submit.get(0).endsWith("of zone minimal.test -> security@single.test"), submit.get(0));
      String tag = submit.get(0).replaceAll(".*key KSK (\\d+) of zone.*", "$1");
      node.ok("key", "ds-submit", "--zone", "minimal.test", "--keytag", tag);
      java.time.Instant submitted;
      try (Services services = Services.open(org.twinsign.appliance.config.TwinsignConfig.load(node.config()))) {
        submitted = services.store().read(org.twinsign.appliance.store.Store::now);
      }
      node.ok("time", "leap", "--to", submitted.plus(Duration.ofHours(12)).toString());
      assertEquals(List.of(), subjects.apply("ds-not-seen"), "not a day yet");
      node.ok("time", "leap", "--to", submitted.plus(Duration.ofHours(25)).toString());
      assertEquals(1, subjects.apply("RESOLVED ds-submit").size(), "submitted: resolved once it settled");
      assertEquals(1, subjects.apply("WARNING ds-not-seen: key KSK " + tag).size(), subjects.apply("ds-not-seen")
          .toString());
      node.ok("time", "leap", "--to", submitted.plus(Duration.ofHours(73)).toString());
      assertEquals(1, subjects.apply("REMINDER 1: WARNING ds-not-seen").size(), subjects.apply("").toString());
      // the daily digest (alert.digest.time=00:00: the first pass of each day): each role's own alerts
      String digest = lastDigest(smtp, "security@single.test");
      assertTrue(digest.contains("Open (") && digest.contains("ds-not-seen: key KSK " + tag), digest);
      String listed = node.ok("alert", "list", "--open");
      String id = listed.lines().filter(l -> l.contains("ds-not-seen")).findFirst().orElseThrow().trim()
          .split("\\s+")[0];
      assertTrue(node.ok("alert", "ack", id).contains("acknowledged"), listed);
      node.ok("time", "leap", "--to", submitted.plus(Duration.ofHours(7 * 24 + 2)).toString());
      assertEquals(List.of(), subjects.apply("REMINDER 2"), "acknowledged: no more reminders");
      assertEquals(1, subjects.apply("ds-not-seen").stream().filter(x -> !x.contains("REMINDER")).count());
      assertTrue(lastDigest(smtp, "security@single.test").contains("(acknowledged)"));
      Map<String, Integer> digests = new TreeMap<>();
      for (String d : subjects.apply("] digest ")) {
        digests.merge(d.replaceAll(": .* -> ", " -> "), 1, Integer::sum);
        assertFalse(d.endsWith("noc@single.test") && !d.contains("all quiet"), "the DS exchange is not the DNS"
            + " operator's: " + d);
      }
      assertTrue(digests.size() >= 6, "a digest a day to each: " + digests);
      digests.forEach((d, n) -> assertEquals(1, n, "one digest a day: " + d));
    }
  }

  @Test
  void keyListExportAndRolloverListSpeakOpenDnssec() throws Exception {
    TestStore node = node(server, false, "");
    node.ok("enforce");
    node.ok("time", "leap");
    node.ok("time", "leap"); // DNSKEYs omnipresent: the KSK is ready, its DS to be submitted
    // no ds.submit-command: the DS waits for the operator, as with OpenDNSSEC
    String waiting = node.ok("key", "list", "--verbose", "--zone", "minimal.test");
    assertTrue(waiting.matches("(?s).*minimal\\.test\\s+KSK\\s+ready\\s+waiting for ds-submit\\s+.*\\s+submit\\s*\\n.*"),
        waiting);
    String toSubmit = node.ok("rollover", "list", "--zone", "minimal.test");
    String tag = toSubmit.replaceAll("(?s).*'key ds-submit --zone minimal\\.test --keytag (\\d+)'.*", "$1");
    assertTrue(tag.matches("\\d+") && toSubmit.contains("'key export --zone minimal.test --ds'"), toSubmit);
    String submitted = node.ok("key", "ds-submit", "--zone", "minimal.test", "--keytag", tag);
    assertTrue(submitted.contains("DS of KSK " + tag + " submitted") && submitted.contains("'key ds-seen --zone"),
        submitted);
    expectError(node, "is not waiting for ds-submit: its DS is submitted", "key", "ds-submit", "--zone",
        "minimal.test", "--keytag", tag);
    expectError(node, "is not waiting for ds-retract: its DS is submitted", "key", "ds-retract", "--zone",
        "minimal.test", "--keytag", tag);
    String verbose = node.ok("key", "list", "--verbose", "--zone", "minimal.test");
    assertTrue(verbose.startsWith("Keys:\nZone:"), verbose);
    assertTrue(verbose.matches("(?s).*minimal\\.test\\s+KSK\\s+ready\\s+waiting for ds-seen\\s+256\\s+13\\s+"
        + "[0-9a-f]{32}\\s+SoftHSM\\s+\\d+\\s+hidden\\s+omnipresent\\s+omnipresent\\s+n/a\\s+unbacked\\s+submitted.*"),
        verbose);
    assertTrue(verbose.matches("(?s).*minimal\\.test\\s+ZSK\\s+active\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d.*"),
        verbose);
    String rollovers = node.ok("rollover", "list", "--zone", "minimal.test");
    assertTrue(rollovers.contains("the parent to publish the DS: 'key ds-seen --zone minimal.test --keytag"), rollovers);
    assertEquals(Map.of("submitted", 1), count(node, "SELECT event, COUNT(*) FROM ds_event GROUP BY event"));

    Path dnskey = dir.resolve("ksk.dnskey");
    Files.writeString(dnskey, node.ok("key", "export", "--zone", "minimal.test"));
    String ds = node.ok("key", "export", "--zone", "minimal.test", "--ds");
    assertTrue(ds.matches("minimal\\.test\\.\\s+3600\\s+IN\\s+DS\\s+\\d+ 13 2 [0-9A-F]{64} ; \\{id = \\d+ \\(ksk\\), "
        + "size = 256b\\}\\n"), ds);
    Path bindDs = dir.resolve("bind.ds");
    int exit = LocalProcess.run("dnssec-dsfromkey", List.of(HostTool.require("dnssec-dsfromkey", "bind9-utils")
        .toString(), "-2", "-f", dnskey.toString(), "minimal.test"), Map.of(), dir, bindDs, null, Duration.ofMinutes(1));
    assertEquals(0, exit, Files.readString(bindDs));
    String[] ours = ds.split("\\s+");
    String[] bind = Files.readString(bindDs).trim().split("\\s+");
    assertEquals(List.of(bind).subList(bind.length - 4, bind.length), List.of(ours).subList(4, 8),
        "our DS as BIND's dnssec-dsfromkey computes it");
  }

  @Test
  void badInputIsAClearErrorAndChangesNothing() throws Exception {
    TestStore node = node(server, false, "");
    node.ok("enforce");
    String before = dump(node);

    Path broken = dir.resolve("broken.xml");
    Files.writeString(broken, Files.readString(SHORT).replace("<Lifetime>P30D</Lifetime>",
        "<Lifetime>P30X</Lifetime>").replace("name=\"short\"", "name=\"other\""));
    int line = lineOf(broken, "P30X");
    expectError(node, "broken.xml:" + line + ": <Lifetime>: 'P30X' is not a duration", "policy", "import",
        broken.toString());
    Path rfc5011 = dir.resolve("rfc5011.xml");
    Files.writeString(rfc5011, Files.readString(SHORT).replace("<Lifetime>P120D</Lifetime>",
        "<Lifetime>P120D</Lifetime>\n        <RFC5011/>"));
    expectError(node, "rfc5011.xml:" + lineOf(rfc5011, "<RFC5011/>") + ": <RFC5011/>", "policy", "import",
        rfc5011.toString());
    expectError(node, "has no SOA record for other.test", "zone", "add", "--zone", "other.test", "--policy", "short",
        "--input", dir.resolve("minimal.test.zone").toString(), "--output", dir.resolve("other.signed").toString());
    Files.writeString(dir.resolve("other.zone"), Files.readString(dir.resolve("minimal.test.zone"))
        .replace("minimal.test.", "other.test."));
    expectError(node, "no policy 'nope'", "zone", "add", "--zone", "other.test", "--policy", "nope", "--input",
        dir.resolve("other.zone").toString(), "--output", dir.resolve("other.signed").toString());
    expectError(node, "no zone 'nope.test'", "key", "list", "--zone", "nope.test");
    expectError(node, "no zone 'nope.test'", "key", "rollover", "--zone", "nope.test", "--keytype", "ZSK");
    expectError(node, "has no KSK or CSK with key tag 1", "key", "ds-seen", "--zone", "minimal.test", "--keytag", "1");
    int ksk = Integer.parseInt(node.ok("key", "export", "--zone", "minimal.test", "--keystate", "publish")
        .replaceAll("(?s).*id = (\\d+).*", "$1"));
    expectError(node, "is not waiting for ds-seen: its DS is unsubmitted", "key", "ds-seen", "--zone", "minimal.test",
        "--keytag", Integer.toString(ksk));
    expectError(node, "is not waiting for ds-gone", "key", "ds-gone", "--zone", "minimal.test", "--keytag",
        Integer.toString(ksk));
    expectError(node, "cannot leap back in time", "time", "leap", "--to", "2024-01-01T00:00:00Z");
    String config = Files.readString(node.config());
    Files.writeString(node.config(), config.replace("token=" + org.twinsign.appliance.TestHsm.PRIMARY,
        "token=" + org.twinsign.appliance.TestHsm.SECONDARY).replace(org.twinsign.appliance.TestHsm.PRIMARY
        + ".user.pin", org.twinsign.appliance.TestHsm.SECONDARY + ".user.pin"));
    expectError(node, "none of the zone's 2 keys is in repository SoftHSM", "enforce");
    Files.writeString(node.config(), config);
    assertEquals(before, dump(node), "the failed commands changed nothing");

    Path opendnssec = Path.of("/usr/share/opendnssec/kasp.xml");
    String imported = node.ok("policy", "import", opendnssec.toString());
    assertTrue(imported.contains("policy default: added") && imported.contains("1024 bits"), imported);
    String exported = node.ok("policy", "export", "--policy", "default");
    Path again = dir.resolve("exported.xml");
    Files.writeString(again, exported);
    assertTrue(node.ok("policy", "import", again.toString()).contains("policy default: unchanged"),
        "export and import round-trip");
  }

  @Test
  void dsSeenNoRetireKeepsTheOldKskUntilKskRetire() throws Exception {
    TestStore node = node(server, false, "");
    String first = node.ok("enforce").replaceAll("(?s).*KSK (\\d+) assigned.*", "$1");
    assertTrue(first.matches("\\d+"), first);
    String locator = node.ok("key", "list", "--verbose").replaceAll("(?s).*KSK\\s+\\S+\\s+\\S+ \\S+\\s+256\\s+13\\s+"
        + "([0-9a-f]{32}).*", "$1");
    leapUntil(node, "DS submit");
    node.ok("key", "ds-seen", "--zone", "minimal.test", "--cka-id", locator); // by CKA_ID, as OpenDNSSEC allows
    leapUntil(node, "KSK " + first + " DS rumoured -> omnipresent");
    node.ok("key", "rollover", "--zone", "minimal.test", "--keytype", "KSK");
    String second = leapUntil(node, "DS submit").replaceAll("(?s).*KSK (\\d+) DS submit.*", "$1");
    assertTrue(second.matches("\\d+"), second);
    node.ok("key", "ds-seen", "--zone", "minimal.test", "--keytag", second, "--no-retire");
    StringBuilder held = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      held.append(node.ok("time", "leap"));
    }
    assertTrue(held.toString().contains("KSK " + second + " DS rumoured -> omnipresent"),
        "the new DS is in every cache, where the old one would be retracted:\n" + held);
    assertFalse(held.toString().contains("KSK " + first + " DS: retract"), "held by --no-retire:\n" + held);
    assertTrue(node.ok("key", "list", "--verbose").matches("(?s).*KSK\\s+retire\\s+.*" + first
        + "\\s+omnipresent\\s+omnipresent\\s+omnipresent\\s+n/a\\s+\\S+\\s+seen.*"), "the old KSK stays in full");
    String rollovers = node.ok("rollover", "list");
    assertTrue(rollovers.contains("'key ksk-retire' (kept by ds-seen --no-retire)"), rollovers);
    assertTrue(node.ok("key", "ksk-retire", "--zone", "minimal.test", "--keytag", first).contains("retires"));
    leapUntil(node, "KSK " + first + " DS: retract");
    expectError(node, "is already retiring", "key", "ksk-retire", "--zone", "minimal.test", "--keytag", first);
    expectError(node, "is the only KSK of zone minimal.test", "key", "ksk-retire", "--zone", "minimal.test",
        "--keytag", second);
  }

  /** Leaps until a leap's report contains {@code text}; returns that report. */
  private static String leapUntil(TestStore node, String text) {
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      String out = node.ok("time", "leap");
      all.append(out);
      if (out.contains(text)) {
        return out;
      }
    }
    throw new AssertionError("no '" + text + "' within 40 leaps:\n" + all);
  }

  @Test
  void zonelistImportAddsTheZones() throws Exception {
    TestStore node = node(server, false, "");
    Path zonelist = dir.resolve("zonelist.xml");
    Files.writeString(zonelist, "<?xml version=\"1.0\"?>\n<ZoneList>\n  <Zone name=\"copy.test\">\n"
        + "    <Policy>short</Policy>\n    <SignerConfiguration>/var/lib/x.xml</SignerConfiguration>\n"
        + "    <Adapters>\n      <Input><Adapter type=\"File\">minimal.test.zone</Adapter></Input>\n"
        + "      <Output><Adapter type=\"File\">copy.signed</Adapter></Output>\n    </Adapters>\n  </Zone>\n"
        + "</ZoneList>\n");
    expectError(node, "zone copy.test", "zonelist", "import", zonelist.toString()); // origin mismatch: minimal.test
    Files.writeString(dir.resolve("copy.zone"), Files.readString(dir.resolve("minimal.test.zone"))
        .replace("minimal.test.", "copy.test."));
    Files.writeString(zonelist, Files.readString(zonelist).replace("minimal.test.zone", "copy.zone"));
    assertTrue(node.ok("zonelist", "import", zonelist.toString()).contains("zone copy.test: added with policy short"));
    assertTrue(node.ok("zone", "list").contains("copy.test"));
    Path dns = dir.resolve("dns.xml");
    Files.writeString(dns, Files.readString(zonelist).replace("<Input><Adapter type=\"File\">",
        "<Input><Adapter type=\"DNS\">"));
    // a DNS input adapter names an addns.xml: a zone file there is named as what it is not
    expectError(node, "copy.zone:1: not well-formed XML", "zonelist", "import", dns.toString());
    Files.writeString(dns, Files.readString(zonelist).replace("<Output><Adapter type=\"File\">",
        "<Output><Adapter type=\"DNS\">"));
    expectError(node, "dns.xml:8: <Adapter type=\"DNS\"> is not supported for output", "zonelist", "import",
        dns.toString());
  }

  @Test
  void zonesOfAShareKeysPolicyShareTheirKeys() throws Exception {
    TestStore node = node(server, false, "");
    Path shared = dir.resolve("shared.xml");
    Files.writeString(shared, Files.readString(SHORT).replace("name=\"short\"", "name=\"shared\"")
        .replace("<Purge>P14D</Purge>", "<ShareKeys/>\n      <Purge>P14D</Purge>"));
    node.ok("policy", "import", shared.toString());
    for (String zone : List.of("one.test", "two.test")) {
      Files.writeString(dir.resolve(zone), Files.readString(dir.resolve("minimal.test.zone"))
          .replace("minimal.test.", zone + "."));
      node.ok("zone", "add", "--zone", zone, "--policy", "shared", "--input", dir.resolve(zone).toString(),
          "--output", dir.resolve(zone + ".signed").toString());
    }
    node.ok("enforce");
    String one = node.ok("key", "export", "--zone", "one.test", "--keystate", "publish");
    String two = node.ok("key", "export", "--zone", "two.test", "--keystate", "publish");
    assertEquals(one.replace("one.test.", "two.test."), two, "one KSK for both zones");
    String other = node.ok("key", "export", "--zone", "minimal.test", "--keystate", "publish");
    assertFalse(other.replace("minimal.test.", "one.test.").equals(one), "zones of another policy have their own");
    assertTrue(node.ok("zone", "delete", "--zone", "one.test").contains("0 keys kept"), "two.test uses them");
    assertTrue(node.ok("zone", "delete", "--zone", "two.test").contains("2 keys kept"));
    expectError(node, "no zone 'two.test'", "zone", "delete", "--zone", "two.test");
  }

  @Test
  void aDatabaseThatDiesMidCommandLeavesTheStateAsItWas() throws Exception {
    MariaDbServer dying = MariaDbServer.start();
    MariaDbServer restarted = null;
    try {
      Path flag = dir.resolve("kill-now");
      Path hook = dir.resolve("ds-submit.sh");
      // fails until the flag exists; then kills the database in the middle of the enforcer's transaction
      Files.writeString(hook, "#!/bin/sh\ncat > /dev/null\nif [ -f '" + flag + "' ]; then kill -9 " + dying.pid()
          + "; sleep 1; exit 0; fi\necho 'registry unreachable' >&2\nexit 1\n");
      Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
      TestStore node = node(dying, false, "ds.submit-command=" + hook + "\n");
      node.ok("enforce");
      String leap = node.ok("time", "leap", "--to", "2025-01-01T03:00:00Z");
      assertTrue(leap.contains("DS submit failed (retried at the next run): " + hook + " exited with status 1:"
          + " registry unreachable"), leap);
      String before = dump(dying, node);
      byte[] zoneBefore = Files.readAllBytes(dir.resolve("minimal.test.signed"));

      Files.createFile(flag);
      CliRun run = node.cli("enforce");
      assertEquals(1, run.exit(), run.out());
      assertTrue(run.err().contains("lost the connection to the database") && run.err().contains("nothing was changed"),
          run.err());
      assertFalse(run.err().contains("db-secret"), "no password in an error");

      restarted = MariaDbServer.builder().directory(dying.directory()).port(dying.port()).start();
      assertEquals(before, dump(restarted, node), "the state is as it was before the command");
      assertTrue(java.util.Arrays.equals(zoneBefore, Files.readAllBytes(dir.resolve("minimal.test.signed"))),
          "the published zone is as it was");
      Files.delete(flag);
      assertTrue(node.ok("key", "list", "--verbose").contains("submit"), "the DS submission is still pending");
    } finally {
      if (restarted != null) {
        restarted.close();
      }
      dying.close();
    }
  }

  private static void expectError(TestStore node, String expected, String... args) {
    CliRun run = node.cli(args);
    assertTrue(run.exit() != 0, "twinsign " + String.join(" ", args) + " should fail:\n" + run.out());
    assertTrue(run.err().contains(expected), "twinsign " + String.join(" ", args) + " said:\n" + run.err()
        + "\nexpected: " + expected);
  }

  private static int lineOf(Path file, String text) throws Exception {
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i + 1;
      }
    }
    throw new AssertionError(text + " not in " + file);
  }

  private static String dump(TestStore node) throws Exception {
    return dump(server, node);
  }

  /** Every state table, row by row (but the zone's row version, which counts commits, not state). */
  private static String dump(MariaDbServer db, TestStore node) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection connection = db.rootConnection(); Statement statement = connection.createStatement()) {
      for (String table : List.of("store_meta", "policy", "zone", "hsm_key", "zone_key", "ds_event", "backup",
          "enforcer_schedule", "repository")) {
        try (ResultSet rows = statement.executeQuery("SELECT * FROM " + node.database() + "." + table
            + " ORDER BY 1")) {
          int columns = rows.getMetaData().getColumnCount();
          while (rows.next()) {
            List<String> values = new ArrayList<>();
            for (int i = 1; i <= columns; i++) {
              if (rows.getMetaData().getColumnName(i).equalsIgnoreCase("version")) {
                continue;
              }
              values.add(String.valueOf(rows.getObject(i) instanceof byte[] b ? b.length : rows.getObject(i)));
            }
            out.append(table).append(values).append('\n');
          }
        }
      }
    }
    return out.toString();
  }

  private static Map<String, Integer> count(TestStore node, String query) throws Exception {
    Map<String, Integer> counts = new TreeMap<>();
    try (Connection connection = server.rootConnection(); Statement statement = connection.createStatement()) {
      statement.execute("USE " + node.database());
      try (ResultSet rows = statement.executeQuery(query)) {
        while (rows.next()) {
          counts.put(rows.getString(1), rows.getInt(2));
        }
      }
    }
    return counts;
  }
}
