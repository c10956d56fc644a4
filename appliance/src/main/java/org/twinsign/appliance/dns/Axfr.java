package org.twinsign.appliance.dns;

import java.io.IOException;
import java.util.Map;
import org.twinsign.appliance.zone.Zone;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;

/**
 * A full zone transfer (RFC 5936): the SOA, every record and signature, the SOA again, packed
 * into messages of up to {@link #MESSAGE_BUDGET} bytes, each TSIG-signed when the request was
 * (RFC 8945 §5.3.1: the first with the request's MAC, the others chained to the one before).
 */
final class Axfr {
  /** Uncompressed bytes per message: well below 65,535 whatever compression saves. */
  static final int MESSAGE_BUDGET = 16_000;

  private Axfr() {}

  /** Sends {@code version} as the answer to {@code request}; returns how many messages and bytes it took. */
  static long[] send(Message request, ServedZones.Version version, TSIG key, DnsServer.Replies replies)
      throws IOException {
    Zone zone = version.zone();
    Record soa = zone.soa();
    Stream stream = new Stream(request, key, replies);
    stream.add(soa);
    for (Map.Entry<Name, Map<Integer, RRset>> node : zone.nodes().entrySet()) {
      for (RRset rrset : node.getValue().values()) {
        for (Record r : rrset.rrs(false)) {
          if (r.getType() != org.xbill.DNS.Type.SOA || !r.getName().equals(version.origin())) {
            stream.add(r);
          }
        }
        for (Record sig : rrset.sigs()) {
          stream.add(sig);
        }
      }
    }
    stream.add(soa);
    stream.flush();
    return new long[] {stream.messages, stream.bytes};
  }

  /** Packs records into messages and signs each. */
  static final class Stream {
    private final Message request;
    private final TSIG key;
    private final DnsServer.Replies replies;
    private Message current;
    private int size;
    private TSIGRecord previous;
    long messages;
    long bytes;

    Stream(Message request, TSIG key, DnsServer.Replies replies) {
      this.request = request;
      this.key = key;
      this.replies = replies;
    }

    void add(Record record) throws IOException {
      int length = record.toWire(Section.ANSWER).length;
      if (current != null && size + length > MESSAGE_BUDGET) {
        flush();
      }
      if (current == null) {
        current = reply(request);
        size = 0;
      }
      current.addRecord(record, Section.ANSWER);
      size += length;
    }

    void flush() throws IOException {
      if (current == null) {
        return;
      }
      if (key != null) {
        key.apply(current, Rcode.NOERROR, messages == 0 ? request.getTSIG() : previous, messages == 0);
        previous = current.getTSIG();
      }
      replies.send(current);
      messages++;
      bytes += size;
      current = null;
    }
  }

  /** An authoritative answer to {@code request}: its id, opcode and question (in the first message). */
  static Message reply(Message request) {
    Message reply = new Message(request.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setFlag(Flags.AA);
    reply.getHeader().setOpcode(request.getHeader().getOpcode());
    if (request.getQuestion() != null) {
      reply.addRecord(request.getQuestion(), Section.QUESTION);
    }
    return reply;
  }
}
