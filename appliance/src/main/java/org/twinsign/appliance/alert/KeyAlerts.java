package org.twinsign.appliance.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.twinsign.appliance.enforcer.DsAtParent;
import org.twinsign.appliance.service.KeyReport;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.store.Store;

/**
 * The keys' alerts, from what {@code key list} says each key waits for: a key held back until the
 * standby's HSM holds it, a key that waits for a backup, a DS to submit to the parent, and a DS
 * the parent has not published a day after it was submitted (reminding at three days and a week).
 */
public final class KeyAlerts implements AlertSource {
  /** A key waits this long for the standby's HSM before it is an alert: key sync takes seconds. */
  static final Duration SYNC_GRACE = Duration.ofSeconds(30);
  /** A submitted DS not seen for this long is an alert. */
  static final Duration DS_NOT_SEEN_AFTER = Duration.ofDays(1);

  private final Grace grace;

  /** For a node's alert loop, which may look while a run is between its commit and its hook or key sync. */
  public KeyAlerts() {
    this(SYNC_GRACE);
  }

  /** {@code grace}: how long a key must wait before it is an alert; zero after a whole run ({@code enforce}). */
  public KeyAlerts(Duration grace) {
    this.grace = new Grace(grace);
  }

  @Override
  public Set<AlertKind> kinds() {
    return Set.of(AlertKind.KEY_WAITING_SYNC, AlertKind.KEY_WAITING_BACKUP, AlertKind.DS_SUBMIT,
        AlertKind.DS_NOT_SEEN);
  }

  @Override
  public void reset(Set<String> open) {
    grace.reset(open);
  }

  @Override
  public Duration every() {
    return Duration.ofSeconds(10); // every key of every zone: not every second
  }

  @Override
  public List<Condition> look(Services services) {
    Instant now = services.store().read(Store::now);
    List<Condition> out = new ArrayList<>();
    for (KeyReport r : services.keys().list(null)) {
      String subject = r.role() + " " + r.keyTag() + " of zone " + r.zone();
      String waits = r.waitsFor() == null ? "" : r.waitsFor();
      DsAtParent ds = r.key().state().dsAtParent();
      if (waits.startsWith("a backup of repository")) {
        out.add(new Condition(AlertKind.KEY_WAITING_BACKUP, "key " + subject, "the new " + subject + " is not"
            + " published before " + waits.replaceFirst(" \\(.*", "") + ": its rollover waits", "back up: 'twinsign"
            + " backup prepare', the HSM's own backup, then 'twinsign backup commit' ('twinsign backup list' shows"
            + " the keys)"));
      } else if ("DNSKEY rumoured".equals(r.next()) && !waits.isEmpty() && r.state().equals("generate")) {
        String key = "key " + subject;
        if (grace.held(AlertKind.KEY_WAITING_SYNC.id() + " " + key)) {
          out.add(new Condition(AlertKind.KEY_WAITING_SYNC, key, "the new " + subject + " is not published before "
              + waits, "'twinsign cluster list' shows the standby's key sync; 'twinsign kek status' whether both HSMs"
              + " hold the same KEK; the standby's log says why a key was refused"));
        }
      } else if (ds == DsAtParent.SUBMIT && r.key().state().introducing()
          && grace.held(AlertKind.DS_SUBMIT.id() + " key " + subject)) {
        out.add(new Condition(AlertKind.DS_SUBMIT, "key " + subject, "the DS of " + subject + " is to be submitted to"
            + " the parent", "it waits for " + waits));
      } else if (ds == DsAtParent.SUBMITTED && r.key().state().introducing()
          && r.key().state().dsAtParentSince() != null
          && !now.isBefore(r.key().state().dsAtParentSince().plus(DS_NOT_SEEN_AFTER))) {
        out.add(new Condition(AlertKind.DS_NOT_SEEN, "key " + subject, "the DS of " + subject + " was submitted to the"
            + " parent at " + r.key().state().dsAtParentSince() + " and is not seen there yet: the rollover waits",
            "check the parent ('dig DS " + r.zone() + "' at its servers) and the registrar; once it is there: 'twinsign"
                + " key ds-seen --zone " + r.zone() + " --keytag " + r.keyTag() + "'"));
      }
    }
    grace.lookDone();
    return out;
  }
}
