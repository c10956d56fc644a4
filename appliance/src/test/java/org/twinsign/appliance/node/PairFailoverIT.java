package org.twinsign.appliance.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.twinsign.appliance.Verifiers;
import org.twinsign.appliance.demo.LocalPair;

/**
 * The pair end to end, every part a separate process: two node daemons, their MariaDB servers and
 * ZooKeeper. The master signs; kill -9 of it makes the standby fence it, promote its database and
 * go on signing from the same state; the old master comes back as a replica; a switchover hands
 * back without loss.
 */
class PairFailoverIT {
  private static final Duration SESSION = Duration.ofSeconds(4);

  @TempDir
  Path dir;

  private LocalPair pair;

  @BeforeEach
  void start() {
    pair = LocalPair.create(dir, 1, SESSION, new PrintWriter(System.out, true));
  }

  @AfterEach
  void stop() {
    if (pair != null) {
      pair.close();
    }
  }

  private String ok(String node, String... args) {
    LocalPair.Answer answer = pair.cli(node, args);
    assertEquals(0, answer.exit(), String.join(" ", args) + " on " + node + ":\n" + answer.out() + answer.err()
        + "\n" + logs());
    return answer.out();
  }

  private String logs() {
    StringBuilder s = new StringBuilder();
    for (String node : LocalPair.NODES) {
      if (pair.process(node) != null) {
        s.append("--- ").append(node).append(" log:\n").append(pair.process(node).logTail(40)).append('\n');
      }
    }
    return s.toString();
  }

  /** Waits until {@code cluster list} asked on {@code node} satisfies {@code condition}; returns it. */
  private String awaitCluster(String node, String what, Predicate<String> condition) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "";
    while (System.nanoTime() < end) {
      LocalPair.Answer answer = pair.cli(node, "cluster", "list");
      last = answer.out() + answer.err();
      if (answer.exit() == 0 && condition.test(answer.out())) {
        return answer.out();
      }
      Thread.sleep(200);
    }
    throw new AssertionError("not within 60 s: " + what + "\nlast answer:\n" + last + "\n" + logs());
  }

  private static boolean row(String list, String node, String role) {
    return list.lines().anyMatch(l -> l.startsWith(node + " ") && l.split("\\s+")[1].equals(role));
  }

  /** Scrapes {@code node}'s Prometheus endpoint: every sample, name with labels to value. */
  private java.util.Map<String, Double> metrics(String node) throws Exception {
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + pair.metricsAddress(node) + "/metrics"))
            .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
    java.util.Map<String, Double> samples = new java.util.TreeMap<>();
    for (String line : r.body().split("\n")) {
      if (!line.startsWith("#") && !line.isBlank()) {
        int space = line.lastIndexOf(' ');
        samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
      }
    }
    return samples;
  }

  private Path zone(String name, long serial) throws IOException {
    Path file = dir.resolve(name + ".zone");
    Files.writeString(file, "$ORIGIN " + name + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster " + serial
        + " 7200 3600 1209600 3600\n@ IN NS ns1\nns1 IN A 192.0.2.1\nwww IN A 192.0.2.80\n");
    return file;
  }

  private static long serial(Path signed) throws IOException {
    return Files.readAllLines(signed).stream().map(String::trim).filter(l -> l.split("\\s+").length > 6
        && l.split("\\s+")[3].equals("SOA")).map(l -> Long.parseLong(l.split("\\s+")[6])).findFirst().orElseThrow();
  }

  /** The SOA of example.test as {@code node}'s DNS side answers it. */
  private org.xbill.DNS.Message soa(String node) throws IOException {
    String[] at = pair.dnsAddress(node).split(":");
    org.xbill.DNS.SimpleResolver resolver = new org.xbill.DNS.SimpleResolver(at[0]);
    resolver.setPort(Integer.parseInt(at[1]));
    resolver.setTimeout(Duration.ofSeconds(3));
    return resolver.send(org.xbill.DNS.Message.newQuery(org.xbill.DNS.Record.newRecord(
        org.xbill.DNS.Name.fromConstantString("example.test."), org.xbill.DNS.Type.SOA, org.xbill.DNS.DClass.IN)));
  }

  private long soaSerial(String node) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    org.xbill.DNS.Message answer = soa(node);
    while (answer.getRcode() != org.xbill.DNS.Rcode.NOERROR && System.nanoTime() < end) {
      Thread.sleep(200); // a new master reads the published zone back when its term starts
      answer = soa(node);
    }
    assertEquals(org.xbill.DNS.Rcode.NOERROR, answer.getRcode(), answer + logs());
    return ((org.xbill.DNS.SOARecord) answer.getSection(org.xbill.DNS.Section.ANSWER).get(0)).getSerial();
  }

  @Test
  void theStandbyTakesOverFromAKilledMasterAndTheOldMasterRejoins() throws Exception {
    pair.startNode("alpha");
    awaitCluster("alpha", "alpha master", l -> row(l, "alpha", "master"));
    pair.startNode("beta");
    String both = awaitCluster("alpha", "beta an eligible standby", l -> row(l, "beta", "standby")
        && l.lines().anyMatch(x -> x.startsWith("beta ") && x.contains(" yes ")));
    assertTrue(both.contains("replica of 127.0.0.1:" + pair.database("alpha").port()), both);

    ok("alpha", "policy", "import", Path.of("src/test/resources/kasp/short.xml").toAbsolutePath()
        .toString());
    Path signed = dir.resolve("example.test.signed");
    ok("alpha", "zone", "add", "--zone", "example.test", "--policy", "short", "--input",
        zone("example.test", 2026120101).toString(), "--output", signed.toString());
    // the master's duties sign it on their own; a write asked on the standby is carried out by the master
    LocalPair.Answer viaStandby = pair.cli("beta", "enforce");
    assertEquals(0, viaStandby.exit(), viaStandby.err() + logs());
    assertTrue(viaStandby.err().contains("answered by node alpha, master"), viaStandby.err());
    long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(signed) && System.nanoTime() < end) {
      Thread.sleep(200);
    }
    assertTrue(Files.exists(signed), "signed by the master\n" + logs());
    var verify = Verifiers.dnssecVerify(signed, "example.test", false);
    assertTrue(verify.ok(), verify.output());
    long before = serial(signed);
    LocalPair.Answer readOnStandby = pair.cli("beta", "zone", "list");
    assertEquals(0, readOnStandby.exit(), readOnStandby.err());
    assertTrue(readOnStandby.out().contains("example.test") && readOnStandby.err().contains(
        "answered by node beta, standby"), readOnStandby.out() + readOnStandby.err());

    // the master serves the signed zone to secondaries; the standby refuses, so they follow the master
    assertEquals(before, soaSerial("alpha"), "alpha serves what it published");
    assertEquals(org.xbill.DNS.Rcode.REFUSED, soa("beta").getRcode(), "the standby refuses");

    // each node's Prometheus endpoint says what 'cluster list' and 'zone status' say
    String listed = ok("alpha", "cluster", "list");
    String epoch = listed.lines().filter(l -> l.startsWith("alpha ")).findFirst().orElseThrow().split("\\s+")[2];
    String status = ok("alpha", "zone", "status", "--zone", "example.test");
    String signedSerial = status.lines().filter(l -> l.startsWith("signed serial:")).findFirst().orElseThrow()
        .split("\\s+")[2];
    java.util.Map<String, Double> onAlpha = metrics("alpha");
    java.util.Map<String, Double> onBeta = metrics("beta");
    assertEquals(1.0, onAlpha.get("twinsign_master{node=\"alpha\"}"), onAlpha.toString());
    assertEquals(0.0, onBeta.get("twinsign_master{node=\"beta\"}"), onBeta.toString());
    assertEquals(Double.parseDouble(epoch), onAlpha.get("twinsign_epoch{node=\"alpha\"}"), listed);
    assertEquals(Double.parseDouble(epoch), onBeta.get("twinsign_epoch{node=\"beta\"}"), listed);
    assertEquals(1.0, onAlpha.get("twinsign_standby_eligible{node=\"alpha\"}"), listed);
    assertEquals(Double.parseDouble(signedSerial), onAlpha.get("twinsign_zone_serial{node=\"alpha\",zone=\"example.test\"}"),
        status + onAlpha);
    long applied = System.nanoTime() + Duration.ofSeconds(30).toNanos(); // replication applies a moment later
    while (!Double.valueOf(Double.parseDouble(signedSerial)).equals(onBeta.get(
        "twinsign_zone_serial{node=\"beta\",zone=\"example.test\"}")) && System.nanoTime() < applied) {
      Thread.sleep(200);
      onBeta = metrics("beta");
    }
    assertEquals(Double.parseDouble(signedSerial), onBeta.get("twinsign_zone_serial{node=\"beta\",zone=\"example.test\"}"),
        "the standby's store has the same: " + onBeta);
    double expiry = onAlpha.get("twinsign_signatures_expiry_earliest_seconds{node=\"alpha\",zone=\"example.test\"}");
    assertTrue(expiry > System.currentTimeMillis() / 1000.0, "signatures valid: " + expiry);
    assertTrue(onAlpha.get("twinsign_signatures_made_total{node=\"alpha\"}") > 0, onAlpha.toString());
    assertTrue(onBeta.get("twinsign_replication_lag_seconds{node=\"beta\"}") >= 0, onBeta.toString());
    assertTrue(onAlpha.keySet().stream().anyMatch(k -> k.startsWith("twinsign_keypool_keys{")), onAlpha.toString());
    assertTrue(onAlpha.containsKey("twinsign_alerts_open{node=\"alpha\"}"), onAlpha.toString());

    long killedAt = System.nanoTime();
    pair.process("alpha").kill();
    awaitCluster("beta", "beta master after alpha was killed", l -> row(l, "beta", "master"));
    Duration failover = Duration.ofNanos(System.nanoTime() - killedAt);
    System.out.println("failover after kill -9 of the master: " + failover.toMillis() + " ms (session timeout "
        + SESSION.toMillis() + " ms)");
    String history = ok("beta", "cluster", "history");
    assertTrue(history.lines().anyMatch(l -> l.matches("1\\s+alpha\\s+.*")), history);
    assertTrue(history.lines().anyMatch(l -> l.matches("2\\s+beta\\s+.*failover from node alpha.*")), history);

    // beta goes on from the same state: the zone is there, re-signing keeps serials going up
    Files.writeString(dir.resolve("example.test.zone"), Files.readString(dir.resolve("example.test.zone"))
        .replace("2026120101", "2026120102") + "new IN A 192.0.2.81\n");
    ok("beta", "enforce");
    // the change is published by journal at once (served over DNS); the signed file follows once the zone is quiet
    long after = serial(signed);
    for (long by = System.nanoTime() + Duration.ofSeconds(30).toNanos(); after <= before && System.nanoTime() < by;
        after = serial(signed)) {
      Thread.sleep(200);
    }
    assertTrue(after > before, "serial " + after + " after failover is above " + before);
    assertEquals(after, soaSerial("beta"), "the new master serves its version");
    verify = Verifiers.dnssecVerify(signed, "example.test", false);
    assertTrue(verify.ok(), verify.output());
    assertTrue(Files.readString(signed).contains("new.example.test."), "the change was signed by beta");

    pair.startNode("alpha"); // the old master comes back: as a replica of beta
    String rejoined = awaitCluster("beta", "alpha a standby again", l -> row(l, "alpha", "standby")
        && l.lines().anyMatch(x -> x.startsWith("alpha ") && x.contains(" yes ")));
    assertTrue(rejoined.contains("replica of 127.0.0.1:" + pair.database("beta").port()), rejoined);

    String switched = ok("beta", "cluster", "switchover", "--to", "alpha");
    assertTrue(switched.contains("node alpha is master with epoch 3"), switched + logs());
    awaitCluster("alpha", "beta standby of alpha", l -> row(l, "alpha", "master") && row(l, "beta", "standby"));
    ok("alpha", "enforce");
    assertFalse(pair.cli("beta", "cluster", "list").out().isEmpty());
  }
}
