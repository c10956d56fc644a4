package org.twinsign.appliance.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.twinsign.appliance.dnssec.DenialPolicy;
import org.twinsign.appliance.dnssec.DnssecAlgorithm;
import org.twinsign.appliance.dnssec.Nsec3Parameters;
import org.twinsign.appliance.dnssec.SerialPolicy;
import org.twinsign.appliance.dnssec.SignatureTiming;
import org.twinsign.appliance.dnssec.ZoneKey;
import org.twinsign.appliance.dnssec.ZoneSigner;
import org.twinsign.appliance.enforcer.KeyState;
import org.twinsign.appliance.enforcer.RecordType;
import org.twinsign.appliance.hsm.HsmKey;
import org.twinsign.appliance.hsm.KeyLocator;
import org.twinsign.appliance.hsm.KeyRepository;
import org.twinsign.appliance.policy.KaspPolicy;
import org.twinsign.appliance.store.KeyTable;
import org.twinsign.appliance.store.ZoneTable;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneFileException;
import org.twinsign.appliance.zone.ZoneFileReader;
import org.twinsign.appliance.zone.ZoneFileWriter;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Signs a zone as its KASP policy and the enforcer's record states say: the SOA TTL, minimum and
 * serial of the policy, its signature validities and NSEC/NSEC3 parameters (with re-salting), the
 * DNSKEYs the enforcer publishes and the keys it signs with. The result goes to a file next to
 * the output, which {@link Signed#publish()} moves into place once the state is committed.
 */
final class PolicySigner {
  private static final SecureRandom RANDOM = new SecureRandom();

  private PolicySigner() {}

  /**
   * A signed zone waiting to be published, and what the store records of it. {@link #publish()}
   * moves it into place and keeps the previous file until {@link #settle()}; if the state cannot
   * be committed, {@link #restore()} puts the previous file back, so that what is published and
   * what the store says never part.
   */
  static final class Signed {
    private final Path staged;
    private final Path output;
    private final long serial;
    private final Instant resignAt;
    private final String salt;
    private final Instant saltAt;
    private final String inputDigest;
    private final String summary;
    private final long signaturesMade;
    private final long signaturesReused;
    private final boolean passthrough;
    private final String publishedDigest;
    private final Zone zone;
    private Path previous;
    private boolean published;
    // publication by journal: the diff appended to the journal file instead of a new signed file
    private org.twinsign.appliance.zone.ZoneDiff diff;
    private Path journalFile;
    private long journalLength = -1;
    private Long inputSerial;

    Signed(Path staged, Path output, long serial, Instant resignAt, String salt, Instant saltAt, String inputDigest,
        String summary, long signaturesMade, long signaturesReused, boolean passthrough, String publishedDigest,
        Zone zone) {
      this.zone = zone;
      this.passthrough = passthrough;
      this.publishedDigest = publishedDigest;
      this.signaturesMade = signaturesMade;
      this.signaturesReused = signaturesReused;
      this.staged = staged;
      this.output = output;
      this.serial = serial;
      this.resignAt = resignAt;
      this.salt = salt;
      this.saltAt = saltAt;
      this.inputDigest = inputDigest;
      this.summary = summary;
    }

    long serial() {
      return serial;
    }

    Instant resignAt() {
      return resignAt;
    }

    String salt() {
      return salt;
    }

    Instant saltAt() {
      return saltAt;
    }

    String inputDigest() {
      return inputDigest;
    }

    String summary() {
      return summary;
    }

    long signaturesMade() {
      return signaturesMade;
    }

    long signaturesReused() {
      return signaturesReused;
    }

    /** The SHA-256 of the file as published. */
    String publishedDigest() {
      return publishedDigest;
    }

    /** A version published by appending {@code diff} to {@code journalFile}; the signed file is written later. */
    Signed byJournal(org.twinsign.appliance.zone.ZoneDiff diff, Path journalFile) {
      this.diff = diff;
      this.journalFile = journalFile;
      return this;
    }

    /** The serial of the unsigned input held in memory that this version was made from, or null. */
    Signed fromInput(Long serial) {
      this.inputSerial = serial;
      return this;
    }

    Long inputSerial() {
      return inputSerial;
    }

    /** The diff appended to the journal when published by journal, else null. */
    org.twinsign.appliance.zone.ZoneDiff journalDiff() {
      return diff;
    }

    /** The signed zone as published, for the next signing to start from; null when passed through. */
    Zone zone() {
      return zone;
    }

    Path output() {
      return output;
    }

    /** Whether the zone was passed through unsigned, with the input's own serial. */
    boolean passthrough() {
      return passthrough;
    }

    /**
     * Moves the signed zone into place (atomically, on the same file system), keeping the previous
     * one: the staged file is already on disk (written and fsynced), and the directory is fsynced
     * after the rename, so the publication is durable before the store records it.
     */
    void publish() {
      if (diff != null) {
        try {
          journalLength = Files.exists(journalFile) ? Files.size(journalFile) : -1;
          org.twinsign.appliance.zone.JournalFile.append(journalFile, diff); // fsynced
          published = true;
          return;
        } catch (IOException e) {
          published = true; // a part may be on disk: restore() takes it off, or later blocks would hide behind it
          restore();
          published = false;
          throw new UncheckedIOException("cannot append to the journal " + journalFile + ": " + e.getMessage()
              + " (nothing was published)", e);
        }
      }
      try {
        if (Files.exists(output)) {
          previous = keepPrevious(output);
        }
        Files.move(staged, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        published = true;
        syncDirectory(output); // the rename itself must survive a crash before the state says "published"
      } catch (IOException e) {
        deleteQuietly(previous);
        deleteQuietly(staged);
        throw new UncheckedIOException("cannot publish the signed zone " + output + ": " + e.getMessage()
            + " (nothing was changed)", e);
      }
    }

    boolean published() {
      return published;
    }

    /** Not published: the staging file goes. */
    void discard() {
      if (!published) {
        deleteQuietly(staged);
      }
    }

    /** The state is committed: the previous file and the staging file go. */
    void settle() {
      deleteQuietly(previous);
      deleteQuietly(staged);
    }

    /** The state was not committed: the previous file comes back. */
    void restore() {
      if (diff != null) {
        if (published && Files.exists(journalFile)) {
          try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(journalFile,
              java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(Math.max(0, journalLength)); // the diff the store did not take goes
            channel.force(true);
          } catch (IOException e) {
            throw new UncheckedIOException("could not take the last diff off the journal " + journalFile
                + " after the store refused the change (" + e.getMessage() + "): delete the journal by hand", e);
          }
        }
        return;
      }
      try {
        if (published && previous != null) {
          Files.move(previous, output, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else if (published) {
          Files.deleteIfExists(output);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not put the previous signed zone " + previous + " back as " + output
            + " after the store refused the change: do it by hand before the next run (" + e.getMessage() + ")", e);
      } finally {
        deleteQuietly(staged);
      }
    }

  }

  /**
   * The published file under a second name, to put back if the commit fails: a hard link (no
   * copy of a large zone, and it needs no read access), or a copy where links are not supported.
   */
  private static Path keepPrevious(Path output) throws IOException {
    Path dir = output.toAbsolutePath().getParent();
    for (int attempt = 0; ; attempt++) {
      Path link = dir.resolve(output.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36)
          + ".twinsign-old");
      try {
        return Files.createLink(link, output);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        if (attempt > 10) {
          throw e;
        }
      } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
        Path copy = Files.createTempFile(dir, output.getFileName() + ".", ".twinsign-old");
        Files.copy(output, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
        return copy;
      }
    }
  }

  private static void syncDirectory(Path file) throws IOException {
    try (java.nio.channels.FileChannel directory = java.nio.channels.FileChannel.open(
        file.toAbsolutePath().getParent(), java.nio.file.StandardOpenOption.READ)) {
      directory.force(true);
    }
  }

  static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover temporary file next to the output; the next run's sweep takes it
    }
  }

  /** How old a staging file must be before a sweep takes it for a crashed run's. */
  static final Duration SWEEP_AGE = Duration.ofHours(1);

  /** When each output directory was last listed for leftovers: once per half {@link #SWEEP_AGE}. */
  private static final java.util.concurrent.ConcurrentHashMap<Path, Instant> LISTED =
      new java.util.concurrent.ConcurrentHashMap<>();
  /** Leftovers the last listing found, by the output they belong to. */
  private static final java.util.concurrent.ConcurrentHashMap<Path, List<Path>> LEFTOVERS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Removes staging and previous-version files of {@code output} that a crashed run left behind:
   * those untouched for {@link #SWEEP_AGE} (a run that is signing now, outside any lock, keeps its
   * own). Called under the zone file's lock, and only for the zone's own files: another zone's
   * previous version (a hard link, as old as its output) may be waiting for that zone's commit.
   * The directory is listed at most once per half {@code SWEEP_AGE} for all its zones at once:
   * with thousands of zones in one directory, a listing per zone and run made a pass quadratic.
   */
  static void sweep(Path output) {
    Path absolute = output.toAbsolutePath().normalize();
    Path dir = absolute.getParent();
    Instant now = Instant.now();
    Instant recent = now.minus(SWEEP_AGE.dividedBy(2));
    // atomically: the one caller that finds the last listing old puts its own instant there and lists
    if (LISTED.compute(dir, (d, last) -> last != null && last.isAfter(recent) ? last : now) == now) {
      try (var files = Files.list(dir)) {
        files.forEach(f -> {
          String name = f.getFileName().toString();
          String stem = name.endsWith(".twinsign-new") ? name.substring(0, name.length() - 13)
              : name.endsWith(".twinsign-old") ? name.substring(0, name.length() - 13) : null;
          if (stem != null && stem.lastIndexOf('.') > 0) {
            LEFTOVERS.computeIfAbsent(dir.resolve(stem.substring(0, stem.lastIndexOf('.'))),
                o -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(f);
          }
        });
      } catch (IOException e) {
        // an unreadable directory fails the signing itself, with a clearer message
      }
    }
    List<Path> mine = LEFTOVERS.remove(absolute);
    if (mine != null) {
      java.nio.file.attribute.FileTime before = java.nio.file.attribute.FileTime.from(now.minus(SWEEP_AGE));
      mine.stream().filter(f -> olderThan(f, before)).forEach(PolicySigner::deleteQuietly);
    }
  }

  private static boolean olderThan(Path file, java.nio.file.attribute.FileTime time) {
    try {
      return Files.getLastModifiedTime(file).compareTo(time) < 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** A staging file next to the output, with the output's mode (or rw-r--r--): name servers must read it. */
  static Path staging(Path output) {
    try {
      Path dir = output.toAbsolutePath().getParent();
      Path staged = Files.createTempFile(dir, output.getFileName() + ".", ".twinsign-new");
      Files.setPosixFilePermissions(staged, Files.exists(output) ? Files.getPosixFilePermissions(output)
          : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      return staged;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write next to " + output + ": " + e.getMessage(), e);
    }
  }

  /**
   * Signs the zone into a staging file next to its output, outside any transaction.
   *
   * @param cancelled polled while signing: true stops it ({@link
   *     org.twinsign.appliance.dnssec.SigningCancelledException}), e.g. when the lease is gone
   */
  static Signed sign(KaspPolicy policy, ZoneTable.ZoneRow row, List<KeyTable.StoredKey> keys,
      KeyRepositorySet repositories, Instant now, Memory memory, java.util.function.BooleanSupplier cancelled) {
    return sign(policy, row, keys, repositories, now, memory, cancelled, false);
  }

  /**
   * @param onlyInputChanged nothing but the input changed since the version published (no key
   *     change, no re-signing due): a change held in memory may then be applied incrementally
   */
  static Signed sign(KaspPolicy policy, ZoneTable.ZoneRow row, List<KeyTable.StoredKey> keys,
      KeyRepositorySet repositories, Instant now, Memory memory, java.util.function.BooleanSupplier cancelled,
      boolean onlyInputChanged) {
    Name origin = ZoneService.origin(row.name());
    List<String> notes = new ArrayList<>();
    if (onlyInputChanged && !policy.passthrough()) {
      try {
        Signed signed = incremental(policy, row, keys, repositories, now, origin, memory, notes);
        if (signed != null) {
          return signed;
        }
      } catch (RuntimeException e) {
        // the fork it worked on is dropped; a full signing starts from what is published
        notes.add("signed whole: the incremental change failed (" + e.getMessage() + ")");
      }
    }
    Path[] staged = new Path[1];
    try {
      return sign(policy, row, keys, repositories, now, origin, staged, memory, cancelled, notes);
    } catch (RuntimeException | Error e) {
      deleteQuietly(staged[0]);
      throw e;
    }
  }

  /**
   * The change of the unsigned input (the diffs of the copy held in memory, or the reloaded input
   * file diffed against the version published) applied to the version published, in memory
   * and published by journal (RFC 1995 diffs; the signed file is written later, see
   * {@code EnforcerService#installFile}); null when it cannot be (why goes into {@code notes}).
   */
  private static Signed incremental(KaspPolicy policy, ZoneTable.ZoneRow row, List<KeyTable.StoredKey> keys,
      KeyRepositorySet repositories, Instant now, Name origin, Memory memory, List<String> notes) {
    ZoneInputs.Input input = memory.inputs().current(row.name());
    SignedZones.Version last = memory.zones().published(row.name(), row.publishedDigest());
    if (last == null || !memory.zones().journaling() || row.resignAt() == null || row.publishedDigest() == null
        || input == null && row.transferredIn()) {
      return null;
    }
    if (last.journal().depth() >= org.twinsign.appliance.zone.Journal.MAX_DIFFS - 1) {
      // the journal would drop diffs the published file still needs: a whole file instead
      notes.add("signed whole: the journal holds " + last.journal().depth() + " versions, its most");
      return null;
    }
    org.twinsign.appliance.zone.ZoneDiff change;
    SOARecord unsignedSoa;
    String identity;
    if (input != null) {
      if (last.inputSerial() == null) {
        return null;
      }
      java.util.Optional<org.twinsign.appliance.zone.ZoneDiff> held = input.journal().between(last.inputSerial(),
          input.serial());
      if (held.isEmpty()) {
        notes.add("signed whole: the input's changes since serial " + last.inputSerial() + " are no longer held");
        return null;
      }
      change = held.get();
      unsignedSoa = input.zone().soa();
      identity = input.identity();
    } else {
      // a file: reloaded whole (there is no other way to read it), diffed against the version published
      identity = memory.digests().of(row.input()); // first: a file changing meanwhile is signed again next run
      Zone file = ZoneFileReader.read(row.input(), origin);
      if (file.soa() == null) {
        return null; // the full signing says what is wrong with it
      }
      change = org.twinsign.appliance.dnssec.IncrementalSigner.inputChange(last.zone(), file);
      unsignedSoa = file.soa();
    }
    checkMaxTtl(policy, change.added(), row.input());
    Denial denial = denial(policy, row, now);
    Zone next = last.zone().fork();
    org.twinsign.appliance.dnssec.IncrementalSigner.Outcome outcome = org.twinsign.appliance.dnssec.IncrementalSigner
        .apply(new org.twinsign.appliance.dnssec.IncrementalSigner.Request(next, policySoa(policy, unsignedSoa),
            change.removed(), change.added(), zoneKeys(keys, repositories, origin,
            policy.keys().ttl().getSeconds()), denial.policy(), timing(policy), SerialPolicy.parse(policy.zone()
            .serial()), row.publishedSerialFloor(), now, RANDOM, denial.ttl()));
    if (!outcome.applied()) {
      notes.add("signed whole: " + outcome.fullSigningBecause());
      return null;
    }
    if (outcome.diff().size() > org.twinsign.appliance.zone.Journal.MAX_RECORDS / 2) {
      notes.add("signed whole: the change (" + outcome.diff().size() + " records) is too large for the journal");
      return null;
    }
    String published = PublishedDigest.parse(row.publishedDigest()).withJournalTo(outcome.serial()).text();
    return new Signed(null, row.output(), outcome.serial(), row.resignAt(), denial.salt(), denial.saltAt(),
        identity, "signed serial " + outcome.serial() + " incrementally (" + outcome.signaturesMade()
            + " signatures made, " + outcome.diff().removed().size() + " records out and " + outcome.diff().added()
            .size() + " in; published to the journal)", outcome.signaturesMade(), 0, false, published, next)
        .byJournal(outcome.diff(), org.twinsign.appliance.zone.JournalFile.of(row.output()))
        .fromInput(input == null ? null : input.serial());
  }

  /** The policy's denial of existence for this signing, with the salt (re-salted when due). */
  private record Denial(DenialPolicy policy, String salt, Instant saltAt, Long ttl) {}

  private static Denial denial(KaspPolicy policy, ZoneTable.ZoneRow row, Instant now) {
    String salt = row.nsec3Salt();
    Instant saltAt = row.nsec3SaltAt();
    DenialPolicy denial = DenialPolicy.NSEC;
    KaspPolicy.Denial d = policy.denial();
    if (d.nsec3()) {
      if (d.salt() != null) {
        salt = d.salt();
        saltAt = saltAt == null ? now : saltAt;
      } else if (salt == null || saltAt == null || !saltAt.plus(d.resalt()).isAfter(now)
          || salt.length() != 2 * d.saltLength()) {
        byte[] bytes = new byte[d.saltLength()];
        RANDOM.nextBytes(bytes);
        salt = d.saltLength() == 0 ? "-" : HexFormat.of().formatHex(bytes);
        saltAt = now;
      }
      denial = DenialPolicy.nsec3(new Nsec3Parameters(d.iterations(), Nsec3Parameters.parseSalt(salt), d.optOut()));
    }
    return new Denial(denial, salt, saltAt, d.nsec3() && d.ttl() != null ? d.ttl().getSeconds() : null);
  }

  private static SignatureTiming timing(KaspPolicy policy) {
    KaspPolicy.Signatures s = policy.signatures();
    return new SignatureTiming(s.validityDefault(), s.validityDenial(),
        s.validityKeyset() == null ? s.validityDefault() : s.validityKeyset(), s.refresh(), s.jitter(),
        s.inceptionOffset());
  }

  private static Signed sign(KaspPolicy policy, ZoneTable.ZoneRow row, List<KeyTable.StoredKey> keys,
      KeyRepositorySet repositories, Instant now, Name origin, Path[] stagedFile, Memory memory,
      java.util.function.BooleanSupplier cancelled, List<String> notes) {
    ZoneInputs.Input input = memory.inputs().current(row.name());
    String digest = input != null ? input.identity() : memory.digests().of(row.input());
    Instant resignAt = now.plus(policy.signatures().resign());
    if (policy.passthrough()) {
      // one staging file per signing: two runs never write into each other's
      Path staged = stagedFile[0] = staging(row.output());
      try {
        if (input != null) {
          ZoneFileWriter.write(input.zone(), staged);
        } else {
          Files.copy(row.input(), staged, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(staged, Files.exists(row.output())
            ? Files.getPosixFilePermissions(row.output())
            : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot copy " + row.input() + ": " + e.getMessage(), e);
      }
      // the published serial is the input's own, read (with the digest) from the copy that is published
      SOARecord soa = ZoneFileReader.read(staged, origin).soa();
      String copied = digest(staged);
      return new Signed(staged, row.output(), soa == null ? 0 : soa.getSerial(), resignAt, null,
          null, input != null ? digest : copied, "passed through unsigned (policy " + policy.name()
          + " has <Passthrough/>)", 0, 0, true, copied, null);
    }
    // the copy held in memory is the newest (its file is written after it); a copy: signing changes it
    Zone zone = input != null ? input.zone().copy() : ZoneFileReader.read(row.input(), origin);
    checkMaxTtl(policy, zone.records(), row.input());
    if (zone.soa() != null) {
      zone.put(origin, Type.SOA, new RRset(policySoa(policy, zone.soa())));
    }
    for (int type : new int[] {Type.DNSKEY, Type.CDS, Type.CDNSKEY}) {
      RRset own = zone.get(origin, type);
      if (own != null && own.size() > 0) {
        // the enforcer decides these RRsets; another signer's keys come with multi-signer support
        notes.add("the input's " + Type.string(type) + " records are left out: the enforcer decides them");
        zone.put(origin, type, null);
      }
    }
    if (row.publishCds()) {
      publishCds(zone, row.name(), keys, policy.keys().ttl().getSeconds());
    }
    SignedZones.Version last = memory.zones().published(row.name(), row.publishedDigest());
    Zone previous = last == null ? null : last.zone();
    boolean inMemory = previous != null;
    if (!inMemory) {
      previous = previous(row, origin, notes);
    }

    Denial denial = denial(policy, row, now);
    List<ZoneKey> zoneKeys = zoneKeys(keys, repositories, origin, policy.keys().ttl().getSeconds());
    ZoneSigner.Result result = ZoneSigner.sign(new ZoneSigner.Request(zone, row.input().toString(), zoneKeys,
        denial.policy(), timing(policy), SerialPolicy.parse(policy.zone().serial()), policy.keys().ttl().getSeconds(),
        previous, now, 2, RANDOM, denial.ttl(), row.publishedSerialFloor(), cancelled));
    Path staged = stagedFile[0] = staging(row.output());
    String published = ZoneFileWriter.write(result.zone(), staged);
    notes.addAll(result.warnings());
    return new Signed(staged, row.output(), result.serial(), resignAt, denial.salt(), denial.saltAt(), digest,
        "signed serial " + result.serial() + " (" + result.signaturesMade() + " signatures made, "
            + result.signaturesReused() + " reused" + (inMemory ? " from the signed version in memory" : "") + ")"
            + (notes.isEmpty() ? "" : "; " + String.join("; ", notes)),
        result.signaturesMade(), result.signaturesReused(), false, published, result.zone())
        .fromInput(input == null ? null : input.serial());
  }

  /** What a signing remembers between runs: the signed versions published, and file digests. */
  record Memory(SignedZones zones, FileDigests digests, ZoneInputs inputs) {
    Memory(SignedZones zones, FileDigests digests) {
      this(zones, digests, ZoneInputs.NONE);
    }
  }

  /**
   * The published version, whose signatures can be reused: unreadable (truncated, damaged) is
   * taken as none, with a note. The serial does not depend on it: the store's floor holds.
   */
  private static Zone previous(ZoneTable.ZoneRow row, Name origin, List<String> notes) {
    if (!Files.isRegularFile(row.output())) {
      return null;
    }
    try {
      return ZoneFileReader.read(row.output(), origin);
    } catch (ZoneFileException e) {
      notes.add("the published file " + row.output() + " could not be read (" + e.getMessage()
          + "): everything is signed anew");
      return null;
    }
  }

  /** The keys as the signer uses them: published, signing the keys, signing the zone, or only kept (lost). */
  private static List<ZoneKey> zoneKeys(List<KeyTable.StoredKey> keys, KeyRepositorySet repositories, Name origin,
      long ttl) {
    boolean lostSigner = keys.stream().anyMatch(k -> k.state().lost() && k.state().published(RecordType.RRSIG));
    List<ZoneKey> zoneKeys = new ArrayList<>();
    for (KeyTable.StoredKey stored : keys) {
      KeyState key = stored.state();
      if (!key.published(RecordType.DNSKEY)) {
        continue;
      }
      boolean signsKeys = key.published(RecordType.RRSIG_DNSKEY);
      boolean signsZone = key.published(RecordType.RRSIG);
      // while a lost key's signatures cannot be renewed, what needs a new signature is signed by the
      // KSK (which every cached DNSKEY RRset holds) and by the lost key's published successor (a ZSK,
      // so that validators that look at the SEP flag see a ZSK signature too)
      boolean fallback = lostSigner && !key.lost() && (signsKeys
          || (key.introducing() && key.role().signsZone() && !signsZone));
      DnssecAlgorithm algorithm = DnssecAlgorithm.ofNumber(key.algorithm());
      ZoneKey.SignatureMaker maker = null;
      if (!key.lost() && (signsKeys || signsZone || fallback)) {
        KeyRepository repository = repositories.get(key.repository());
        HsmKey hsmKey = repositories.key(key.repository(), new KeyLocator(key.locator())).withAlgorithm(algorithm);
        maker = data -> repository.sign(hsmKey, data);
      }
      ZoneKey.Use use = new ZoneKey.Use(true, signsKeys, signsZone, key.lost(), fallback);
      zoneKeys.add(ZoneKey.of(key.locator(), key.role(), origin, ttl, algorithm, stored.hsm().publicKey(), maker, use));
    }
    return zoneKeys;
  }

  /**
   * CDS and CDNSKEY (RFC 7344, RFC 8078): the DS set the parent should have ({@link #inCds}).
   */
  private static void publishCds(Zone zone, String name, List<KeyTable.StoredKey> keys, long ttl) {
    RRset cds = new RRset();
    RRset cdnskey = new RRset();
    for (KeyTable.StoredKey key : keys) {
      if (inCds(key.state())) {
        org.xbill.DNS.DNSKEYRecord dnskey = KeyRecords.dnskey(name, key, ttl);
        org.xbill.DNS.DSRecord ds = KeyRecords.ds(name, key, ttl, ttl);
        cds.addRR(new org.xbill.DNS.CDSRecord(zone.origin(), DClass.IN, ttl, ds.getFootprint(), ds.getAlgorithm(),
            ds.getDigestID(), ds.getDigest()));
        cdnskey.addRR(new org.xbill.DNS.CDNSKEYRecord(zone.origin(), DClass.IN, ttl, dnskey.getFlags(),
            dnskey.getProtocol(), dnskey.getAlgorithm(), dnskey.getKey()));
      }
    }
    zone.put(zone.origin(), Type.CDS, cds.size() == 0 ? null : cds);
    zone.put(zone.origin(), Type.CDNSKEY, cdnskey.size() == 0 ? null : cdnskey);
  }

  /**
   * Whether the key's DS belongs in the CDS RRset, which is the whole DS set the parent should
   * hold: asked for or published, and not yet to be retracted — a retiring key's DS stays until
   * the enforcer retracts it, and a double-DS key's comes before its DNSKEY.
   */
  static boolean inCds(KeyState state) {
    return state.has(RecordType.DS)
        && (state.dsAtParent() == org.twinsign.appliance.enforcer.DsAtParent.SUBMIT
        || state.dsAtParent() == org.twinsign.appliance.enforcer.DsAtParent.SUBMITTED
        || state.dsAtParent() == org.twinsign.appliance.enforcer.DsAtParent.SEEN);
  }

  /** The key tags {@link #publishCds} would publish: when they change, the zone is re-signed. */
  static java.util.Set<Integer> cdsKeys(List<KeyState> keys) {
    java.util.Set<Integer> tags = new java.util.TreeSet<>();
    keys.stream().filter(PolicySigner::inCds).forEach(k -> tags.add(k.keyTag()));
    return tags;
  }

  /** BIND's max-zone-ttl: a longer TTL would outlive the enforcer's timing, so the zone is refused. */
  private static void checkMaxTtl(KaspPolicy policy, List<Record> records, Path input) {
    // without <MaxZoneTTL> the enforcer's timing assumes OpenDNSSEC's default: hold the zone to it
    Duration max = policy.signatures().maxZoneTtl() == null ? org.twinsign.appliance.enforcer.KeyTimings
        .DEFAULT_MAX_ZONE_TTL : policy.signatures().maxZoneTtl();
    for (Record record : records) {
      if (record.getType() != Type.SOA && record.getTTL() > max.getSeconds()) {
        throw new ZoneFileException(input + ": " + record.getName() + " " + Type.string(record.getType())
            + " has TTL " + record.getTTL() + ", above the policy's MaxZoneTTL of " + max.getSeconds()
            + " s: lower it, or raise <MaxZoneTTL> in policy " + policy.name()
            + (policy.signatures().maxZoneTtl() == null ? " (it has none; the default is 1 day)" : ""));
      }
    }
  }

  /** The input's SOA with the policy's TTL and minimum (OpenDNSSEC's {@code <Zone><SOA>}). */
  private static SOARecord policySoa(KaspPolicy policy, SOARecord soa) {
    return new SOARecord(soa.getName(), DClass.IN, policy.zone().soaTtl().getSeconds(), soa.getHost(),
        soa.getAdmin(), soa.getSerial(), soa.getRefresh(), soa.getRetry(), soa.getExpire(),
        policy.zone().soaMinimum().getSeconds());
  }

  static String digest(Path input) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(input)));
    } catch (IOException e) {
      throw new ZoneFileException("cannot read zone file " + input + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

}
