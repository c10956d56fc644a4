package org.twinsign.appliance.service;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.hsm.HsmException;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.hsm.HsmToken;
import org.twinsign.appliance.hsm.KeyLocator;
import org.twinsign.appliance.hsm.KeyRepository;
import org.twinsign.appliance.hsm.KeyWrap;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.WrappedKeyTable;
import org.twinsign.replication.KeyVault;
import org.twinsign.replication.WrappedKeyStore;

/**
 * Key sync as the services do it (the mechanism is {@code replication}'s {@code KeySync}):
 *
 * <ul>
 *   <li>the master wraps each key of its PKCS#11 repositories under the KEK into the store
 *       ({@link #wrapPending}), with its epoch;
 *   <li>the standby unwraps them into its own HSM ({@link #vault}, following {@link #wrappedKeys});
 *   <li>the master asks the standby's HSM which keys it holds ({@link #lookup} there) and records
 *       those whose public key matches ({@link #record}): the publication gate reads that.
 * </ul>
 * Soft key stores are files, not HSM objects: their keys are not synced here.
 */
public final class KeySyncService {
  private final Services services;

  KeySyncService(Services services) {
    this.services = services;
  }

  /** The master: wraps up to {@code limit} keys that have no wrapped copy yet; returns what it did or refused. */
  public List<String> wrapPending(int limit) {
    List<String> tokens = services.repositories().tokens();
    List<KeyTable.HsmKeyRow> pending = services.store().read(tx -> WrappedKeyTable.notWrapped(tx, tokens, limit));
    List<String> lines = new ArrayList<>();
    record Made(KeyTable.HsmKeyRow key, String label, KeyWrap.Wrapped blob) {}
    List<Made> made = new ArrayList<>();
    for (KeyTable.HsmKeyRow key : pending) {
      try {
        HsmToken token = services.repositories().token(key.repository()).orElseThrow();
        HsmKey held = token.require(new KeyLocator(key.locator()));
        made.add(new Made(key, held.label(), KeyWrap.wrap(token, held)));
      } catch (HsmException e) {
        lines.add("key " + key.locator() + " of repository " + key.repository() + " not wrapped for the standby: "
            + e.getMessage());
        if (e.getMessage().contains("no key-encryption key")) {
          break; // every key meets it: the next round tries again
        }
      }
    }
    if (!made.isEmpty()) {
      // one commit for the batch: each commit waits for the standby's acknowledgement
      services.store().write(services.lease(), tx -> {
        java.time.Instant now = Store.now(tx);
        made.forEach(m -> WrappedKeyTable.insert(tx, m.key().id(), m.blob().kek(), m.label(), m.blob().blob(), now));
        return null;
      });
      lines.add(0, "key sync: " + made.size() + " key(s) wrapped for the standby's HSM");
    }
    return lines;
  }

  /** The master: keys not known to be in {@code node}'s HSM, for asking it ({@code wrapping}: wrapped ones only). */
  public List<KeyTable.HsmKeyRow> notOn(String node, boolean wrapping, int limit) {
    List<String> tokens = services.repositories().tokens();
    return services.store().read(tx -> WrappedKeyTable.notOn(tx, node, tokens, wrapping, limit));
  }

  /**
   * The master: records what {@code node}'s HSM answered for {@code keys} ({@link #lookup}): a key
   * whose public key there equals the store's is held; any other answer (missing, another public
   * key) is not, and why is returned by key id. Returns the zones that use newly held keys.
   */
  public Set<String> record(String node, List<KeyTable.HsmKeyRow> keys, Map<String, String> answers,
      Map<String, String> problems) {
    List<KeyTable.HsmKeyRow> held = new ArrayList<>();
    for (KeyTable.HsmKeyRow key : keys) {
      String id = WrappedKeyTable.keyId(key.repository(), key.locator());
      String answer = answers.get(id);
      if (answer != null && answer.equals(HexFormat.of().formatHex(key.publicKey()))) {
        held.add(key);
      } else {
        problems.put(id, answer == null ? "node " + node + " did not answer for it"
            : answer.startsWith("missing") || answer.startsWith("error") ? answer
            : "node " + node + "'s HSM holds another public key under its locator");
      }
    }
    if (held.isEmpty()) {
      return Set.of();
    }
    return services.store().write(services.lease(), tx -> {
      java.time.Instant now = Store.now(tx);
      Set<String> zones = new java.util.TreeSet<>();
      for (KeyTable.HsmKeyRow key : held) {
        WrappedKeyTable.onNode(tx, key.id(), node, now);
        zones.addAll(tx.query("SELECT DISTINCT zone FROM zone_key WHERE hsm_key = ?", r -> r.getString(1), key.id()));
      }
      return zones;
    });
  }

  /** The master: keys found in {@code node}'s HSM longer ago than {@code age}, to be looked up there again. */
  public List<KeyTable.HsmKeyRow> foundLongAgo(String node, java.time.Duration age, int limit) {
    List<String> tokens = services.repositories().tokens();
    return services.store().read(tx -> WrappedKeyTable.foundBefore(tx, node, tokens, Store.now(tx).minus(age),
        limit));
  }

  /**
   * The master: a key recorded as in {@code node}'s HSM is not there any more (the token was
   * emptied or replaced): the record goes, so that the gate and the standby's eligibility see it.
   */
  public void lost(String node, List<KeyTable.HsmKeyRow> keys) {
    if (!keys.isEmpty()) {
      services.store().write(services.lease(), tx -> {
        keys.forEach(k -> WrappedKeyTable.notOnNode(tx, k.id(), node));
        return null;
      });
    }
  }

  /**
   * Either node: what this node's HSM holds of {@code ids} ({@code REPOSITORY/LOCATOR}): the public
   * key in hex when it holds the key, "missing: ..." or "error: ..." otherwise.
   */
  public Map<String, String> lookup(List<String> ids) {
    Map<String, String> answers = new LinkedHashMap<>();
    Map<String, Long> asked = new java.util.HashMap<>();
    for (String id : ids) {
      try {
        asked.merge(WrappedKeyTable.keyIdParts(id)[0], 1L, Long::sum);
      } catch (RuntimeException e) {
        // answered below, for this id alone
      }
    }
    // many keys at once (a rebuilt standby): one listing per repository, not one search per key,
    // each of which reads the whole token in SoftHSM; a key the listing lacks is searched for
    // (a token that lost its login lists nothing, and the search says so instead of "missing")
    Map<String, Map<KeyLocator, HsmKey>> listed = new java.util.HashMap<>();
    for (String id : ids) {
      try {
        String repository = WrappedKeyTable.keyIdParts(id)[0];
        KeyLocator locator = new KeyLocator(WrappedKeyTable.keyIdParts(id)[1]);
        KeyRepository keys = services.repositories().get(repository);
        HsmKey listedKey = null;
        if (asked.get(repository) > LIST_FROM) {
          if (!listed.containsKey(repository)) {
            Map<KeyLocator, HsmKey> byLocator = new java.util.HashMap<>();
            try {
              keys.list().forEach(k -> byLocator.put(k.locator(), k));
            } catch (RuntimeException e) {
              // the listing failed: each key is searched for, and says why
            }
            listed.put(repository, byLocator);
          }
          listedKey = listed.get(repository).get(locator);
        }
        Optional<HsmKey> found = listedKey != null ? Optional.of(listedKey) : keys.find(locator);
        answers.put(id, found.map(k -> HexFormat.of().formatHex(k.publicKey())).orElse("missing: not in "
            + keys.describe()));
      } catch (RuntimeException e) {
        answers.put(id, "error: " + e.getMessage());
      }
    }
    return answers;
  }

  /** From how many keys of one repository {@link #lookup} lists the repository instead of searching each. */
  static final int LIST_FROM = 8;

  /**
   * The wrapped keys in the store of {@code services}, as a standby follows them; the services are
   * asked for at each use (a standby opens its read-only ones when first needed).
   */
  public static WrappedKeyStore<WrappedKeyTable.Row> wrappedKeys(Supplier<Services> services) {
    return new WrappedKeyStore<>() {
      @Override
      public List<WrappedKeyTable.Row> after(long seq, int limit) {
        return services.get().store().read(tx -> WrappedKeyTable.after(tx, seq, limit));
      }

      @Override
      public WrappedKeyTable.Row current(String id) {
        String[] parts = WrappedKeyTable.keyIdParts(id);
        return services.get().store().read(tx -> WrappedKeyTable.of(tx, parts[0], parts[1]));
      }

      @Override
      public Set<String> known() {
        return services.get().store().read(WrappedKeyTable::keyIds);
      }
    };
  }

  /** The HSMs of {@code services} (asked for at each use), which a standby's wrapped keys go into. */
  public static KeyVault<WrappedKeyTable.Row> vault(Supplier<Services> services) {
    return new KeyVault<>() {
      @Override
      public Set<String> held() {
        KeyRepositorySet repositories = services.get().repositories();
        Set<String> ids = new java.util.HashSet<>();
        for (String name : repositories.tokens()) {
          repositories.token(name).orElseThrow().locators().forEach(l -> ids.add(WrappedKeyTable.keyId(name,
              l.hex())));
        }
        return ids;
      }

      @Override
      public void install(WrappedKeyTable.Row key) {
        HsmToken token = services.get().repositories().token(key.repository()).orElseThrow(() -> new HsmException(
            "repository " + key.repository() + " is not a PKCS#11 token on this node: its keys cannot be unwrapped"));
        DnssecAlgorithm algorithm = DnssecAlgorithm.ofNumber(key.algorithm());
        KeyWrap.unwrap(token, new KeyWrap.Wrapped(key.wrapped(), key.kek()), new HsmKey(new KeyLocator(key.locator()),
            key.label(), algorithm, key.bits(), key.publicKey(), 0));
      }

      @Override
      public void remove(String id) {
        String[] parts = WrappedKeyTable.keyIdParts(id);
        services.get().repositories().token(parts[0]).orElseThrow().delete(new KeyLocator(parts[1]));
      }
    };
  }

  /** Every wrapped key of the store unwrapped into this node's HSMs unless there: one pass, now. */
  private org.twinsign.replication.KeySync.Status syncOnce(String node) throws Exception {
    return new org.twinsign.replication.KeySync<>(node, wrappedKeys(() -> services), vault(() -> services),
        java.time.Duration.ofSeconds(1), java.time.Clock.systemUTC(), () -> true).syncOnce();
  }

  /**
   * {@code node rebuild}'s key step, with the node stopped: this node's HSMs end up holding exactly
   * the keys the store knows, each unwrapped from its wrapped copy. A key the store does not know,
   * or knows with another public key, is destroyed ({@code empty}: every key pair is, first); the
   * others are checked and kept, so that a rebuild run again after an interruption goes on where it
   * stopped. The KEK stays.
   */
  public List<String> rebuild(String node, boolean empty) throws Exception {
    List<String> lines = new ArrayList<>();
    Map<String, byte[]> known = new java.util.HashMap<>();
    services.store().read(tx -> {
      for (String name : services.repositories().tokens()) {
        KeyTable.hsmKeys(tx, name).forEach(k -> known.put(WrappedKeyTable.keyId(name, k.locator()), k.publicKey()));
      }
      return null;
    });
    for (String name : services.repositories().tokens()) {
      HsmToken token = services.repositories().token(name).orElseThrow();
      org.twinsign.appliance.hsm.KeyEncryptionKey.require(token);
      int removed = 0;
      int kept = 0;
      for (HsmKey key : token.list()) {
        byte[] stored = known.get(WrappedKeyTable.keyId(name, key.locator().hex()));
        if (empty || stored == null || !java.util.Arrays.equals(stored, key.publicKey())) {
          token.delete(key.locator());
          removed++;
        } else {
          kept++;
        }
      }
      lines.add("repository " + name + ": " + removed + " key(s) removed from token '" + token.tokenLabel() + "'"
          + (empty ? " (emptied)" : " (not the store's)") + ", " + kept + " kept (the store's, public keys matching)");
    }
    org.twinsign.replication.KeySync.Status status = syncOnce(node);
    lines.add("key sync: " + status.installed() + " key(s) in this node's HSMs" + (status.refused().isEmpty() ? ""
        : "; " + status.refused().size() + " refused: " + status.refused()));
    if (!status.refused().isEmpty()) {
      throw new IllegalStateException(String.join("\n", lines) + "\nthe refused keys must be mended (see above);"
          + " run 'node rebuild' again");
    }
    return lines;
  }

  /**
   * A new master, before its first signing: unwraps into its own HSMs the wrapped keys it lacks
   * (the last master may have made keys this node had not taken yet). Returns what it did.
   */
  public List<String> completeOwn(String node) throws Exception {
    if (services.repositories().tokens().isEmpty()) {
      return List.of();
    }
    org.twinsign.replication.KeySync.Status status = syncOnce(node);
    return status.refused().isEmpty() ? List.of() : List.of("key sync: " + status.refused().size() + " wrapped"
        + " key(s) could not be unwrapped into this node's HSM: " + status.refused());
  }

  /** For status: keys without a wrapped copy and keys not known to be in {@code node}'s HSM. */
  public WrappedKeyTable.Counts counts(String node, boolean wrapping) {
    List<String> tokens = services.repositories().tokens();
    return services.store().read(tx -> WrappedKeyTable.counts(tx, node, tokens, wrapping));
  }

  /** How many published keys {@code node}'s HSM is not known to hold: above zero, it is no standby to promote. */
  /** Of the keys {@code ids}, those that exist and are not in {@code node}'s HSM. */
  public java.util.Set<Long> notOn(String node, java.util.Collection<Long> ids) {
    return services.store().read(tx -> WrappedKeyTable.notOn(tx, node, ids));
  }

  public long publishedNotOn(String node) {
    List<String> tokens = services.repositories().tokens();
    return services.store().read(tx -> WrappedKeyTable.publishedNotOn(tx, node, tokens));
  }
}
