package org.twinsign.appliance.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.store.AlertTable;

/**
 * The master's alert loop: asks the {@link AlertSource}s what holds, records it in the store,
 * queues the mails that are due ({@link MailSchedule}) and sends the outbox. It runs on every node
 * and does its work only while the node is master (its services are there); a new master picks up
 * the outbox where the old one stopped.
 *
 * <p>Delivery is at least once and recognisably once: a mail is marked sent after the SMTP server
 * took it, so a master that dies in between leaves it to the next, which sends it again with the
 * same Message-ID. A mail the server refused is tried again after a wait that doubles up to 5 min;
 * while the server is away the mails wait (a pass stops at the first refusal). Lifecycle:
 * {@link #start}, {@link #close}.
 */
public final class AlertOutbox implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AlertOutbox.class);

  /** The loop's pace when nothing wakes it. */
  static final Duration PACE = Duration.ofSeconds(1);

  private final Supplier<Services> master;
  private final MailSettings settings;
  private final AlertMailer mailer;
  private final String cluster;
  private final String node;
  private final List<AlertSource> sources = new ArrayList<>();
  private final Map<AlertSource, Long> asked = new HashMap<>();
  private final Map<String, Long> warned = new HashMap<>();
  private final Map<String, Long> toldDirectly = new HashMap<>(); // condition key -> when mailed (nanos)
  private java.util.concurrent.Callable<List<Condition>> leaderless;
  private long leaderlessAsked;
  private final Semaphore wake = new Semaphore(0);
  private final Thread thread;
  private volatile boolean running = true;
  private Services last;

  /**
   * @param master the services of this node's running term, or null while it is not master
   */
  public AlertOutbox(Supplier<Services> master, MailSettings settings, String cluster, String node) {
    this.master = master;
    this.settings = settings;
    this.mailer = settings.mails() ? new AlertMailer(settings) : null;
    this.cluster = cluster;
    this.node = node;
    this.thread = new Thread(this::run, "alert-outbox");
    this.thread.setDaemon(true);
    if (mailer != null && settings.tls() != MailSettings.Tls.NONE) {
      sources.add(new CertificateAlerts(mailer)); // the mails' own way out
    }
  }

  /** Adds a source; before {@link #start}. */
  public AlertOutbox watch(AlertSource source) {
    sources.add(source);
    return this;
  }

  /**
   * What this node must tell while the pair has no master, so that nobody can record it (a failed
   * fence): mailed at once, outside the outbox, again once per {@code alert.rate-limit} while it
   * holds. Before {@link #start}.
   */
  public AlertOutbox whenLeaderless(java.util.concurrent.Callable<List<Condition>> check) {
    this.leaderless = check;
    return this;
  }

  public void start() {
    thread.start();
  }

  /**
   * One pass now, on this thread, with {@code services}: a single signer ({@code node.mode=single})
   * has no daemon, so each {@code enforce} (cron, a systemd timer) looks, queues and sends.
   */
  public static void once(Services services, MailSettings settings, String cluster, String node,
      AlertSource... sources) {
    AlertOutbox outbox = new AlertOutbox(() -> services, settings, cluster, node);
    for (AlertSource source : sources) {
      outbox.watch(source);
    }
    outbox.pass(services);
    if (outbox.mailer != null) {
      outbox.pass(services); // what the first pass's mails showed of the server (its certificate) is told now
    }
  }

  /** Runs the next pass now (a mail queued by an operator). */
  public void wake() {
    wake.release();
  }

  private void run() {
    while (running) {
      Services services = master.get();
      boolean fresh = services != last;
      if (services == null) {
        last = null;
        tellLeaderless();
      } else if (services.lease().valid()) {
        last = services; // a term whose lease is not valid yet is reset once it is
        try {
          if (fresh) { // a new term looks at everything at once, with what the store holds open
            asked.clear();
            for (AlertSource source : sources) {
              source.reset(services.alerts().openKeys(source.kinds()));
            }
          }
          pass(services);
        } catch (Throwable e) { // the loop must outlive anything one pass meets
          if (fresh) {
            last = null; // the reset did not happen: again at the next pass
          }
          if (master.get() == services) { // not just a term that ended under the pass
            warn("pass", "alerts: " + e);
          }
        }
      }
      try {
        if (wake.tryAcquire(PACE.toMillis(), TimeUnit.MILLISECONDS)) {
          wake.drainPermits();
        }
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void tellLeaderless() {
    long now = System.nanoTime();
    if (leaderless == null || mailer == null || leaderlessAsked != 0 && now - leaderlessAsked < 5_000_000_000L) {
      return;
    }
    leaderlessAsked = now;
    try {
      for (Condition c : leaderless.call()) {
        Long at = toldDirectly.get(c.key());
        List<String> to = settings.recipients(c.kind().role(), c.severity());
        if (at != null && now - at < settings.rateLimit().toNanos() || to.isEmpty()) {
          continue;
        }
        java.time.Instant time = java.time.Instant.now();
        AlertMessage text = AlertMessage.direct(c, cluster, node, time);
        String id = settings.messageId("alert-direct-" + time.toEpochMilli() + "." + node + "." + cluster);
        mailer.send(new AlertTable.Mail(0, null, id, null, "direct", String.join(", ", to), text.subject(),
            text.body(), time, 0, null, null, null, null, null));
        toldDirectly.put(c.key(), now);
        LOG.warn("alert mailed directly, the pair has no master to record it: {} ({})", c.key(), id);
      }
    } catch (Exception e) {
      warn("leaderless", "alerts: could not mail what the pair without a master must tell: " + describe(e));
    }
  }

  private void pass(Services services) {
    long now = System.nanoTime();
    for (AlertSource source : sources) {
      Long at = asked.get(source);
      if (at != null && now - at < source.every().toNanos()) {
        continue;
      }
      asked.put(source, now);
      List<Condition> seen;
      try {
        seen = source.look(services);
      } catch (Exception e) {
        warn("source " + source.getClass().getSimpleName(), "alerts: could not look at " + source.kinds() + ": "
            + e.getMessage());
        continue;
      }
      if (seen == null) {
        continue;
      }
      try {
        for (String raised : services.alerts().observe(source.kinds(), seen)) {
          LOG.warn("alert raised: {}", raised);
        }
      } catch (RuntimeException e) {
        warn("observe", "alerts: could not record " + source.kinds() + ": " + e.getMessage());
      }
    }
    try {
      services.alerts().schedule(settings, cluster, node);
      services.alerts().digest(settings, cluster, node);
    } catch (RuntimeException e) {
      warn("schedule", "alerts: could not queue mails: " + e.getMessage()); // what is queued is still sent
    }
    deliver(services);
  }

  private void deliver(Services services) {
    for (AlertTable.Mail mail : services.alerts().due(20)) { // in order, up to the first still waiting
      services.lease().check("send alert mail " + mail.messageId()); // a mail is a master's action too
      if (mailer == null) {
        // queued by 'alert test' before alert.smtp.host was removed: it stays pending
        return;
      }
      try {
        mailer.send(mail);
      } catch (AlertMailer.Refused e) {
        services.alerts().gaveUp(mail, e.getMessage());
        warn("smtp-refused", "alert mail " + mail.messageId() + " to " + mail.recipients() + " " + e.getMessage()
            + ": not tried again; check alert.mail.to.* ('alert list --mails')");
        continue;
      } catch (AlertMailer.PartlySent e) {
        warn("smtp-refused", "alert mail " + mail.messageId() + " " + e.getMessage() + ": check alert.mail.to.*");
      } catch (jakarta.mail.MessagingException | RuntimeException e) {
        String why = describe(e);
        java.time.Instant next = services.alerts().failed(mail, why);
        warn("smtp", "alert mail " + mail.messageId() + " to " + mail.recipients() + " not sent through "
            + mailer.server() + ": " + why + "; the outbox tries again at " + next);
        return; // the server is away: the others wait for the next pass
      }
      services.alerts().sent(mail.id());
      LOG.info("alert mail {} sent to {}: {}", mail.messageId(), mail.recipients(), mail.subject());
    }
  }

  /** The error in one line: Jakarta Mail nests the cause that says what went wrong. */
  private static String describe(Exception e) {
    StringBuilder b = new StringBuilder(String.valueOf(e.getMessage()));
    Throwable cause = e.getCause();
    for (int i = 0; cause != null && i < 3; i++, cause = cause.getCause()) {
      b.append(": ").append(cause.getClass().getSimpleName()).append(' ').append(cause.getMessage());
    }
    return b.toString().replaceAll("\\s+", " ").trim();
  }

  /** Logs a warning once a minute per topic at most: an SMTP server that is down for an hour is not 3,600 lines. */
  private void warn(String topic, String message) {
    long now = System.nanoTime();
    Long at = warned.get(topic);
    if (at == null || now - at > Duration.ofMinutes(1).toNanos()) {
      warned.put(topic, now);
      LOG.warn("{}", message);
    } else {
      LOG.debug("{}", message);
    }
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
