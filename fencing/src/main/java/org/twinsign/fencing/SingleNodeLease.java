package org.twinsign.fencing;

import java.util.OptionalLong;

/** {@link Lease#singleNode()}: one signer and no rival, so always valid and without an epoch. */
final class SingleNodeLease implements Lease {
  static final SingleNodeLease INSTANCE = new SingleNodeLease();

  private SingleNodeLease() {}

  @Override
  public OptionalLong epoch() {
    return OptionalLong.empty();
  }

  @Override
  public boolean valid() {
    return true;
  }

  @Override
  public String describe() {
    return "single-node lease (node.mode=single)";
  }
}
