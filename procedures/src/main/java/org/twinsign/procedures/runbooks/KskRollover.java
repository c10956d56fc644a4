package org.twinsign.procedures.runbooks;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.twinsign.procedures.runbook.Check;
import org.twinsign.procedures.runbook.Outcome;
import org.twinsign.procedures.runbook.PairAccess;
import org.twinsign.procedures.runbook.Runbook;
import org.twinsign.procedures.runbook.Step;
import org.xbill.DNS.Type;

/**
 * {@code ksk-rollover}: the operators' two KSK procedures, for a parent that takes several DS
 * records ({@code multi-ds}: the new DS beside the old, the old removed later) or only one
 * ({@code single-ds}: the new DS replaces the old). The new KSK is introduced and signs the DNSKEY
 * RRset beside the old (double-KSK); once every authoritative serves that, the run waits the
 * longest TTL served, has the DS submitted, waits until every parent server publishes it, waits
 * its TTL as served, and has the old DS removed and the old KSK retired. "Served" and "published"
 * are what those servers answer, asked directly; the waits are dates computed from the TTLs they
 * serve. The enforcer keeps its own timings: a step also waits for it.
 */
public final class KskRollover implements Runbook {
  static final Duration PATIENCE = Duration.ofMinutes(10);

  @Override
  public String name() {
    return "ksk-rollover";
  }

  @Override
  public String summary() {
    return "Roll a zone's KSK with its parent (--param parent=single-ds|multi-ds), checking every server.";
  }

  @Override
  public String when() {
    return "When a KSK is due ('rollover list', 'health': next key event), is suspected compromised, or moves to"
        + " another HSM; for a parent that accepts one DS only (single-ds) or several (multi-ds).";
  }

  @Override
  public String why() {
    return "The DS at the parent is the zone's link into the chain of trust: a resolver that holds a DS (for its TTL)"
        + " must find a DNSKEY it matches, signing the DNSKEY RRset. So the new KSK is served and signs beside the old"
        + " one before its DS goes to the parent, and the old KSK stays until no resolver can hold its DS any more."
        + " A parent that takes one DS swaps them at once; that is safe only because both KSKs sign the DNSKEY RRset.";
  }

  @Override
  public Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("zone", "the zone");
    p.put("parent", "single-ds (the parent holds one DS: the new replaces the old) or multi-ds (beside it)");
    p.put("servers", "the zone's authoritative servers, HOST:PORT,... (the secondaries resolvers ask)");
    p.put("parent-servers", "the parent zone's authoritative servers, HOST:PORT,...");
    p.put("old", "the KSK rolled (its key tag; default: the zone's KSK whose DS the parent publishes)");
    return p;
  }

  @Override
  public Map<String, String> resolve(Map<String, String> params, PairAccess pair) {
    Map<String, String> p = new LinkedHashMap<>(params);
    for (String required : List.of("zone", "parent", "servers", "parent-servers")) {
      if (!params.containsKey(required)) {
        throw new IllegalArgumentException("--param " + required + "=...: " + parameters().get(required));
      }
    }
    if (!List.of("single-ds", "multi-ds").contains(params.get("parent"))) {
      throw new IllegalArgumentException("--param parent=" + params.get("parent") + ": single-ds or multi-ds");
    }
    if (!params.containsKey("old")) {
      List<JsonNode> current = ksks(pair, params.get("zone")).stream().filter(k -> k.path("ds_at_parent").asText()
          .equals("seen")).toList();
      if (current.size() != 1) {
        throw new IllegalArgumentException("zone " + params.get("zone") + " has " + current.size() + " KSK(s) whose"
            + " DS the parent publishes ('seen'): name the one to roll, --param old=KEYTAG");
      }
      p.put("old", current.get(0).path("key_tag").asText());
    }
    return p;
  }

  /** The zone's KSKs (and CSKs) as the master's store has them ({@code key list --json}). */
  private static List<JsonNode> ksks(PairAccess pair, String zone) {
    List<JsonNode> all = new ArrayList<>();
    for (JsonNode k : pair.jsonOnMaster(List.of("key", "list", "--zone", zone, "--json"))) {
      if (!k.path("keytype").asText().equals("ZSK")) {
        all.add(k);
      }
    }
    return all;
  }

  private static Optional<JsonNode> key(PairAccess pair, String zone, int tag) {
    return ksks(pair, zone).stream().filter(k -> k.path("key_tag").asInt() == tag).findFirst();
  }

  /** The new KSK: the zone's other KSK, being introduced. */
  private static int successor(PairAccess pair, String zone, int old) {
    return ksks(pair, zone).stream().filter(k -> k.path("key_tag").asInt() != old && !k.path("state").asText()
        .matches("retire|dead")).map(k -> k.path("key_tag").asInt()).findFirst().orElseThrow(() ->
            new IllegalStateException("zone " + zone + " has no successor of KSK " + old + " yet"));
  }

  @Override
  public List<Check> checklist(Map<String, String> params, PairAccess pair) {
    String zone = params.getOrDefault("zone", "?");
    return List.of(
        PairChecks.masterRuns(),
        Check.of("every authoritative serves zone " + zone + "'s DNSKEY RRset", p -> all(params.get("servers"),
            s -> ServerQuery.ask(s, zone, Type.DNSKEY), q -> !q.keyTags().isEmpty(), q -> "keys " + q.keyTags())),
        Check.of("every parent server serves the DS of KSK " + params.get("old"), p -> all(params.get(
            "parent-servers"), s -> ServerQuery.ask(s, zone, Type.DS), q -> q.keyTags().contains(tag(params, "old")),
            q -> "DS " + q.keyTags())));
  }

  private static int tag(Map<String, String> params, String key) {
    return Integer.parseInt(params.get(key));
  }

  /** Whether every server of {@code list} answers so that {@code ok} holds; the evidence names each. */
  private static Outcome all(String list, Function<String, ServerQuery> ask, Predicate<ServerQuery> ok,
      Function<ServerQuery, String> seen) {
    List<String> good = new ArrayList<>();
    List<String> bad = new ArrayList<>();
    for (String server : ServerQuery.servers(list)) {
      try {
        ServerQuery q = ask.apply(server);
        (ok.test(q) ? good : bad).add(server + ": " + seen.apply(q));
      } catch (IllegalStateException e) {
        bad.add(e.getMessage());
      }
    }
    return bad.isEmpty() ? Outcome.pass(String.join("; ", good)) : Outcome.fail(String.join("; ", bad)
        + (good.isEmpty() ? "" : " (as wanted: " + String.join("; ", good) + ")"));
  }

  /** The largest TTL the servers of {@code list} serve the RRset with. */
  private static long ttl(String list, String name, int type) {
    long ttl = 0;
    for (String server : ServerQuery.servers(list)) {
      ttl = Math.max(ttl, ServerQuery.ask(server, name, type).ttl());
    }
    return ttl;
  }

  /** Passes once {@code ttl} seconds have passed since step {@code after} was done; says the date. */
  private static Check waitFrom(String name, String after, java.util.function.ToLongFunction<PairAccess> ttl) {
    return Check.of(name, p -> {
      Instant since = p.stepDoneAt(after).orElse(Instant.now());
      long seconds = ttl.applyAsLong(p);
      Instant until = since.plusSeconds(seconds);
      return Instant.now().isBefore(until) ? Outcome.fail("until " + until + " (" + seconds + " s after " + since + ")")
          : Outcome.pass("since " + until + " (" + seconds + " s after " + since + ")");
    });
  }

  /** Whether key {@code tag}'s DS state at the parent, as the enforcer has it, is one of {@code states}. */
  private static Outcome ds(PairAccess p, String zone, int tag, String... states) {
    JsonNode k = key(p, zone, tag).orElse(null);
    if (k == null) {
      return Outcome.fail("zone " + zone + " has no KSK " + tag);
    }
    String ds = k.path("ds_at_parent").asText();
    return List.of(states).contains(ds) ? Outcome.pass("KSK " + tag + ": DS " + ds) : Outcome.fail("KSK " + tag
        + ": DS " + ds + "; " + k.path("next_transition").asText() + " waits for " + k.path("waits_for").asText());
  }

  @Override
  public List<Step> steps(Map<String, String> params, PairAccess pair) {
    String zone = params.getOrDefault("zone", "?");
    boolean single = "single-ds".equals(params.get("parent"));
    String servers = params.getOrDefault("servers", "");
    String parents = params.getOrDefault("parent-servers", "");
    int old = params.containsKey("old") ? tag(params, "old") : -1;
    List<Step> steps = new ArrayList<>();
    steps.add(Step.operation("start", "Start the rollover: 'key rollover --keytype KSK'.", null, List.of("key",
        "rollover", "--zone", zone, "--keytype", "KSK"), Check.of("zone " + zone + " has a successor of KSK " + old,
            p -> Outcome.pass("KSK " + successor(p, zone, old) + " is being introduced")), Duration.ofMinutes(2)));
    steps.add(Step.late("both", "Wait until every authoritative serves the new KSK, signing the DNSKEY RRset beside"
        + " the old.", p -> {
          int next = successor(p, zone, old);
          return Step.await("both", "Wait until every authoritative serves KSK " + next + " and both KSKs sign the"
              + " DNSKEY RRset.", Check.of("every authoritative serves KSK " + next + ", DNSKEY signed by " + old
                  + " and " + next, q -> all(servers, s -> ServerQuery.ask(s, zone, Type.DNSKEY), a -> a.keyTags()
                      .contains(next) && a.signers().containsAll(Set.of(old, next)), a -> "keys " + a.keyTags()
                          + ", signed by " + a.signers() + ", TTL " + a.ttl() + " s")), PATIENCE);
        }));
    steps.add(Step.await("settle", "Wait the longest TTL the authoritatives serve the DNSKEY RRset and its signatures"
        + " with, from when all served both KSKs: caches then hold the new KSK.", waitFrom("the DNSKEY RRset's TTL has"
            + " passed since every authoritative served both KSKs", "both", p -> ttl(servers, zone, Type.DNSKEY)),
        PATIENCE));
    steps.add(Step.late("submit", "Submit the new KSK's DS to the parent (" + (single ? "replacing the old one"
        : "beside the old one") + ").", p -> {
          int next = successor(p, zone, old);
          return Step.confirmed("submit", "Submit the DS of KSK " + next + " to the parent.", Check.of("the enforcer"
              + " asks for the DS of KSK " + next, q -> ds(q, zone, next, "submit", "submitted", "seen")),
              "submit this DS to the parent of " + zone + (single ? ", replacing the DS of KSK " + old + " (the parent"
                  + " holds one)" : ", beside the DS of KSK " + old + " (keep that one)") + ":\n" + dsText(p, zone,
                      next));
        }));
    steps.add(Step.late("submitted", "Record the submission: 'key ds-submit'.", p -> {
      int next = successor(p, zone, old);
      return Step.operation("submitted", "Record the submission of KSK " + next + "'s DS.", null, List.of("key",
          "ds-submit", "--zone", zone, "--keytag", Integer.toString(next)), Check.of("the enforcer has KSK " + next
              + "'s DS submitted", q -> ds(q, zone, next, "submitted", "seen")), Duration.ofMinutes(1));
    }));
    steps.add(Step.late("parent", "Wait until every parent server publishes the new DS" + (single ? " (and only it)"
        : "") + ".", p -> {
          int next = successor(p, zone, old);
          return Step.await("parent", "Wait until every parent server publishes the DS of KSK " + next + ".",
              Check.of("every parent server publishes the DS of KSK " + next + (single ? " in place of " + old : ""),
                  q -> all(parents, s -> ServerQuery.ask(s, zone, Type.DS), a -> a.keyTags().contains(next)
                      && (!single || !a.keyTags().contains(old)), a -> "DS " + a.keyTags() + ", TTL " + a.ttl()
                          + " s")), PATIENCE);
        }));
    steps.add(Step.late("seen", "Record that the parent publishes it: 'key ds-seen'.", p -> {
      int next = successor(p, zone, old);
      return Step.operation("seen", "Record that the parent publishes KSK " + next + "'s DS.", null, List.of("key",
          "ds-seen", "--zone", zone, "--keytag", Integer.toString(next)), Check.of("the enforcer has KSK " + next
              + "'s DS seen", q -> ds(q, zone, next, "seen")), Duration.ofMinutes(1));
    }));
    steps.add(Step.await("ds-ttl", "Wait the DS TTL the parent serves, from when every parent server published the new"
        + " DS: caches then hold it.", waitFrom("the DS TTL has passed since every parent server published the new DS",
            "parent", p -> ttl(parents, zone, Type.DS)), PATIENCE));
    steps.add(Step.await("retire", "Wait until the enforcer retires KSK " + old + " and asks for its DS to go.",
        Check.of("the enforcer asks for the DS of KSK " + old + " to go", p -> ds(p, zone, old, "retract",
            "retracted", "gone")), PATIENCE));
    if (single) {
      steps.add(Step.operation("retracted", "Record that the parent removed the old DS (the new one replaced it):"
          + " 'key ds-retract'.", replaced(zone, parents, old),
          List.of("key", "ds-retract", "--zone", zone, "--keytag", Integer.toString(old)), Check.of("the enforcer has"
              + " KSK " + old + "'s DS retracted", p -> ds(p, zone, old, "retracted", "gone")), Duration.ofMinutes(1)));
    } else {
      steps.add(Step.confirmed("remove", "Have the parent remove the DS of KSK " + old + ".", null, "ask the parent of "
          + zone + " to remove the DS of KSK " + old + " (keep the new one)"));
      steps.add(Step.operation("retracted", "Record the request: 'key ds-retract'.", null, List.of("key", "ds-retract",
          "--zone", zone, "--keytag", Integer.toString(old)), Check.of("the enforcer has KSK " + old + "'s DS"
              + " retracted", p -> ds(p, zone, old, "retracted", "gone")), Duration.ofMinutes(1)));
      steps.add(Step.await("parent-gone", "Wait until no parent server publishes the DS of KSK " + old + ".",
          replaced(zone, parents, old), PATIENCE));
    }
    steps.add(Step.operation("gone", "Record that the old DS is gone: 'key ds-gone'.", null, List.of("key", "ds-gone",
        "--zone", zone, "--keytag", Integer.toString(old)), Check.of("the enforcer has KSK " + old + "'s DS gone",
            p -> ds(p, zone, old, "gone")), Duration.ofMinutes(1)));
    steps.add(Step.await("removed", "Wait until no authoritative serves KSK " + old + " any more.", Check.of(
        "no authoritative serves KSK " + old + ", the new KSK signing the DNSKEY RRset", p -> {
          int next = successor(p, zone, old);
          return all(servers, s -> ServerQuery.ask(s, zone, Type.DNSKEY), a -> !a.keyTags().contains(old)
              && !a.signers().contains(old) && a.keyTags().contains(next) && a.signers().contains(next),
              a -> "keys " + a.keyTags() + ", signed by " + a.signers());
        }), PATIENCE));
    return steps;
  }

  /** Every parent server publishes the new KSK's DS and not the old one's (an empty DS set is no proof). */
  private static Check replaced(String zone, String parents, int old) {
    return Check.of("no parent server publishes the DS of KSK " + old + ", each the new one's", p -> {
      int next = successor(p, zone, old);
      return all(parents, s -> ServerQuery.ask(s, zone, Type.DS), a -> !a.keyTags().contains(old) && a.keyTags()
          .contains(next), a -> "DS " + a.keyTags());
    });
  }

  /** The DS records of KSK {@code tag}, as 'key export --ds' prints them. */
  private static String dsText(PairAccess p, String zone, int tag) {
    StringBuilder export = new StringBuilder();
    for (String state : List.of("publish", "ready", "active")) { // whichever the new KSK is in now
      var a = p.call(List.of("key", "export", "--zone", zone, "--ds", "--keytype", "KSK", "--keystate", state));
      if (a.exit() == 0) {
        export.append(a.out());
      }
    }
    String lines = String.join("\n", export.toString().lines().filter(l -> l.matches(".*\\sDS\\s+" + tag
        + "\\s.*")).toList());
    if (lines.isEmpty()) {
      throw new IllegalStateException("'key export --zone " + zone + " --ds' has no DS of KSK " + tag + " yet");
    }
    return lines;
  }
}
