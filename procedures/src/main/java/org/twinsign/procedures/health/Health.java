package org.twinsign.procedures.health;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether the pair is safe, in one screen: topology and roles, epoch and the failover switch,
 * ZooKeeper, the standby's database replication and eligibility, each node's HSM, keys waiting for
 * the standby's HSM or for a backup, the key pools against what the rollovers until the next
 * backup need, DS actions waiting for an operator, the next key events, each zone's earliest
 * signature expiry against its refresh, and the open alerts (clock drift among them). Each finding
 * says what to do when it is not OK. The findings come from {@link PairAnswers}; nothing here
 * asks anyone.
 */
public final class Health {
  /** A standby further behind than this is a warning (as the alert). */
  static final long LAG_SECONDS = 60;
  private static final Pattern EXPIRY = Pattern.compile(
      "(\\S+) \\(earliest; refresh (\\S+), resign (\\S+)\\)");

  private final String node;
  private final String peer;
  private final Instant now;

  /** {@code node} and {@code peer}: the pair's two nodes as this node's configuration names them. */
  public Health(String node, String peer, Instant now) {
    this.node = node;
    this.peer = peer;
    this.now = now;
  }

  /** Every finding, in the order of the screen. */
  public List<Finding> findings(PairAnswers answers) {
    List<Finding> out = new ArrayList<>();
    if (!answers.cluster().ok()) {
      String why = answers.cluster().error();
      boolean daemon = why.contains("no node daemon answers");
      out.add(new Finding(daemon ? "node " + node : "zookeeper", State.CRITICAL, why, daemon
          ? "start the node daemon: 'twinsign node run' (systemctl start twinsign)" : "the ZooKeeper servers in"
              + " zookeeper.connect: are a majority of them running and reachable from node " + node + "?"));
      return out;
    }
    out.add(Finding.ok("zookeeper", "answers node " + node + " (a quorum serves the cluster)"));
    topology(answers, out);
    for (JsonNode n : answers.nodes()) {
      hsm(n, out);
    }
    clocks(answers.nodes(), out);
    if (answers.masterAddress() == null) {
      return out;
    }
    keys(answers, out);
    pool(answers.pool(), out);
    for (Map.Entry<String, PairAnswers.Answer> zone : answers.zones().entrySet()) {
      zone(zone.getKey(), zone.getValue(), out);
    }
    if (answers.zonesNotAsked() > 0) {
      out.add(new Finding("zones", State.UNKNOWN, answers.zonesNotAsked() + " zone(s) not asked within "
          + PairAnswers.ZONE_BUDGET.toSeconds() + " s", "'twinsign zone status --zone Z' for each"));
    }
    alerts(answers.alerts(), out);
    return out;
  }

  /** The worst state of all findings (OK for none). */
  public static State overall(List<Finding> findings) {
    State worst = State.OK;
    for (Finding f : findings) {
      worst = worst.worse(f.state());
    }
    return worst;
  }

  private void topology(PairAnswers answers, List<Finding> out) {
    JsonNode summary = answers.cluster().json().path("cluster");
    List<JsonNode> nodes = answers.nodes();
    List<String> masters = nodes.stream().filter(n -> n.path("role").asText().equals("master"))
        .map(n -> n.path("node").asText()).toList();
    StringBuilder roles = new StringBuilder();
    for (JsonNode n : nodes) {
      roles.append(roles.length() == 0 ? "" : ", ").append(n.path("node").asText()).append(' ')
          .append(n.path("role").asText());
    }
    String epoch = summary.path("epoch").asText("?");
    if (masters.size() != 1) {
      out.add(new Finding("topology", State.CRITICAL, masters.isEmpty() ? "no node is master (" + roles + "; epoch "
          + epoch + "): zones are not signed" : "more than one node says it is master: " + masters, masters.isEmpty()
              ? "'twinsign cluster list' says why the standby does not take over; the runbook signer-failure-master"
              : "stop every node but one at once ('twinsign cluster list', the nodes' logs)"));
    } else {
      out.add(Finding.ok("topology", roles + "; epoch " + epoch));
    }
    for (String name : List.of(node, peer)) {
      if (nodes.stream().noneMatch(n -> n.path("node").asText().equals(name))) {
        out.add(new Finding("node " + name, State.CRITICAL, "node " + name + " is not running: " + (masters.contains(
            name.equals(node) ? peer : node) ? "nobody can take over if the master fails" : "no master on it"),
            "start it: 'twinsign node run' on node " + name + " (systemctl start twinsign); if it cannot come back,"
                + " 'twinsign node rebuild' there"));
      }
    }
    String failover = summary.path("automatic failover").asText("on");
    if (!failover.equals("on")) {
      boolean blocked = failover.startsWith("blocked");
      out.add(new Finding("failover", blocked ? State.CRITICAL : State.WARNING, "automatic failover is " + failover,
          "'twinsign cluster resume' once " + (blocked ? "the cause is gone" : "the maintenance is over")));
    }
    String eligible = summary.path("eligible standby").asText("");
    for (JsonNode n : nodes) {
      if (!n.path("role").asText().equals("standby")) {
        continue;
      }
      String name = n.path("node").asText();
      String database = n.path("database").asText("");
      String lag = n.path("lag").asText("").replace(" s", "").trim();
      if (!n.path("eligible").asText().equals("yes")) {
        out.add(new Finding("replication " + name, State.CRITICAL, "node " + name + " is not an eligible standby ("
            + eligible + "); its database: " + database + (lag.isEmpty() ? "" : ", lag " + lag + " s"),
            "'twinsign node status' on node " + name + " and its MariaDB error log; replication resumes once the"
                + " cause is gone, else 'twinsign node rebuild' there"));
      } else if (lag.matches("\\d+") && Long.parseLong(lag) > LAG_SECONDS) {
        out.add(new Finding("replication " + name, State.WARNING, "node " + name + "'s database is " + lag
            + " s behind the master's", "the standby's load and disk ('twinsign node status' on node " + name + ")"));
      } else {
        out.add(Finding.ok("replication " + name, "eligible standby; " + database + (lag.isEmpty() ? "" : ", lag "
            + lag + " s")));
      }
    }
  }

  private void hsm(JsonNode n, List<Finding> out) {
    String name = n.path("node").asText();
    String kek = n.path("kek").asText("");
    if (kek.startsWith("error") || kek.contains("=error")) { // one repository, or several ({a=..., b=error: ...})
      out.add(new Finding("hsm " + name, State.CRITICAL, "node " + name + "'s key repository does not answer: "
          + kek.replaceFirst("^error: ", ""), "the HSM of node " + name + " (its PIN file, library and token;"
              + " 'twinsign hsm list' there); a master that cannot sign hands over to the standby"));
    } else if (kek.equals("none") && n.path("keysync").asText().equals("wrap")) {
      // a pair that syncs wrapped keys has its KEK in both HSMs: none means the token is gone or another one
      out.add(new Finding("hsm " + name, State.CRITICAL, "node " + name + "'s key repository holds no KEK: its token"
          + " is missing or not the pair's (keys cannot be synced to it" + (n.path("role").asText().equals("master")
              ? ", nor new keys made" : "") + ")", "the HSM of node " + name + " ('twinsign hsm list' and 'twinsign"
                  + " kek status' there); a replaced HSM: the runbook hsm-replacement"));
    } else if (!kek.isEmpty()) {
      out.add(Finding.ok("hsm " + name, "answers; KEK " + kek));
    }
    String keys = n.path("keys").asText("");
    if (n.path("role").asText().equals("master") && !keys.isEmpty() && !keys.equals("in sync")) {
      out.add(new Finding("key sync", State.WARNING, "keys: " + keys, "'twinsign cluster list' and the standby's"
          + " log say why; 'twinsign kek status' whether both HSMs hold the same KEK"));
    }
  }

  /** A clock further than this from ZooKeeper's (a node) or its node's (a database) is a warning, as the alert. */
  static final long CLOCK_BOUND_MS = 2000;

  private static void clocks(List<JsonNode> nodes, List<Finding> out) {
    List<String> seen = new ArrayList<>();
    for (JsonNode n : nodes) {
      String name = n.path("node").asText();
      for (String[] c : new String[][] {{"clock", "ZooKeeper's"}, {"database clock", "its node's"}}) {
        String text = n.path(c[0]).asText("").replace(" ms", "").trim();
        if (!text.matches("-?\\d+")) {
          continue;
        }
        long ms = Long.parseLong(text);
        String what = (c[0].equals("clock") ? "node " : "the database of node ") + name + " " + (ms >= 0 ? "+" : "")
            + ms + " ms";
        if (Math.abs(ms) > CLOCK_BOUND_MS) {
          out.add(new Finding("clock " + name, State.WARNING, what + " against " + c[1] + " clock (bound "
              + CLOCK_BOUND_MS + " ms)", "the time service on node " + name + "'s host ('chronyc tracking'); the"
                  + " runbook timing-drift"));
        } else {
          seen.add(what);
        }
      }
    }
    if (!seen.isEmpty()) {
      out.add(Finding.ok("clocks", String.join(", ", seen)));
    }
  }

  private void keys(PairAnswers answers, List<Finding> out) {
    if (!answers.keys().ok()) {
      out.add(new Finding("keys", State.UNKNOWN, "key list: " + answers.keys().error(), "'twinsign key list'"));
      return;
    }
    Instant next = null;
    String nextWhat = null;
    for (JsonNode k : answers.keys().json()) {
      String waits = k.path("waits_for").asText("");
      String subject = k.path("keytype").asText() + " " + k.path("key_tag").asText() + " of zone "
          + k.path("zone").asText();
      if (waits.startsWith("a backup")) {
        out.add(new Finding("backup", State.WARNING, subject + " waits for " + waits, "'twinsign backup prepare',"
            + " the HSM's own backup, 'twinsign backup commit'"));
      } else if (waits.startsWith("you to submit") || waits.startsWith("you to have the parent remove")
          || waits.startsWith("the parent to publish") || waits.startsWith("the parent to remove")) {
        out.add(new Finding("ds " + k.path("zone").asText(), State.WARNING, subject + " waits for " + waits,
            dsCommand(waits, k)));
      }
      String at = k.path("at").asText("");
      if (!at.isEmpty() && !at.equals("null")) {
        Instant when = Instant.parse(at);
        if (next == null || when.isBefore(next)) {
          next = when;
          nextWhat = subject + ": " + k.path("next_transition").asText();
        }
      }
    }
    if (next != null) {
      out.add(Finding.ok("next key event", nextWhat + " at " + next));
    }
  }

  private static String dsCommand(String waits, JsonNode k) {
    String args = " --zone " + k.path("zone").asText() + " --keytag " + k.path("key_tag").asText();
    if (waits.startsWith("you to submit")) {
      return "submit the DS ('twinsign key export --ds" + args + "'), then 'twinsign key ds-submit" + args + "'";
    }
    if (waits.startsWith("you to have the parent remove")) {
      return "have the parent remove the DS, then 'twinsign key ds-retract" + args + "'";
    }
    if (waits.startsWith("the parent to publish")) {
      return "once the parent publishes it ('dig DS " + k.path("zone").asText() + "'): 'twinsign key ds-seen" + args
          + "'";
    }
    return "once the parent no longer publishes it: 'twinsign key ds-gone" + args + "'";
  }

  private void pool(PairAnswers.Answer pool, List<Finding> out) {
    if (!pool.ok()) {
      out.add(new Finding("key pool", State.UNKNOWN, "key pool: " + pool.error(), "'twinsign key pool'"));
      return;
    }
    for (JsonNode p : pool.json()) {
      String name = p.path("role").asText() + " keys of algorithm " + p.path("algorithm").asText() + " in repository "
          + p.path("repository").asText();
      boolean backups = p.path("require_backup").asBoolean();
      long ready = backups ? p.path("backed_up").asLong() : p.path("keys").asLong();
      long least = p.path("least").asLong();
      if (ready < least) {
        boolean generated = p.path("keys").asLong() >= least;
        out.add(new Finding("key pool", State.WARNING, name + ": " + p.path("keys").asLong() + " keys" + (backups
            ? ", " + p.path("backed_up").asLong() + " backed up" : "") + "; the rollovers until the next backup need "
            + least, backups && generated ? "back up repository " + p.path("repository").asText() + ": 'twinsign"
                + " backup prepare', the HSM's backup, 'twinsign backup commit'" : "the master's runs top it up; if"
                + " it stays short, its log says why key generation fails ('twinsign key generate' adds keys by"
                + " hand)"));
      } else {
        // the next generation: at the master's first run after a rollover takes a key (next key event)
        out.add(Finding.ok("key pool", name + ": " + ready + (backups ? " backed up" : "") + " (need " + least
            + ", target " + p.path("target").asLong() + "); last generated " + (p.path("last_generated").isTextual()
                ? p.path("last_generated").asText() : "never")));
      }
    }
  }

  private void zone(String name, PairAnswers.Answer status, List<Finding> out) {
    String area = "zone " + name;
    if (!status.ok()) {
      out.add(new Finding(area, State.UNKNOWN, status.error(), "'twinsign zone status --zone " + name + "'"));
      return;
    }
    Expiry e = Expiry.parse(status.json().path("signatures expire").asText(""));
    if (e == null) {
      String signed = status.json().path("signed serial").asText("");
      out.add(new Finding(area, signed.startsWith("not signed") ? State.WARNING : State.OK, "signed serial: "
          + signed + "; no signatures in the master's memory", signed.startsWith("not signed")
              ? "'twinsign zone status --zone " + name + "' says what it waits for" : ""));
      return;
    }
    Duration left = Duration.between(now, e.at());
    // served signatures keep at least Refresh - Resign; less means a run was missed, and less than
    // Refresh - 2 x Resign (at least Resign) two: the alert's bound
    Duration critical = e.refresh().minus(e.resign().multipliedBy(2));
    critical = critical.compareTo(e.resign()) < 0 ? e.resign() : critical;
    String text = "signatures expire from " + e.at() + " (in " + human(left) + "; refresh " + e.refresh() + ")";
    if (left.compareTo(critical) < 0) {
      out.add(new Finding(area, State.CRITICAL, text + ": the signer has missed its runs", "why the zone is not"
          + " re-signed: 'twinsign zone status --zone " + name + "', the master's log; then 'twinsign zone resign"
          + " --zone " + name + "'"));
    } else if (left.compareTo(e.keep()) < 0) {
      out.add(new Finding(area, State.WARNING, text + ": a run was missed", "'twinsign zone status --zone " + name
          + "' (next re-sign)"));
    } else {
      out.add(Finding.ok(area, text));
    }
  }

  private static void alerts(PairAnswers.Answer alerts, List<Finding> out) {
    if (!alerts.ok()) {
      out.add(new Finding("alerts", State.UNKNOWN, "alert list: " + alerts.error(), "'twinsign alert list --open'"));
      return;
    }
    int n = 0;
    for (JsonNode a : alerts.json()) {
      n++;
      String severity = a.path("severity").asText();
      State state = severity.equals("critical") ? State.CRITICAL : severity.equals("warning") ? State.WARNING
          : State.OK;
      out.add(new Finding("alert " + a.path("id").asText(), state, a.path("kind").asText() + ": " + a.path("subject")
          .asText() + ": " + a.path("summary").asText(), a.path("todo").asText("'twinsign alert list --open'")));
    }
    if (n == 0) {
      out.add(Finding.ok("alerts", "none open"));
    }
  }

  /**
   * What is wrong with the signatures a master serves, from {@code zone status}'s {@code signatures
   * expire} field: running out (less than {@code Refresh - Resign} left: a run was missed), or
   * empty when they are as the signer keeps them.
   */
  public static java.util.Optional<String> signatureProblem(String expires, Instant now) {
    Expiry e = Expiry.parse(expires);
    if (e == null) {
      return java.util.Optional.of("no signature expiry known (" + expires + ")");
    }
    Duration left = Duration.between(now, e.at());
    return left.compareTo(e.keep()) < 0 ? java.util.Optional.of("signatures expire from " + e.at() + " (in "
        + human(left) + "): less than Refresh - Resign left, a run was missed") : java.util.Optional.empty();
  }

  /** The earliest expiry in {@code zone status}'s {@code signatures expire} field, or null when it says none. */
  public static Instant signaturesExpireAt(String expires) {
    Expiry e = Expiry.parse(expires);
    return e == null ? null : e.at();
  }

  /** {@code zone status}'s {@code signatures expire}: the earliest expiry, with the policy's Refresh and Resign. */
  private record Expiry(Instant at, Duration refresh, Duration resign) {
    /** Null when the field says nothing of expiry (no signatures in the master's memory). */
    static Expiry parse(String field) {
      Matcher m = EXPIRY.matcher(field);
      return m.matches() ? new Expiry(Instant.parse(m.group(1)), Duration.parse(m.group(2)), Duration.parse(
          m.group(3))) : null;
    }

    /** What the signer keeps left: Refresh - Resign (a run missed below it). */
    Duration keep() {
      return refresh.minus(resign);
    }
  }

  private static String human(Duration d) {
    if (d.isNegative()) {
      return "already expired";
    }
    long hours = d.toHours();
    return hours >= 48 ? hours / 24 + " days" : hours >= 1 ? hours + " h" : d.toMinutes() + " min";
  }
}
