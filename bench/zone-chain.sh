#!/usr/bin/env bash
# The chain's latency against Knot (ZoneChainBenchIT): a hidden primary (Knot) feeds Twinsign's
# master and a Knot signer (dnssec-signing) with the same zone; each one-record change is timed
# from the primary until each signer's NSD secondary answers a new serial. For each size: median,
# p99 and max in ms, the ratio Twinsign/Knot, and the memory each signer holds per million names.
# Appends to bench/results/zone-chain-<date>.txt.
#   bench/zone-chain.sh [SIZES] [CHANGES] [KNOT]
#   (defaults: "10000 100000 1000000", 20 and true; the master's heap grows with the size; KNOT=false
#   runs Twinsign's chain alone, to see what Knot's work on the same cores costs it)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${1:-10000 100000 1000000}"
changes="${2:-20}"
knot="${3:-true}"
mkdir -p "$root/bench/results"
report="$root/bench/results/zone-chain-$(date -u +%Y%m%d-%H%M).txt"
cd "$root"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "knotd $(knotd --version | awk '{print $NF}'), nsd $(nsd -v 2>&1 | awk 'NR==1 {print $NF}')" >"$report"
status=0
for names in $sizes; do
  heap=1g
  if [ "$names" -gt 50000 ]; then heap=3g; fi
  if [ "$names" -gt 500000 ]; then heap=10g; fi
  log="$(mktemp /tmp/twinsign-zone-chain.XXXXXX.log)"
  echo "zone chain with $names names, $changes changes, master heap $heap; Maven log in $log" >&2
  mvn -B -q verify -Pslow -pl appliance -am -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test=ZoneChainBenchIT -Dtwinsign.chain-bench.names="$names" -Dtwinsign.chain-bench.changes="$changes" \
    -Dtwinsign.chain-bench.heap="$heap" -Dtwinsign.chain-bench.knot="$knot" \
    -Dtwinsign.chain-bench.report="$report" >"$log" 2>&1 || status=$?
  grep -hE "<<< (FAILURE|ERROR)" "$root"/appliance/target/failsafe-reports/*ZoneChainBenchIT.txt >>"$report" \
    2>/dev/null || true
done
echo "exit status $status" >>"$report"
cat "$report"
exit "$status"
