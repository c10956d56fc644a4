package org.twinsign.appliance.zone;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * A sorted map kept in chunks of about {@link #CHUNK} keys, copy-on-write per chunk: {@link #fork()}
 * gives a second map sharing every chunk, in time linear in the number of chunks, not keys, and
 * each side copies a chunk only when it first changes it. This is how a new version of a zone of a
 * million names shares all but a few hundred of them with the version being served (Knot's
 * zone-tree copy-on-write and BIND's versioned database do the same by other means).
 *
 * <p>Values are shared between forks and must be treated as immutable once a map was forked. Not
 * thread-safe; a map that nobody changes any more may be read by any number of threads.
 */
final class CowSortedMap<K extends Comparable<K>, V> {
  static final int CHUNK = 512;

  private static final class Chunk<K, V> {
    final TreeMap<K, V> map;
    final Object owner;

    Chunk(TreeMap<K, V> map, Object owner) {
      this.map = map;
      this.owner = owner;
    }
  }

  private List<Chunk<K, V>> chunks = new ArrayList<>();
  private Object owner = new Object();
  private int size;

  /** A map with the same entries that shares this one's chunks; both copy a chunk before changing it. */
  CowSortedMap<K, V> fork() {
    CowSortedMap<K, V> copy = new CowSortedMap<>();
    copy.chunks = new ArrayList<>(chunks);
    copy.size = size;
    owner = new Object(); // from now on neither side owns the chunks it had
    return copy;
  }

  int size() {
    return size;
  }

  V get(K key) {
    if (chunks.isEmpty()) {
      return null;
    }
    return chunks.get(index(key)).map.get(key);
  }

  boolean containsKey(K key) {
    return !chunks.isEmpty() && chunks.get(index(key)).map.containsKey(key);
  }

  void put(K key, V value) {
    if (chunks.isEmpty()) {
      chunks.add(new Chunk<>(new TreeMap<>(), owner));
    }
    int i = index(key);
    TreeMap<K, V> map = writable(i);
    if (map.put(key, value) == null) {
      size++;
    }
    if (map.size() > 2 * CHUNK) {
      // split in halves: sorted input appended at the end leaves full chunks behind
      TreeMap<K, V> upper = new TreeMap<>(map.tailMap(nthKey(map, map.size() / 2), true));
      map.keySet().removeAll(upper.keySet());
      chunks.add(i + 1, new Chunk<>(upper, owner));
    }
  }

  V remove(K key) {
    if (chunks.isEmpty()) {
      return null;
    }
    int i = index(key);
    if (!chunks.get(i).map.containsKey(key)) {
      return null;
    }
    TreeMap<K, V> map = writable(i);
    V old = map.remove(key);
    size--;
    if (map.isEmpty()) {
      chunks.remove(i);
    }
    return old;
  }

  K firstKey() {
    return chunks.isEmpty() ? null : chunks.get(0).map.firstKey();
  }

  K lastKey() {
    return chunks.isEmpty() ? null : chunks.get(chunks.size() - 1).map.lastKey();
  }

  /** The greatest key strictly below {@code key}, or null. */
  K lowerKey(K key) {
    if (chunks.isEmpty()) {
      return null;
    }
    int i = index(key);
    K lower = chunks.get(i).map.lowerKey(key);
    return lower != null || i == 0 ? lower : chunks.get(i - 1).map.lastKey();
  }

  /** The least key strictly above {@code key}, or null. */
  K higherKey(K key) {
    if (chunks.isEmpty()) {
      return null;
    }
    int i = index(key);
    K higher = chunks.get(i).map.higherKey(key);
    return higher != null || i == chunks.size() - 1 ? higher : chunks.get(i + 1).map.firstKey();
  }

  /** The entries in key order. */
  Iterable<Map.Entry<K, V>> entries() {
    return () -> new Iterator<>() {
      private int chunk;
      private Iterator<Map.Entry<K, V>> within = chunks.isEmpty() ? null : chunks.get(0).map.entrySet().iterator();

      @Override
      public boolean hasNext() {
        while (within != null && !within.hasNext()) {
          chunk++;
          within = chunk < chunks.size() ? chunks.get(chunk).map.entrySet().iterator() : null;
        }
        return within != null;
      }

      @Override
      public Map.Entry<K, V> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return within.next(); // not to be set: the value may be shared with a fork
      }
    };
  }

  /** Replaces everything by {@code sorted} (ascending keys, no duplicates), in linear time. */
  void replaceAll(List<Map.Entry<K, V>> sorted) {
    chunks = new ArrayList<>();
    owner = new Object();
    for (int from = 0; from < sorted.size(); from += CHUNK) {
      TreeMap<K, V> map = new TreeMap<>(new SortedEntries<>(sorted.subList(from, Math.min(sorted.size(),
          from + CHUNK))));
      chunks.add(new Chunk<>(map, owner));
    }
    size = sorted.size();
  }

  /** The chunk that holds {@code key} or would: the last whose first key is not above it (or the first). */
  private int index(K key) {
    int low = 0;
    int high = chunks.size() - 1;
    while (low < high) {
      int mid = (low + high + 1) >>> 1;
      if (chunks.get(mid).map.firstKey().compareTo(key) <= 0) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low;
  }

  private TreeMap<K, V> writable(int i) {
    Chunk<K, V> chunk = chunks.get(i);
    if (chunk.owner != owner) {
      chunk = new Chunk<>(new TreeMap<>(chunk.map), owner);
      chunks.set(i, chunk);
    }
    return chunk.map;
  }

  private static <K, V> K nthKey(TreeMap<K, V> map, int n) {
    Iterator<K> keys = map.keySet().iterator();
    for (int i = 0; i < n; i++) {
      keys.next();
    }
    return keys.next();
  }

  /**
   * Already sorted entries seen as a SortedMap, only so that {@code new TreeMap<>(sorted)} builds
   * its tree in linear time; nothing else is supported.
   */
  private static final class SortedEntries<K, V> extends java.util.AbstractMap<K, V>
      implements java.util.SortedMap<K, V> {
    private final List<Map.Entry<K, V>> entries;

    SortedEntries(List<Map.Entry<K, V>> entries) {
      this.entries = entries;
    }

    @Override
    public java.util.Set<Map.Entry<K, V>> entrySet() {
      return new java.util.AbstractSet<>() {
        @Override
        public Iterator<Map.Entry<K, V>> iterator() {
          return entries.iterator();
        }

        @Override
        public int size() {
          return entries.size();
        }
      };
    }

    @Override
    public int size() {
      return entries.size();
    }

    @Override
    public java.util.Comparator<? super K> comparator() {
      return null;
    }

    @Override
    public java.util.SortedMap<K, V> subMap(K fromKey, K toKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.SortedMap<K, V> headMap(K toKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public java.util.SortedMap<K, V> tailMap(K fromKey) {
      throw new UnsupportedOperationException();
    }

    @Override
    public K firstKey() {
      return entries.get(0).getKey();
    }

    @Override
    public K lastKey() {
      return entries.get(entries.size() - 1).getKey();
    }
  }
}
