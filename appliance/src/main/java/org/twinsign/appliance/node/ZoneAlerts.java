package org.twinsign.appliance.node;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.twinsign.appliance.alert.AlertKind;
import org.twinsign.appliance.alert.AlertSource;
import org.twinsign.appliance.alert.Condition;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.SignedZones;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.ZoneTable;

/**
 * The zones' alerts as the master signs and serves them: a key repository (HSM) that fails their
 * signing, and signatures the master serves that expire sooner than its refresh would have
 * replaced them.
 *
 * <p>The signer refreshes a signature once less than the policy's {@code Refresh} is left, at its
 * next run ({@code Resign} apart): served signatures keep at least {@code Refresh - Resign}. One
 * that has less than {@code Refresh - 2 x Resign} (never less than {@code Resign}) was missed by
 * two runs: the signer is failing, and the zone goes bogus when it expires.
 */
final class ZoneAlerts implements AlertSource {
  private final MasterDuties duties;

  ZoneAlerts(MasterDuties duties) {
    this.duties = duties;
  }

  @Override
  public Set<AlertKind> kinds() {
    return Set.of(AlertKind.HSM_ERROR, AlertKind.SIGNATURES_EXPIRING);
  }

  @Override
  public Duration every() {
    return Duration.ofSeconds(10);
  }

  @Override
  public List<Condition> look(Services services) {
    if (!duties.firstPassDone()) {
      // a new term knows of no failure and holds no version before its first pass: not a look yet
      throw new IllegalStateException("the term's first pass is not done yet");
    }
    List<Condition> out = new ArrayList<>();
    Map<String, MasterDuties.Failure> hsm = new TreeMap<>();
    duties.failures().forEach((zone, f) -> {
      if (f.hsm()) {
        hsm.put(zone, f);
      }
    });
    if (!hsm.isEmpty()) {
      MasterDuties.Failure first = hsm.values().stream().min((a, b) -> a.since().compareTo(b.since())).orElseThrow();
      out.add(new Condition(AlertKind.HSM_ERROR, "key repositories", "signing " + hsm.size() + " zone(s) ("
          + String.join(", ", hsm.keySet()) + ") fails in the HSM since " + first.since() + ": " + first.why(),
          "check the HSM ('twinsign hsm list --repository R', its logs, the token and PIN file named in the"
              + " configuration); the master tries again with a growing wait. Signatures expire if this lasts: see"
              + " 'twinsign zone status'"));
    }
    Instant now = Instant.now();
    Map<String, KaspPolicy> policies = new HashMap<>();
    List<ZoneTable.ZoneRow> zones = services.store().read(ZoneTable::all);
    for (ZoneTable.ZoneRow z : zones) {
      SignedZones.Version v = services.signedZones().current(z.name());
      if (v == null) {
        continue;
      }
      KaspPolicy policy = policies.computeIfAbsent(z.policy(), p -> services.store().read(tx -> PolicyTable.require(tx,
          p)));
      Duration resign = policy.signatures().resign();
      Duration threshold = policy.signatures().refresh().minus(resign.multipliedBy(2));
      threshold = threshold.compareTo(resign) < 0 ? resign : threshold;
      long at = services.signedZones().earliestExpiry(v);
      if (at > 0 && Instant.ofEpochSecond(at).isBefore(now.plus(threshold))) {
        Duration left = Duration.between(now, Instant.ofEpochSecond(at));
        out.add(new Condition(AlertKind.SIGNATURES_EXPIRING, "zone " + z.name(), "the signatures zone " + z.name()
            + " serves (serial " + v.serial() + ") start to expire at " + Instant.ofEpochSecond(at) + (left.isNegative()
                ? ": already expired, the zone is bogus for validating resolvers" : ", in " + left.toMinutes()
                + " min: less than the policy's Refresh " + policy.signatures().refresh() + " minus two runs")
            + (duties.failures().containsKey(z.name()) ? "; its signing fails: " + duties.failures().get(z.name())
                .why() : ""), "find out why the zone is not re-signed ('twinsign zone status --zone " + z.name()
                + "', the master's log); 'twinsign zone resign --zone " + z.name() + "' once the cause is gone"));
      }
    }
    return out;
  }
}
