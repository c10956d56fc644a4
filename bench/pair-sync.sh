#!/usr/bin/env bash
# The standby's readiness (PairSyncBenchIT): key sync time per key, the standby's database and
# signed-zone lag under a stream of changes, the ingest of a large zone, the time from a promotion
# to the first new signed serial, and a full rebuild of the standby with many zones. Appends to
# bench/results/pair-sync-<date>.txt.
#   bench/pair-sync.sh [NAMES] [ZONES] [HEAP]     (default 100000 100 3g; 1000000 needs HEAP 8g)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
names="${1:-100000}"
zones="${2:-100}"
heap="${3:-3g}"
changes="${CHANGES:-20}"
mkdir -p "$root/bench/results"
report="$root/bench/results/pair-sync-$(date -u +%Y%m%d-%H%M).txt"
log="$(mktemp /tmp/twinsign-pair-sync.XXXXXX.log)"
cd "$root"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores" >"$report"
echo "pair sync: $names names, $zones zones, heap $heap; Maven log in $log" >&2
status=0
mvn -B -q verify -Pslow -pl appliance -am -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=PairSyncBenchIT \
  -Dtwinsign.pair-bench.names="$names" -Dtwinsign.pair-bench.zones="$zones" -Dtwinsign.pair-bench.keys=50 \
  -Dtwinsign.pair-bench.heap="$heap" -Dtwinsign.pair-bench.changes="$changes" \
  -Dtwinsign.pair-bench.report="$report" >"$log" 2>&1 || status=$?
grep -hE "<<< (FAILURE|ERROR)" "$root"/appliance/target/failsafe-reports/*PairSyncBenchIT.txt >>"$report" \
  2>/dev/null || true
echo "exit status $status" >>"$report"
cat "$report"
exit "$status"
