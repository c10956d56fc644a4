package org.twinsign.appliance.service;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.twinsign.appliance.zone.Zone;

/**
 * The signed version of each zone that this process published last, kept in memory: the next
 * signing of the zone starts from it (its signatures reused, only what changed signed anew)
 * instead of reading the published file back, which for a million names takes most of a minute.
 * A version is used only while the store still records it as the published one (by digest):
 * another process or node that published since has its own version, and then the file is read.
 * Lives as long as its {@link Services} (for the node daemon: one term as master); thread-safe.
 */
final class SignedZones {
  /** A published signed zone; {@code zone} is never changed once here. */
  record Version(long serial, String digest, Zone zone) {}

  private final Map<String, Version> versions = new ConcurrentHashMap<>();

  /** The zone's version in memory, if it is the one the store records as published ({@code digest}). */
  Zone published(String zone, String digest) {
    Version v = versions.get(zone);
    return v != null && digest != null && v.digest().equals(digest) ? v.zone() : null;
  }

  /** The zone's newly published (and committed) version. */
  void publish(String zone, long serial, String digest, Zone signed) {
    versions.put(zone, new Version(serial, digest, signed));
  }

  /** Forgets the zone's version: its published file is what counts (passed through, deleted, unknown commit). */
  void forget(String zone) {
    versions.remove(zone);
  }
}
