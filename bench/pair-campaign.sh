#!/usr/bin/env bash
# The pair's long fault campaign: every fault of PairFaultIT (kill -9 of the master, SIGSTOP past the
# session timeout, a ZooKeeper partition of the master, loss of ZooKeeper quorum, a graceful restart,
# the standby killed during writes, a wall-clock jump, planned switchovers) ROUNDS times each (default
# 20), all against separate processes, with the history checker judging the whole run.
# Prints the timings (median and max, also as a ratio to the session timeout) and the checker's
# verdict; writes them to bench/results/pair-campaign-<date>.txt as well.
#   bench/pair-campaign.sh [ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-20}"
mkdir -p "$root/bench/results"
report="$root/bench/results/pair-campaign-$(date -u +%Y%m%d-%H%M).txt"
log="$(mktemp /tmp/twinsign-pair-campaign.XXXXXX.log)"
cd "$root"
echo "pair campaign: $rounds round(s) per fault; Maven log in $log" >&2
status=0
mvn -B -q verify -Pslow -pl appliance -am -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=PairFaultIT \
  -Dtwinsign.fault.rounds="$rounds" -Dtwinsign.fault.report="$report" >"$log" 2>&1 || status=$?
out="$root/appliance/target/failsafe-reports/org.twinsign.appliance.node.PairFaultIT-output.txt"
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores; exit status $status"
  grep -E "^(history checker|acknowledged writes|lost acknowledged)" "$out" || true
  grep -hE "<<< (FAILURE|ERROR)" "$root/appliance/target/failsafe-reports/org.twinsign.appliance.node.PairFaultIT.txt" || true
} >>"$report"
cat "$report"
exit "$status"
