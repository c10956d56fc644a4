package org.twinsign.appliance.service;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.policy.KaspReader;
import org.twinsign.appliance.policy.KaspWriter;
import org.twinsign.appliance.store.PolicyTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.ZoneTable;

/** {@code policy import|list|export}: OpenDNSSEC kasp.xml in and out of the store. */
public final class PolicyService {
  private final Services services;

  PolicyService(Services services) {
    this.services = services;
  }

  /**
   * Adds or updates every policy of {@code file}, all or none. Zones whose policy changed are
   * enforced at the next run (a new algorithm there starts an algorithm rollover).
   *
   * @return one line per policy, and warnings
   */
  public List<String> importFile(Path file) {
    List<KaspPolicy> policies = KaspReader.readForImport(file);
    // what ods-kaspcheck refuses (an unknown repository too) is refused here, all at once; its
    // warnings go with the report
    org.twinsign.appliance.policy.KaspCheck.Findings findings = org.twinsign.appliance.policy.KaspCheck.check(file,
        policies, services.config().repositories().keySet(), services.config().source());
    if (!findings.errors().isEmpty()) {
      throw new org.twinsign.appliance.policy.KaspException(String.join("\n", findings.errors())
          + (findings.errors().size() > 1 ? "\n(" + findings.errors().size() + " errors; nothing was imported)"
              : " (nothing was imported)"));
    }
    return services.store().write(services.lease(), tx -> {
      // the zones' rows before the policy's: the enforcer's commit takes them in that order
      java.util.Map<String, List<String>> zonesOf = new java.util.HashMap<>();
      List<String> zones = new ArrayList<>();
      for (KaspPolicy policy : policies) {
        List<String> names = ZoneTable.ofPolicy(tx, policy.name()).stream().map(ZoneTable.ZoneRow::name).toList();
        zonesOf.put(policy.name(), names);
        zones.addAll(names);
      }
      ZoneTable.lockAll(tx, zones);
      Instant now = Store.now(tx);
      List<String> report = new ArrayList<>();
      for (KaspPolicy policy : policies) {
        KaspPolicy before = PolicyTable.find(tx, policy.name()).orElse(null);
        if (policy.equals(before)) {
          report.add("policy " + policy.name() + ": unchanged");
          continue;
        }
        PolicyTable.put(tx, policy, now);
        for (String zone : zonesOf.get(policy.name())) { // the zones locked above
          ZoneTable.schedule(tx, zone, now, "policy " + policy.name() + " changed");
          ZoneTable.signNeeded(tx, zone);
        }
        report.add("policy " + policy.name() + ": " + (before == null ? "added" : "updated"));
        for (KaspPolicy.Key key : policy.keys().keys()) {
          if (DnssecAlgorithm.isRsa(key.algorithm()) && key.length() < 2048) {
            report.add("warning: policy " + policy.name() + ": " + key.role() + " RSA keys of " + key.length()
                + " bits are below the 2048 that RFC 8624 asks for; they are generated as the policy says");
          }
        }
      }
      report.addAll(findings.warnings());
      return report;
    });
  }

  public List<KaspPolicy> list() {
    return services.store().read(PolicyTable::all);
  }

  /** kasp.xml of every stored policy, or of one. */
  public String export(String name) {
    return services.store().read(tx -> KaspWriter.write(name == null ? PolicyTable.all(tx)
        : List.of(PolicyTable.require(tx, name))));
  }
}
