package org.twinsign.appliance.service;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.twinsign.appliance.alert.AlertKind;
import org.twinsign.appliance.alert.AlertMessage;
import org.twinsign.appliance.alert.Condition;
import org.twinsign.appliance.alert.MailSchedule;
import org.twinsign.appliance.alert.MailSettings;
import org.twinsign.appliance.alert.Severity;
import org.twinsign.appliance.store.AlertTable;
import org.twinsign.appliance.store.Store;

/**
 * Alerts in the store: conditions raised and cleared, the mails they need queued in the outbox,
 * and what operators ask of them ({@code alert list/ack/test}). Every write is a master's, under
 * its lease: the outbox a new master finds is the one the old master left.
 */
public final class AlertService {
  private final Services services;

  AlertService(Services services) {
    this.services = services;
  }

  /**
   * Records what a source sees now for the kinds it watches: each condition in {@code current} is
   * raised (or stays open, or comes back); each open alert of {@code kinds} that is not in
   * {@code current} has cleared. A source that could not look passes no kinds, so that nothing is
   * cleared for want of a look.
   *
   * @return the conditions newly raised or back
   */
  public List<String> observe(Collection<AlertKind> kinds, Collection<Condition> current) {
    return services.store().write(services.lease(), tx -> {
      Instant now = Store.now(tx);
      List<String> raised = new ArrayList<>();
      Set<String> keys = new HashSet<>();
      for (Condition c : current) {
        keys.add(c.key());
        Optional<AlertTable.Row> row = AlertTable.byKey(tx, c.key());
        if (row.isEmpty()) {
          AlertTable.insert(tx, c.key(), c.kind().id(), c.severity().label(), c.subject(), c.summary(), c.todo(),
              c.kind().event() ? AlertTable.EVENT : AlertTable.OPEN, now);
          raised.add(c.key());
        } else if (row.get().open()) {
          AlertTable.Row r = row.get();
          Severity was = Severity.parse(r.severity());
          if (was != null && c.severity().compareTo(was) > 0) {
            // worse than it was mailed (paused -> blocked): mailed again at once, as raised
            AlertTable.escalate(tx, r.id(), c.severity().label(), c.summary(), c.todo(), now);
            raised.add(c.key());
          } else if (!r.summary().equals(c.summary()) || !r.todo().equals(c.todo()) || !r.severity().equals(
              c.severity().label()) || Duration.between(r.seenAt(), now).compareTo(Duration.ofMinutes(1)) > 0) {
            AlertTable.seen(tx, r.id(), c.severity().label(), c.summary(), c.todo(), now);
          }
        } else if (row.get().state().equals(AlertTable.RESOLVED)) {
          AlertTable.reopen(tx, row.get().id(), c.severity().label(), c.summary(), c.todo(), now);
          raised.add(c.key());
        }
      }
      for (AlertTable.Row open : AlertTable.open(tx, kinds.stream().map(AlertKind::id).toList())) {
        if (!keys.contains(open.key())) {
          AlertTable.resolve(tx, open.id(), now);
        }
      }
      return raised;
    });
  }

  /** Raises one condition (an event, or one a source sees without watching its whole kind). */
  public List<String> raise(Condition condition) {
    return observe(List.of(), List.of(condition));
  }

  /**
   * Queues the mails that alerts need now ({@link MailSchedule}), each with its Message-ID, to the
   * recipients of the alert's role and severity; records what they told.
   *
   * @return how many mails were queued
   */
  public int schedule(MailSettings settings, String cluster, String node) {
    return services.store().write(services.lease(), tx -> {
      Instant now = Store.now(tx);
      int queued = 0;
      for (AlertTable.Row alert : AlertTable.unsettled(tx)) {
        Optional<MailSchedule.What> what = MailSchedule.due(alert, now, settings.rateLimit(), settings.settle());
        if (what.isEmpty()) {
          continue;
        }
        AlertKind kind = AlertKind.parse(alert.kind());
        Severity severity = Optional.ofNullable(Severity.parse(alert.severity())).orElse(kind.severity());
        List<String> to = settings.recipients(kind.role(), severity);
        if (!to.isEmpty()) {
          // the epoch too: a commit lost in a failover can give the next master the same alert id
          String id = settings.messageId("alert-" + alert.id() + "-" + (alert.mails() + 1) + ".e" + tx.epoch() + "."
              + cluster);
          // one thread per condition: every later mail refers to the alert's first one
          String thread = AlertTable.firstMessageId(tx, alert.id()).orElse(id);
          AlertMessage text = AlertMessage.of(alert, what.get(), cluster, node, tx.epoch(), now);
          AlertTable.addMail(tx, alert.id(), id, thread, what.get().name().toLowerCase(java.util.Locale.ROOT),
              String.join(", ", to), text.subject(), text.body(), now);
          queued++;
        }
        String told = alert.state().equals(AlertTable.EVENT) ? AlertTable.EVENT : what.get().state();
        AlertTable.mailed(tx, alert.id(), told, what.get() == MailSchedule.What.REMINDER, now);
      }
      return queued;
    });
  }

  /**
   * The daily digest ({@code alert.digest.time}, UTC): once a day, from that time on, each distinct
   * list of recipients gets the alerts of its roles that are open or were raised or resolved in
   * the last day, or word that all is quiet (a daily mail also shows that mail still reaches them).
   * One event row per day keeps it to one digest a day across failovers.
   *
   * @return how many digest mails were queued
   */
  public int digest(MailSettings settings, String cluster, String node) {
    if (!settings.mails() || settings.digestTime() == null) {
      return 0;
    }
    Instant now = services.store().read(Store::now);
    java.time.LocalDate day = now.atZone(java.time.ZoneOffset.UTC).toLocalDate();
    if (now.isBefore(day.atTime(settings.digestTime()).toInstant(java.time.ZoneOffset.UTC))) {
      return 0;
    }
    String key = AlertKind.DIGEST.id() + " " + day;
    if (services.store().read(tx -> AlertTable.byKey(tx, key).isPresent())) {
      return 0; // today's is queued: no write transaction every second for it
    }
    return services.store().write(services.lease(), tx -> {
      if (AlertTable.byKey(tx, key).isPresent()) {
        return 0;
      }
      long id = AlertTable.insert(tx, key, AlertKind.DIGEST.id(), Severity.INFO.label(), "day " + day, "the daily"
          + " digest", "nothing", AlertTable.EVENT, now);
      AlertTable.mailed(tx, id, AlertTable.EVENT, false, now);
      Map<List<String>, Set<org.twinsign.appliance.alert.OperatorRole>> lists = new LinkedHashMap<>();
      for (org.twinsign.appliance.alert.OperatorRole role : org.twinsign.appliance.alert.OperatorRole.values()) {
        List<String> to = settings.recipients(role, Severity.CRITICAL);
        if (!to.isEmpty()) {
          lists.computeIfAbsent(to, t -> new HashSet<>()).add(role);
        }
      }
      Instant dayAgo = now.minus(Duration.ofDays(1));
      List<AlertTable.Row> recent = AlertTable.list(tx, false, 1000).stream().filter(a -> {
        AlertKind kind = AlertKind.parse(a.kind());
        return kind != null && kind != AlertKind.TEST && kind != AlertKind.DIGEST && (a.open()
            || a.raisedAt().isAfter(dayAgo) || a.resolvedAt() != null && a.resolvedAt().isAfter(dayAgo));
      }).toList();
      int queued = 0;
      for (Map.Entry<List<String>, Set<org.twinsign.appliance.alert.OperatorRole>> list : lists.entrySet()) {
        List<AlertTable.Row> theirs = recent.stream().filter(a -> list.getValue().contains(AlertKind.parse(a.kind())
            .role())).toList();
        AlertMessage text = AlertMessage.digest(day, theirs, dayAgo, cluster, node, tx.epoch(), now);
        String mailId = settings.messageId("digest-" + day + "-" + ++queued + ".e" + tx.epoch() + "." + cluster);
        AlertTable.addMail(tx, id, mailId, mailId, "digest", String.join(", ", list.getKey()), text.subject(),
            text.body(), now);
      }
      return queued;
    });
  }

  /** {@code alert test --to ADDRESS}: queues a test mail; the master's outbox sends it. */
  public String test(MailSettings settings, String to, String cluster, String node) {
    if (!settings.mails()) {
      throw new IllegalStateException("alerts are not mailed: set alert.smtp.host, alert.mail.from and"
          + " alert.mail.to.dns-operator in the node configuration");
    }
    if (to == null || to.contains(",") || !MailSettings.isAddress(to)) {
      throw new IllegalArgumentException("--to '" + to + "' is not one mail address");
    }
    return services.store().write(services.lease(), tx -> {
      Instant now = Store.now(tx);
      String subject = "mail to " + to + " at " + now;
      long alert = AlertTable.insert(tx, AlertKind.TEST.id() + " " + UUID.randomUUID(), AlertKind.TEST.id(),
          Severity.INFO.label(), subject, "a test mail, asked on node " + node, "nothing", AlertTable.EVENT, now);
      AlertTable.mailed(tx, alert, AlertTable.EVENT, false, now); // to the address given only, not to the roles
      String id = settings.messageId("alert-" + alert + "-1.e" + tx.epoch() + "." + cluster);
      AlertTable.addMail(tx, alert, id, id, "test", to, "[twinsign " + cluster + "] test mail from node " + node,
          "This is a test mail of the Twinsign signer pair " + cluster + ", queued on node " + node + " (epoch "
              + tx.epoch() + ") at " + now + ".\n\nIf you read this, alerts reach you through " + settings.smtpHost()
              + ":" + settings.smtpPort() + ".\n", now);
      return "test mail to " + to + " queued as alert " + alert + " (Message-ID " + id + "); 'alert list --mails'"
          + " shows when it is sent";
    });
  }

  /**
   * The mails of the outbox to send now: the oldest unsent ones, up to the first that waits for
   * its next attempt (so that mails go out in order, and a server that is away is not asked once
   * per mail). Wall-clock time: a simulation store's clock stands still between leaps.
   */
  public List<AlertTable.Mail> due(int limit) {
    Instant now = Instant.now();
    List<AlertTable.Mail> due = new ArrayList<>();
    for (AlertTable.Mail m : services.store().read(tx -> AlertTable.unsent(tx, limit))) {
      if (m.nextAttemptAt().isAfter(now)) {
        break;
      }
      due.add(m);
    }
    return due;
  }

  /** The keys of the open alerts of {@code kinds}. */
  public Set<String> openKeys(Collection<AlertKind> kinds) {
    return services.store().read(tx -> {
      Set<String> keys = new HashSet<>();
      AlertTable.open(tx, kinds.stream().map(AlertKind::id).toList()).forEach(r -> keys.add(r.key()));
      return keys;
    });
  }

  /** The open alerts of {@code kinds} as the conditions they are (a source that cannot look keeps them). */
  public List<Condition> open(Collection<AlertKind> kinds) {
    return services.store().read(tx -> AlertTable.open(tx, kinds.stream().map(AlertKind::id).toList()).stream()
        .map(r -> new Condition(AlertKind.parse(r.kind()), Optional.ofNullable(Severity.parse(r.severity()))
            .orElse(AlertKind.parse(r.kind()).severity()), r.subject(), r.summary(), r.todo())).toList());
  }

  public void sent(long mail) {
    services.store().write(services.lease(), tx -> {
      AlertTable.sent(tx, mail, Store.now(tx));
      return null;
    });
  }

  /** An attempt failed: tried again after a wait that doubles from 5 s up to 5 min. */
  public Instant failed(AlertTable.Mail mail, String error) {
    return services.store().write(services.lease(), tx -> {
      long wait = Math.min(300, 5L << Math.min(mail.attempts(), 6));
      Instant next = Instant.now().plusSeconds(wait);
      AlertTable.failed(tx, mail.id(), error, next);
      return next;
    });
  }

  /** The server refused the mail for good: not tried again; 'alert list --mails' shows why. */
  public void gaveUp(AlertTable.Mail mail, String error) {
    services.store().write(services.lease(), tx -> {
      AlertTable.gaveUp(tx, mail.id(), error, Instant.now());
      return null;
    });
  }

  /** {@code alert ack ID}: silences the alert's reminders until it clears and comes back. */
  public String ack(long id) {
    return services.store().write(services.lease(), tx -> {
      AlertTable.Row alert = AlertTable.byId(tx, id).orElseThrow(() -> new IllegalArgumentException("no alert " + id
          + ": 'alert list' shows them"));
      if (!alert.open()) {
        return "alert " + id + " (" + alert.kind() + ": " + alert.subject() + ") is " + alert.state()
            + ": nothing to acknowledge";
      }
      AlertTable.ack(tx, id, Store.now(tx));
      return "alert " + id + " (" + alert.kind() + ": " + alert.subject() + ") acknowledged: no reminders until it"
          + " clears and comes back";
    });
  }

  /** One alert as {@code alert list} shows it, with the delivery state of its mails. */
  public record Listed(AlertTable.Row alert, List<AlertTable.Mail> mails) {
    public Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", alert.id());
      m.put("kind", alert.kind());
      m.put("severity", alert.severity());
      m.put("subject", alert.subject());
      m.put("state", alert.state());
      m.put("raised_at", String.valueOf(alert.raisedAt()));
      m.put("resolved_at", alert.resolvedAt() == null ? null : alert.resolvedAt().toString());
      m.put("acked", alert.ackedAt() != null);
      m.put("flaps", alert.flaps());
      m.put("summary", alert.summary());
      m.put("todo", alert.todo());
      List<Map<String, Object>> list = new ArrayList<>();
      for (AlertTable.Mail mail : mails) {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("message_id", mail.messageId());
        x.put("what", mail.what());
        x.put("to", mail.recipients());
        x.put("state", mail.sentAt() != null ? "sent" : mail.givenUpAt() != null ? "refused" : "pending");
        x.put("sent_at", mail.sentAt() == null ? null : mail.sentAt().toString());
        x.put("attempts", mail.attempts());
        x.put("last_error", mail.lastError());
        list.add(x);
      }
      m.put("mails", list);
      return m;
    }
  }

  /** {@code alert list [--open]}: newest first. */
  public List<Listed> list(boolean openOnly, int limit) {
    return services.store().read(tx -> {
      List<Listed> out = new ArrayList<>();
      for (AlertTable.Row a : AlertTable.list(tx, openOnly, limit)) {
        out.add(new Listed(a, AlertTable.mailsOf(tx, a.id())));
      }
      return out;
    });
  }

  /** How many mails wait in the outbox. */
  public long pending() {
    return services.store().read(AlertTable::unsentCount);
  }

}
