package org.twinsign.procedures.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.cli.AdminClient;

/**
 * What the pair's admin endpoints answer, asked once per health run with the commands an
 * operator uses ({@code cluster list}, {@code alert list}, {@code key list}, {@code key pool},
 * {@code zone list}, {@code zone status}): the cluster from this node, the zones, keys and
 * alerts from the master (the standby holds no signed zones in memory). An answer that did not
 * come says why instead.
 */
public final class PairAnswers {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** How long the zones are asked at most: a health screen answers in seconds, however many zones. */
  static final Duration ZONE_BUDGET = Duration.ofSeconds(20);
  /** How long all questions take at most: a monitoring system gives a check a minute at most. */
  static final Duration TOTAL = Duration.ofSeconds(45);

  /** One command's answer: its JSON, or why there is none. */
  public record Answer(JsonNode json, String error) {
    static Answer failed(String error) {
      return new Answer(null, error);
    }

    public boolean ok() {
      return json != null;
    }
  }

  private final Answer cluster;
  private final String masterAddress;
  private final Answer alerts;
  private final Answer keys;
  private final Answer pool;
  private final Map<String, Answer> zones;
  private final int zonesNotAsked;

  PairAnswers(Answer cluster, String masterAddress, Answer alerts, Answer keys, Answer pool,
      Map<String, Answer> zones, int zonesNotAsked) {
    this.cluster = cluster;
    this.masterAddress = masterAddress;
    this.alerts = alerts;
    this.keys = keys;
    this.pool = pool;
    this.zones = zones;
    this.zonesNotAsked = zonesNotAsked;
  }

  /** Asks the pair: {@code local} is this node's admin endpoint; {@code token} opens the master's too. */
  public static PairAnswers ask(AdminClient local, String token) {
    long deadline = System.nanoTime() + TOTAL.toNanos();
    Answer cluster = ask(local, List.of("cluster", "list", "--json"), deadline);
    String master = null;
    if (cluster.ok()) {
      for (JsonNode node : cluster.json().path("nodes")) {
        if (node.path("role").asText().equals("master") && !node.path("admin").asText().isEmpty()) {
          master = node.path("admin").asText();
        }
      }
    }
    if (master == null) {
      String why = cluster.ok() ? "no node is master" : cluster.error();
      Answer none = Answer.failed(why);
      return new PairAnswers(cluster, null, none, none, none, Map.of(), 0);
    }
    AdminClient m = new AdminClient(master, token, "the master's admin address in ZooKeeper");
    Answer alerts = ask(m, List.of("alert", "list", "--open", "--json"), deadline);
    Answer keys = ask(m, List.of("key", "list", "--json"), deadline);
    Answer pool = ask(m, List.of("key", "pool", "--json"), deadline);
    Map<String, Answer> zones = new LinkedHashMap<>();
    Answer list = ask(m, List.of("zone", "list", "--json"), deadline);
    int notAsked = 0;
    if (list.ok()) {
      long end = Math.min(System.nanoTime() + ZONE_BUDGET.toNanos(), deadline);
      for (JsonNode zone : list.json()) {
        String name = zone.path("zone").asText();
        if (System.nanoTime() > end) {
          notAsked++;
        } else {
          zones.put(name, ask(m, List.of("zone", "status", "--zone", name, "--json"), end));
        }
      }
    } else {
      zones.put("(zones)", list);
    }
    return new PairAnswers(cluster, master, alerts, keys, pool, zones, notAsked);
  }

  /** One question, given what is left until {@code deadline} (at most 20 s, at least 1 s). */
  private static Answer ask(AdminClient client, List<String> args, long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return Answer.failed("not asked: the health check's " + TOTAL.toSeconds() + " s were used up");
    }
    try {
      AdminClient.Answer a = client.call(args, Duration.ofNanos(Math.max(1_000_000_000L, Math.min(left,
          Duration.ofSeconds(20).toNanos()))));
      if (a.exit() != 0) {
        return Answer.failed(firstLine(a.err().isBlank() ? a.out() : a.err()));
      }
      return new Answer(JSON.readTree(a.out()), null);
    } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
      return Answer.failed(firstLine(String.valueOf(e.getMessage())));
    }
  }

  private static String firstLine(String text) {
    String t = text.strip().replaceFirst("^error: ", "");
    int nl = t.indexOf('\n');
    return nl < 0 ? t : t.substring(0, nl);
  }

  /** {@code cluster list --json} of this node: {@code cluster} (summary) and {@code nodes}. */
  public Answer cluster() {
    return cluster;
  }

  /** The master's admin address, or null when there is none. */
  public String masterAddress() {
    return masterAddress;
  }

  public Answer alerts() {
    return alerts;
  }

  public Answer keys() {
    return keys;
  }

  public Answer pool() {
    return pool;
  }

  /** Each zone's {@code zone status --json}, in {@code zone list}'s order. */
  public Map<String, Answer> zones() {
    return zones;
  }

  /** Zones left out for want of time. */
  public int zonesNotAsked() {
    return zonesNotAsked;
  }

  /** The nodes' rows of {@code cluster list}. */
  public List<JsonNode> nodes() {
    List<JsonNode> out = new ArrayList<>();
    if (cluster.ok()) {
      cluster.json().path("nodes").forEach(out::add);
    }
    return out;
  }
}
