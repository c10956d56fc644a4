package org.twinsign.appliance.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * NOTIFY (RFC 1996) to the secondaries on each new serial: over UDP, each retried until the
 * secondary answers or {@link #ATTEMPTS} tries have gone, a newer serial of the same zone
 * replacing an older one still being retried. Every attempt is a master action: it is sent only
 * while {@code mayAct} says so (the lease), so a deposed master notifies nobody. Lifecycle:
 * construct → {@link #newSerial} → {@link #close}.
 */
public final class NotifySender implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NotifySender.class);
  static final int ATTEMPTS = 5;
  static final Duration WAIT = Duration.ofSeconds(2);

  private final Supplier<List<InetSocketAddress>> secondaries;
  private final TSIG key;
  private final Supplier<String> mayAct;
  private final ExecutorService senders = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "dns-notify");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Long> latest = new ConcurrentHashMap<>();
  private volatile TransferLog log = new TransferLog();

  /** Records each NOTIFY's outcome in {@code log} (for {@code zone status}). */
  public NotifySender logTo(TransferLog log) {
    this.log = log;
    return this;
  }

  /** Whether any secondary is configured. */
  public boolean hasSecondaries() {
    return !secondaries.get().isEmpty();
  }

  /** The secondaries, HOST:PORT. */
  public java.util.List<String> secondaries() {
    return secondaries.get().stream().map(ServerAddress::format).toList();
  }

  /**
   * @param key signs every NOTIFY, or null
   * @param mayAct why this node may not send now (not master, lease lapsed), or null when it may
   */
  public NotifySender(List<InetSocketAddress> secondaries, TSIG key, Supplier<String> mayAct) {
    this(fixed(secondaries), key, mayAct);
  }

  private static Supplier<List<InetSocketAddress>> fixed(List<InetSocketAddress> secondaries) {
    List<InetSocketAddress> copy = List.copyOf(secondaries);
    return () -> copy;
  }

  /** As above, with the secondaries asked for each new serial (a pair's standby comes and goes). */
  public NotifySender(Supplier<List<InetSocketAddress>> secondaries, TSIG key, Supplier<String> mayAct) {
    this.secondaries = secondaries;
    this.key = key;
    this.mayAct = mayAct;
  }

  /** Tells every secondary that {@code zone} has {@code soa}'s serial now; returns at once. */
  public void newSerial(Name zone, SOARecord soa) {
    for (InetSocketAddress secondary : secondaries.get()) {
      String id = zone + " " + secondary;
      latest.put(id, soa.getSerial());
      senders.execute(() -> send(id, zone, soa, secondary));
    }
  }

  private void send(String id, Name zone, SOARecord soa, InetSocketAddress secondary) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Long newest = latest.get(id);
      if (newest == null || newest != soa.getSerial()) {
        return; // a newer serial's NOTIFY is on its way
      }
      String why = mayAct.get();
      if (why != null) {
        LOG.info("NOTIFY of zone {} serial {} to {} not sent: {}", zone, soa.getSerial(), secondary, why);
        return;
      }
      Message notify = new Message();
      notify.getHeader().setOpcode(Opcode.NOTIFY);
      notify.getHeader().setFlag(Flags.AA);
      notify.addRecord(Record.newRecord(zone, Type.SOA, DClass.IN), Section.QUESTION);
      notify.addRecord(soa, Section.ANSWER);
      if (key != null) {
        key.apply(notify, null);
      }
      try (DatagramSocket socket = new DatagramSocket()) {
        socket.setSoTimeout((int) WAIT.toMillis());
        byte[] out = notify.toWire();
        socket.send(new DatagramPacket(out, out.length, secondary));
        byte[] in = new byte[4096];
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
          DatagramPacket packet = new DatagramPacket(in, in.length);
          socket.receive(packet);
          if (!packet.getSocketAddress().equals(secondary)) {
            continue; // only the secondary's own answer counts
          }
          byte[] wire = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
          Message answer;
          try {
            answer = new Message(wire);
          } catch (IOException malformed) {
            continue;
          }
          if (answer.getHeader().getID() != notify.getHeader().getID() || !answer.getHeader().getFlag(Flags.QR)) {
            continue;
          }
          if (key != null && key.verify(answer, wire, notify.getTSIG()) != org.xbill.DNS.Rcode.NOERROR) {
            LOG.info("NOTIFY of zone {} serial {} to {}: the answer is not signed with the notify key; ignored",
                zone, soa.getSerial(), secondary);
            continue;
          }
          LOG.info("NOTIFY of zone {} serial {} to {}: {}", zone, soa.getSerial(), secondary,
              org.xbill.DNS.Rcode.string(answer.getRcode()));
          log.notified(zone, ServerAddress.format(secondary), "serial " + soa.getSerial() + ", answered "
              + org.xbill.DNS.Rcode.string(answer.getRcode()));
          latest.remove(id, soa.getSerial());
          return;
        }
      } catch (SocketTimeoutException e) {
        // no answer: again
      } catch (IOException e) {
        LOG.info("NOTIFY of zone {} serial {} to {} failed (attempt {}): {}", zone, soa.getSerial(), secondary,
            attempt, e.toString());
        sleep(WAIT);
      }
    }
    LOG.warn("NOTIFY of zone {} serial {} to {}: no answer after {} attempts; it picks the serial up at its next"
        + " SOA refresh", zone, soa.getSerial(), secondary, ATTEMPTS);
    log.notified(zone, ServerAddress.format(secondary), "serial " + soa.getSerial() + ", no answer after " + ATTEMPTS
        + " attempts");
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    senders.shutdownNow();
  }
}
