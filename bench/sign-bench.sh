#!/usr/bin/env bash
# Signs generated zones with twinsign (keys in SoftHSM) and with the peer signers (file keys) in one
# run, same algorithm (ECDSAP256SHA256) and denial (NSEC, NSEC3), and reports wall time, RRSIGs per
# second, peak RSS and the ratio to the fastest peer; plus the raw PKCS#11 signing rate of the same
# token on the same thread count, and incremental re-signs after one changed record.
#
# usage: bench/sign-bench.sh [NAMES ...]     (default: 10000 100000 1000000)
# env:   THREADS (default 2), WORK (default a new directory under /tmp), KEEP=1 keeps WORK
# needs: the host packages of bin/test, plus python3 and GNU time (/usr/bin/time, package "time")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
threads="${THREADS:-2}"
work="${WORK:-$(mktemp -d /tmp/twinsign-bench.XXXXXX)}"
mkdir -p "$work"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
for tool in /usr/bin/time ldns-signzone ldns-keygen dnssec-signzone dnssec-keygen kzonesign python3 softhsm2-util script; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (bin/test installs the DNS tools; apt-get install time python3)" >&2; exit 1; }
done
twinsign="$root/bin/twinsign"
TWINSIGN_NO_BUILD= "$twinsign" version >/dev/null   # build once, outside the timings
export TWINSIGN_NO_BUILD=1
origin=bench.test.
report="$work/report.tsv"
printf 'names\tdenial\ttool\twall_s\trrsigs\trrsig_per_s\tpeak_rss_mb\n' > "$report"

# --- the SoftHSM token twinsign signs with -------------------------------------------------------
hsm="$work/hsm"; mkdir -p "$hsm/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$hsm" > "$hsm/softhsm2.conf"
export SOFTHSM2_CONF="$hsm/softhsm2.conf"
sopin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'); pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n%s\n%s\n%s\n' "$sopin" "$sopin" "$pin" "$pin" | script -qec "softhsm2-util --init-token --free --label bench" /dev/null >/dev/null
( umask 077; echo "$pin" > "$hsm/user.pin" )
printf 'library=/usr/lib/softhsm/libsofthsm2.so\ntoken=bench\npin.file=%s/user.pin\n' "$hsm" > "$hsm/hsm.conf"
ksk=$("$twinsign" hsm generate --hsm "$hsm/hsm.conf" --algorithm ECDSAP256SHA256 --label bench-ksk --ksk 2>/dev/null)
zsk=$("$twinsign" hsm generate --hsm "$hsm/hsm.conf" --algorithm ECDSAP256SHA256 --label bench-zsk 2>/dev/null)
# the way past SoftHSM's rate: the ZSK in a soft key store signing in-process (OpenDNSSEC operators'
# soft-token repository for ZSKs), the KSK stays in the HSM
soft="$work/soft"; mkdir -p "$soft"
( umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$soft/pin" )
printf 'type=soft\ndirectory=%s/keys\npin.file=%s/pin\n' "$soft" "$soft" > "$soft/soft.conf"
softzsk=$("$twinsign" hsm generate --hsm "$soft/soft.conf" --algorithm ECDSAP256SHA256 --label bench-soft-zsk 2>/dev/null)
softraw=$("$twinsign" hsm speed --hsm "$soft/soft.conf" --threads "$threads" --count 200000)
echo "raw soft key store: $softraw" >&2
raw=$("$twinsign" hsm speed --hsm "$hsm/hsm.conf" --threads "$threads" --count 60000)
raw_rate=$(echo "$raw" | sed -E 's/.* = ([0-9]+) signatures\/s/\1/')
raw1=$("$twinsign" hsm speed --hsm "$hsm/hsm.conf" --threads 1 --count 30000)
echo "raw PKCS#11: $raw" >&2
echo "raw PKCS#11: $raw1" >&2

# --- file keys for the peers -----------------------------------------------------------------------
keys="$work/keys"; mkdir -p "$keys/ldns" "$keys/bind" "$work/knot"
(cd "$keys/ldns" && ldns_ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$origin") && ldns_zsk=$(ldns-keygen -a ECDSAP256SHA256 "$origin") \
  && echo "$ldns_ksk $ldns_zsk" > keys.txt)
(cd "$keys/bind" && dnssec-keygen -q -a ECDSAP256SHA256 -f KSK "$origin" >/dev/null \
  && dnssec-keygen -q -a ECDSAP256SHA256 "$origin" >/dev/null)

rrsigs() { awk '$4 == "RRSIG" || $3 == "RRSIG" { n++ } END { print n + 0 }' "$1"; }

# measure LABEL NAMES DENIAL OUTPUT -- command...
measure() {
  local label=$1 names=$2 denial=$3 output=$4; shift 5
  if ! /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" > "$work/$label.log" 2>&1; then
    echo "bench: $label failed for $names names ($denial):" >&2; tail -5 "$work/$label.log" >&2; return 0
  fi
  read -r wall rss < "$work/time.txt"
  local count; count=$(rrsigs "$output")
  printf '%s\t%s\t%s\t%s\t%s\t%.0f\t%.0f\n' "$names" "$denial" "$label" "$wall" "$count" \
    "$(echo "$count / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)" | tee -a "$report" >&2
}

for names in "${sizes[@]}"; do
  zone="$work/zone-$names.txt"
  python3 "$root/bench/genzone.py" "$origin" "$names" > "$zone"
  for denial in nsec nsec3; do
    ts_args=(); ldns_args=(); bind_args=(); knot_nsec3=off
    if [ "$denial" = nsec3 ]; then
      ts_args=(--nsec3); ldns_args=(-n -t 0); bind_args=(-3 - -H 0); knot_nsec3=on
    fi
    out="$work/twinsign-$names-$denial.signed"
    measure twinsign "$names" "$denial" "$out" -- "$twinsign" sign --hsm "$hsm/hsm.conf" --zone "$origin" \
      --input "$zone" --output "$out" --ksk "$ksk" --zsk "$zsk" --threads "$threads" "${ts_args[@]}"
    out="$work/twinsign-softzsk-$names-$denial.signed"
    measure twinsign-softzsk "$names" "$denial" "$out" -- "$twinsign" sign --hsm "$hsm/hsm.conf" --hsm "$soft/soft.conf" \
      --zone "$origin" --input "$zone" --output "$out" --ksk "$ksk" --zsk "$softzsk" --threads "$threads" "${ts_args[@]}"
    read -r lk lz < "$keys/ldns/keys.txt"
    measure ldns-signzone "$names" "$denial" "$zone.signed" -- ldns-signzone "${ldns_args[@]}" -f "$zone.signed" \
      "$zone" "$keys/ldns/$lk" "$keys/ldns/$lz"
    # smart signing (-S) takes the KSK and ZSK from the key directory
    measure dnssec-signzone "$names" "$denial" "$zone.bind" -- dnssec-signzone -q -S -n 1 -O full -o "$origin" \
      -f "$zone.bind" -d "$work" -K "$keys/bind" "${bind_args[@]}" "$zone"
    knot="$work/knot/$names-$denial"; mkdir -p "$knot/out"
    cat > "$knot/knot.conf" <<CONF
database:
  storage: $knot
policy:
  - id: bench
    algorithm: ecdsap256sha256
    signing-threads: $threads
    nsec3: $knot_nsec3
    nsec3-iterations: 0
    nsec3-salt-length: 0
zone:
  - domain: $origin
    file: $zone
    dnssec-signing: on
    dnssec-policy: bench
CONF
    measure kzonesign "$names" "$denial" "$knot/out/$(basename "$zone")" -- kzonesign -c "$knot/knot.conf" -o "$knot/out" "$origin"
  done
  # incremental: one changed record, signed from the previous signed zone
  if [ "$names" -ge 100000 ]; then
    sed -i 's/^h0000001 IN A .*/h0000001 IN A 192.0.2.222/; t; s/^h0000001 IN AAAA .*/h0000001 IN AAAA 2001:db8::222/' "$zone"
    echo 'h0000002x IN TXT "one new record"' >> "$zone"
    for denial in nsec nsec3; do
      ts_args=(); [ "$denial" = nsec3 ] && ts_args=(--nsec3)
      prev="$work/twinsign-$names-$denial.signed"
      out="$work/twinsign-$names-$denial-incremental.signed"
      /usr/bin/time -f "%e %M" -o "$work/time.txt" "$twinsign" sign --hsm "$hsm/hsm.conf" --zone "$origin" --input "$zone" \
        --output "$out" --ksk "$ksk" --zsk "$zsk" --threads "$threads" --previous "$prev" "${ts_args[@]}" > "$work/incr.log" 2>&1
      read -r wall rss < "$work/time.txt"
      echo "incremental $names names $denial: wall ${wall} s, peak $((rss / 1024)) MB: $(grep '^signed' "$work/incr.log" | sed 's/, written to.*//'); $(grep '^time:' "$work/incr.log")" \
        | tee -a "$work/incremental.txt" >&2
    done
  fi
done

echo
echo "raw PKCS#11 signing rate (SoftHSM, ECDSAP256SHA256): $raw1"
echo "raw PKCS#11 signing rate (SoftHSM, ECDSAP256SHA256): $raw"
echo "raw soft key store signing rate (ECDSAP256SHA256): $softraw"
echo
softraw_rate=$(echo "$softraw" | sed -E 's/.* = ([0-9]+) signatures\/s/\1/')
python3 - "$report" "$raw_rate" "$softraw_rate" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
raw = {"twinsign": float(sys.argv[2]), "twinsign-softzsk": float(sys.argv[3])}
print(f"{'names':>8} {'denial':6} {'tool':16} {'wall s':>8} {'RRSIGs':>9} {'RRSIG/s':>9} {'RSS MB':>7} {'vs fastest peer':>15} {'of raw keys':>10}")
for key in sorted({(int(r['names']), r['denial']) for r in rows}):
    group = [r for r in rows if (int(r['names']), r['denial']) == key]
    peers = [float(r['rrsig_per_s']) for r in group if not r['tool'].startswith('twinsign')]
    fastest = max(peers) if peers else float('nan')
    for r in group:
        rate = float(r['rrsig_per_s'])
        hsm = f"{rate / raw[r['tool']]:.0%}" if r['tool'] in raw else ''
        print(f"{r['names']:>8} {r['denial']:6} {r['tool']:16} {float(r['wall_s']):8.1f} {int(r['rrsigs']):9d} {rate:9.0f} {float(r['peak_rss_mb']):7.0f} {rate / fastest:14.2f}x {hsm:>10}")
PY
[ -f "$work/incremental.txt" ] && cat "$work/incremental.txt"
echo "(work directory: $work)"
