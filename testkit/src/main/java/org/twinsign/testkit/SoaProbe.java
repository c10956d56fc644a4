package org.twinsign.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Waits until a local name server answers a zone's SOA (with a given serial), asking with dig. */
final class SoaProbe {
  private SoaProbe() {}

  /**
   * Waits up to {@code limit} until the server on {@code port} answers {@code zone}'s SOA with
   * {@code serial} (any, if -1); fails naming {@code server} with the tail of its {@code log}.
   */
  static void await(String server, LocalProcess process, Path log, int port, String zone, long serial,
      Duration limit) {
    Path dig = HostTool.require("dig", "bind9-dnsutils");
    long deadline = System.nanoTime() + limit.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(server + " exited; " + log + " says:\n" + LocalProcess.tail(log, 15)
            + process.logTail(10));
      }
      try {
        Process query = new ProcessBuilder(dig.toString(), "+short", "+time=1", "+tries=1", "-p",
            Integer.toString(port), "@127.0.0.1", zone, "SOA").redirectErrorStream(true).start();
        last = new String(query.getInputStream().readAllBytes()).trim();
        query.waitFor();
        List<String> fields = List.of(last.split("\\s+"));
        if (fields.size() >= 7 && (serial < 0 || fields.get(2).equals(Long.toString(serial)))) {
          return;
        }
        Thread.sleep(100);
      } catch (IOException e) {
        last = e.getMessage();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
    throw new IllegalStateException(server + " on port " + port + " does not serve " + zone
        + (serial < 0 ? "" : " with serial " + serial) + " (last answer: " + last + "); log:\n"
        + LocalProcess.tail(log, 15));
  }
}
