package org.twinsign.fencing;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code key=value} lines every Twinsign znode holds, readable with {@code zkCli.sh get}. */
final class Znode {
  private Znode() {}

  static byte[] encode(Map<String, String> fields) {
    StringBuilder s = new StringBuilder();
    fields.forEach((k, v) -> s.append(k).append('=').append(v == null ? "" : v.replace('\n', ' ')).append('\n'));
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, String> decode(byte[] data) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : new String(data == null ? new byte[0] : data, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        fields.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return fields;
  }
}
