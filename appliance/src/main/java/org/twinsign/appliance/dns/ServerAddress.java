package org.twinsign.appliance.dns;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** A name server's address as operators write it: {@code HOST}, {@code HOST:PORT} or {@code [IPv6]:PORT} (port 53 by default). */
public final class ServerAddress {
  private ServerAddress() {}

  /**
   * Parses {@code text}; an error names {@code option} and what is wrong.
   *
   * @param option how the caller names the setting in errors ("--primary", "--parent-server")
   */
  public static InetSocketAddress parse(String option, String text) {
    String host = text.trim();
    int port = 53;
    int colon = host.lastIndexOf(':');
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      if (end < 0) {
        throw new IllegalArgumentException(option + " " + text + ": a ']' is missing");
      }
      if (end + 1 < host.length()) {
        port = port(option, text, host.substring(end + 2));
      }
      host = host.substring(1, end);
    } else if (colon > 0 && host.indexOf(':') == colon) {
      port = port(option, text, host.substring(colon + 1));
      host = host.substring(0, colon);
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(option + " " + text + ": unknown host " + host);
    }
  }

  /** {@code HOST:PORT} ({@code [IPv6]:PORT}) by address: how the store keeps it. */
  public static String format(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private static int port(String option, String text, String port) {
    try {
      int n = Integer.parseInt(port);
      if (n < 1 || n > 65535) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " " + text + ": '" + port + "' is not a port");
    }
  }
}
