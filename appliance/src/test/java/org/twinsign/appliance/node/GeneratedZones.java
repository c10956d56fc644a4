package org.twinsign.appliance.node;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Zones of a given size for the large-zone tests and benchmarks: addresses, mail, text, and every
 * tenth name a delegation with glue (a third of them secure), every thousandth a wildcard.
 */
final class GeneratedZones {
  private GeneratedZones() {}

  static void write(Path file, String origin, int names, long serial) throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file)) {
      write(out, origin, names, serial);
    }
  }

  static String text(String origin, int names, long serial) {
    StringWriter out = new StringWriter(names * 40);
    try {
      write(out, origin, names, serial);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void write(Writer out, String origin, int names, long serial) throws IOException {
    out.write("$ORIGIN " + origin + ".\n$TTL 3600\n@ IN SOA ns1 hostmaster " + serial + " 7200 3600 1209600 300\n"
        + "@ IN NS ns1\nns1 IN A 192.0.2.1\n");
    for (int i = 0; i < names; i++) {
      String name = "h" + i;
      if (i % 1000 == 998) {
        out.write("*.w" + i + " IN A 192.0.2.8\n");
        continue;
      }
      switch (i % 10) {
        case 0, 1, 2, 3 -> out.write(name + " IN A 10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)
            + "\n");
        case 4, 5 -> out.write(name + " IN AAAA 2001:db8::" + Integer.toHexString(i & 0xffff) + "\n");
        case 6 -> out.write(name + " IN MX 10 mx." + name + "\n");
        case 7, 8 -> out.write(name + " IN TXT \"v=spf1 -all " + i + "\"\n");
        default -> {
          String child = "d" + i;
          out.write(child + " IN NS ns." + child + "\nns." + child + " IN A 198.51.100." + (i % 250 + 1) + "\n");
          if (i % 3 == 0) {
            out.write(child + " IN DS 12345 13 2 " + String.format("%064x", i) + "\n");
          }
        }
      }
    }
  }
}
