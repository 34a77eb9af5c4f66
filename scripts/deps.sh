#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (real DNS daemons, dig, dnsperf).
# Idempotent; run as root on Debian 12. The daemons' system services must stay down:
# the tests start their own instances on loopback ephemeral ports (test/support/dns-servers.ts).
# With --lab (npm run lab -- deps) it also installs the anycast lab's routing daemons
# (lab/README.md); the lab runs its own instances inside network namespaces.
# With --browser it also installs Debian's chromium, which test/browser drives headless through
# playwright-core (never `npx playwright install`: no browser download from the network).
set -euo pipefail

PACKAGES=(nsd bind9 knot dnsperf bind9-dnsutils iproute2 python3 iputils-ping)
# Debian 12 service names of the daemons in PACKAGES (bind9 ships named.service / /etc/init.d/named).
SERVICES=(named nsd knot)

for argument in "$@"; do
  case ${argument} in
    --lab)
      # nftables: the nft CLI for the lab's partial-failure blocks (lab/faults.ts), applied inside a site's
      # namespace only. Its system service (which loads /etc/nftables.conf into the root namespace) is never
      # started: the install runs under policy-rc.d, and Debian leaves nftables.service disabled.
      PACKAGES+=(bird2 frr exabgp gobgpd iputils-ping nftables)
      SERVICES+=(bird frr exabgp gobgpd)
      ;;
    --browser)
      PACKAGES+=(chromium)
      ;;
    *)
      echo "deps: unknown argument ${argument} (known: --lab, --browser)" >&2
      exit 2
      ;;
  esac
done
POLICY_RC_D=/usr/sbin/policy-rc.d

log() { echo "deps: $*"; }

if [[ ${EUID} -ne 0 ]]; then
  echo "deps: must run as root (apt-get install)" >&2
  exit 1
fi

package_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

service_running() {
  local service=$1
  if [[ -d /run/systemd/system ]]; then
    systemctl is-active --quiet "${service}" 2>/dev/null
  elif [[ ${service} == exabgp && ! -f /etc/exabgp/exabgp.conf ]]; then
    # Debian's /etc/init.d/exabgp exits 0 for every action (status included) when there is no
    # config, and never starts anything then.
    return 1
  elif [[ -x /etc/init.d/${service} ]]; then
    service "${service}" status >/dev/null 2>&1
  else
    return 1
  fi
}

running_services() {
  local service
  for service in "${SERVICES[@]}"; do
    if service_running "${service}"; then echo "${service}"; fi
  done
}

# policy-rc.d exiting 101 tells invoke-rc.d / deb-systemd-invoke not to start services during
# the install. Only a file this script created is removed again; an existing one is left alone.
created_policy=no
remove_policy_rc_d() {
  if [[ ${created_policy} == yes ]]; then
    rm -f "${POLICY_RC_D}"
    created_policy=no
    log "removed temporary ${POLICY_RC_D}"
  fi
}
trap remove_policy_rc_d EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

block_service_starts() {
  if [[ -e ${POLICY_RC_D} ]]; then
    log "${POLICY_RC_D} already exists; leaving it as it is"
    return
  fi
  printf '#!/bin/sh\n# Temporary, from anycast-monitor scripts/deps.sh: no service starts during install.\nexit 101\n' \
    >"${POLICY_RC_D}"
  chmod 755 "${POLICY_RC_D}"
  created_policy=yes
  log "created temporary ${POLICY_RC_D} (exit 101) so no daemon starts during install"
}

# If the packaging started a system daemon anyway, stop it through the service manager.
stop_services_started_by_install() {
  local before=$1 service
  for service in $(running_services); do
    if grep -qx "${service}" <<<"${before}"; then
      log "system service ${service} was already running before the install; leaving it alone"
    else
      log "install started system service ${service}; stopping it"
      service "${service}" stop
    fi
  done
}

missing=()
for package in "${PACKAGES[@]}"; do
  if ! package_installed "${package}"; then missing+=("${package}"); fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "all packages already installed: ${PACKAGES[*]}"
else
  log "missing packages: ${missing[*]}"
  running_before=$(running_services)
  block_service_starts
  log "apt-get update"
  apt-get update
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  remove_policy_rc_d
  stop_services_started_by_install "${running_before}"
fi

still_running=$(running_services | tr '\n' ' ')
if [[ -n ${still_running} ]]; then
  log "note: system DNS services running (not started by this script): ${still_running}"
else
  log "no system ${SERVICES[*]} service running"
fi
log "done"
