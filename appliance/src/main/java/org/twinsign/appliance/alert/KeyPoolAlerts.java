package org.twinsign.appliance.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.twinsign.appliance.service.KeyPool;
import org.twinsign.appliance.service.Services;

/**
 * {@code key-pool-low}: a key pool holds fewer keys ready for use than the rollovers until the
 * next backup ({@code keypool.horizon}) need. Ready means generated and, where the repository
 * requires a backup before use, backed up: a rollover that finds no such key waits. The pool is
 * topped up with each enforcer run, so a shortfall must last before it is an alert: the master's
 * next run is usually minutes away; one that lasts means generation fails or the backups lag.
 */
public final class KeyPoolAlerts implements AlertSource {
  /** How long a pool may be short on a node of a pair before it is an alert (the next runs top it up). */
  static final Duration PAIR_GRACE = Duration.ofMinutes(10);

  private final Grace grace;

  /** {@code grace}: how long a shortfall must hold; zero after a whole run ({@code enforce}), which tops up first. */
  public KeyPoolAlerts(Duration grace) {
    this.grace = new Grace(grace);
  }

  /** For a node's alert loop. */
  public KeyPoolAlerts() {
    this(PAIR_GRACE);
  }

  @Override
  public Set<AlertKind> kinds() {
    return Set.of(AlertKind.KEY_POOL_LOW);
  }

  @Override
  public void reset(Set<String> open) {
    grace.reset(open);
  }

  @Override
  public Duration every() {
    return Duration.ofSeconds(30);
  }

  @Override
  public List<Condition> look(Services services) {
    List<Condition> out = new ArrayList<>();
    for (KeyPool.Level level : new KeyPool(services).levels()) {
      boolean backups = services.repositories().configured(level.repository()).requireBackup();
      long ready = backups ? level.backedUp() : level.keys();
      String subject = "pool " + level.name();
      if (ready >= level.least() || !grace.held(AlertKind.KEY_POOL_LOW.id() + " " + subject)) {
        continue;
      }
      if (backups && level.keys() >= level.least()) {
        out.add(new Condition(AlertKind.KEY_POOL_LOW, subject, "the pool of " + level.name() + " holds " + ready
            + " backed-up keys (" + level.keys() + " in all); the rollovers until the next backup need "
            + level.least() + ": a rollover that finds none waits for a backup", "back up repository "
            + level.repository() + " now: 'twinsign backup prepare', the HSM's own backup, 'twinsign backup commit'"
            + " ('twinsign backup list' shows the keys)"));
      } else {
        out.add(new Condition(AlertKind.KEY_POOL_LOW, subject, "the pool of " + level.name() + " holds "
            + level.keys() + " keys; the rollovers within keypool.horizon need " + level.least()
            + ": the enforcer's runs do not fill it", "the last 'twinsign enforce' (or the master's log) says why"
            + " key generation failed; 'twinsign hsm list' the keys the repository holds; then 'twinsign key"
            + " generate --policy " + level.policy() + " --count N'"));
      }
    }
    grace.lookDone();
    return out;
  }
}
