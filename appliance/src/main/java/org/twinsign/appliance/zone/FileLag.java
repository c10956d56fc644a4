package org.twinsign.appliance.zone;

import java.time.Duration;

/**
 * How far a file that follows a zone held in memory lags behind it, and when it is due to be
 * written again, as Knot's {@code zonefile-sync}: once the zone has had no new version for
 * {@link #QUIET}, at the latest {@link #AT_MOST} after the file fell behind. Times are
 * {@link System#nanoTime()}. Used for the transferred input files and the signed files alike.
 */
public record FileLag(long behindSince, long changedAt) {
  public static final Duration QUIET = Duration.ofSeconds(3);
  public static final Duration AT_MOST = Duration.ofSeconds(60);

  /** The lag after a new version at {@code now}; {@code was} is null when the file was current. */
  public static FileLag changed(FileLag was, long now) {
    return new FileLag(was == null ? now : was.behindSince, now);
  }

  /** Whether the file is due to be written at {@code now}. */
  public boolean due(long now) {
    return now - changedAt >= QUIET.toNanos() || now - behindSince >= AT_MOST.toNanos();
  }
}
