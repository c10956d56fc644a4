# Host packages Twinsign's launcher and tests need, and how to get them.
# Sourced by bin/test and bin/twinsign; not meant to be run on its own.

TWINSIGN_HOST_PACKAGES="
  openjdk-17-jdk-headless maven
  softhsm2 bsdutils procps faketime e2fsprogs
  mariadb-server
  zookeeper libslf4j-java
  bind9-utils bind9-dnsutils ldnsutils knot-dnsutils knot-dnssecutils
  nsd unbound knot
  opendnssec-common
  python3-aiosmtpd openssl
"

twinsign_missing_packages() {
  for package in $TWINSIGN_HOST_PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s ' "$package"
    fi
  done
}

# Installs what is missing when run as root; otherwise prints the exact command and fails.
twinsign_ensure_host_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "twinsign: this is not a Debian system (no dpkg-query); install by hand the equivalents of:" >&2
    echo "  $(echo $TWINSIGN_HOST_PACKAGES)" >&2
    return 1
  fi
  missing="$(twinsign_missing_packages)"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "twinsign: missing host packages: $missing" >&2
    echo "install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing" >&2
    return 1
  fi
  echo "twinsign: installing host packages: $missing" >&2
  # The packaged services (mariadb, zookeeper, nsd, unbound) are not used: Twinsign starts its own
  # instances on free ports. Keep apt from starting them (nsd and unbound would fight over port 53).
  local added_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    added_policy=yes
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || status=$?
  if [ "$status" = 0 ]; then
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 || status=$?
  fi
  [ -n "$added_policy" ] && rm -f /usr/sbin/policy-rc.d
  if [ "$status" != 0 ]; then
    echo "twinsign: apt-get failed (exit $status) installing: $missing" >&2
    return "$status"
  fi
  missing="$(twinsign_missing_packages)"
  if [ -n "$missing" ]; then
    echo "twinsign: still missing after apt-get: $missing" >&2
    return 1
  fi
}
