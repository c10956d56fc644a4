package org.twinsign.appliance.node;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.service.SignedZones;
import org.twinsign.appliance.store.AlertTable;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.Store;
import org.twinsign.appliance.store.ZoneTable;

/**
 * The node's Prometheus endpoint ({@code metrics.address}, {@code GET /metrics}), with Micrometer:
 * role, epoch, eligibility, replication lag, signatures made, signing queue, key pools, each zone's
 * signed serial and earliest signature expiry, alerts open and mails pending. Values are read
 * when Prometheus scrapes, from the same places {@code cluster list} and {@code zone status} read.
 * No token: nothing here is secret, and the admin token must not sit in a scraper's config.
 */
final class NodeMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ClusterView view;
  private final MasterDuties duties;
  private final AdminCommands commands;
  private final HttpServer server;
  private final MultiGauge serials;
  private final MultiGauge expiries;
  private final MultiGauge pools;
  private volatile Snapshot last = Snapshot.EMPTY;
  private Services countedTerm;
  private long countedInTerm;
  private long signaturesBefore; // made in this node's earlier terms

  private record Snapshot(double master, double epoch, double eligible, double lag, double queue, double open,
      double pending) {
    static final Snapshot EMPTY = new Snapshot(0, 0, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
  }

  private NodeMetrics(String node, ClusterView view, MasterDuties duties, AdminCommands commands, HttpServer server) {
    this.view = view;
    this.duties = duties;
    this.commands = commands;
    this.server = server;
    registry.config().commonTags("node", node);
    Gauge.builder("twinsign.master", this, m -> m.last.master()).description("1 while this node is master")
        .register(registry);
    Gauge.builder("twinsign.epoch", this, m -> m.last.epoch()).description("the cluster's current fencing epoch")
        .register(registry);
    Gauge.builder("twinsign.standby.eligible", this, m -> m.last.eligible())
        .description("1 while a standby is eligible to take over").register(registry);
    Gauge.builder("twinsign.replication.lag", this, m -> m.last.lag()).baseUnit("seconds")
        .description("this node's database behind the master's (a standby's; NaN on the master)").register(registry);
    Gauge.builder("twinsign.signing.queue", this, m -> m.last.queue())
        .description("zones whose enforcer run is due now").register(registry);
    Gauge.builder("twinsign.alerts.open", this, m -> m.last.open()).description("alerts open").register(registry);
    Gauge.builder("twinsign.alert.mails.pending", this, m -> m.last.pending())
        .description("alert mails in the outbox, not sent yet").register(registry);
    FunctionCounter.builder("twinsign.signatures.made", this, NodeMetrics::signaturesMade)
        .description("signatures this node made as master").register(registry);
    serials = MultiGauge.builder("twinsign.zone.serial").description("the zone's signed serial, as the store has it")
        .register(registry);
    expiries = MultiGauge.builder("twinsign.signatures.expiry.earliest").baseUnit("seconds")
        .description("when the first RRSIG of the zone served expires (Unix time; the master's)").register(registry);
    pools = MultiGauge.builder("twinsign.keypool.keys").description("keys in the pool, used by no zone yet")
        .register(registry);
  }

  /** Starts the endpoint on {@code host:port}; null when {@code port} is 0 (no {@code metrics.address}). */
  static NodeMetrics start(String node, String host, int port, ClusterView view, MasterDuties duties,
      AdminCommands commands) throws IOException {
    if (port == 0) {
      return null;
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 8);
    } catch (IOException e) {
      throw new org.twinsign.appliance.config.ConfigException("metrics.address " + host + ":" + port + " cannot be"
          + " served (" + e.getMessage() + "): is another process on it? Choose a free port");
    }
    NodeMetrics metrics = new NodeMetrics(node, view, duties, commands, server);
    server.createContext("/metrics", exchange -> {
      try (exchange) {
        byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.start();
    LOG.info("node {} serves metrics at http://{}:{}/metrics", node, host, server.getAddress().getPort());
    return metrics;
  }

  private synchronized String scrape() {
    try {
      refresh();
    } catch (Exception e) {
      // the role is known without I/O; what could not be read is unknown, never a stale value
      LOG.debug("metrics: {}", e.toString());
      last = new Snapshot("master".equals(view.role()) ? 1 : 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, Double.NaN);
    }
    return registry.scrape();
  }

  private void refresh() throws Exception {
    boolean master = "master".equals(view.role());
    Map<String, String> summary = view.summary();
    Map<String, String> self = view.self();
    String epochText = summary.getOrDefault("epoch", "0").split(" ")[0];
    String lagText = self.getOrDefault("lag", "").replace(" s", "").trim();
    Services services = master ? duties.services() : commands.services(false);
    double queue = Double.NaN;
    double open = Double.NaN;
    double pending = Double.NaN;
    if (services != null) {
      Instant[] now = new Instant[1];
      List<ZoneTable.ZoneRow> zones = new ArrayList<>();
      List<ZoneTable.Due> due = new ArrayList<>();
      List<KeyTable.PoolSize> poolSizes = new ArrayList<>();
      long[] counts = new long[2];
      services.store().read(tx -> {
        now[0] = Store.now(tx);
        zones.addAll(ZoneTable.all(tx));
        due.addAll(ZoneTable.schedule(tx));
        poolSizes.addAll(KeyTable.poolSizes(tx));
        counts[0] = AlertTable.openCount(tx);
        counts[1] = AlertTable.unsentCount(tx);
        return null;
      });
      queue = due.stream().filter(d -> d.at() == null || !d.at().isAfter(now[0])).count();
      open = counts[0];
      pending = counts[1];
      serials.register(zones.stream().filter(z -> z.signedSerial() != null).map(z -> MultiGauge.Row.of(Tags.of("zone",
          z.name()), z.signedSerial())).toList(), true);
      pools.register(poolSizes.stream().map(p -> MultiGauge.Row.of(Tags.of("repository", p.repository(), "role",
          p.role(), "algorithm", Integer.toString(p.algorithm())), p.keys())).toList(), true);
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      if (master) {
        for (ZoneTable.ZoneRow z : zones) {
          SignedZones.Version v = services.signedZones().current(z.name());
          long at = v == null ? 0 : services.signedZones().earliestExpiry(v);
          if (at > 0) { // a zone without signatures has no expiry (not 1970)
            rows.add(MultiGauge.Row.of(Tags.of("zone", z.name()), at));
          }
        }
      }
      expiries.register(rows, true);
    }
    last = new Snapshot(master ? 1 : 0, epochText.matches("\\d+") ? Long.parseLong(epochText) : Double.NaN,
        summary.getOrDefault("eligible standby", "none").startsWith("none") ? 0 : 1,
        lagText.matches("\\d+") ? Long.parseLong(lagText) : Double.NaN, queue, open, pending);
  }

  /** Signatures made in this node's terms: the current term's count plus the earlier terms'. */
  private synchronized double signaturesMade() {
    Services services = duties.services();
    if (services != countedTerm) {
      signaturesBefore += countedInTerm;
      countedInTerm = 0;
      countedTerm = services;
    }
    if (services != null) {
      countedInTerm = services.signedZones().signaturesMade();
    }
    return signaturesBefore + countedInTerm;
  }

  int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    registry.close();
  }
}
