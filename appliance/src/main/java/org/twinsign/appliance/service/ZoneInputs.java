package org.twinsign.appliance.service;

import org.twinsign.appliance.zone.Journal;
import org.twinsign.appliance.zone.Zone;

/**
 * Unsigned zones held in memory by whatever takes them in (the node's transfers from hidden
 * primaries): the signer takes a zone, and the diffs since the version it signed last, from here
 * instead of reading the input file, which is written after, for people and restarts.
 */
public interface ZoneInputs {
  ZoneInputs NONE = zone -> null;

  /**
   * An unsigned version: its serial, its data (never changed once here), and the unsigned diffs
   * that led to it (for the incremental signer).
   */
  record Input(long serial, Zone zone, Journal journal) {
    /** How the store records this input as signed ("the input's digest"): its serial. */
    public String identity() {
      return "serial:" + serial;
    }

    /** The serial of an input the store recorded by {@link #identity()}, or null. */
    public static Long serialOf(String identity) {
      return identity != null && identity.startsWith("serial:") ? Long.valueOf(identity.substring(7)) : null;
    }
  }

  /** The zone's unsigned version held now (lower case, no final dot), or null: then its input file counts. */
  Input current(String zone);
}
