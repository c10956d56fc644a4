package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.testkit.KnotServer;
import org.twinsign.testkit.NsdServer;
import org.twinsign.testkit.UnboundResolver;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The signer in its chain, every part a separate process: a hidden primary (Knot) serves the
 * unsigned zone and notifies both signers; the master transfers it, signs it and notifies the
 * secondary (NSD, with both signers as its primaries), which transfers the signed zone; a change
 * at the hidden primary reaches the secondary signed, the second time as a diff (IXFR).
 */
class ZoneChainIT {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path dir;

  private LocalPair pair;
  private KnotServer hidden;
  private NsdServer secondary;

  @AfterEach
  void stop() {
    for (AutoCloseable c : new AutoCloseable[] {secondary, hidden, pair}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // the others still close
      }
    }
  }

  private static String unsigned(long serial, String extra) {
    return unsigned("chain.test", serial, extra);
  }

  private static String unsigned(String zone, long serial, String extra) {
    return "$ORIGIN " + zone + ".\n$TTL 3600\n@ SOA ns1 hostmaster " + serial + " 3600 600 1209600 300\n@ NS ns1\n"
        + "ns1 A 192.0.2.1\nwww A 192.0.2.80\n*.wild TXT \"wildcard\"\nsub.deleg NS ns.elsewhere.example.\n" + extra;
  }

  private String ok(String node, String... args) {
    LocalPair.Answer answer = pair.cli(node, args);
    assertEquals(0, answer.exit(), String.join(" ", args) + " on " + node + ":\n" + answer.out() + answer.err()
        + "\n" + pair.process(node).logTail(40));
    return answer.out();
  }

  private long secondarySerial() throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(secondary.port());
    resolver.setTimeout(Duration.ofSeconds(2));
    Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromConstantString("chain.test."), Type.SOA,
        DClass.IN)));
    return answer.getRcode() == Rcode.NOERROR && !answer.getSection(Section.ANSWER).isEmpty()
        ? ((org.xbill.DNS.SOARecord) answer.getSection(Section.ANSWER).get(0)).getSerial() : -1;
  }

  private long awaitSecondaryAbove(long serial) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < end) {
      long now = secondarySerial();
      if (now > serial) {
        return now;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the secondary did not get a serial above " + serial + "\n--- alpha:\n"
        + pair.process("alpha").logTail(60) + "\n--- secondary:\n" + Files.readString(secondary.log()));
  }

  /** The chain: hidden primary → pair (alpha master) → secondary; both zones added, by transfer. */
  private void chain() throws Exception {
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
    List<String> signers = LocalPair.NODES.stream().map(n -> pair.dnsAddress(n).replace(':', '@')).toList();
    secondary = NsdServer.secondary(List.of("chain.test", "nsec.test"), signers, null);
    hidden = KnotServer.start(Map.of("chain.test", unsigned(2026120101, ""), "nsec.test",
        unsigned("nsec.test", 7, "")), signers);
    for (String node : LocalPair.NODES) {
      pair.configure(node, "dns.notify=127.0.0.1:" + secondary.port());
    }
    pair.startNode("alpha");
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!pair.cli("alpha", "cluster", "list").out().lines().anyMatch(l -> l.matches("alpha\\s+master\\s.*"))
        && System.nanoTime() < end) {
      Thread.sleep(200);
    }
    pair.startNode("beta");
    ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath().toString());
    ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short-nsec.xml").toAbsolutePath().toString());
    ok("alpha", "zone", "add", "--zone", "chain.test", "--policy", "short", "--input",
        dir.resolve("chain.test.unsigned").toString(), "--output", dir.resolve("chain.test.signed").toString(),
        "--primary", "127.0.0.1:" + hidden.port());
    ok("alpha", "zone", "add", "--zone", "nsec.test", "--policy", "short-nsec", "--input",
        dir.resolve("nsec.test.unsigned").toString(), "--output", dir.resolve("nsec.test.signed").toString(),
        "--primary", "127.0.0.1:" + hidden.port());
  }

  private UnboundResolver unbound() {
    return UnboundResolver.start(Map.of(
        "chain.test", new UnboundResolver.Stub(List.of("127.0.0.1@" + secondary.port()), ok("alpha", "key",
            "export", "--zone", "chain.test", "--ds", "--keystate", "publish")),
        "nsec.test", new UnboundResolver.Stub(List.of("127.0.0.1@" + secondary.port()), ok("alpha", "key",
            "export", "--zone", "nsec.test", "--ds", "--keystate", "publish"))));
  }

  @Test
  void aChangeAtTheHiddenPrimaryReachesTheSecondarySignedAsADiffAndValidates() throws Exception {
    chain();
    long first = awaitSecondaryAbove(0);
    String alpha = Files.readString(pair.process("alpha").log());
    assertTrue(alpha.contains("zone chain.test.: AXFR to serial 2026120101 from 127.0.0.1:" + hidden.port()), alpha);

    hidden.update("chain.test", unsigned(2026120102, "new A 192.0.2.99\n"), 2026120102);
    long second = awaitSecondaryAbove(first);
    alpha = Files.readString(pair.process("alpha").log());
    assertTrue(alpha.contains("NOTIFY from 127.0.0.1#") && alpha.contains("for zone chain.test.: refreshing"),
        "the hidden primary's NOTIFY brought it:\n" + alpha);
    assertTrue(alpha.contains("zone chain.test.: IXFR (1 diff(s)) to serial 2026120102 (was 2026120101) from"
        + " 127.0.0.1:" + hidden.port()), "as a diff from the hidden primary:\n" + alpha);
    // a transfer is logged once its last message is out: the secondary may serve it a moment before
    long logged = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!alpha.contains("IXFR of zone chain.test. serial " + first + " -> " + second)
        && System.nanoTime() < logged) {
      Thread.sleep(50);
      alpha = Files.readString(pair.process("alpha").log());
    }
    Matcher ixfr = Pattern.compile("IXFR of zone chain.test. serial " + first + " -> " + second
        + " to 127.0.0.1#\\d+ \\((\\d+) removed, (\\d+) added\\): (\\d+) messages, (\\d+) bytes").matcher(alpha);
    assertTrue(ixfr.find(), "the secondary took the change as a diff:\n" + alpha);
    assertTrue(Long.parseLong(ixfr.group(4)) < 3000, "a few records, not the zone: " + ixfr.group());

    // the pass's report lines are logged when the whole pass ends, which may be after the secondary has it
    String incremental = "zone chain.test: signed serial " + second + " incrementally (";
    long reported = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!alpha.contains(incremental) && System.nanoTime() < reported) {
      Thread.sleep(50);
      alpha = Files.readString(pair.process("alpha").log());
    }
    assertTrue(alpha.contains(incremental),
        "the change was applied to the version in memory, not the zone signed whole:\n" + alpha);
    // it went out by journal; the signed file follows once the zone is quiet
    Path signedFile = dir.resolve("chain.test.signed");
    long fileBy = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    long fileSerial = -1;
    while (System.nanoTime() < fileBy && fileSerial != second) {
      Thread.sleep(200);
      try {
        fileSerial = org.twinsign.appliance.zone.ZoneFileReader.read(signedFile,
            Name.fromConstantString("chain.test.")).soa().getSerial();
      } catch (RuntimeException e) {
        fileSerial = -1; // being replaced
      }
    }
    assertEquals(second, fileSerial, "the signed file caught up:\n" + pair.process("alpha").logTail(40));

    String status = ok("alpha", "zone", "status", "--zone", "chain.test");
    for (String line : new String[] {"input:             transferred from 127.0.0.1:" + hidden.port(),
        "source serial:     2026120102", "signed serial:     " + second, "served:            serial " + second,
        "journal:           1 versions back to serial " + first, "last transfer in:", "IXFR (1 diff(s)) to serial",
        "last transfer out:", "IXFR of zone chain.test. serial " + first + " -> " + second, "last NOTIFY sent:",
        "answered NOERROR"}) {
      assertTrue(status.contains(line), "zone status has '" + line + "':\n" + status);
    }
    // bad input, end to end: a NOTIFY from an address that is not one of the zone's primaries
    Message notify = new Message();
    notify.getHeader().setOpcode(org.xbill.DNS.Opcode.NOTIFY);
    notify.getHeader().setFlag(Flags.AA);
    notify.addRecord(Record.newRecord(Name.fromConstantString("chain.test."), Type.SOA, DClass.IN), Section.QUESTION);
    try (java.net.DatagramSocket socket = new java.net.DatagramSocket(new java.net.InetSocketAddress("127.0.0.2", 0))) {
      socket.setSoTimeout(5_000);
      String[] alphaDns = pair.dnsAddress("alpha").split(":");
      byte[] out = notify.toWire();
      socket.send(new java.net.DatagramPacket(out, out.length, new java.net.InetSocketAddress(alphaDns[0],
          Integer.parseInt(alphaDns[1]))));
      java.net.DatagramPacket in = new java.net.DatagramPacket(new byte[512], 512);
      socket.receive(in);
      assertEquals(Rcode.REFUSED, new Message(java.util.Arrays.copyOf(in.getData(), in.getLength())).getRcode());
    }
    awaitLog("alpha", "NOTIFY from 127.0.0.2#", "for zone chain.test. refused: not from one of its primaries");
    // and an AXFR from the standby, by kdig
    Path kdig = org.twinsign.testkit.HostTool.require("kdig", "knot-dnsutils");
    Path kdigOut = dir.resolve("kdig.out");
    String[] betaDns = pair.dnsAddress("beta").split(":");
    org.twinsign.testkit.LocalProcess.run("kdig", List.of(kdig.toString(), "@" + betaDns[0], "-p", betaDns[1],
        "AXFR", "chain.test."), Map.of(), dir, kdigOut, null, Duration.ofSeconds(20));
    String refused = Files.readString(kdigOut);
    assertTrue(refused.contains("REFUSED") && !refused.contains("\tRRSIG\t"), "the standby refuses: " + refused);

    String standby = ok("beta", "zone", "status", "--zone", "chain.test");
    assertTrue(standby.contains("served:            no: this node is not master"), standby);
    assertTrue(ok("alpha", "zone", "notify", "--zone", "chain.test").contains("on its way to 127.0.0.1:"
        + secondary.port()));
    String resigned = ok("alpha", "zone", "resign", "--zone", "chain.test");
    assertTrue(resigned.contains("zone chain.test: signed serial"), resigned);
    long third = awaitSecondaryAbove(second);
    assertTrue(third > second);

    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(secondary.port());
    Message query = Message.newQuery(Record.newRecord(Name.fromConstantString("new.chain.test."), Type.A, DClass.IN));
    query.addRecord(new OPTRecord(1232, 0, 0, Flags.DO), Section.ADDITIONAL);
    Message answer = resolver.send(query);
    assertEquals(Rcode.NOERROR, answer.getRcode(), answer.toString());
    assertTrue(answer.getSection(Section.ANSWER).stream().anyMatch(r -> r.getType() == Type.RRSIG),
        "signed: " + answer);

    // a validating resolver, given only the zones' DS, trusts what the secondary serves: AD on
    // answers, on NXDOMAIN and NODATA (NSEC3 and NSEC proofs) and on a wildcard answer
    awaitSecondaryServes("nsec.test.");
    try (UnboundResolver unbound = unbound()) {
      for (String zone : new String[] {"chain.test.", "nsec.test."}) {
        validated(unbound, "www." + zone, Type.A, Rcode.NOERROR, true);
        validated(unbound, "nope." + zone, Type.A, Rcode.NXDOMAIN, false);
        validated(unbound, "www." + zone, Type.AAAA, Rcode.NOERROR, false);
        validated(unbound, "anything.wild." + zone, Type.TXT, Rcode.NOERROR, true);
        validated(unbound, "sub.deleg." + zone, Type.DS, Rcode.NOERROR, false); // an insecure delegation, proven
      }
    }
  }

  @Test
  void theChainKeepsWorkingThroughAFailoverWithChangesEverySecond() throws Exception {
    chain();
    long serial = awaitSecondaryAbove(0);
    awaitSecondaryServes("nsec.test.");
    try (UnboundResolver unbound = unbound()) {
      long killedAt = 0;
      long seen = serial;
      int change = 0;
      long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < end) {
        change++;
        hidden.update("chain.test", unsigned(2026120101 + change, "r" + change + " A 192.0.2.1\n"),
            2026120101 + change);
        if (change == 4) {
          // the standby follows the hidden primary too, as a secondary does
          String source = "(?s).*source:\\s+serial " + (2026120101 + change) + " from 127.0.0.1:" + hidden.port()
              + ".*";
          long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
          while (!pair.cli("beta", "zone", "status", "--zone", "chain.test").out().matches(source)
              && System.nanoTime() < until) {
            Thread.sleep(100);
          }
          LocalPair.Answer status = pair.cli("beta", "zone", "status", "--zone", "chain.test");
          assertTrue(status.out().matches(source), "beta, standby, holds the hidden primary's latest: " + status.out());
        }
        if (change == 5) {
          pair.process("alpha").kill(); // the master dies mid-stream
          killedAt = System.nanoTime();
        }
        long now = secondarySerial();
        assertTrue(now >= seen, "the secondary's serial went back from " + seen + " to " + now);
        seen = now;
        for (String name : new String[] {"www.chain.test.", "www.nsec.test."}) {
          Message answer = viaUnbound(unbound, name);
          assertEquals(Rcode.NOERROR, answer.getRcode(), "never SERVFAIL, also during the failover ("
              + (killedAt == 0 ? "before" : (System.nanoTime() - killedAt) / 1_000_000 + " ms after") + " the kill): "
              + answer + "\n" + Files.readString(unbound.log()));
          assertTrue(answer.getHeader().getFlag(Flags.AD), name + " validates: " + answer);
        }
        Thread.sleep(1000);
      }
      // the new master took over the stream: the last change arrives signed, and validates
      long last = 2026120101 + change;
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < until && !hasRecord("r" + change + ".chain.test.")) {
        Thread.sleep(200);
      }
      assertTrue(hasRecord("r" + change + ".chain.test."), "change " + change + " (serial " + last
          + ") reached the secondary through beta\n" + pair.process("beta").logTail(60));
      Message answer = viaUnbound(unbound, "r" + change + ".chain.test.");
      assertTrue(answer.getHeader().getFlag(Flags.AD) && answer.getRcode() == Rcode.NOERROR, answer.toString());
      String beta = Files.readString(pair.process("beta").log());
      assertTrue(beta.contains("became master"), "beta took over");
      // it held the input's changes since the last master's signing: its first signing was incremental
      String first = beta.substring(beta.indexOf("became master")).lines().filter(l -> l.contains(
          "zone chain.test: signed serial")).findFirst().orElseThrow();
      assertTrue(first.contains("incrementally"), first);
    }
  }

  private boolean hasRecord(String name) throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(secondary.port());
    Message a = resolver.send(Message.newQuery(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN)));
    return a.getRcode() == Rcode.NOERROR && !a.getSection(Section.ANSWER).isEmpty();
  }

  private static Message viaUnbound(UnboundResolver unbound, String name) throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(unbound.port());
    resolver.setTimeout(Duration.ofSeconds(5));
    Message query = Message.newQuery(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN));
    query.addRecord(new OPTRecord(1232, 0, 0, Flags.DO), Section.ADDITIONAL);
    return resolver.send(query);
  }

  /** Waits until the node's log has a line with every one of {@code parts}. */
  private void awaitLog(String node, String... parts) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < end) {
      if (Files.readAllLines(pair.process(node).log()).stream().anyMatch(l -> java.util.Arrays.stream(parts)
          .allMatch(l::contains))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no line with " + java.util.Arrays.toString(parts) + " in the log of " + node + ":\n"
        + pair.process(node).logTail(40));
  }

  private void awaitSecondaryServes(String zone) throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(secondary.port());
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < end) {
      Message a = resolver.send(Message.newQuery(Record.newRecord(Name.fromConstantString(zone), Type.SOA,
          DClass.IN)));
      if (a.getRcode() == Rcode.NOERROR && !a.getSection(Section.ANSWER).isEmpty()) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the secondary does not serve " + zone + "\n" + Files.readString(secondary.log())
        + "\n--- alpha\n" + pair.process("alpha").logTail(60) + "\n--- beta\n" + pair.process("beta").logTail(30));
  }

  /** Asks Unbound; the answer must have {@code rcode}, AD set, and data exactly when {@code data}. */
  private static void validated(UnboundResolver unbound, String name, int type, int rcode, boolean data)
      throws Exception {
    SimpleResolver resolver = new SimpleResolver("127.0.0.1");
    resolver.setPort(unbound.port());
    resolver.setTimeout(Duration.ofSeconds(5));
    Message query = Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
    query.addRecord(new OPTRecord(1232, 0, 0, Flags.DO), Section.ADDITIONAL);
    Message answer = resolver.send(query);
    String why = name + " " + Type.string(type) + ":\n" + answer + "\nUnbound's log:\n"
        + Files.readString(unbound.log());
    assertEquals(rcode, answer.getRcode(), why);
    assertTrue(answer.getHeader().getFlag(Flags.AD), "validated (AD): " + why);
    assertEquals(data, answer.getSection(Section.ANSWER).stream().anyMatch(r -> r.getType() == type), why);
  }
}
