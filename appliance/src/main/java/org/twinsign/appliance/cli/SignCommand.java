package org.twinsign.appliance.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import org.twinsign.appliance.dnssec.DenialPolicy;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.dnssec.KeyRole;
import org.twinsign.appliance.dnssec.Nsec3Parameters;
import org.twinsign.appliance.dnssec.SerialPolicy;
import org.twinsign.appliance.dnssec.SignatureTiming;
import org.twinsign.appliance.dnssec.ZoneKey;
import org.twinsign.appliance.dnssec.ZoneSigner;
import org.twinsign.appliance.hsm.HsmConfig;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.hsm.KeyLocator;
import org.twinsign.appliance.hsm.KeyRepositories;
import org.twinsign.appliance.hsm.KeyRepository;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.twinsign.appliance.zone.ZoneFileWriter;
import org.xbill.DNS.Name;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code twinsign sign}: signs a zone file with keys in an HSM. The output file is replaced
 * atomically and only on success.
 */
@Command(name = "sign", sortOptions = false, description = {
    "Sign a zone file with keys in an HSM.",
    "With --previous, keep every signature of the previous signed zone that is still good and sign only",
    "the rest. OUT.zone is replaced atomically, and only on success."})
final class SignCommand implements Runnable {
  private static final DateTimeFormatter DNS_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--hsm", required = true, paramLabel = "HSM.conf",
      description = "Key repository config (repeatable: e.g. KSKs in an HSM, ZSKs in a soft key store).")
  List<Path> repositories = new ArrayList<>();

  @Option(names = "--zone", required = true, paramLabel = "ZONE", description = "The zone's apex, e.g. example.test.")
  String zoneName;

  @Option(names = "--input", required = true, paramLabel = "IN.zone", description = "The unsigned zone file.")
  Path input;

  @Option(names = "--output", required = true, paramLabel = "OUT.zone", description = "Where to write the signed zone.")
  Path output;

  @Option(names = "--ksk", paramLabel = "LOCATOR", description = "Key-signing key (repeatable).")
  List<String> ksks = new ArrayList<>();

  @Option(names = "--zsk", paramLabel = "LOCATOR", description = "Zone-signing key (repeatable).")
  List<String> zsks = new ArrayList<>();

  @Option(names = "--csk", paramLabel = "LOCATOR", description = "Combined signing key (repeatable).")
  List<String> csks = new ArrayList<>();

  @Option(names = "--algorithm", paramLabel = "ALG",
      description = "For RSA keys: RSASHA256 (default) or RSASHA512. EC keys bring their algorithm.")
  String rsaAlgorithm;

  @Option(names = "--nsec3", description = "Deny existence with NSEC3 (default: NSEC).")
  boolean nsec3;

  @Option(names = "--iterations", paramLabel = "N", defaultValue = "0",
      description = "NSEC3 extra iterations (RFC 9276: 0, the default).")
  int iterations;

  @Option(names = "--salt", paramLabel = "HEX|-", defaultValue = "-", description = "NSEC3 salt (default: none).")
  String salt;

  @Option(names = "--optout", description = "NSEC3 opt-out: insecure delegations stay out of the chain.")
  boolean optOut;

  @Option(names = "--validity", paramLabel = "DURATION", defaultValue = "14d") String validity;
  @Option(names = "--validity-denial", paramLabel = "DURATION", defaultValue = "14d") String validityDenial;
  @Option(names = "--validity-keyset", paramLabel = "DURATION", defaultValue = "14d") String validityKeyset;
  @Option(names = "--refresh", paramLabel = "DURATION", defaultValue = "3d",
      description = "Replace signatures that expire within this period.") String refresh;
  @Option(names = "--jitter", paramLabel = "DURATION", defaultValue = "12h") String jitter;
  @Option(names = "--inception-offset", paramLabel = "DURATION", defaultValue = "1h") String inceptionOffset;

  @Option(names = "--serial", paramLabel = "POLICY", defaultValue = "counter",
      description = "counter, datecounter, unixtime or keep (default ${DEFAULT-VALUE}).")
  String serial;

  @Option(names = "--previous", paramLabel = "PREVIOUS.signed",
      description = "The previous signed zone: reuse its good signatures, never lower its serial.")
  Path previous;

  @Option(names = "--dnskey-ttl", paramLabel = "SECONDS", defaultValue = "3600") long dnskeyTtl;

  @Option(names = "--threads", paramLabel = "N", description = "Signing threads (default: the number of cores).")
  Integer threads;

  @Option(names = "--now", paramLabel = "YYYYMMDDhhmmss", description = "Sign as of this UTC time (for simulation).")
  String now;

  @Override
  public void run() {
    Name origin = CliArguments.zone("--zone", zoneName, spec);
    SignatureTiming timing = timing();
    SerialPolicy serialPolicy = argument("--serial", () -> SerialPolicy.parse(serial));
    DenialPolicy denial = denial();
    Instant signingTime = signingTime();
    int threadCount = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    if (threadCount < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
    }
    if (ksks.isEmpty() && zsks.isEmpty() && csks.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "no keys: give --ksk and --zsk, or --csk (locators from 'twinsign hsm list')");
    }
    DnssecAlgorithm rsa = rsaAlgorithm == null ? null : CliArguments.algorithm("--algorithm", rsaAlgorithm, spec);

    long t0 = System.nanoTime();
    Zone unsigned = ZoneFileReader.read(input, origin);
    Zone previousZone = previous == null ? null : ZoneFileReader.read(previous, origin);
    long read = System.nanoTime() - t0;
    List<HsmConfig> configs = new ArrayList<>();
    for (Path repository : repositories) {
      configs.add(HsmConfig.load(repository));
    }
    List<KeyRepository> opened = new ArrayList<>();
    try {
      for (HsmConfig config : configs) {
        opened.add(KeyRepositories.open(config, threadCount));
      }
      List<ZoneKey> keys = new ArrayList<>();
      addKeys(keys, opened, ksks, KeyRole.KSK, "--ksk", origin, rsa);
      addKeys(keys, opened, zsks, KeyRole.ZSK, "--zsk", origin, rsa);
      addKeys(keys, opened, csks, KeyRole.CSK, "--csk", origin, rsa);
      long t1 = System.nanoTime();
      ZoneSigner.Result result = ZoneSigner.sign(new ZoneSigner.Request(unsigned, input.toString(), keys, denial,
          timing, serialPolicy, dnskeyTtl, previousZone, signingTime, threadCount, new SecureRandom()));
      long signed = System.nanoTime() - t1;
      long t2 = System.nanoTime();
      ZoneFileWriter.write(result.zone(), output);
      long written = System.nanoTime() - t2;
      PrintWriter err = spec.commandLine().getErr();
      result.warnings().forEach(warning -> err.println("warning: " + warning));
      double seconds = result.signingTime().toNanos() / 1e9;
      err.printf("signed %s: serial %d, %d signatures made, %d reused, %.3f s signing (%.0f signatures/s), "
              + "written to %s%n", origin, result.serial(), result.signaturesMade(), result.signaturesReused(),
          seconds, seconds > 0 ? result.signaturesMade() / seconds : 0.0, output);
      err.printf("time: read %.3f s, prepare %.3f s, sign %.3f s, write %.3f s%n", read / 1e9,
          (signed - result.signingTime().toNanos()) / 1e9, seconds, written / 1e9);
    } finally {
      opened.forEach(KeyRepository::close);
    }
  }

  private void addKeys(List<ZoneKey> keys, List<KeyRepository> opened, List<String> locators, KeyRole role,
      String option, Name origin, DnssecAlgorithm rsa) {
    for (String text : locators) {
      KeyLocator locator = CliArguments.locator(option, text, spec);
      KeyRepository token = null;
      HsmKey key = null;
      for (KeyRepository repository : opened) {
        var found = repository.find(locator);
        if (found.isPresent()) {
          token = repository;
          key = found.get();
          break;
        }
      }
      if (key == null) {
        throw new IllegalStateException("no key with locator " + locator + " (" + option + ") in "
            + opened.stream().map(KeyRepository::describe).collect(java.util.stream.Collectors.joining(", "))
            + ": 'twinsign hsm list' shows the keys there");
      }
      KeyRepository holder = token;
      HsmKey signingKey = key.withRsaChoice(rsa);
      // one signature now: a key that cannot sign (wrong PIN, locked token) fails before any work
      holder.sign(signingKey, new byte[32]);
      keys.add(ZoneKey.of(signingKey.locator().hex(), role, origin, dnskeyTtl, signingKey.algorithm(),
          signingKey.publicKey(), data -> holder.sign(signingKey, data)));
    }
  }

  private SignatureTiming timing() {
    CommandLine commandLine = spec.commandLine();
    Duration v = Durations.parse(commandLine, "--validity", validity);
    Duration vd = Durations.parse(commandLine, "--validity-denial", validityDenial);
    Duration vk = Durations.parse(commandLine, "--validity-keyset", validityKeyset);
    Duration r = Durations.parse(commandLine, "--refresh", refresh);
    Duration j = Durations.parse(commandLine, "--jitter", jitter);
    Duration o = Durations.parse(commandLine, "--inception-offset", inceptionOffset);
    return argument("--refresh/--jitter/--validity", () -> new SignatureTiming(v, vd, vk, r, j, o));
  }

  private DenialPolicy denial() {
    if (!nsec3) {
      if (optOut || iterations != 0 || !"-".equals(salt)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--optout, --iterations and --salt go with --nsec3");
      }
      return DenialPolicy.NSEC;
    }
    return argument("--nsec3", () -> DenialPolicy.nsec3(
        new Nsec3Parameters(iterations, Nsec3Parameters.parseSalt(salt), optOut)));
  }

  private Instant signingTime() {
    if (now == null) {
      return Instant.now();
    }
    try {
      return LocalDateTime.parse(now, DNS_TIME).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--now: '" + now + "' is not a UTC time of the form YYYYMMDDhhmmss");
    }
  }

  private <T> T argument(String option, java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), option + ": " + e.getMessage());
    }
  }
}
