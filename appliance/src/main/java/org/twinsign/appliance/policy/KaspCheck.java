package org.twinsign.appliance.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;

/**
 * What OpenDNSSEC's {@code ods-kaspcheck} checks in a kasp.xml beyond its schema: timings that
 * cannot work (errors) and timings that are probably mistakes (warnings). Each finding names the
 * file, the line and the element. Our own implementation of the documented rules.
 */
public final class KaspCheck {
  private KaspCheck() {}

  /** Errors (the import is refused) and warnings (it goes ahead). */
  public record Findings(List<String> errors, List<String> warnings) {}

  /**
   * @param repositories the repository names the node configuration defines
   * @param config the node configuration, for messages
   */
  public static Findings check(Path file, List<KaspPolicy> policies, java.util.Set<String> repositories,
      Path config) {
    List<String> lines = lines(file);
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    for (KaspPolicy policy : policies) {
      new Checker(file, lines, policy, repositories, config, errors, warnings).run();
    }
    return new Findings(errors, warnings);
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      return List.of();
    }
  }

  private record Checker(Path file, List<String> lines, KaspPolicy policy, java.util.Set<String> repositories,
      Path config, List<String> errors, List<String> warnings) {

    void run() {
      KaspPolicy.Signatures s = policy.signatures();
      long resign = s.resign().getSeconds();
      long refresh = s.refresh().getSeconds();
      long validity = s.validityDefault().getSeconds();
      long denial = s.validityDenial().getSeconds();
      long jitter = s.jitter().getSeconds();
      if (refresh <= resign) {
        error("Refresh", "<Refresh> (" + human(s.refresh()) + ") is not longer than <Resign> (" + human(s.resign())
            + "): signatures would be refreshed less often than the zone is re-signed");
      }
      if (validity <= refresh) {
        error("Default", "<Validity><Default> (" + human(s.validityDefault()) + ") is not longer than <Refresh> ("
            + human(s.refresh()) + "): signatures would expire before they are refreshed");
      }
      if (denial <= refresh) {
        error("Denial", "<Validity><Denial> (" + human(s.validityDenial()) + ") is not longer than <Refresh> ("
            + human(s.refresh()) + "): denial signatures would expire before they are refreshed");
      }
      if (jitter > validity || jitter > denial) {
        error("Jitter", "<Jitter> (" + human(s.jitter()) + ") is longer than a signature validity");
      } else if (jitter > Math.max(validity, denial) / 2) {
        warning("Jitter", "<Jitter> (" + human(s.jitter()) + ") is large compared to the validity ("
            + human(Duration.ofSeconds(Math.max(validity, denial))) + ")");
      }
      if (s.inceptionOffset().getSeconds() > 3600) {
        warning("InceptionOffset", "<InceptionOffset> (" + human(s.inceptionOffset()) + ") is more than an hour:"
            + " do the clocks really differ that much?");
      }
      KaspPolicy.Keys k = policy.keys();
      long ttl = k.ttl().getSeconds();
      safety("PublishSafety", k.publishSafety(), ttl);
      safety("RetireSafety", k.retireSafety(), ttl);
      if (policy.denial().nsec3()) {
        for (KaspPolicy.Key key : k.keys()) {
          if (key.algorithm() <= 5) {
            error(key.role(), key.role() + " algorithm " + key.algorithm() + " cannot be used with NSEC3");
          }
        }
        if (policy.denial().resalt() != null && policy.denial().resalt().compareTo(s.resign()) < 0) {
          warning("Resalt", "<Resalt> (" + human(policy.denial().resalt()) + ") is shorter than <Resign> ("
              + human(s.resign()) + ")");
        }
      }
      if ("datecounter".equalsIgnoreCase(policy.zone().serial()) && resign > 0 && 86_400 / resign > 99) {
        error("Serial", "<Serial>datecounter</Serial> allows 99 versions a day, but <Resign> ("
            + human(s.resign()) + ") asks for " + 86_400 / resign);
      }
      for (KaspPolicy.Key key : k.keys()) {
        if (!repositories.contains(key.repository())) {
          errors.add(whereText("<Repository>" + key.repository() + "</Repository>") + ": policy " + policy.name() + ": " + key.role() + " repository '"
              + key.repository() + "' is not in " + config + " (configured: " + String.join(", ",
              new java.util.TreeSet<>(repositories)) + "): fix the name, or add repository." + key.repository()
              + ".* to the node configuration");
        }
        if (DnssecAlgorithm.isRsa(key.algorithm()) && key.length() > 4096) {
          error(key.role(), key.role() + " RSA length " + key.length() + " is above 4096 bits");
        }
        if (key.role().equals("ZSK") && key.lifetime() != null && key.lifetime().compareTo(s.validityDefault()) < 0) {
          warning("ZSK", "ZSK <Lifetime> (" + human(key.lifetime()) + ") is shorter than <Validity><Default> ("
              + human(s.validityDefault()) + ")");
        }
      }
      for (KaspPolicy.Key ksk : k.keys()) {
        if (!ksk.role().equals("KSK")) {
          continue;
        }
        List<KaspPolicy.Key> zsks = k.keys().stream().filter(z -> z.role().equals("ZSK")
            && z.algorithm() == ksk.algorithm()).toList();
        if (zsks.isEmpty()) {
          error("KSK", "the KSK's algorithm " + ksk.algorithm() + " has no ZSK of the same algorithm");
        }
        for (KaspPolicy.Key zsk : zsks) {
          if (ksk.lifetime() != null && zsk.lifetime() != null && ksk.lifetime().compareTo(zsk.lifetime()) < 0) {
            warning("KSK", "KSK <Lifetime> (" + human(ksk.lifetime()) + ") is shorter than the ZSK's ("
                + human(zsk.lifetime()) + ")");
          }
        }
      }
    }

    private void safety(String element, Duration safety, long ttl) {
      if (safety.getSeconds() < ttl / 10) {
        warning(element, "<" + element + "> (" + human(safety) + ") is less than a tenth of the key TTL");
      } else if (safety.getSeconds() > ttl * 5) {
        warning(element, "<" + element + "> (" + human(safety) + ") is more than 5 times the key TTL");
      }
    }

    private void error(String element, String what) {
      errors.add(where(element) + ": policy " + policy.name() + ": " + what);
    }

    private void warning(String element, String what) {
      warnings.add("warning: " + where(element) + ": policy " + policy.name() + ": " + what);
    }

    /** file:line: &lt;element&gt; of the element within the policy (the policy's own line if not found). */
    private String where(String element) {
      return at(line -> line.contains("<" + element + ">") || line.contains("<" + element + " "), "<" + element + ">");
    }

    /** file:line: text of the first line within the policy that holds {@code text}. */
    private String whereText(String text) {
      return at(line -> line.contains(text), text);
    }

    private String at(java.util.function.Predicate<String> match, String label) {
      int start = -1;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (start < 0 && line.contains("<Policy") && line.contains("\"" + policy.name() + "\"")) {
          start = i;
        } else if (start >= 0 && match.test(line)) {
          return file + ":" + (i + 1) + ": " + label;
        } else if (start >= 0 && line.contains("</Policy>")) {
          break;
        }
      }
      return file + ":" + (start + 1);
    }

    private static String human(Duration duration) {
      return IsoDuration.human(duration);
    }
  }
}
