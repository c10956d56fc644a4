package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.dnssec.ZoneKey;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.hsm.KeyRepositories;
import org.twinsign.appliance.hsm.KeyRepository;
import org.xbill.DNS.Name;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code twinsign hsm ...}: keys on a PKCS#11 token, as OpenDNSSEC's {@code ods-hsmutil}. */
@Command(name = "hsm", description = "Generate, list, export and delete keys in a key repository (HSM or soft).",
    subcommands = {HsmCommand.Generate.class, HsmCommand.ListKeys.class, HsmCommand.Export.class,
        HsmCommand.Delete.class, HsmCommand.Speed.class})
final class HsmCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every hsm subcommand takes. */
  static final class HsmOption {
    @Option(names = "--hsm", required = true, paramLabel = "HSM.conf",
        description = "Repository config file (library=, token=, pin.file= or pin.env=; or type=soft, directory=).")
    Path config;

    KeyRepository open(int sessions) {
      return KeyRepositories.open(HsmConfig.load(config), sessions);
    }
  }

  @Command(name = "generate", description = "Generate a key pair on the token; prints its locator.")
  static final class Generate implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HsmOption hsm;

    @Option(names = "--algorithm", required = true, paramLabel = "ALG",
        description = "RSASHA256, RSASHA512, ECDSAP256SHA256, ECDSAP384SHA384 or ED25519.")
    String algorithm;

    @Option(names = "--bits", paramLabel = "N", description = "RSA modulus size, 2048..4096 (default ${DEFAULT-VALUE}).",
        defaultValue = "2048")
    int bits;

    @Option(names = "--label", required = true, paramLabel = "NAME", description = "CKA_LABEL of the key.")
    String label;

    @Option(names = "--ksk", description = "Show the key's DNSKEY with the SEP flag (257).")
    boolean ksk;

    @Override
    public void run() {
      DnssecAlgorithm chosen = CliArguments.algorithm("--algorithm", algorithm, spec);
      if (chosen.family() == DnssecAlgorithm.KeyFamily.RSA && (bits < 2048 || bits > 4096)) {
        // RFC 8624: no new RSA keys under 2048 bits by hand; a policy that asks for them is the operator's word
        throw new CommandLine.ParameterException(spec.commandLine(), "--bits " + bits
            + ": RSA keys are 2048 to 4096 bits here");
      }
      try (KeyRepository token = hsm.open(1)) {
        HsmKey key = token.generate(chosen, bits, label);
        PrintWriter out = spec.commandLine().getOut();
        out.println(key.locator());
        ZoneKey shown = ZoneKey.of(key.locator().hex(), ksk ? KeyRole.KSK : KeyRole.ZSK, Name.root, 3600,
            key.algorithm(), key.publicKey(), data -> new byte[0]);
        spec.commandLine().getErr().println("generated " + chosen + " key " + key.locator() + " '" + label
            + "' on " + token + ", key tag " + shown.keyTag() + (ksk ? " (as KSK)" : " (as ZSK)"));
      }
    }
  }

  @Command(name = "list", description = "List the DNSSEC keys on the token.")
  static final class ListKeys implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HsmOption hsm;

    @CommandLine.Option(names = "--json", description = "As JSON: locator, algorithm, bits, label of each key.")
    boolean json;

    @Override
    public void run() {
      try (KeyRepository token = hsm.open(1)) {
        List<HsmKey> keys = token.list();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
          JsonOutput.print(out, keys.stream().map(k -> {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("locator", k.locator().hex());
            m.put("algorithm", k.algorithm().name());
            m.put("bits", k.bits());
            m.put("label", k.label());
            return m;
          }).toList());
          return;
        }
        out.printf("%-34s %-16s %5s  %s%n", "Locator", "Algorithm", "Bits", "Label");
        for (HsmKey key : keys) {
          String algorithm = key.algorithm().family() == DnssecAlgorithm.KeyFamily.RSA ? "RSA" : key.algorithm().name();
          out.printf("%-34s %-16s %5d  %s%n", key.locator(), algorithm, key.bits(), key.label());
        }
        out.println(keys.size() + " key(s) on " + token);
      }
    }
  }

  @Command(name = "export", description = "Print a key's DNSKEY record, or its DS records, in BIND format.")
  static final class Export implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HsmOption hsm;

    @Option(names = "--locator", required = true, paramLabel = "LOCATOR")
    String locator;

    @Option(names = "--zone", required = true, paramLabel = "ZONE")
    String zone;

    @Option(names = "--ksk", description = "The key is a KSK or CSK (SEP flag, 257).")
    boolean ksk;

    @Option(names = "--ds", description = "Print DS records instead of the DNSKEY.")
    boolean ds;

    @Option(names = "--digest", paramLabel = "SHA-256|SHA-384", split = ",",
        description = "DS digest types (default: SHA-256).")
    List<String> digests = List.of("SHA-256");

    @Option(names = "--ttl", paramLabel = "SECONDS", defaultValue = "3600")
    long ttl;

    @Option(names = "--algorithm", paramLabel = "ALG", description = "For RSA keys: RSASHA256 (default) or RSASHA512.")
    String rsaAlgorithm;

    @Override
    public void run() {
      Name origin = CliArguments.zone("--zone", zone, spec);
      java.util.List<Integer> digestTypes = new java.util.ArrayList<>();
      for (String digest : digests) {
        try {
          digestTypes.add(org.twinsign.appliance.dnssec.DelegationSigner.digestType(digest));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--digest: " + e.getMessage());
        }
      }
      try (KeyRepository token = hsm.open(1)) {
        HsmKey key = token.require(CliArguments.locator("--locator", locator, spec))
            .withRsaChoice(rsaAlgorithm == null ? null : CliArguments.algorithm("--algorithm", rsaAlgorithm, spec));
        ZoneKey zoneKey = ZoneKey.of(key.locator().hex(), ksk ? KeyRole.KSK : KeyRole.ZSK, origin, ttl,
            key.algorithm(), key.publicKey(), data -> new byte[0]);
        PrintWriter out = spec.commandLine().getOut();
        out.println("; " + (ksk ? "KSK" : "ZSK") + " " + key.locator() + ", key tag " + zoneKey.keyTag());
        if (!ds) {
          out.println(zoneKey.dnskey());
          return;
        }
        for (int digestType : digestTypes) {
          out.println(org.twinsign.appliance.dnssec.DelegationSigner.of(zoneKey.dnskey(), digestType, ttl));
        }
      }
    }
  }

  @Command(name = "speed", description = {
      "Measure the token's signing rate, as OpenDNSSEC's ods-hsmspeed does.",
      "A temporary key signs RRSIG-sized data on N threads; the key is deleted afterwards."})
  static final class Speed implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HsmOption hsm;

    @Option(names = "--algorithm", paramLabel = "ALG", defaultValue = "ECDSAP256SHA256") String algorithm;
    @Option(names = "--bits", paramLabel = "N", defaultValue = "2048") int bits;
    @Option(names = "--threads", paramLabel = "N", defaultValue = "1") int threads;
    @Option(names = "--count", paramLabel = "N", defaultValue = "20000", description = "Signatures in all.")
    int count;

    @Override
    public void run() {
      DnssecAlgorithm chosen = CliArguments.algorithm("--algorithm", algorithm, spec);
      if (threads < 1 || count < threads) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be >= 1 and <= --count");
      }
      try (KeyRepository token = hsm.open(threads)) {
        HsmKey key = token.generate(chosen, bits, "twinsign-speed");
        try {
          byte[] data = new byte[180]; // RRSIG RDATA header plus a typical A/AAAA RRset
          new java.util.Random(1).nextBytes(data);
          for (int i = 0; i < 200; i++) {
            token.sign(key, data); // warm up the JIT and the sessions
          }
          java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(count);
          List<Thread> workers = new java.util.ArrayList<>();
          long start = System.nanoTime();
          for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
              while (left.getAndDecrement() > 0) {
                token.sign(key, data);
              }
            });
            workers.add(worker);
            worker.start();
          }
          for (Thread worker : workers) {
            worker.join();
          }
          double seconds = (System.nanoTime() - start) / 1e9;
          spec.commandLine().getOut().printf("%s on %s, %d thread(s): %d signatures in %.3f s = %.0f signatures/s%n",
              chosen, token, threads, count, seconds, count / seconds);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          token.delete(key.locator());
        }
      }
    }
  }

  @Command(name = "delete", description = "Delete a key pair from the token.")
  static final class Delete implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    HsmOption hsm;

    @Option(names = "--locator", required = true, paramLabel = "LOCATOR")
    String locator;

    @Override
    public void run() {
      try (KeyRepository token = hsm.open(1)) {
        var which = CliArguments.locator("--locator", locator, spec);
        if (!token.delete(which)) {
          throw new IllegalStateException("no key with locator " + which + " on " + token);
        }
        spec.commandLine().getOut().println("deleted " + which);
      }
    }
  }
}
