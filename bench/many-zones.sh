#!/usr/bin/env bash
# Many small zones against Knot (ManyZonesBenchIT): ZONES zones of about 50 names under one policy,
# taken by Twinsign's master (an OpenDNSSEC zonelist with a DNS input adapter) and by a Knot signer
# from one hidden primary (Knot); one record changed in every zone at once; the time until each
# signer serves all the new serials. Appends to bench/results/many-zones-<date>.txt.
#   bench/many-zones.sh [ZONES]     (default 10000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zones="${1:-10000}"
mkdir -p "$root/bench/results"
report="$root/bench/results/many-zones-$(date -u +%Y%m%d-%H%M).txt"
log="$(mktemp /tmp/twinsign-many-zones.XXXXXX.log)"
cd "$root"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores; knotd $(knotd --version | awk '{print $NF}')" >"$report"
echo "many zones: $zones; Maven log in $log" >&2
status=0
mvn -B -q verify -Pslow -pl appliance -am -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ManyZonesBenchIT \
  -Dtwinsign.many-zones.zones="$zones" -Dtwinsign.many-zones.report="$report" >"$log" 2>&1 || status=$?
grep -hE "<<< (FAILURE|ERROR)" "$root"/appliance/target/failsafe-reports/*ManyZonesBenchIT.txt >>"$report" \
  2>/dev/null || true
echo "exit status $status" >>"$report"
cat "$report"
exit "$status"
