package org.twinsign.appliance.dns;

import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * The signer's answers, as a hidden primary's: SOA queries and zone transfers of the signed
 * zones, to the addresses of {@code dns.allow-transfer}, TSIG-signed when asked so (or required
 * by {@code dns.transfer-key}); everything else is refused. A node that does not serve (the
 * standby) refuses all, so that secondaries listing both signers follow the master. Each refusal
 * is logged naming the peer and the zone, never a secret.
 */
public final class Responder implements DnsServer.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(Responder.class);

  private final ServedZones zones;
  private final AddressAcl transferAcl;
  private final TsigKeys keys;
  private final Name requiredKey;
  private volatile NotifyIn notifyIn = (zone, from, key) -> "this signer takes no zone by transfer";
  private volatile TransferLog transfers = new TransferLog();

  /** Records the transfers answered in {@code log} (for {@code zone status}). */
  public Responder logTransfersTo(TransferLog log) {
    this.transfers = log;
    return this;
  }

  /** Where a NOTIFY from a hidden primary goes (RFC 1996): the zones taken by transfer. */
  public interface NotifyIn {
    /**
     * A primary at {@code from} says {@code zone} changed, signed with TSIG {@code key} (or null).
     *
     * @return null if taken (a refresh follows), else why it is refused
     */
    String notified(Name zone, java.net.InetAddress from, Name key);
  }

  /** Hands NOTIFY messages to {@code notifyIn}; without one they are refused. */
  public Responder notifyTo(NotifyIn notifyIn) {
    this.notifyIn = notifyIn;
    return this;
  }

  /**
   * @param requiredKey the TSIG key every SOA query and transfer must be signed with, or null
   */
  public Responder(ServedZones zones, AddressAcl transferAcl, TsigKeys keys, Name requiredKey) {
    this.zones = zones;
    this.transferAcl = transferAcl;
    this.keys = keys;
    this.requiredKey = requiredKey;
  }

  @Override
  public void handle(DnsServer.Request request, DnsServer.Replies replies) throws IOException {
    Message query = request.message();
    if (query.getHeader().getFlag(Flags.QR)) {
      return; // a response: not ours to answer
    }
    Record question = query.getQuestion();
    String peer = request.client().getAddress().getHostAddress() + "#" + request.client().getPort();
    if (question == null) {
      replies.send(error(query, Rcode.FORMERR));
      return;
    }
    Name zoneName = question.getName();
    TSIG key = null;
    TSIGRecord tsig = query.getTSIG();
    if (tsig != null) {
      key = keys.get(tsig.getName());
      if (key == null) {
        LOG.info("{} from {} for zone {} refused: unknown TSIG key {}", what(query), peer, zoneName, tsig.getName());
        replies.send(badKey(error(query, Rcode.NOTAUTH), tsig));
        return;
      }
      int verified = key.verify(query, request.wire(), null);
      if (verified != Rcode.NOERROR) {
        LOG.info("{} from {} for zone {} refused: TSIG key {} does not verify ({})", what(query), peer, zoneName,
            tsig.getName(), Rcode.TSIGstring(verified));
        Message reply = error(query, Rcode.NOTAUTH);
        key.apply(reply, verified, tsig);
        replies.send(reply);
        return;
      }
    }
    if (query.getHeader().getOpcode() == Opcode.NOTIFY) {
      String refused = notifyIn.notified(zoneName, request.client().getAddress(), tsig == null ? null : tsig.getName());
      if (refused != null) {
        LOG.info("NOTIFY from {} for zone {} refused: {}", peer, zoneName, refused);
        replies.send(signed(error(query, Rcode.REFUSED), key, tsig));
      } else {
        LOG.info("NOTIFY from {} for zone {}: refreshing", peer, zoneName);
        replies.send(signed(TransferStream.reply(query), key, tsig));
      }
      return;
    }
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      LOG.debug("{} from {} for zone {}: not implemented", what(query), peer, zoneName);
      replies.send(signed(error(query, Rcode.NOTIMP), key, tsig));
      return;
    }
    int type = question.getType();
    if (type != Type.SOA && type != Type.AXFR && type != Type.IXFR) {
      replies.send(signed(error(query, Rcode.REFUSED), key, tsig)); // a signer answers for transfers only
      return;
    }
    if (!transferAcl.allows(request.client().getAddress())) {
      LOG.info("{} of zone {} refused to {}: not in dns.allow-transfer ({})", Type.string(type), zoneName, peer,
          transferAcl);
      replies.send(signed(error(query, Rcode.REFUSED), key, tsig));
      return;
    }
    if (requiredKey != null && (tsig == null || !tsig.getName().equals(requiredKey))) {
      LOG.info("{} of zone {} refused to {}: {} (dns.transfer-key is {})", Type.string(type), zoneName, peer,
          tsig == null ? "not TSIG-signed" : "signed with key " + tsig.getName(), requiredKey);
      replies.send(signed(error(query, Rcode.NOTAUTH), key, tsig));
      return;
    }
    String notServing = zones.notServing();
    if (notServing != null) {
      LOG.debug("{} of zone {} refused to {}: {}", Type.string(type), zoneName, peer, notServing);
      replies.send(signed(error(query, Rcode.REFUSED), key, tsig));
      return;
    }
    ServedZones.Version version = zones.current(zoneName);
    if (version == null) {
      // a secondary's SOA polls of a zone not signed yet would flood the log: transfers are worth a line
      if (type == Type.SOA) {
        LOG.debug("SOA of zone {} refused to {}: not a zone of this signer (or not signed yet)", zoneName, peer);
      } else {
        LOG.info("{} of zone {} refused to {}: not a zone of this signer (or not signed yet)", Type.string(type),
            zoneName, peer);
      }
      replies.send(signed(error(query, Rcode.NOTAUTH), key, tsig));
      return;
    }
    if (type == Type.SOA) {
      Message reply = TransferStream.reply(query);
      reply.addRecord(version.zone().soa(), Section.ANSWER);
      replies.send(signed(reply, key, tsig));
      return;
    }
    Long held = type == Type.IXFR ? clientSerial(query) : null;
    boolean upToDate = held != null && !org.twinsign.appliance.dnssec.SerialPolicy.greaterThan(version.serial(), held);
    if (!request.tcp() && !upToDate) {
      Message reply = TransferStream.reply(query);
      reply.getHeader().setFlag(Flags.TC); // transfers go over TCP: the client asks again there
      replies.send(signed(reply, key, tsig));
      return;
    }
    TransferStream stream = new TransferStream(query, key, replies);
    String how;
    if (upToDate) {
      Ixfr.upToDate(version, stream);
      how = "IXFR of zone " + zoneName + ": " + peer + " is up to date at serial " + held;
    } else {
      java.util.Optional<org.twinsign.appliance.zone.ZoneDiff> diff = held == null ? java.util.Optional.empty()
          : version.journal().between(held, version.serial());
      if (diff.isPresent() && diff.get().to().getSerial() == version.serial()) {
        Ixfr.send(version, diff.get(), stream);
        how = "IXFR of zone " + zoneName + " serial " + held + " -> " + version.serial() + " to " + peer + " ("
            + diff.get().removed().size() + " removed, " + diff.get().added().size() + " added)";
      } else {
        Axfr.send(version, stream);
        how = Type.string(type) + " of zone " + zoneName + " serial " + version.serial() + " to " + peer
            + (type == Type.IXFR ? " (whole zone: the journal does not reach back to serial " + held + ")" : "");
      }
    }
    LOG.info("{}{}: {} messages, {} bytes", how, tsig == null ? "" : " (TSIG " + tsig.getName() + ")",
        stream.messages(), stream.bytes());
    transfers.out(zoneName, peer, how + ", " + stream.bytes() + " bytes");
  }

  /** The serial an IXFR client holds (the SOA in the query's authority section, RFC 1995 §3), or null. */
  private static Long clientSerial(Message query) {
    for (Record r : query.getSection(Section.AUTHORITY)) {
      if (r instanceof org.xbill.DNS.SOARecord soa) {
        return soa.getSerial();
      }
    }
    return null;
  }

  private static String what(Message query) {
    Record q = query.getQuestion();
    return (query.getHeader().getOpcode() == Opcode.QUERY ? "" : Opcode.string(query.getHeader().getOpcode()) + " ")
        + (q == null ? "message" : Type.string(q.getType()));
  }

  private static Message error(Message query, int rcode) {
    Message reply = TransferStream.reply(query);
    reply.getHeader().unsetFlag(Flags.AA);
    reply.getHeader().setRcode(rcode);
    return reply;
  }

  /** RFC 8945 §5.2.1: a key the server does not know gets an unsigned TSIG with error BADKEY. */
  private static Message badKey(Message reply, TSIGRecord request) {
    reply.addRecord(new TSIGRecord(request.getName(), org.xbill.DNS.DClass.ANY, 0, request.getAlgorithm(),
        java.time.Instant.now(), request.getFudge(), new byte[0], request.getOriginalID(), Rcode.BADKEY, null),
        org.xbill.DNS.Section.ADDITIONAL);
    return reply;
  }

  private static Message signed(Message reply, TSIG key, TSIGRecord requestTsig) {
    if (key != null) {
      key.apply(reply, requestTsig);
    }
    return reply;
  }
}
