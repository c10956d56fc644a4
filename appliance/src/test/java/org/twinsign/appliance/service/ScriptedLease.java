package org.twinsign.appliance.service;

import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.twinsign.fencing.Lease;

/**
 * A lease for tests that acts when it is asked from inside a given method: it ends there
 * ({@link #revokeIn}), or holds the asking thread there until released ({@link #holdIn}) — a
 * way to stop a run at an exact point (during a signing, just before a publication).
 */
final class ScriptedLease implements Lease {
  private final long epoch;
  private volatile String revokeIn;
  private volatile boolean revoked;
  private volatile String holdIn;
  final CountDownLatch held = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);

  ScriptedLease(long epoch) {
    this.epoch = epoch;
  }

  /** The lease ends the first time it is asked from within {@code Class.method} (simple class name). */
  ScriptedLease revokeIn(String method) {
    revokeIn = method;
    return this;
  }

  /** The first thread that asks from within {@code Class.method} waits there for {@link #release}. */
  ScriptedLease holdIn(String method) {
    holdIn = method;
    return this;
  }

  @Override
  public OptionalLong epoch() {
    return OptionalLong.of(epoch);
  }

  @Override
  public boolean valid() {
    String hold = holdIn;
    if (hold != null && within(hold)) {
      holdIn = null;
      held.countDown();
      try {
        if (!release.await(120, TimeUnit.SECONDS)) {
          throw new IllegalStateException("the test never released the held thread");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String revoke = revokeIn;
    if (revoke != null && within(revoke)) {
      revoked = true;
    }
    return !revoked;
  }

  @Override
  public String describe() {
    return "test lease on epoch " + epoch + (revoked ? " (revoked)" : "");
  }

  private static boolean within(String method) {
    int dot = method.lastIndexOf('.');
    String type = method.substring(0, dot);
    String name = method.substring(dot + 1);
    return StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals(name)
        && (f.getClassName().endsWith("." + type) || f.getClassName().endsWith("$" + type))));
  }
}
