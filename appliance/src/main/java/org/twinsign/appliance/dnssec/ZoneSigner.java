package org.twinsign.appliance.dnssec;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.twinsign.appliance.zone.Zone;
import org.twinsign.appliance.zone.ZoneChecks;
import org.twinsign.appliance.zone.ZoneCuts;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * Signs a zone: sets the SOA serial, publishes the keys' DNSKEY RRset, builds the NSEC or NSEC3
 * chain, and signs every authoritative RRset (RFC 4035 §2) — DNSKEY, CDS and CDNSKEY with the
 * KSKs (or CSKs), everything else with the ZSKs (or CSKs); at delegations only DS and NSEC; glue
 * and occluded data not at all. Given the previous signed zone it signs incrementally
 * ({@link SignatureReuse}). Signatures are made on several threads; the HSM is the bottleneck.
 */
public final class ZoneSigner {
  private static final Set<Integer> KEY_TYPES = Set.of(Type.DNSKEY, Type.CDS, Type.CDNSKEY);
  private static final Set<Integer> REBUILT_TYPES = Set.of(Type.NSEC, Type.NSEC3, Type.NSEC3PARAM);

  private ZoneSigner() {}

  /** What to sign, with what, and how. */
  public record Request(Zone unsigned, String source, List<ZoneKey> keys, DenialPolicy denial,
      SignatureTiming timing, SerialPolicy serialPolicy, long dnskeyTtl, Zone previous, Instant now, int threads,
      Random random, Long denialTtl, Long serialFloor, BooleanSupplier cancelled) {
    // serialFloor: the highest serial that may have been seen outside (the store's record); the new
    // serial is above it whatever previous holds (null: previous alone). cancelled: polled while
    // signing; true stops it with SigningCancelledException (null: never).

    public Request(Zone unsigned, String source, List<ZoneKey> keys, DenialPolicy denial, SignatureTiming timing,
        SerialPolicy serialPolicy, long dnskeyTtl, Zone previous, Instant now, int threads, Random random,
        Long denialTtl) {
      this(unsigned, source, keys, denial, timing, serialPolicy, dnskeyTtl, previous, now, threads, random,
          denialTtl, null, null);
    }

    /** With the denial records' TTL from the SOA (RFC 4034 §4, RFC 5155 §3: min of SOA MINIMUM and SOA TTL). */
    public Request(Zone unsigned, String source, List<ZoneKey> keys, DenialPolicy denial, SignatureTiming timing,
        SerialPolicy serialPolicy, long dnskeyTtl, Zone previous, Instant now, int threads, Random random) {
      this(unsigned, source, keys, denial, timing, serialPolicy, dnskeyTtl, previous, now, threads, random, null);
    }
  }

  /** The signed zone, what the sanity checks reported, and counts. */
  public record Result(Zone zone, List<String> warnings, long signaturesMade, long signaturesReused,
      long serial, Duration signingTime) {}

  /**
   * Signs {@code request.unsigned()} in place (a copy would double the memory of a large zone):
   * pass {@link Zone#copy()} to keep the unsigned zone. The result's zone is that same object.
   */
  public static Result sign(Request request) {
    checkKeys(request.keys());
    Zone zone = request.unsigned();
    Name origin = zone.origin();
    zone.stripDnssec(REBUILT_TYPES);
    ZoneCuts cuts = ZoneCuts.of(zone);
    ZoneChecks checks = ZoneChecks.check(zone, cuts, request.source());
    checks.throwIfErrors();

    SOARecord soa = zone.soa();
    Long previousSerial = request.previous() == null || request.previous().soa() == null
        ? null : request.previous().soa().getSerial();
    if (request.serialFloor() != null
        && (previousSerial == null || SerialPolicy.greaterThan(request.serialFloor(), previousSerial))) {
      previousSerial = request.serialFloor(); // the output file may be missing, truncated or older
    }
    long serial = request.serialPolicy().next(soa.getSerial(), previousSerial, request.now());
    SOARecord newSoa = new SOARecord(origin, DClass.IN, soa.getTTL(), soa.getHost(), soa.getAdmin(), serial,
        soa.getRefresh(), soa.getRetry(), soa.getExpire(), soa.getMinimum());
    zone.put(origin, Type.SOA, new RRset(newSoa));
    zone.put(origin, Type.DNSKEY, dnskeys(zone, request));

    long denialTtl = request.denialTtl() != null ? request.denialTtl() : DenialTtl.of(newSoa);
    if (request.denial().isNsec3()) {
      Nsec3Chain.Result chain = Nsec3Chain.build(zone, cuts, request.denial().nsec3(), denialTtl);
      zone.putSorted(chain.records(), Type.NSEC3);
      zone.put(origin, Type.NSEC3PARAM, new RRset(chain.param()));
    } else {
      zone.putSorted(NsecChain.build(zone, cuts, denialTtl), Type.NSEC);
    }

    SignatureReuse reuse = new SignatureReuse(request.previous(), request.now(), request.timing().refresh());
    checkCancelled(request);
    List<Job> jobs = new ArrayList<>();
    List<String> unsigned = new ArrayList<>();
    long reused = 0;
    for (Map.Entry<Name, Map<Integer, RRset>> node : zone.nodes()) {
      Name name = node.getKey();
      for (Map.Entry<Integer, RRset> entry : node.getValue().entrySet()) {
        int type = entry.getKey();
        RRset rrset = entry.getValue();
        if (rrset.size() == 0 || !cuts.isSigned(name, type)) {
          continue;
        }
        boolean keyset = KEY_TYPES.contains(type);
        boolean covered = false;
        boolean lostCover = false;
        for (ZoneKey key : request.keys()) {
          if (keyset ? !key.use().signsKeys() : !key.use().signsZone()) {
            continue;
          }
          RRSIGRecord kept = reuse.find(rrset, key, origin);
          if (kept != null) {
            rrset.addRR(kept);
            reused++;
            covered = true;
          } else if (key.canSign()) {
            jobs.add(new Job(rrset, key, type));
            covered = true;
          } else {
            lostCover = true;
          }
        }
        if (lostCover && !keyset) {
          // a lost key cannot renew this RRset's signature: a fallback key (a KSK) signs it instead
          for (ZoneKey key : request.keys()) {
            if (key.use().fallback() && key.canSign()) {
              jobs.add(new Job(rrset, key, type));
              covered = true;
            }
          }
        }
        if (!covered) {
          unsigned.add(name + " " + Type.string(type));
        }
      }
    }
    long started = System.nanoTime();
    List<RRSIGRecord> made = run(jobs, request, origin);
    Map<ZoneKey, SignedZoneCheck.Sample> samples = new java.util.LinkedHashMap<>();
    for (int i = 0; i < jobs.size(); i++) {
      jobs.get(i).rrset.addRR(made.get(i));
      samples.putIfAbsent(jobs.get(i).key(), new SignedZoneCheck.Sample(jobs.get(i).rrset(), made.get(i)));
    }
    Duration signingTime = Duration.ofNanos(System.nanoTime() - started);
    if (!unsigned.isEmpty()) {
      throw new IllegalStateException("no key can sign " + unsigned.size() + " RRsets of " + origin + " (first: "
          + unsigned.get(0) + "): the keys that should sign them are lost and no fallback key is active");
    }
    // sign-then-verify: a signature the HSM got wrong must never replace a good published version
    SignedZoneCheck.check(zone, request.keys(), samples, request.denial().isNsec3(), request.now(), request.source());
    return new Result(zone, checks.warnings(), made.size(), reused, serial, signingTime);
  }

  /** When a signature made at {@code now} expires: the validity of its type, spread by the jitter. */
  static Instant expiration(SignatureTiming timing, int type, Instant now, Random random) {
    long jitter = timing.jitter().getSeconds();
    long spread = jitter == 0 ? 0 : (long) (random.nextDouble() * 2 * jitter) - jitter;
    return now.plus(validity(timing, type)).plusSeconds(spread);
  }

  private static Duration validity(SignatureTiming timing, int type) {
    if (KEY_TYPES.contains(type)) {
      return timing.validityKeyset();
    }
    if (type == Type.NSEC || type == Type.NSEC3) {
      return timing.validityDenial();
    }
    return timing.validity();
  }

  /** The zone's own DNSKEYs (from the input, e.g. another signer's) and ours, all at the DNSKEY TTL. */
  private static RRset dnskeys(Zone zone, Request request) {
    Name origin = zone.origin();
    RRset rrset = new RRset();
    RRset existing = zone.get(origin, Type.DNSKEY);
    if (existing != null) {
      for (Record record : existing.rrs(false)) {
        DNSKEYRecord key = (DNSKEYRecord) record;
        rrset.addRR(new DNSKEYRecord(origin, DClass.IN, request.dnskeyTtl(), key.getFlags(), key.getProtocol(),
            key.getAlgorithm(), key.getKey()));
      }
    }
    for (ZoneKey key : request.keys()) {
      if (!key.use().publish()) {
        continue;
      }
      DNSKEYRecord dnskey = key.dnskey();
      rrset.addRR(new DNSKEYRecord(origin, DClass.IN, request.dnskeyTtl(), dnskey.getFlags(),
          dnskey.getProtocol(), dnskey.getAlgorithm(), dnskey.getKey()));
    }
    return rrset;
  }

  /**
   * RFC 4035 §2.2: every algorithm in the published DNSKEY RRset must sign the key RRsets and the
   * rest of the zone; and no key signs that is not published.
   */
  private static void checkKeys(List<ZoneKey> keys) {
    if (keys.stream().noneMatch(k -> k.use().signsKeys()) || keys.stream().noneMatch(k -> k.use().signsZone())) {
      throw new IllegalArgumentException("signing needs a KSK and a ZSK (--ksk and --zsk), or a CSK (--csk)");
    }
    Set<Integer> published = keys.stream().filter(k -> k.use().publish()).map(ZoneKey::algorithm)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<Integer> keyAlgorithms = keys.stream().filter(k -> k.use().signsKeys()).map(ZoneKey::algorithm)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<Integer> zoneAlgorithms = keys.stream().filter(k -> k.use().signsZone()).map(ZoneKey::algorithm)
        .collect(Collectors.toCollection(TreeSet::new));
    if (!keyAlgorithms.equals(published) || !zoneAlgorithms.equals(published)) {
      throw new IllegalArgumentException("the published keys use algorithms " + published + ", the KSKs sign with "
          + keyAlgorithms + " and the ZSKs with " + zoneAlgorithms
          + ": each published algorithm must sign both the keys and the zone (RFC 4035 §2.2)");
    }
    for (ZoneKey key : keys) {
      if ((key.use().signsKeys() || key.use().signsZone()) && !key.use().publish()) {
        throw new IllegalArgumentException(key + " signs but is not published: a validator could not use it");
      }
    }
  }

  private record Job(RRset rrset, ZoneKey key, int type) {}

  /** How many signatures are made between two looks at {@link Request#cancelled()}. */
  private static final int CANCEL_CHECK_EVERY = 512;

  private static void checkCancelled(Request request) {
    if (request.cancelled() != null && request.cancelled().getAsBoolean()) {
      throw new SigningCancelledException("signing " + request.unsigned().origin() + " was cancelled: the lease to"
          + " act as master is gone; nothing was published");
    }
  }

  private static List<RRSIGRecord> run(List<Job> jobs, Request request, Name signer) {
    Instant inception = request.now().minus(request.timing().inceptionOffset());
    Instant[] expirations = new Instant[jobs.size()];
    for (int i = 0; i < jobs.size(); i++) {
      expirations[i] = expiration(request.timing(), jobs.get(i).type(), request.now(), request.random());
    }
    RRSIGRecord[] out = new RRSIGRecord[jobs.size()];
    int threads = Math.max(1, Math.min(request.threads(), 1 + jobs.size() / 64));
    if (threads == 1) {
      for (int i = 0; i < jobs.size(); i++) {
        if (i % CANCEL_CHECK_EVERY == 0) {
          checkCancelled(request);
        }
        Job job = jobs.get(i);
        out[i] = SignatureFault.apply(RrsigFactory.sign(job.rrset(), job.key(), signer, inception, expirations[i]));
      }
      return List.of(out);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
      Thread thread = new Thread(runnable, "twinsign-signer");
      thread.setDaemon(true);
      return thread;
    });
    try {
      int chunk = 512;
      List<Future<?>> futures = new ArrayList<>();
      for (int start = 0; start < jobs.size(); start += chunk) {
        int from = start;
        int to = Math.min(jobs.size(), start + chunk);
        futures.add(pool.submit(() -> {
          checkCancelled(request);
          for (int i = from; i < to; i++) {
            Job job = jobs.get(i);
            out[i] = SignatureFault.apply(RrsigFactory.sign(job.rrset(), job.key(), signer, inception,
                expirations[i]));
          }
        }));
      }
      for (Future<?> future : futures) {
        future.get();
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException("signing failed: " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("signing interrupted", e);
    } finally {
      pool.shutdownNow();
    }
    return List.of(out);
  }
}
