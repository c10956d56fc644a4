package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;

/**
 * {@code key-backup}: OpenDNSSEC's two-step key backup, checked. {@code backup prepare} fixes the
 * keys the HSM backup must hold; the HSM is backed up (a configured command, or the operator);
 * the backup is searched for each of those keys (a SoftHSM backup is opened from a copy: the
 * backup itself is only read); only then {@code backup commit} marks them backed up, so that no
 * key is published before a backup holds it. The run reports whether enough backed-up keys exist
 * for the rollovers until the next backup.
 */
public final class KeyBackup implements Runbook {
  @Override
  public String name() {
    return "key-backup";
  }

  @Override
  public String summary() {
    return "Back up the HSM's keys: prepare, back up, verify the backup holds each key, commit.";
  }

  @Override
  public String when() {
    return "On the backup schedule, and whenever 'twinsign health' or a key-waiting-backup or key-pool-low alert"
        + " says keys wait for a backup (a repository with require-backup publishes no key before it is backed up).";
  }

  @Override
  public String why() {
    return "A key lost with its HSM, and not in a backup, is a zone that cannot be signed or rolled safely: the"
        + " parent's DS points at it. A backup only counts for the keys it really holds: keys generated after the"
        + " prepare are not in it, and a backup that failed half-way holds fewer; so each key is looked for in the"
        + " backup before it is marked backed up.";
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("repository", "the key repository (default: the only PKCS#11 repository of this node's configuration)");
    p.put("backup", "where the HSM backup is (SoftHSM: a copy of its token directory, or of the token's own"
        + " directory); it is searched for the keys");
    p.put("command", "a command that makes the backup, run here by /bin/sh (default: you make it, and say so);"
        + " it is kept in the run's journal: secrets go in files it reads, never in it");
    return p;
  }

  @Override
  public Map<String, String> resolve(Map<String, String> params, PairAccess pair) {
    Map<String, String> p = new LinkedHashMap<>(params);
    p.put("repository", repositoryName(params, pair));
    return p;
  }

  private static String repositoryName(Map<String, String> params, PairAccess pair) {
    String named = params.get("repository");
    if (named != null) {
      return named;
    }
    List<String> tokens = pair.config().tokenRepositories();
    if (tokens.size() != 1) {
      throw new IllegalArgumentException("--param repository=NAME: " + pair.config().source() + " has "
          + (tokens.isEmpty() ? "no PKCS#11 repository" : "several: " + String.join(", ", tokens)));
    }
    return tokens.get(0);
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    String name = repositoryName(params, pair);
    String backup = params.get("backup");
    return List.of(
        PairChecks.masterRuns(),
        Check.of("repository " + name + " is a SoftHSM token this runbook can verify a backup of", p -> {
          TwinsignConfig.Repository r = p.config().repositories().get(name);
          if (r == null) {
            return Outcome.fail(p.config().source() + " has no repository " + name + " (it has " + String.join(", ",
                p.config().repositories().keySet()) + ")");
          }
          if (r.soft()) {
            return Outcome.fail("repository " + name + " is a soft key store: back up its directory "
                + r.directory() + " with the node's own backups");
          }
          if (!SoftHsmBackup.applies(r)) {
            return Outcome.fail("repository " + name + " is the PKCS#11 library " + r.library() + ": this runbook"
                + " verifies SoftHSM backups only; use 'backup prepare', your HSM's backup and 'backup commit'");
          }
          return Outcome.pass("token '" + r.token() + "' of " + r.library());
        }),
        Check.of("the backup's place is given", p -> backup == null ? Outcome.fail("--param backup=DIR: where the"
            + " backup of the token directory is (or will be) made") : Outcome.pass(backup)));
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    String name = repositoryName(params, pair);
    Path backup = params.containsKey("backup") ? Path.of(params.get("backup")) : null;
    Check prepared = Check.of("a backup of repository " + name + " is prepared", p -> {
      JsonNode r = status(p, name);
      return r.path("prepared_at").isTextual() ? Outcome.pass("prepared at " + r.path("prepared_at").asText() + ": "
          + locators(r, "prepared").size() + " key(s) to back up") : Outcome.fail("no backup of " + name
              + " is prepared");
    });
    Check inBackup = Check.of("the backup holds every prepared key of " + name, p -> {
      if (backup == null) {
        return Outcome.fail("--param backup=DIR is not given: no backup to look in");
      }
      Set<String> wanted = locators(status(p, name), "prepared");
      if (wanted.isEmpty()) {
        return Outcome.pass("no key of " + name + " is prepared: the backup need hold none");
      }
      Set<String> found = SoftHsmBackup.locators(p.config().repositories().get(name), backup);
      Set<String> missing = new TreeSet<>(wanted);
      missing.removeAll(found);
      return missing.isEmpty() ? Outcome.pass("the backup " + backup + " holds all " + wanted.size()
          + " prepared key(s) (" + found.size() + " key(s) in it)") : Outcome.fail("the backup " + backup + " lacks "
              + missing.size() + " of the " + wanted.size() + " prepared key(s): " + String.join(", ", missing));
    });
    Check committed = Check.of("the backup of " + name + " is committed", p -> {
      JsonNode r = status(p, name);
      if (r.path("prepared_at").isTextual() || !r.path("last_backup").isTextual()) {
        return Outcome.fail(r.path("prepared_at").isTextual() ? "prepared at " + r.path("prepared_at").asText()
            + ", not committed" : "never backed up");
      }
      return Outcome.pass("committed at " + r.path("last_backup").asText() + "; " + locators(r, "backed_up").size()
          + " key(s) backed up, " + locators(r, "unbacked").size() + " not");
    });
    String command = params.get("command");
    Step make = command != null
        ? Step.command("backup", "Back up the HSM: '" + command + "'.", prepared, command, inBackup,
            Duration.ofSeconds(10))
        : Step.human("backup", "Back up the HSM into " + backup + ".", prepared, "back up the HSM of repository "
            + name + " now, into " + backup + " (SoftHSM: copy its token directory, as it is after the prepare)",
            inBackup, Duration.ofSeconds(30));
    return List.of(
        Step.operation("prepare", "Fix the keys the backup must hold: 'backup prepare'.", null, List.of("backup",
            "prepare", "--repository", name), prepared, Duration.ofSeconds(30)),
        make,
        Step.operation("commit", "Mark the prepared keys backed up: 'backup commit'.", inBackup, List.of("backup",
            "commit", "--repository", name), committed, Duration.ofSeconds(30)));
  }

  @Override
  public List<Check> report(Map<String, String> params, PairAccess pair) {
    String name = repositoryName(params, pair);
    return List.of(Check.of("enough backed-up keys in " + name + " for the rollovers until the next backup", p -> {
      List<String> shortPools = new ArrayList<>();
      List<String> pools = new ArrayList<>();
      for (JsonNode l : p.jsonOnMaster(List.of("key", "pool", "--json"))) {
        if (!l.path("repository").asText().equals(name)) {
          continue;
        }
        String pool = l.path("role").asText() + " algorithm " + l.path("algorithm").asText();
        long backedUp = l.path("backed_up").asLong();
        long least = l.path("least").asLong();
        pools.add(pool + ": " + backedUp + " backed up, " + least + " needed");
        if (backedUp < least) {
          shortPools.add(pool + " has " + backedUp + " backed-up key(s), " + least + " needed");
        }
      }
      return shortPools.isEmpty() ? Outcome.pass(pools.isEmpty() ? "no key pool in " + name : String.join("; ", pools))
          : Outcome.fail(String.join("; ", shortPools) + ": let the enforcer top the pool up (or 'twinsign key generate'),"
              + " then run key-backup again");
    }));
  }

  /** {@code backup list --json} of one repository, as the master's store has it. */
  private static JsonNode status(PairAccess p, String repository) {
    return p.jsonOnMaster(List.of("backup", "list", "--json", "--repository", repository)).path(0);
  }

  private static Set<String> locators(JsonNode repository, String state) {
    Set<String> all = new TreeSet<>();
    for (JsonNode k : repository.path("keys")) {
      if (k.path("backup").asText().equals(state)) {
        all.add(k.path("locator").asText());
      }
    }
    return all;
  }
}
