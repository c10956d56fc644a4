package org.twinsign.appliance.dns;

import java.io.IOException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;

/**
 * The messages of one zone transfer: records packed into messages of up to {@link #BUDGET}
 * bytes, each TSIG-signed when the request was (RFC 8945 §5.3.1: the first with the request's
 * MAC, the others chained to the one before).
 */
final class TransferStream {
  /** Uncompressed bytes per message: well below 65,535 whatever compression saves. */
  static final int BUDGET = 16_000;

  private final Message request;
  private final TSIG key;
  private final DnsServer.Replies replies;
  private Message current;
  private int size;
  private TSIGRecord previous;
  private long messages;
  private long bytes;

  TransferStream(Message request, TSIG key, DnsServer.Replies replies) {
    this.request = request;
    this.key = key;
    this.replies = replies;
  }

  void add(Record record) throws IOException {
    int length = record.toWire(Section.ANSWER).length;
    if (current != null && size + length > BUDGET) {
      flush();
    }
    if (current == null) {
      current = reply(request);
      size = 0;
    }
    current.addRecord(record, Section.ANSWER);
    size += length;
  }

  /** Sends what is pending; the stream's last call. */
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

  long messages() {
    return messages;
  }

  long bytes() {
    return bytes;
  }

  /** An authoritative answer to {@code request}: its id, opcode and question. */
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
