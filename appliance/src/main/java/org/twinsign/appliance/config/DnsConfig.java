package org.twinsign.appliance.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * The node's DNS side (optional; without {@code dns.listen} the node serves no DNS):
 *
 * <pre>
 * dns.listen=127.0.0.1:5353                   # UDP and TCP; the master answers, the standby refuses
 * dns.allow-transfer=127.0.0.1/32,10.0.3.0/24 # who may transfer signed zones (default: loopback only)
 * dns.tsig-file=/etc/twinsign/tsig.key        # TSIG keys in BIND's key syntax, mode 0600 or stricter
 * dns.transfer-key=xfr-key                    # optional: transfers must be signed with this key
 * dns.notify=10.0.3.1:53,10.0.3.2:53          # secondaries told of each new serial (NOTIFY)
 * dns.notify-key=xfr-key                      # optional: NOTIFY signed with this key
 * </pre>
 *
 * Every error names the file and the key.
 */
public record DnsConfig(String listenHost, int listenPort, List<String> allowTransfer, Path tsigFile,
    String transferKey, List<Endpoint> notifyTo, String notifyKey) {

  static final Set<String> KEYS = Set.of("dns.listen", "dns.allow-transfer", "dns.tsig-file", "dns.transfer-key",
      "dns.notify", "dns.notify-key");

  /** Loopback only, until an operator opens transfers to the secondaries. */
  public static final List<String> DEFAULT_ALLOW_TRANSFER = List.of("127.0.0.0/8", "::1/128");

  /** A host and port to send to. */
  public record Endpoint(String host, int port) {
    @Override
    public String toString() {
      return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    }
  }

  /** The DNS settings in {@code p}, or null if there is no {@code dns.listen}. */
  static DnsConfig parse(Path file, Properties p) {
    String listen = value(p, "dns.listen");
    if (listen == null) {
      for (String key : KEYS) {
        if (value(p, key) != null) {
          throw new ConfigException(file + ": " + key + " is set but dns.listen is not: give the address the node"
              + " serves DNS on (e.g. dns.listen=127.0.0.1:5353)");
        }
      }
      return null;
    }
    Endpoint at = endpoint(file, "dns.listen", listen);
    List<String> allow = new ArrayList<>();
    String allowText = value(p, "dns.allow-transfer");
    for (String entry : allowText == null ? DEFAULT_ALLOW_TRANSFER : List.of(allowText.split("\\s*,\\s*"))) {
      if (!entry.isEmpty()) {
        try {
          org.twinsign.appliance.dns.AddressAcl.parse(List.of(entry));
        } catch (IllegalArgumentException e) {
          throw new ConfigException(file + ": dns.allow-transfer: " + e.getMessage());
        }
        allow.add(entry);
      }
    }
    List<Endpoint> notify = new ArrayList<>();
    String notifyText = value(p, "dns.notify");
    if (notifyText != null) {
      for (String entry : notifyText.split("\\s*,\\s*")) {
        if (!entry.isEmpty()) {
          notify.add(endpoint(file, "dns.notify", entry));
        }
      }
    }
    String tsig = value(p, "dns.tsig-file");
    Path tsigFile = tsig == null ? null : file.toAbsolutePath().getParent().resolve(tsig);
    String transferKey = value(p, "dns.transfer-key");
    String notifyKey = value(p, "dns.notify-key");
    for (String[] key : new String[][] {{"dns.transfer-key", transferKey}, {"dns.notify-key", notifyKey}}) {
      if (key[1] != null && tsigFile == null) {
        throw new ConfigException(file + ": " + key[0] + " names TSIG key '" + key[1] + "', but there is no"
            + " dns.tsig-file to find it in");
      }
    }
    return new DnsConfig(at.host(), at.port(), List.copyOf(allow), tsigFile, transferKey, List.copyOf(notify),
        notifyKey);
  }

  private static String value(Properties p, String key) {
    String v = p.getProperty(key);
    return v == null || v.isBlank() ? null : v.trim();
  }

  private static Endpoint endpoint(Path file, String key, String text) {
    String host;
    String port;
    if (text.startsWith("[")) {
      int close = text.indexOf("]:");
      if (close < 0) {
        throw new ConfigException(file + ": " + key + " '" + text + "' is not [IPv6]:PORT");
      }
      host = text.substring(1, close);
      port = text.substring(close + 2);
    } else {
      int colon = text.lastIndexOf(':');
      if (colon < 0) {
        throw new ConfigException(file + ": " + key + " '" + text + "' is not HOST:PORT");
      }
      host = text.substring(0, colon);
      port = text.substring(colon + 1);
    }
    try {
      int n = Integer.parseInt(port);
      if (n < 1 || n > 65535) {
        throw new NumberFormatException();
      }
      return new Endpoint(host, n);
    } catch (NumberFormatException e) {
      throw new ConfigException(file + ": " + key + " '" + text + "': the port must be 1..65535");
    }
  }
}
