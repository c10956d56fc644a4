#!/usr/bin/env bash
# A large zone on the node daemon (LargeZoneNodeIT with NAMES names, default a million): the master
# signs it in full, then one changed record from the signed version it keeps in memory, while the
# standby follows. Reports the full and incremental signing times and the master's GC pauses (G1,
# MaxGCPauseMillis=50) as a ratio to the ZooKeeper session timeout; appends them to
# bench/results/node-large-zone-<date>.txt.
#   bench/node-large-zone.sh [NAMES] [HEAP] [GC OPTIONS]
#   (defaults: 1000000 6g and bin/twinsign's collector options for node run; the heap is -Xms and -Xmx)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
names="${1:-1000000}"
heap="${2:-6g}"
gc="${3:--XX:+UseG1GC -XX:MaxGCPauseMillis=50 -XX:+AlwaysPreTouch -XX:+UnlockExperimentalVMOptions -XX:G1NewSizePercent=1}"
mkdir -p "$root/bench/results"
report="$root/bench/results/node-large-zone-$(date -u +%Y%m%d-%H%M).txt"
log="$(mktemp /tmp/twinsign-node-large-zone.XXXXXX.log)"
cd "$root"
echo "large zone on the node daemon: $names names, heap $heap, $gc; Maven log in $log" >&2
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores" >"$report"
status=0
mvn -B -q verify -Pslow -pl appliance -am -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=LargeZoneNodeIT \
  -Dtwinsign.large-zone.names="$names" -Dtwinsign.large-zone.heap="$heap" -Dtwinsign.large-zone.gc="$gc" \
  -Dtwinsign.large-zone.report="$report" >"$log" 2>&1 || status=$?
grep -hE "<<< (FAILURE|ERROR)" "$root"/appliance/target/failsafe-reports/*LargeZoneNodeIT.txt >>"$report" 2>/dev/null || true
echo "exit status $status" >>"$report"
cat "$report"
exit "$status"
