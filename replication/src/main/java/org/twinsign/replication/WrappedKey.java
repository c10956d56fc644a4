package org.twinsign.replication;

/**
 * A key held in the replicated store in wrapped form: its place in the order the master wrote
 * them ({@code seq}), an id naming the key in the HSMs, and the fencing epoch whose master wrote
 * it. What the wrapped form holds is the implementation's.
 */
public interface WrappedKey {
  long seq();

  String id();

  long epoch();
}
