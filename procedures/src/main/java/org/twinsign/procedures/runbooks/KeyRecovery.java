package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.twinsign.procedures.health.Health;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;

/**
 * {@code key-recovery}: both HSMs are lost. Every key the zones use must be in a backup (else only
 * an emergency rollover helps); the zones' signatures must outlast the recovery (else the
 * operator goes insecure at the parent first, with the dates said); then automatic failover is
 * paused, the backups are restored into both HSMs and the nodes restarted (a PKCS#11 library sees
 * a token as it was when it started), every key is verified back in the master's HSM and the
 * standby's, failover is resumed and every zone is signed again.
 */
public final class KeyRecovery implements Runbook {
  static final Duration DEFAULT_RECOVERY = Duration.ofHours(4);

  @Override
  public String name() {
    return "key-recovery";
  }

  @Override
  public String summary() {
    return "Both HSMs lost: restore the key backups, verify every key is back, sign again.";
  }

  @Override
  public String when() {
    return "Both nodes' HSMs are lost or wiped ('twinsign health': hsm errors on both nodes; the master cannot sign,"
        + " signatures run towards expiry). One HSM lost: hsm-replacement or signer-failure-standby instead.";
  }

  @Override
  public String why() {
    return "Without its keys the signer cannot re-sign: the served signatures expire and the zones go bogus."
        + " Restoring the keys keeps the chain of trust (the parent's DS still matches); new keys would need a new DS"
        + " at the parent, which takes the parent's time. If the signatures expire before the recovery can finish,"
        + " going insecure (the parent removes the DS) is better than bogus: resolvers then still answer.";
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("recovery-time", "how long the restore is expected to take, ISO-8601 (default PT4H)");
    p.put("ds-ttl", "the parent's DS TTL, ISO-8601 (default P1D): the DS must be gone that long before the signatures"
        + " expire");
    p.put("deadline", "'accepted' once the zones whose signatures expire before that are insecure at the parent");
    return p;
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    Duration recovery = Duration.parse(params.getOrDefault("recovery-time", DEFAULT_RECOVERY.toString()));
    boolean accepted = "accepted".equals(params.get("deadline"));
    Duration dsTtl = Duration.parse(params.getOrDefault("ds-ttl", "P1D"));
    return List.of(
        PairChecks.masterRuns(),
        Check.of("every key the zones use is in a committed backup", p -> {
          Set<String> backedUp = new TreeSet<>();
          for (JsonNode r : p.jsonOnMaster(List.of("backup", "list", "--json"))) {
            for (JsonNode k : r.path("keys")) {
              if (k.path("backup").asText().equals("backed_up")) {
                backedUp.add(k.path("locator").asText());
              }
            }
          }
          List<String> not = new ArrayList<>();
          int used = 0;
          for (JsonNode k : p.jsonOnMaster(List.of("key", "list", "--json"))) {
            if (k.path("state").asText().equals("dead")) {
              continue;
            }
            used++;
            if (!backedUp.contains(k.path("cka_id").asText())) {
              not.add("zone " + k.path("zone").asText() + " " + k.path("keytype").asText() + " " + k.path("key_tag")
                  .asText());
            }
          }
          return not.isEmpty() ? Outcome.pass("all " + used + " key(s) in use are backed up") : Outcome.fail(String
              .join(", ", not) + ": in no backup, so not restorable; 'key rollover --zone Z --keytype T --lost'"
              + " replaces such a key (a KSK: with a new DS at the parent)");
        }),
        Check.of("the zones' signatures outlast the recovery (" + recovery + ")", p -> {
          Instant done = Instant.now().plus(recovery);
          List<String> shortZones = new ArrayList<>();
          List<String> all = new ArrayList<>();
          for (JsonNode z : p.jsonOnMaster(List.of("zone", "list", "--json"))) {
            String zone = z.path("zone").asText();
            Instant expire = Health.signaturesExpireAt(p.jsonOnMaster(List.of("zone", "status", "--zone", zone,
                "--json")).path("signatures expire").asText(""));
            if (expire == null) {
              continue;
            }
            all.add(zone + " until " + expire);
            if (expire.isBefore(done)) {
              shortZones.add("zone " + zone + "'s signatures expire at " + expire + ", before the recovery can end ("
                  + done + "): have the parent remove its DS before " + expire.minus(dsTtl) + " (its TTL earlier:"
                  + " then no resolver holds it when they expire; insecure, not bogus), and submit it again once"
                  + " signing again");
            }
          }
          if (shortZones.isEmpty()) {
            return Outcome.pass(all.isEmpty() ? "no zone served yet" : String.join("; ", all));
          }
          return accepted ? Outcome.pass("accepted: " + String.join("; ", shortZones)) : Outcome.fail(String.join("; ",
              shortZones) + ". Then run with --param deadline=accepted");
        }));
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    Check paused = Check.of("automatic failover is paused", p -> {
      String failover = p.cluster().path("cluster").path("automatic failover").asText();
      return failover.startsWith("paused") ? Outcome.pass(failover) : Outcome.fail("automatic failover: " + failover);
    });
    Check back = Check.of("every key the zones use is in the master's HSM", p -> PairChecks.keysIn(p, p.master()
        .orElseThrow(() -> new IllegalStateException("no node is master"))));
    Check standby = Check.of("the standby's HSM holds every key", p -> {
      String master = p.master().orElseThrow(() -> new IllegalStateException("no node is master"));
      return StandbyRebuild.keysOn(master.equals(p.node()) ? p.peer() : p.node()).check(p);
    });
    Check resumed = PairChecks.failoverOn();
    List<Step> steps = new ArrayList<>();
    steps.add(Step.operation("pause", "Pause automatic failover: the nodes are restarted on purpose.", null, List.of(
        "cluster", "pause"), paused, Duration.ofSeconds(30)));
    steps.add(Step.human("restore", "Restore the key backups into both HSMs and restart both nodes.", paused,
        "restore the HSM backup into each node's HSM (SoftHSM: the backed-up token directory back into"
            + " directories.tokendir, owned by the signer's user), then restart the standby, then the master"
            + " ('systemctl restart twinsign'; failover is paused, so the master takes its place back)", back,
        Duration.ofMinutes(2)));
    steps.add(Step.await("standby", "Wait until the standby's HSM holds every key again.", standby,
        Duration.ofMinutes(5)));
    steps.add(Step.operation("resume", "Resume automatic failover.", null, List.of("cluster", "resume"), resumed,
        Duration.ofSeconds(30)));
    for (JsonNode z : pair.jsonOnMaster(List.of("zone", "list", "--json"))) {
      String zone = z.path("zone").asText();
      steps.add(Step.operation("sign-" + zone, "Sign zone " + zone + " now: 'zone resign'.", back, List.of("zone",
          "resign", "--zone", zone), Check.of("zone " + zone + " was signed after the keys were restored", p -> {
            String signed = p.jsonOnMaster(List.of("zone", "status", "--zone", zone, "--json")).path("signed serial")
                .asText("");
            Instant at = signed.contains(" at ") ? Instant.parse(signed.substring(signed.indexOf(" at ") + 4).trim())
                : null;
            Instant restored = p.stepDoneAt("restore").orElse(Instant.now());
            return at != null && !at.isBefore(restored) ? Outcome.pass("signed serial " + signed) : Outcome.fail(
                "signed serial " + signed + " (the keys were back at " + restored + ")");
          }), Duration.ofMinutes(1)));
    }
    return steps;
  }
}
