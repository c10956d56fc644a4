package org.twinsign.appliance.node;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.service.ExternalCommand;

/**
 * Tells systemd how the node is, when it runs under systemd ({@code Type=notify}): READY once the
 * node takes part in the cluster, and WATCHDOG while its HA loop is alive, so that systemd
 * restarts a node whose loop hangs. Java cannot write to the notify socket (a Unix datagram
 * socket), so this runs {@code systemd-notify}; the unit needs {@code NotifyAccess=all}.
 * Without {@code NOTIFY_SOCKET} in the environment it does nothing.
 */
final class SystemdNotify implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "systemd-watchdog");
    t.setDaemon(true);
    return t;
  });

  static boolean underSystemd() {
    return System.getenv("NOTIFY_SOCKET") != null;
  }

  /** READY=1, then WATCHDOG=1 at half the watchdog interval while {@code alive} holds. */
  void ready(BooleanSupplier alive) {
    if (!underSystemd()) {
      return;
    }
    send("READY=1");
    String usec = System.getenv("WATCHDOG_USEC");
    if (usec != null) {
      long half = Math.max(100, Long.parseLong(usec.trim()) / 2000);
      timer.scheduleAtFixedRate(() -> {
        if (alive.getAsBoolean()) {
          send("WATCHDOG=1");
        } else {
          LOG.warn("the HA loop did not tick within the watchdog interval: no WATCHDOG=1 (systemd restarts the node)");
        }
      }, half, half, TimeUnit.MILLISECONDS);
    }
  }

  /** STOPPING=1 when the node leaves. */
  void stopping() {
    if (underSystemd()) {
      send("STOPPING=1");
    }
  }

  private static void send(String state) {
    ExternalCommand.Result r = ExternalCommand.run(List.of("systemd-notify", state), "", Duration.ofSeconds(5));
    if (!r.ok()) {
      LOG.warn("systemd-notify {} failed: {}", state, r.detail());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
