package org.twinsign.appliance.dns;

import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/**
 * TSIG keys (RFC 8945) as BIND writes them ({@code tsig-keygen}, {@code named.conf} includes):
 *
 * <pre>
 * key "xfr-key" {
 *     algorithm hmac-sha256;
 *     secret "base64...";
 * };
 * </pre>
 *
 * Comments ({@code //}, {@code #}, C style) are allowed. HMAC-SHA256, -SHA384 and -SHA512 only:
 * MD5 and SHA-1 are refused. Errors name the source and line, never the secret; neither does
 * {@link #toString()}.
 */
public final class TsigKeys {
  private static final Set<String> ALGORITHMS = Set.of("hmac-sha256", "hmac-sha384", "hmac-sha512");
  private static final Pattern KEY = Pattern.compile("key\\s+\"?([A-Za-z0-9._-]+)\"?\\s*\\{(.*?)\\}\\s*;",
      Pattern.DOTALL);
  private static final Pattern ALGORITHM = Pattern.compile("algorithm\\s+\"?([A-Za-z0-9-]+)\"?\\s*;");
  private static final Pattern SECRET = Pattern.compile("secret\\s+\"([A-Za-z0-9+/=\\s]*)\"\\s*;");

  private final Map<Name, TSIG> keys;

  private TsigKeys(Map<Name, TSIG> keys) {
    this.keys = keys;
  }

  public static TsigKeys none() {
    return new TsigKeys(Map.of());
  }

  /** Parses {@code text} ({@code source} names it in errors: a file). */
  public static TsigKeys parse(String source, String text) {
    String clean = stripComments(text);
    Map<Name, TSIG> keys = new LinkedHashMap<>();
    Matcher m = KEY.matcher(clean);
    int end = 0;
    while (m.find()) {
      if (!clean.substring(end, m.start()).isBlank()) {
        throw new IllegalArgumentException(source + ":" + line(clean, end) + ": expected a 'key \"NAME\" { ... };'"
            + " statement");
      }
      end = m.end();
      String name = m.group(1);
      int line = line(clean, m.start());
      Matcher algorithm = ALGORITHM.matcher(m.group(2));
      Matcher secret = SECRET.matcher(m.group(2));
      if (!algorithm.find()) {
        throw new IllegalArgumentException(source + ":" + line + ": key " + name + " has no 'algorithm hmac-sha256;'");
      }
      String alg = algorithm.group(1).toLowerCase(java.util.Locale.ROOT);
      if (!ALGORITHMS.contains(alg)) {
        throw new IllegalArgumentException(source + ":" + line + ": key " + name + " uses " + alg + ": use one of "
            + new java.util.TreeSet<>(ALGORITHMS) + " (tsig-keygen -a hmac-sha256 " + name + ")");
      }
      if (!secret.find()) {
        throw new IllegalArgumentException(source + ":" + line + ": key " + name + " has no 'secret \"...\";'");
      }
      byte[] bytes;
      try {
        bytes = Base64.getMimeDecoder().decode(secret.group(1).replaceAll("\\s", ""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + ":" + line + ": the secret of key " + name + " is not base64");
      }
      if (bytes.length < 16) {
        throw new IllegalArgumentException(source + ":" + line + ": the secret of key " + name + " is shorter than"
            + " 128 bits: generate one with tsig-keygen");
      }
      Name keyName;
      try {
        keyName = Name.fromString(name, Name.root);
      } catch (TextParseException e) {
        throw new IllegalArgumentException(source + ":" + line + ": '" + name + "' is not a key name");
      }
      if (keys.put(keyName, new TSIG(TSIG.algorithmToName(alg), keyName, bytes)) != null) {
        throw new IllegalArgumentException(source + ":" + line + ": key " + name + " is defined twice");
      }
    }
    if (!clean.substring(end).isBlank()) {
      throw new IllegalArgumentException(source + ":" + line(clean, end) + ": expected a 'key \"NAME\" { ... };'"
          + " statement");
    }
    return new TsigKeys(Collections.unmodifiableMap(keys));
  }

  /** The key named {@code name}, or null. */
  public TSIG get(Name name) {
    return keys.get(name);
  }

  /** The key named {@code name} (as configured), or an error naming the setting. */
  public TSIG require(String name, String setting) {
    try {
      TSIG key = keys.get(Name.fromString(name, Name.root));
      if (key == null) {
        throw new IllegalArgumentException(setting + " names TSIG key '" + name + "', which is not in the key file"
            + " (it has " + names() + ")");
      }
      return key;
    } catch (TextParseException e) {
      throw new IllegalArgumentException(setting + ": '" + name + "' is not a key name");
    }
  }

  public Set<Name> names() {
    return keys.keySet();
  }

  @Override
  public String toString() {
    return "TSIG keys " + names();
  }

  private static int line(String text, int offset) {
    int line = 1;
    for (int i = 0; i < offset && i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }

  /** Comments out, newlines kept (so that line numbers stay right); no comments inside quoted secrets. */
  private static String stripComments(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '"') {
        int close = text.indexOf('"', i + 1);
        close = close < 0 ? text.length() - 1 : close;
        out.append(text, i, close + 1);
        i = close + 1;
      } else if (c == '#' || (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '/')) {
        while (i < text.length() && text.charAt(i) != '\n') {
          i++;
        }
      } else if (c == '/' && i + 1 < text.length() && text.charAt(i + 1) == '*') {
        int close = text.indexOf("*/", i + 2);
        close = close < 0 ? text.length() : close + 2;
        for (int k = i; k < close; k++) {
          if (text.charAt(k) == '\n') {
            out.append('\n');
          }
        }
        i = close;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
