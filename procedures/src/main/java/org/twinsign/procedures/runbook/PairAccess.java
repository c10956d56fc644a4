package org.twinsign.procedures.runbook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.twinsign.appliance.cli.AdminClient;

/**
 * The pair as a runbook reaches it: the {@code twinsign} commands an operator uses, run by this
 * node's admin endpoint (which hands those that change state to the master). Nothing here opens
 * the store or an HSM.
 */
public class PairAccess {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final AdminClient local;
  private final String token;
  private final String node;
  private final String peer;

  private final org.twinsign.appliance.config.TwinsignConfig config;

  /** {@code token}: the pair's admin token, for asking the master directly ({@link #jsonOnMaster}). */
  public PairAccess(AdminClient local, String token, String node, String peer) {
    this(local, token, node, peer, null);
  }

  /** As above, with this node's configuration ({@code config}: what a runbook reads of this host, its HSMs). */
  public PairAccess(AdminClient local, String token, String node, String peer,
      org.twinsign.appliance.config.TwinsignConfig config) {
    this.local = local;
    this.token = token;
    this.node = node;
    this.peer = peer;
    this.config = config;
  }

  private final java.util.Map<String, java.time.Instant> stepsDone = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * When the current run's step {@code id} was done (from its trail, or this invocation): for waits
   * counted from an earlier step ("the DS TTL after the parent publishes it").
   */
  public Optional<java.time.Instant> stepDoneAt(String id) {
    return Optional.ofNullable(stepsDone.get(id));
  }

  void stepDone(String id, java.time.Instant at) {
    stepsDone.put(id, at);
  }

  /** This node's configuration, as the CLI read it. */
  public org.twinsign.appliance.config.TwinsignConfig config() {
    if (config == null) {
      throw new IllegalStateException("this runbook reads the node's configuration: run it with --config");
    }
    return config;
  }

  /** This node's name (the one whose configuration the CLI was given). */
  public String node() {
    return node;
  }

  /** The other node's name. */
  public String peer() {
    return peer;
  }

  /** Runs a command; its answer whatever its exit code. */
  public AdminClient.Answer call(List<String> args) {
    return local.call(args, Duration.ofMinutes(5));
  }

  /** Runs a command that prints JSON; its JSON, or an IllegalStateException saying why there is none. */
  public JsonNode json(List<String> args) {
    return parse(args, call(args), "");
  }

  /** The JSON of an answer, or an IllegalStateException with what the node said. */
  private static JsonNode parse(List<String> args, AdminClient.Answer a, String where) {
    String command = "'twinsign " + String.join(" ", args) + "'" + where;
    if (a.exit() != 0) {
      throw new IllegalStateException(command + ": " + (a.err().isBlank() ? a.out() : a.err()).strip()
          .replaceFirst("^error: ", ""));
    }
    try {
      return JSON.readTree(a.out());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(command + " answered no JSON: " + e.getMessage());
    }
  }

  /**
   * As {@link #json}, answered by the master itself (what only the master has in memory: the zones
   * it serves and their signatures).
   */
  public JsonNode jsonOnMaster(List<String> args) {
    return jsonOn(master().orElseThrow(() -> new IllegalStateException("no node is master")), args);
  }

  /** As {@link #json}, answered by node {@code name} itself (a command that reads: from its own store). */
  public JsonNode jsonOn(String name, List<String> args) {
    String address = member(name).map(m -> m.path("admin").asText()).orElseThrow(() -> new IllegalStateException(
        "node " + name + " is not running"));
    return parse(args, new AdminClient(address, token, "node " + name + "'s admin address in ZooKeeper")
        .call(args, Duration.ofMinutes(1)), " on node " + name);
  }

  /** {@code cluster list --json}: {@code cluster} (summary) and {@code nodes}. */
  public JsonNode cluster() {
    return json(List.of("cluster", "list", "--json"));
  }

  /** A running node's row of {@code cluster list}. */
  public Optional<JsonNode> member(String name) {
    for (JsonNode n : cluster().path("nodes")) {
      if (n.path("node").asText().equals(name)) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }

  /** The master's name, if a node is master. */
  public Optional<String> master() {
    for (JsonNode n : cluster().path("nodes")) {
      if (n.path("role").asText().equals("master")) {
        return Optional.of(n.path("node").asText());
      }
    }
    return Optional.empty();
  }

  /** The journal of runbook runs, in the replicated store ({@code runbook-journal}). */
  public RunJournal journal() {
    return new RunJournal(this);
  }
}
