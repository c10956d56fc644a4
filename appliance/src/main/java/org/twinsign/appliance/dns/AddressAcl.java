package org.twinsign.appliance.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which client addresses may do something (transfer a zone, send a NOTIFY): a list of prefixes
 * ({@code 192.0.2.0/24}, {@code 2001:db8::/32}, or a single address). An IPv4 client never matches
 * an IPv6 prefix and the reverse, except that an IPv4-mapped IPv6 address counts as IPv4.
 */
public final class AddressAcl {
  private record Prefix(byte[] network, int bits) {}

  private final List<Prefix> prefixes;
  private final List<String> text;

  private AddressAcl(List<Prefix> prefixes, List<String> text) {
    this.prefixes = prefixes;
    this.text = text;
  }

  /** Parses the prefixes; a bad one is an error naming it. No name lookups: addresses only. */
  public static AddressAcl parse(List<String> entries) {
    List<Prefix> prefixes = new ArrayList<>();
    for (String entry : entries) {
      String e = entry.trim();
      int slash = e.indexOf('/');
      String address = slash < 0 ? e : e.substring(0, slash);
      if (!address.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
        throw new IllegalArgumentException("'" + e + "' is not an address or prefix (192.0.2.0/24, 2001:db8::/32)");
      }
      byte[] bytes;
      try {
        bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup
      } catch (UnknownHostException ex) {
        throw new IllegalArgumentException("'" + e + "' is not an address or prefix", ex);
      }
      int bits = bytes.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(e.substring(slash + 1));
        } catch (NumberFormatException ex) {
          bits = -1;
        }
        if (bits < 0 || bits > bytes.length * 8) {
          throw new IllegalArgumentException("'" + e + "': the prefix length must be 0.." + bytes.length * 8);
        }
      }
      prefixes.add(new Prefix(bytes, bits));
    }
    return new AddressAcl(List.copyOf(prefixes), List.copyOf(entries));
  }

  public boolean allows(InetAddress client) {
    byte[] address = client.getAddress();
    if (address.length == 16 && isV4Mapped(address)) {
      address = java.util.Arrays.copyOfRange(address, 12, 16);
    }
    for (Prefix p : prefixes) {
      if (p.network().length == address.length && matches(p, address)) {
        return true;
      }
    }
    return false;
  }

  private static boolean matches(Prefix p, byte[] address) {
    int full = p.bits() / 8;
    for (int i = 0; i < full; i++) {
      if (p.network()[i] != address[i]) {
        return false;
      }
    }
    int rest = p.bits() % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xff << (8 - rest)) & 0xff;
    return (p.network()[full] & mask) == (address[full] & mask);
  }

  private static boolean isV4Mapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return (a[10] & 0xff) == 0xff && (a[11] & 0xff) == 0xff;
  }

  @Override
  public String toString() {
    return String.join(",", text);
  }
}
