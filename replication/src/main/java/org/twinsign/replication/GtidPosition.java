package org.twinsign.replication;

import java.util.Map;
import java.util.TreeMap;

/**
 * A MariaDB GTID position ({@code @@gtid_current_pos}, {@code Gtid_IO_Pos}): per replication
 * domain, the last transaction's server id and sequence number.
 *
 * <p>{@link #errantAgainst} is the rejoin check MaxScale makes: a server may follow a primary only
 * if, in every domain, it is not ahead of the primary and, where it is level, its last transaction
 * is the primary's (same server id). With {@code gtid_strict_mode} sequence numbers only grow in a
 * domain, so anything else means transactions the primary never had.
 */
public record GtidPosition(Map<Long, Gtid> domains) {

  /** One GTID: domain-server-sequence. */
  public record Gtid(long domain, long server, long sequence) {
    @Override
    public String toString() {
      return domain + "-" + server + "-" + sequence;
    }
  }

  public static final GtidPosition EMPTY = new GtidPosition(Map.of());

  public GtidPosition {
    domains = java.util.Collections.unmodifiableMap(new TreeMap<>(domains)); // ordered by domain: stable text
  }

  /** Parses {@code "0-1-42,1-2-7"}; empty or null is {@link #EMPTY}. */
  public static GtidPosition parse(String text) {
    Map<Long, Gtid> domains = new TreeMap<>();
    if (text == null || text.isBlank()) {
      return EMPTY;
    }
    for (String part : text.trim().split("\\s*,\\s*")) {
      String[] f = part.split("-");
      if (f.length != 3) {
        throw new IllegalArgumentException("'" + part + "' is not a MariaDB GTID (domain-server-sequence)");
      }
      Gtid gtid = new Gtid(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]));
      domains.put(gtid.domain(), gtid);
    }
    return new GtidPosition(domains);
  }

  /**
   * What this server has that {@code primary} does not (empty when it may follow it), as text for
   * an operator.
   */
  public String errantAgainst(GtidPosition primary) {
    StringBuilder errant = new StringBuilder();
    for (Gtid ours : domains.values()) {
      Gtid theirs = primary.domains().get(ours.domain());
      if (theirs == null || ours.sequence() > theirs.sequence()
          || (ours.sequence() == theirs.sequence() && ours.server() != theirs.server())) {
        if (errant.length() > 0) {
          errant.append(", ");
        }
        errant.append(ours).append(" (the primary has ").append(theirs == null ? "nothing in domain "
            + ours.domain() : theirs.toString()).append(')');
      }
    }
    return errant.toString();
  }

  /** Whether this position has everything {@code other} has (it is at or past it in every domain). */
  public boolean covers(GtidPosition other) {
    return other.errantAgainst(this).isEmpty();
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    domains.values().forEach(g -> s.append(s.length() == 0 ? "" : ",").append(g));
    return s.toString();
  }
}
