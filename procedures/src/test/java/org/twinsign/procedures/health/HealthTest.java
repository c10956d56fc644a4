package org.twinsign.procedures.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The health screen's judgement from what the admin endpoints answered (canned here; HealthIT asks
 * a real pair): the worst state wins, signatures are weighed against Refresh and Resign, a pool
 * against its need, and the Nagios line has one line, the worst finding, what to do and perfdata.
 */
class HealthTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");

  private static PairAnswers.Answer json(String text) throws Exception {
    return new PairAnswers.Answer(JSON.readTree(text), null);
  }

  private static PairAnswers answers(String expiry, String pool) throws Exception {
    PairAnswers.Answer cluster = json("{\"cluster\":{\"epoch\":\"7 (node alpha)\",\"eligible standby\":\"beta\","
        + "\"automatic failover\":\"on\"},\"nodes\":[{\"node\":\"alpha\",\"role\":\"master\",\"admin\":\"127.0.0.1:1\","
        + "\"kek\":\"7d770e\",\"keysync\":\"wrap\",\"keys\":\"in sync\"},{\"node\":\"beta\",\"role\":\"standby\","
        + "\"eligible\":\"yes\",\"database\":\"replica\",\"lag\":\"0 s\",\"kek\":\"7d770e\",\"keysync\":\"wrap\"}]}");
    Map<String, PairAnswers.Answer> zones = new LinkedHashMap<>();
    zones.put("example.test", json("{\"signed serial\":\"5 at x\",\"signatures expire\":\"" + expiry
        + " (earliest; refresh P3D, resign PT2H)\"}"));
    return new PairAnswers(cluster, "127.0.0.1:1", json("[]"), json("[]"), json(pool), zones, 0);
  }

  private static final String POOL_OK = "[{\"repository\":\"SoftHSM\",\"role\":\"ZSK\",\"algorithm\":13,\"keys\":8,"
      + "\"backed_up\":8,\"require_backup\":true,\"target\":8,\"least\":6}]";

  private static Finding zone(List<Finding> findings) {
    return findings.stream().filter(f -> f.area().equals("zone example.test")).findFirst().orElseThrow();
  }

  @Test
  void signaturesAreWeighedAgainstRefreshAndResign() throws Exception {
    Health health = new Health("alpha", "beta", NOW);
    // at least Refresh - Resign (70 h) left: the signer keeps them so
    assertEquals(State.OK, zone(health.findings(answers("2026-12-05T12:00:00Z", POOL_OK))).state());
    // less than Refresh - Resign: one run missed
    assertEquals(State.WARNING, zone(health.findings(answers("2026-12-05T09:00:00Z", POOL_OK))).state());
    // less than Refresh - 2 x Resign (68 h): two runs missed, as the alert
    Finding critical = zone(health.findings(answers("2026-12-05T06:00:00Z", POOL_OK)));
    assertEquals(State.CRITICAL, critical.state());
    assertTrue(critical.todo().contains("'twinsign zone resign --zone example.test'"), critical.todo());
    List<Finding> all = health.findings(answers("2026-12-05T06:00:00Z", POOL_OK));
    assertEquals(State.CRITICAL, Health.overall(all));
  }

  @Test
  void aPoolShortOfBackedUpKeysSaysToBackUp() throws Exception {
    String pool = "[{\"repository\":\"SoftHSM\",\"role\":\"ZSK\",\"algorithm\":13,\"keys\":8,\"backed_up\":2,"
        + "\"require_backup\":true,\"target\":8,\"least\":6}]";
    List<Finding> findings = new Health("alpha", "beta", NOW).findings(answers("2026-12-05T12:00:00Z", pool));
    Finding short_ = findings.stream().filter(f -> f.area().equals("key pool")).findFirst().orElseThrow();
    assertEquals(State.WARNING, short_.state());
    assertTrue(short_.text().contains("8 keys, 2 backed up") && short_.todo().contains("'twinsign backup prepare'"),
        short_.toString());
    assertEquals(State.WARNING, Health.overall(findings));
  }

  @Test
  void theNagiosLineIsOneLineWithTheWorstFindingWhatToDoAndPerfdata() throws Exception {
    List<Finding> findings = List.of(Finding.ok("zookeeper", "answers"), new Finding("node beta", State.CRITICAL,
        "node beta is not running", "start it"), new Finding("key pool", State.WARNING, "short\nby two", "back up"),
        new Finding("hsm beta", State.CRITICAL, "gone", "look"));
    String line = HealthCommand.nagiosLine(Health.overall(findings), findings);
    assertEquals("TWINSIGN CRITICAL - node beta: node beta is not running; do: start it (1 more CRITICAL)"
        + " | ok=1 warning=1 critical=2 unknown=0", line);
    assertEquals("TWINSIGN OK - 1 checks OK | ok=1 warning=0 critical=0 unknown=0", HealthCommand.nagiosLine(State.OK,
        List.of(Finding.ok("zookeeper", "answers"))));
    assertEquals(State.CRITICAL, State.UNKNOWN.worse(State.CRITICAL));
    assertEquals(State.UNKNOWN, State.WARNING.worse(State.UNKNOWN));
  }

  @Test
  void aNodeThatDoesNotAnswerIsCriticalAndSaysSo() {
    PairAnswers.Answer none = new PairAnswers.Answer(null, "no node daemon answers at 127.0.0.1:1 (admin.address"
        + " in alpha.conf): is 'twinsign node run' running there?");
    List<Finding> findings = new Health("alpha", "beta", NOW).findings(new PairAnswers(none, null, none, none, none,
        Map.of(), 0));
    assertEquals(1, findings.size());
    assertEquals("node alpha", findings.get(0).area());
    assertEquals(State.CRITICAL, findings.get(0).state());
  }
}
