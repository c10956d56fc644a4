package org.twinsign.procedures.runbook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.twinsign.appliance.demo.LocalPair;
import org.twinsign.procedures.ParentZone;
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
 * {@code runbook run ksk-rollover} against a real pair (three ZooKeeper servers), its zone
 * served by an NSD secondary, under a simulated parent ({@link ParentZone}: a second NSD whose DS
 * set the test changes, a few seconds after the runbook asks, as a registry would later). An
 * Unbound resolver that trusts only the parent validates the zone every second of both
 * rollovers, multi-DS then single-DS: no answer may be bogus or unsigned. The test acts on what
 * the runbook prompts (the DS records it prints), resumes it where it waits, and checks the trail.
 */
@org.junit.jupiter.api.Tag("slow") // minutes of a scenario: CI runs it (bin/test -Pslow)
class KskRolloverIT extends RunbookIT {
  private static final String ZONE = "child." + ParentZone.ZONE;
  private static final Pattern DS_LINE = Pattern.compile("(?m)^\\S+\\s+\\d+\\s+IN\\s+DS\\s+(\\d+)\\s.*$");
  private static final ObjectMapper JSON = new ObjectMapper();

  private NsdServer secondary;
  private ParentZone parent;
  private UnboundResolver unbound;

  @Test
  void bothParentKindsRollTheKskWhileEveryAnswerValidates() throws Exception {
    start(p -> {
      secondary = closedAfter(NsdServer.secondary(ZONE, LocalPair.NODES.stream().map(n -> p.dnsAddress(n).replace(':',
          '@')).toList(), null));
      return "dns.notify=127.0.0.1:" + secondary.port() + "\n";
    });
    ok("policy", "import", Path.of("src/test/resources/kasp/fast-ksk.xml").toAbsolutePath().toString());
    Path input = dir.resolve(ZONE + ".zone");
    Files.writeString(input, "$ORIGIN " + ZONE + ".\n$TTL 10\n@ SOA ns1 hostmaster 1 60 30 600 10\n@ NS ns1\n"
        + "ns1 A 127.0.0.1\nwww A 192.0.2.80\n");
    ok("zone", "add", "--zone", ZONE, "--policy", "fast-ksk", "--input", input.toString(), "--output", dir.resolve(
        ZONE + ".signed").toString());
    secondary.awaitSerial(ZONE, -1, Duration.ofMinutes(1));

    // the first KSK's DS goes to the parent by hand, as when the zone was first secured
    test.await("the first KSK's DS asked for", Duration.ofMinutes(1), () -> ksks().stream().anyMatch(k -> k.path(
        "ds_at_parent").asText().equals("submit")));
    int first = ksks().get(0).path("key_tag").asInt();
    List<String> firstDs = ParentZone.dsOf(ok("key", "export", "--zone", ZONE, "--ds"), first);
    parent = closedAfter(ParentZone.start(dir.resolve("parent"), ZONE, firstDs));
    ok("key", "ds-submit", "--zone", ZONE, "--keytag", Integer.toString(first));
    ok("key", "ds-seen", "--zone", ZONE, "--keytag", Integer.toString(first));
    unbound = closedAfter(UnboundResolver.start(Map.of(ParentZone.ZONE, new UnboundResolver.Stub(List.of("127.0.0.1@"
        + parent.port()), parent.trustAnchor()), ZONE, new UnboundResolver.Stub(List.of("127.0.0.1@"
            + secondary.port()), ""))));
    assertEquals("", validation(), "the zone validates through the parent before any rollover");

    // a dry run once the zone is quiet (its first KSK active: no key event due) changes nothing
    test.await("the first KSK active", Duration.ofMinutes(1), () -> ksks().stream().allMatch(k -> k.path("state")
        .asText().equals("active")));
    test.awaitSettled();
    LocalPair.Answer dry = test.dryRun("alpha", () ->
        pair.cli("alpha", "runbook", "run", "ksk-rollover", "--param", "zone=" + ZONE, "--param",
        "parent=multi-ds", "--param", "servers=127.0.0.1:" + secondary.port(), "--param", "parent-servers=127.0.0.1:"
            + parent.port(), "--dry-run"));
    assertEquals(0, dry.exit(), dry.out() + dry.err());
    assertTrue(dry.out().contains("[pass] every parent server serves the DS of KSK " + first) && dry.out().contains(
        "would run 'twinsign key rollover --zone " + ZONE + " --keytype KSK'") && dry.out().contains(
            "made when the run reaches it"), dry.out());

    // the runbook asks what it needs: the parameters it requires, and a parent kind it knows
    LocalPair.Answer noParent = pair.cli("alpha", "runbook", "run", "ksk-rollover", "--param", "zone=" + ZONE);
    assertTrue(noParent.exit() != 0 && (noParent.err() + noParent.out()).contains("--param parent=..."),
        noParent.out() + noParent.err());

    List<String> failures = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger looks = new AtomicInteger();
    AtomicBoolean watching = new AtomicBoolean(true);
    Thread watcher = new Thread(() -> {
      while (watching.get()) {
        String v = validation();
        looks.incrementAndGet();
        if (!v.isEmpty()) {
          failures.add(Instant.now() + " " + v);
        }
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "validating-resolver-watch");
    watcher.start();
    try {
      int second = roll("multi-ds", first, firstDs);
      roll("single-ds", second, ParentZone.dsOf(ok("key", "export", "--zone", ZONE, "--ds"), second));
    } finally {
      watching.set(false);
      watcher.join(10_000);
    }
    assertTrue(failures.isEmpty(), "answers that did not validate:\n" + String.join("\n", failures) + "\nUnbound:\n"
        + Files.readString(unbound.log()));
    assertTrue(looks.get() > 60, "the resolver was asked every second of both rollovers: " + looks.get());
  }

  /**
   * One rollover of KSK {@code old} (whose DS the parent holds: {@code oldDs}) by the runbook, the
   * test playing the registry; returns the new KSK's tag.
   */
  private int roll(String kind, int old, List<String> oldDs) throws Exception {
    List<String> args = new ArrayList<>(List.of("runbook", "run", "ksk-rollover", "--param", "zone=" + ZONE, "--param",
        "parent=" + kind, "--param", "servers=127.0.0.1:" + secondary.port(), "--param", "parent-servers=127.0.0.1:"
            + parent.port()));
    LocalPair.Answer run = pair.cli("alpha", args.toArray(String[]::new));
    String id = run.out().replaceAll("(?s)^Run (\\d+) of.*", "$1");
    assertTrue(id.matches("\\d+"), run.out() + run.err());
    assertTrue(run.out().contains("[pass] every parent server serves the DS of KSK " + old), run.out());
    int next = -1;
    StringBuilder all = new StringBuilder(run.out());
    long end = System.nanoTime() + Duration.ofMinutes(8).toNanos();
    while (run.exit() == 4 && System.nanoTime() < end) {
      String done = null;
      if (run.out().contains("[you] submit:")) {
        Matcher m = DS_LINE.matcher(run.out().substring(run.out().indexOf("[you] submit:")));
        assertTrue(m.find(), "the DS to submit is printed: " + run.out());
        next = Integer.parseInt(m.group(1));
        List<String> ds = new ArrayList<>(ParentZone.dsOf(run.out(), next));
        if (kind.equals("multi-ds")) {
          ds.addAll(oldDs);
        }
        later(ds); // the registry publishes it a little later
        done = "submit";
      } else if (run.out().contains("[you] remove:")) {
        later(ParentZone.dsOf(ok("key", "export", "--zone", ZONE, "--ds"), next));
        done = "remove";
      } else {
        Thread.sleep(2000); // it waits for the pair or the parent: resumed, as an operator would
      }
      List<String> resume = new ArrayList<>(List.of("runbook", "run", "ksk-rollover", "--resume", id));
      if (done != null) {
        resume.addAll(List.of("--done", done));
      }
      run = pair.cli("alpha", resume.toArray(String[]::new));
      all.append(run.out());
    }
    assertEquals(0, run.exit(), all.toString() + run.err());
    String out = all.toString();
    System.out.println("--- the " + kind + " rollover, as the runbook printed it:\n" + out);
    for (String step : kind.equals("multi-ds")
        ? List.of("both", "settle", "submitted", "parent", "seen", "ds-ttl", "retire", "retracted", "parent-gone",
            "gone", "removed")
        : List.of("both", "settle", "submitted", "parent", "seen", "ds-ttl", "retire", "retracted", "gone",
            "removed")) {
      assertTrue(out.contains("[done] " + step + ":") || out.contains("[done] " + step + " (before)"), step + ":\n"
          + out);
    }
    assertTrue(out.matches("(?s).*\\[done] settle: since \\S+ \\(10 s after .*"), "the wait is the TTL served:\n"
        + out);
    assertTrue(out.contains("Run " + id + " of ksk-rollover is done."), out);
    int successor = next;
    assertTrue(ksks().stream().noneMatch(k -> k.path("key_tag").asInt() == old && !k.path("state").asText()
        .matches("retire|dead")), "KSK " + old + " retired");
    assertTrue(ksks().stream().anyMatch(k -> k.path("key_tag").asInt() == successor && k.path("ds_at_parent")
        .asText().equals("seen")), "KSK " + successor + " is the zone's KSK now");
    String trail = pair.cli("alpha", "runbook", "history", "--run", id).out();
    assertTrue(trail.contains(" submit ") && trail.contains(" confirmed ") && trail.contains("'twinsign key ds-seen"),
        trail);
    return successor;
  }

  /** Publishes {@code ds} at the parent three seconds from now (a registry is not instant). */
  private void later(List<String> ds) {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(3000);
        parent.publish(ds);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "registry");
    t.setDaemon(true);
    t.start();
  }

  private List<JsonNode> ksks() {
    try {
      List<JsonNode> all = new ArrayList<>();
      for (JsonNode k : JSON.readTree(ok("key", "list", "--zone", ZONE, "--json"))) {
        if (k.path("keytype").asText().equals("KSK")) {
          all.add(k);
        }
      }
      return all;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String ok(String... args) {
    LocalPair.Answer a = pair.cli("alpha", args);
    assertEquals(0, a.exit(), String.join(" ", args) + ": " + a.out() + a.err());
    return a.out();
  }

  /** Asks Unbound for the zone's SOA and www A; "" when both validate (AD, NOERROR), else what it got. */
  private String validation() {
    StringBuilder bad = new StringBuilder();
    for (String[] q : new String[][] {{ZONE + ".", "SOA"}, {"www." + ZONE + ".", "A"}}) {
      try {
        SimpleResolver resolver = new SimpleResolver("127.0.0.1");
        resolver.setPort(unbound.port());
        resolver.setTimeout(Duration.ofSeconds(3));
        Message query = Message.newQuery(Record.newRecord(Name.fromString(q[0]), Type.value(q[1]), DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, org.xbill.DNS.ExtendedFlags.DO), Section.ADDITIONAL);
        Message answer = resolver.send(query);
        if (answer.getRcode() != Rcode.NOERROR || !answer.getHeader().getFlag(Flags.AD)) {
          bad.append(q[0]).append(' ').append(q[1]).append(": ").append(Rcode.string(answer.getRcode()))
              .append(answer.getHeader().getFlag(Flags.AD) ? " AD" : " no AD").append("; ");
        }
      } catch (Exception e) {
        bad.append(q[0]).append(' ').append(q[1]).append(": ").append(e.getMessage()).append("; ");
      }
    }
    return bad.toString();
  }
}
