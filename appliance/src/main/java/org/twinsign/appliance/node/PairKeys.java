package org.twinsign.appliance.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.twinsign.appliance.cli.AdminClient;
import org.twinsign.appliance.cli.KekOperations;
import org.twinsign.appliance.config.PairConfig;
import org.twinsign.appliance.config.TwinsignConfig;
import org.twinsign.appliance.service.KeySyncService;
import org.twinsign.appliance.service.PublicationGate;
import org.twinsign.appliance.service.Services;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.WrappedKeyTable;
import org.twinsign.fencing.Eligibility;
import org.twinsign.replication.KeySync;

/**
 * This node's part in getting keys into both HSMs ({@code keysync}):
 *
 * <ul>
 *   <li><b>standby</b> ({@code keysync=wrap}): {@link KeySync} unwraps the keys the master wraps
 *       into the store into this node's HSM; and it answers the master's lookups from its HSM;
 *   <li><b>master</b>: wraps new keys into the store, asks the standby's HSM for the keys not yet
 *       known there ({@code POST /v1/peer/keys-held}) and records those found with the store's
 *       public key; zones waiting for them are woken;
 *   <li><b>the publication gate</b>: a key is published only once recorded as in the standby's HSM,
 *       unless the standby is not eligible (the pair runs degraded: no automatic failover lands on
 *       it, and it becomes eligible again only once it holds every published key);
 *   <li><b>the KEK ceremony</b> ({@code twinsign kek}) between the two nodes' HSMs.
 * </ul>
 * Lifecycle: {@link #start()}, then {@link #close()}.
 */
final class PairKeys implements PublicationGate, KekOperations, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PairKeys.class);
  /** How often the master looks for keys to wrap and to find in the standby's HSM, and the standby for keys. */
  static final Duration INTERVAL = Duration.ofSeconds(1);
  /** How long a key found in the standby's HSM counts as there before it is looked up again. */
  static final Duration RECHECK = Duration.ofMinutes(10);
  /** How many keys one look handles. */
  static final int BATCH = 200;

  private final PairConfig pair;
  private final java.nio.file.Path configFile;
  private final MasterDuties duties;
  private final AdminCommands commands;
  private final ClusterView view;
  private final Eligibility eligibility;
  private final String token;
  private final List<String> tokens;
  private final KeySync<WrappedKeyTable.Row> sync;
  private final Thread checker;
  private volatile boolean running = true;
  /** Why keys are not (yet) found in the standby's HSM, by key id; and why the standby could not be asked. */
  private volatile Map<String, String> problems = Map.of();
  private volatile String peerProblem;
  private volatile String lastLogged;
  private volatile boolean standbyEligible;
  private final Set<Long> degradedWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /**
   * Keys the gate let through while the standby was not eligible (id -> when), until the standby
   * holds them: the publication they allow is committed a moment later, and a standby marked
   * eligible in between would be promoted without a key the zones publish.
   */
  private final Map<Long, Long> degradedPassed = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile long eligibleReadAt;
  /** Since when (nanos) the standby has not been eligible, look after look; 0 while it is. */
  private volatile long ineligibleSince;
  /**
   * How long the standby must stay not eligible before keys are published without it: a standby
   * that restarts, or catches up after a failover, is back within seconds, and a key published
   * without it in that moment keeps it from being eligible until key sync brings it.
   */
  static final Duration DEGRADE_AFTER = Duration.ofSeconds(30);

  PairKeys(TwinsignConfig config, MasterDuties duties, AdminCommands commands, ClusterView view,
      Eligibility eligibility, String token) {
    this.pair = config.pair();
    this.configFile = config.source();
    this.duties = duties;
    this.commands = commands;
    this.view = view;
    this.eligibility = eligibility;
    this.token = token;
    this.tokens = config.tokenRepositories();
    // the standby's side: through the node's read-only services, opened when first used
    this.sync = pair.keySync() != PairConfig.KeySync.WRAP ? null : new KeySync<>(pair.nodeName(),
        KeySyncService.wrappedKeys(this::readOnly), KeySyncService.vault(this::readOnly), INTERVAL, Clock.systemUTC(),
        () -> !"master".equals(view.role()));
    this.checker = new Thread(this::check, "key-check-" + pair.nodeName());
    this.checker.setDaemon(true);
  }

  /** Before a new term's own HSM work: no unwrap of the standby's loop runs beside it. */
  void awaitSyncIdle() {
    if (sync != null) {
      sync.awaitIdle();
    }
  }

  PairKeys start() {
    if (sync != null) {
      sync.start();
    }
    checker.start();
    return this;
  }

  private Services readOnly() {
    return commands.services(false);
  }

  /** This node's services for its HSMs: the master's term's, else the read-only ones (one token object per HSM). */
  private Services local() {
    Services master = duties.services();
    return master != null ? master : readOnly();
  }

  // ---- the master's side

  private void check() {
    while (running) {
      try {
        Services services = duties.services();
        if (services != null && services.lease().valid()) {
          checkOnce(services);
        }
      } catch (RuntimeException e) {
        note(e.getMessage());
      }
      try {
        Thread.sleep(INTERVAL.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void checkOnce(Services services) {
    if (pair.keySync() == PairConfig.KeySync.WRAP) {
      for (String line : services.keySync().wrapPending(BATCH)) {
        if (line.startsWith("key sync: ")) {
          LOG.info("{}", line);
        } else {
          note(line); // a problem: once, until it changes
        }
      }
    }
    recheck(services);
    List<KeyTable.HsmKeyRow> keys = services.keySync().notOn(pair.peerName(),
        pair.keySync() == PairConfig.KeySync.WRAP, BATCH);
    if (keys.isEmpty()) {
      problems = Map.of();
      peerProblem = null;
      return;
    }
    Map<String, String> answers;
    try {
      answers = askPeer(keys);
      peerProblem = null;
    } catch (RuntimeException e) {
      peerProblem = "node " + pair.peerName() + " could not be asked: " + e.getMessage();
      note(peerProblem);
      return;
    }
    Map<String, String> found = new LinkedHashMap<>();
    Set<String> zones = services.keySync().record(pair.peerName(), keys, answers, found);
    problems = Map.copyOf(found);
    if (!zones.isEmpty()) {
      LOG.info("key sync: {} key(s) found in node {}'s HSM; zone(s) {} may publish them", keys.size() - found.size(),
          pair.peerName(), zones.size() <= 5 ? zones : zones.size() + " zones");
      zones.forEach(duties::wake);
    }
  }

  /**
   * Looks up again, in the standby's HSM, keys found there long ago: a token emptied or replaced
   * since must not leave records that make the standby eligible with keys it lacks. Only a definite
   * answer (missing, another key) removes a record; no answer leaves it.
   */
  private void recheck(Services services) {
    List<KeyTable.HsmKeyRow> old = services.keySync().foundLongAgo(pair.peerName(), RECHECK, BATCH);
    if (old.isEmpty()) {
      return;
    }
    Map<String, String> answers;
    try {
      answers = askPeer(old);
    } catch (RuntimeException e) {
      return; // asked again at the next look
    }
    List<KeyTable.HsmKeyRow> gone = new ArrayList<>();
    List<KeyTable.HsmKeyRow> still = new ArrayList<>();
    for (KeyTable.HsmKeyRow key : old) {
      String answer = answers.get(WrappedKeyTable.keyId(key.repository(), key.locator()));
      if (answer == null || answer.startsWith("error")) {
        continue;
      }
      (answer.equals(java.util.HexFormat.of().formatHex(key.publicKey())) ? still : gone).add(key);
    }
    services.keySync().record(pair.peerName(), still, answers, new LinkedHashMap<>());
    if (!gone.isEmpty()) {
      services.keySync().lost(pair.peerName(), gone);
      LOG.warn("key sync: {} key(s) recorded as in node {}'s HSM are not there any more (the token was emptied or"
          + " replaced?): they are synced again, and node {} is not eligible while it lacks a published one",
          gone.size(), pair.peerName(), pair.peerName());
    }
  }

  /** What the standby's HSM holds of {@code keys}: by key id, its public key in hex, or why not ({@link KeySyncService#lookup}). */
  private Map<String, String> askPeer(List<KeyTable.HsmKeyRow> keys) {
    List<String> ids = keys.stream().map(k -> WrappedKeyTable.keyId(k.repository(), k.locator())).toList();
    Map<String, String> answers = new LinkedHashMap<>();
    peer().peer("keys-held", Map.of("ids", ids), Duration.ofSeconds(30)).path("keys").properties()
        .forEach(e -> answers.put(e.getKey(), e.getValue().asText()));
    return answers;
  }

  private void note(String line) {
    if (line != null && !line.equals(lastLogged)) {
      lastLogged = line;
      LOG.warn("{}", line);
    }
  }

  /** The peer's admin endpoint, from its member znode. */
  private AdminClient peer() {
    String address;
    try {
      address = view.members().stream().filter(m -> pair.peerName().equals(m.get("node"))).map(m -> m.get("admin"))
          .filter(a -> a != null && !a.isEmpty()).findFirst().orElse(null);
    } catch (Exception e) {
      throw new IllegalStateException("ZooKeeper could not be read: " + e.getMessage(), e);
    }
    if (address == null) {
      throw new IllegalStateException("node " + pair.peerName() + " is not running (no member znode)");
    }
    return new AdminClient(address, token, "node " + pair.peerName() + "'s admin address in ZooKeeper");
  }

  // ---- the publication gate

  @Override
  public String waitsFor(KeyTable.HsmKeyRow key) {
    // the standby is the peer on the master, this node on the standby (its 'rollover list')
    String standby = "master".equals(view.role()) ? pair.peerName() : pair.nodeName();
    if (!tokens.contains(key.repository()) || key.heldBy().contains(standby)) {
      return null;
    }
    if (degraded(standby)) {
      degradedPassed.putIfAbsent(key.id(), System.nanoTime());
      if (degradedWarned.add(key.id()) && "master".equals(view.role())) {
        LOG.warn("key {} may be published without node {}'s HSM holding it: the pair runs degraded (node {} is not"
            + " eligible); it becomes eligible again only once it holds every published key", key.locator(),
            standby, standby);
      }
      return null;
    }
    String why = problems.getOrDefault(WrappedKeyTable.keyId(key.repository(), key.locator()), peerProblem);
    return "node " + standby + "'s HSM holds it (key sync" + (why == null ? "" : ": " + why) + ")";
  }

  /**
   * The keys let through without the standby (see {@link #degradedPassed}) that it may still lack;
   * one passed half an hour ago is let go (its publication is long committed, or never will be).
   */
  Set<Long> degradedPending() {
    long now = System.nanoTime();
    degradedPassed.values().removeIf(at -> now - at > java.time.Duration.ofMinutes(30).toNanos());
    return Set.copyOf(degradedPassed.keySet());
  }

  /** The standby holds these keys now (or they are gone): they no longer hold its eligibility back. */
  void synced(java.util.Collection<Long> ids) {
    degradedPassed.keySet().removeAll(ids);
  }

  /** Whether the standby is not eligible: no failover lands on it, so keys need not wait for it. */
  private boolean degraded(String standby) {
    long now = System.nanoTime();
    if (now - eligibleReadAt > INTERVAL.toNanos()) {
      try {
        standbyEligible = eligibility.read().eligible(standby);
      } catch (Exception e) {
        standbyEligible = true; // unknown: wait for the standby rather than publish without it
      }
      eligibleReadAt = now;
      if (standbyEligible) {
        ineligibleSince = 0;
      } else if (ineligibleSince == 0) {
        ineligibleSince = now;
      }
    }
    return !standbyEligible && ineligibleSince != 0 && now - ineligibleSince >= DEGRADE_AFTER.toNanos();
  }

  // ---- requests from the peer

  /** A request of the peer ({@code POST /v1/peer/OP}). */
  Map<String, Object> handle(String op, JsonNode body) {
    String repository = body.path("repository").asText("");
    Map<String, Object> answer = new LinkedHashMap<>();
    switch (op) {
      case "keys-held" -> {
        List<String> ids = new ArrayList<>();
        body.path("ids").forEach(id -> ids.add(id.asText()));
        if (sync != null) {
          sync.wake(); // the master wrote keys it wants here
        }
        answer.put("keys", local().keySync().lookup(ids));
      }
      case "kek-status" -> answer.put("status", local().kek().status());
      case "kek-transport" -> answer.put("transport", local().kek().transportKey(acceptingKek(repository)));
      case "kek-import" -> answer.put("check", local().kek().importWrapped(acceptingKek(repository),
          body.path("wrapped").asText(), body.path("check").asText()));
      default -> throw new IllegalArgumentException("no such peer request: " + op);
    }
    return answer;
  }

  /**
   * {@code repository}, if this node takes a KEK over the network: only where its own config says
   * so ({@code kek.handover=accept}), since anyone with the admin token could otherwise plant a KEK
   * they know in an HSM that has none yet, and read every key wrapped under it later.
   */
  private String acceptingKek(String repository) {
    if (!pair.kekHandover()) {
      throw new IllegalStateException("node " + pair.nodeName() + " takes no key-encryption key over the network"
          + " (kek.handover=refuse in " + configFile + ", the default): for the ceremony set kek.handover=accept"
          + " there and restart that node, or carry the KEK with the offline steps ('twinsign kek --help')");
    }
    return repository;
  }

  // ---- the KEK ceremony (twinsign kek ...)

  @Override
  public List<String> status() {
    List<String> lines = new ArrayList<>();
    Map<String, String> own = local().kek().status();
    Map<String, String> theirs = new LinkedHashMap<>();
    String unreachable = null;
    try {
      peer().peer("kek-status", Map.of(), Duration.ofSeconds(10)).path("status").properties()
          .forEach(e -> theirs.put(e.getKey(), e.getValue().asText()));
    } catch (RuntimeException e) {
      unreachable = e.getMessage();
    }
    for (String repository : own.keySet()) {
      String a = own.get(repository);
      String b = unreachable != null ? "unknown (" + unreachable + ")" : theirs.getOrDefault(repository, "none");
      boolean same = unreachable == null && a.equals(b) && a.matches("[0-9a-f]{6}");
      boolean none = a.equals("none") && b.equals("none");
      lines.add("repository " + repository + ": node " + pair.nodeName() + " " + a + ", node " + pair.peerName() + " "
          + b + (same ? ": the same KEK" : unreachable != null ? "" : none ? ": no KEK yet, so no key reaches the"
              + " standby: run 'twinsign kek generate'" : ": not the same: keys cannot be synced"));
    }
    return lines;
  }

  @Override
  public List<String> generate() {
    List<String> lines = new ArrayList<>();
    for (String repository : local().kek().repositories()) {
      java.util.Optional<String> unsealed = local().kek().unsealed(repository);
      if (unsealed.isPresent()) {
        // generated before, its hand-over not done (the peer refused or was away): hand it over now
        lines.add("repository " + repository + ": key-encryption key " + unsealed.get() + " (not handed over yet)"
            + " in node " + pair.nodeName() + "'s HSM already");
      } else {
        String check = local().kek().generate(repository);
        lines.add("repository " + repository + ": key-encryption key generated in node " + pair.nodeName()
            + "'s HSM, check value " + check);
      }
      lines.add(handOver(repository));
    }
    return lines;
  }

  /**
   * Carries the KEK of {@code repository} from this node to the peer, then seals it. Only this way
   * round, started by the operator on this node: a node never hands its KEK out on a peer's request
   * (an admin token must not be enough to take a KEK away).
   */
  private String handOver(String repository) {
    try {
      AdminClient peer = peer();
      Duration wait = Duration.ofMinutes(2); // an RSA-3072 key pair in a slow HSM
      String transport = peer.peer("kek-transport", Map.of("repository", repository), wait).path("transport")
          .asText();
      Map<String, String> exported = local().kek().export(repository, transport);
      String check = peer.peer("kek-import", Map.of("repository", repository, "wrapped", exported.get("wrapped"),
          "check", exported.get("check")), wait).path("check").asText();
      local().kek().seal(repository, check);
      return "repository " + repository + ": carried to node " + pair.peerName() + "'s HSM under a one-time"
          + " transport key; both hold check value " + check + " and neither lets it out again";
    } catch (RuntimeException e) {
      return "repository " + repository + ": not handed over: " + e.getMessage() + "; the KEK stays extractable"
          + " here until it is: carry it with the offline steps ('twinsign kek --help')";
    }
  }

  /** For {@code cluster list} and {@code node status}. */
  Map<String, String> describe() {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("keysync", pair.keySync().name().toLowerCase(java.util.Locale.ROOT));
    Services master = duties.services();
    if (master != null) {
      try {
        WrappedKeyTable.Counts counts = master.keySync().counts(pair.peerName(), pair.keySync()
            == PairConfig.KeySync.WRAP);
        long published = master.keySync().publishedNotOn(pair.peerName());
        info.put("keys", counts.notOnNode() + counts.notWrapped() == 0 ? "in sync"
            : counts.notOnNode() + " not yet in node " + pair.peerName() + "'s HSM" + (counts.notWrapped() > 0 ? ", "
                + counts.notWrapped() + " not wrapped" : "") + (published > 0 ? ", " + published
                + " published without it" : ""));
      } catch (RuntimeException e) {
        info.put("keys", "unknown: " + e.getMessage());
      }
    } else if (sync != null) {
      KeySync.Status status = sync.status();
      info.put("keys", status.installed() + " in this node's HSM" + (status.refused().isEmpty() ? ""
          : ", " + status.refused().size() + " refused (" + status.refused().values().iterator().next() + ")")
          + (status.error() == null ? "" : ", key sync failing: " + status.error()));
    }
    try {
      Map<String, String> kek = local().kek().status();
      info.put("kek", kek.size() == 1 ? kek.values().iterator().next() : kek.toString());
    } catch (RuntimeException e) {
      info.put("kek", "error: " + e.getMessage());
    }
    return info;
  }

  @Override
  public void close() {
    running = false;
    checker.interrupt();
    if (sync != null) {
      sync.close();
    }
  }
}
