package org.twinsign.procedures;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.twinsign.appliance.cli.TwinsignCommand;
import org.twinsign.testkit.NsdServer;

/**
 * A simulated parent: zone {@code parent.test}, signed by Twinsign's own offline signer
 * ({@code twinsign sign}, a soft key store's CSK, NSEC) and served by its own NSD, delegating
 * {@code child} with the DS set the test gives ({@link #publish}); the DS TTL is {@link #DS_TTL}.
 * A validating resolver is given {@link #trustAnchor()}.
 */
public final class ParentZone implements AutoCloseable {
  public static final String ZONE = "parent.test";
  public static final int DS_TTL = 10;
  private final Path dir;
  private final Path hsm;
  private final String locator;
  private final String child;
  private final NsdServer nsd;
  private long serial = 1;

  private ParentZone(Path dir, Path hsm, String locator, String child, List<String> ds) throws Exception {
    this.dir = dir;
    this.hsm = hsm;
    this.locator = locator;
    this.child = child;
    this.nsd = NsdServer.start(Map.of(ZONE, signed(ds)));
  }

  /** Makes the parent's key and starts its server, delegating {@code child} with DS records {@code ds}. */
  public static ParentZone start(Path dir, String child, List<String> ds) throws Exception {
    Files.createDirectories(dir);
    Path pin = dir.resolve("parent.pin");
    Files.writeString(pin, "parent-store-pin\n");
    Files.setPosixFilePermissions(pin, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Path hsm = dir.resolve("parent-hsm.conf");
    Files.writeString(hsm, "type=soft\ndirectory=" + dir.resolve("keys") + "\npin.file=" + pin + "\n");
    Files.createDirectories(dir.resolve("keys"));
    String locator = cli("hsm", "generate", "--hsm", hsm.toString(), "--algorithm", "ECDSAP256SHA256", "--label",
        "parent-csk", "--ksk").lines().filter(l -> l.matches("[0-9a-f]{8,}.*")).map(l -> l.split("\\s+")[0])
        .findFirst().orElseThrow(() -> new IllegalStateException("no locator printed by 'hsm generate'"));
    return new ParentZone(dir, hsm, locator, child, ds);
  }

  /** The parent's DS, for the resolver's trust anchor. */
  public String trustAnchor() {
    return cli("hsm", "export", "--hsm", hsm.toString(), "--locator", locator, "--zone", ZONE, "--ksk", "--ds");
  }

  public int port() {
    return nsd.port();
  }

  /** Publishes {@code ds} (DS records as 'key export --ds' prints them) as the child's DS set, once NSD serves it. */
  public synchronized void publish(List<String> ds) throws Exception {
    serial++;
    nsd.update(ZONE, signed(ds), serial);
  }

  private String signed(List<String> ds) throws Exception {
    StringBuilder text = new StringBuilder("$ORIGIN " + ZONE + ".\n$TTL 10\n@ SOA ns1 hostmaster " + serial
        + " 60 30 600 10\n@ NS ns1\nns1 A 127.0.0.1\n" + child + ". NS ns1." + child + ".\nns1." + child
        + ". A 127.0.0.1\n");
    for (String record : ds) {
      String[] f = record.trim().split("\\s+");
      int at = java.util.Arrays.asList(f).indexOf("DS");
      text.append(child).append(". ").append(DS_TTL).append(" IN DS ").append(String.join(" ", java.util.Arrays
          .copyOfRange(f, at + 1, f.length))).append('\n');
    }
    Path in = dir.resolve("parent.zone");
    Path out = dir.resolve("parent.signed");
    Files.writeString(in, text.toString());
    cli("sign", "--hsm", hsm.toString(), "--zone", ZONE, "--input", in.toString(), "--output", out.toString(),
        "--csk", locator, "--serial", "keep", "--dnskey-ttl", "10");
    return Files.readString(out);
  }

  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine commandLine = TwinsignCommand.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int exit = commandLine.execute(args);
    if (exit != 0) {
      throw new IllegalStateException("twinsign " + String.join(" ", args) + ": exit " + exit + ": " + err + out);
    }
    return out.toString() + err;
  }

  /** The DS lines of {@code export} whose key tag is {@code tag}. */
  public static List<String> dsOf(String export, int tag) {
    List<String> lines = new ArrayList<>();
    export.lines().filter(l -> l.matches(".*\\sDS\\s+" + tag + "\\s.*")).forEach(lines::add);
    return lines;
  }

  @Override
  public void close() {
    nsd.close();
  }
}
