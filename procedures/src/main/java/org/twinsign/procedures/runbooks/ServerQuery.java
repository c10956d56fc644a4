package org.twinsign.procedures.runbooks;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * One RRset as one server serves it: asked directly (not through a resolver and its cache), over
 * TCP with the DO bit, so that "the authoritatives serve it" and "the parent publishes it" are
 * what those servers answer now.
 *
 * @param server as given ({@code HOST:PORT}, {@code HOST@PORT} or {@code HOST})
 * @param keyTags the key tags of the RRset's DNSKEY or DS records
 * @param signers the key tags of the RRSIGs over it
 * @param ttl the largest TTL of the RRset and its RRSIGs (0 when empty)
 */
record ServerQuery(String server, Set<Integer> keyTags, Set<Integer> signers, long ttl) {
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  /** The {@code type} (DNSKEY or DS) RRset of {@code name} at {@code server}; IllegalStateException if it does not answer. */
  static ServerQuery ask(String server, String name, int type) {
    try {
      Message answer = send(server, Name.fromString(name.endsWith(".") ? name : name + "."), type);
      if (answer.getRcode() != Rcode.NOERROR) {
        throw new IllegalStateException("server " + server + " answers " + Rcode.string(answer.getRcode()) + " for "
            + name + " " + Type.string(type));
      }
      if (!answer.getHeader().getFlag(Flags.AA)) { // a referral or a lame server: an empty answer proves nothing
        throw new IllegalStateException("server " + server + " is not authoritative for " + name + " " + Type.string(
            type) + " (no AA flag): give the zone's own servers");
      }
      Set<Integer> tags = new TreeSet<>();
      Set<Integer> signers = new TreeSet<>();
      long ttl = 0;
      for (Record r : answer.getSection(Section.ANSWER)) {
        if (r instanceof DNSKEYRecord k && type == Type.DNSKEY) {
          tags.add(k.getFootprint());
        } else if (r instanceof DSRecord d && type == Type.DS) {
          tags.add(d.getFootprint());
        } else if (r instanceof RRSIGRecord s && s.getTypeCovered() == type) {
          signers.add(s.getFootprint());
        } else {
          continue;
        }
        ttl = Math.max(ttl, r.getTTL());
      }
      return new ServerQuery(server, tags, signers, ttl);
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("server " + server + " does not answer " + name + " " + Type.string(type) + ": "
          + e.getMessage());
    }
  }

  /**
   * Asks {@code server} ({@code HOST:PORT}, {@code HOST@PORT} or {@code HOST}) for {@code name}
   * {@code type} itself: TCP, DO bit, no recursion.
   */
  static Message send(String server, Name name, int type) throws IOException {
    String[] hostPort = server.contains("@") ? server.split("@", 2) : server.matches("[^:]+:\\d+")
        ? server.split(":", 2) : new String[] {server, "53"};
    SimpleResolver resolver = new SimpleResolver(hostPort[0]);
    resolver.setPort(Integer.parseInt(hostPort[1]));
    resolver.setTCP(true);
    resolver.setTimeout(TIMEOUT);
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    query.getHeader().unsetFlag(Flags.RD);
    query.addRecord(new OPTRecord(1232, 0, 0, org.xbill.DNS.ExtendedFlags.DO), Section.ADDITIONAL);
    return resolver.send(query);
  }

  /** The servers of a comma-separated list. */
  static List<String> servers(String list) {
    List<String> all = new ArrayList<>();
    for (String s : list.split(",")) {
      if (!s.isBlank()) {
        all.add(s.trim());
      }
    }
    return all;
  }
}
