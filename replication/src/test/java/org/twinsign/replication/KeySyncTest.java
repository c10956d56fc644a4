package org.twinsign.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Key sync's rules over an in-memory store and vault (the real HSMs and store: appliance's key sync tests). */
class KeySyncTest {
  record Key(long seq, String id, long epoch, boolean good) implements WrappedKey {}

  static final class Store implements WrappedKeyStore<Key> {
    final List<Key> keys = new ArrayList<>();

    @Override
    public List<Key> after(long seq, int limit) {
      return keys.stream().filter(k -> k.seq() > seq).limit(limit).toList();
    }

    @Override
    public Key current(String id) {
      return keys.stream().filter(k -> k.id().equals(id)).findFirst().orElse(null);
    }

    @Override
    public Set<String> known() {
      Set<String> ids = new HashSet<>();
      keys.forEach(k -> ids.add(k.id()));
      return ids;
    }
  }

  static final class Vault implements KeyVault<Key> {
    final Set<String> held = new HashSet<>(Set.of("foreign"));
    int installs;

    @Override
    public Set<String> held() {
      return Set.copyOf(held);
    }

    @Override
    public void install(Key key) {
      installs++;
      if (!key.good()) {
        throw new IllegalStateException("the wrapped key " + key.id() + " does not open");
      }
      held.add(key.id());
    }

    @Override
    public void remove(String id) {
      held.remove(id);
    }
  }

  @Test
  void installsNewKeysRetriesRefusedOnesAndRefusesALowerEpoch() throws Exception {
    Store store = new Store();
    Vault vault = new Vault();
    KeySync<Key> sync = new KeySync<>("beta", store, vault, Duration.ofSeconds(1), Clock.systemUTC(), () -> true);
    store.keys.add(new Key(1, "a", 3, true));
    store.keys.add(new Key(2, "b", 3, false));
    sync.pass();
    assertTrue(vault.held.contains("a"));
    assertEquals(Set.of("b"), sync.status().refused().keySet());
    assertTrue(sync.status().refused().get("b").contains("does not open"));
    sync.pass();
    assertEquals(3, vault.installs, "the refused key is tried again, the installed one not");
    store.keys.set(1, new Key(2, "b", 3, true)); // mended in the store
    sync.pass();
    assertTrue(vault.held.contains("b"));
    assertTrue(sync.status().refused().isEmpty());
    store.keys.add(new Key(3, "c", 5, true));
    store.keys.add(new Key(4, "d", 4, true));
    sync.pass();
    assertTrue(vault.held.contains("c"));
    assertTrue(!vault.held.contains("d") && sync.status().refused().get("d").contains("deposed master"));
    assertEquals(5, sync.status().epoch());
  }

  @Test
  void destroysKeysThePurgedFromTheStoreButNeverOthers() throws Exception {
    Store store = new Store();
    Vault vault = new Vault();
    KeySync<Key> sync = new KeySync<>("beta", store, vault, Duration.ofSeconds(1), Clock.systemUTC(), () -> true);
    store.keys.add(new Key(1, "a", 3, true));
    store.keys.add(new Key(2, "b", 3, true));
    sync.pass();
    store.keys.remove(0);
    sync.pass(); // the first pass purged already (nothing gone then); the next look is a minute later
    assertTrue(vault.held.contains("a"));
    KeySync<Key> fresh = new KeySync<>("beta", store, vault, Duration.ofSeconds(1), Clock.systemUTC(), () -> true);
    store.keys.add(0, new Key(1, "a", 3, true));
    fresh.pass();
    store.keys.remove(0);
    KeySync<Key> later = new KeySync<>("beta", store, vault, Duration.ofSeconds(1),
        Clock.offset(Clock.systemUTC(), Duration.ofMinutes(2)), () -> true);
    later.pass(); // never saw "a" in the store: it does not remove it
    assertTrue(vault.held.contains("a"));
    assertTrue(vault.held.contains("foreign"), "a key the store never had is not ours to destroy");
  }
}
