#!/usr/bin/env bash
# Installs the Debian packages Flotilla's tests use beyond Node itself:
#   iproute2, nftables                        network namespaces and partitions (chaos tooling)
#   kcat, python3-kafka, python3-confluent-kafka   client-compatibility tests
# Idempotent: packages already installed are left alone, and nothing runs when all are present.
# Needs root (or sudo) and apt-get; says so and exits non-zero when it cannot install.
set -euo pipefail

PACKAGES=(iproute2 nftables kcat python3-kafka python3-confluent-kafka)

say() { echo "install-debian-packages: $*"; }
fail() { echo "install-debian-packages: ERROR: $*" >&2; exit 1; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    say "$pkg: already installed"
  else
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "nothing to do"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this script needs Debian or Ubuntu; install ${missing[*]} by hand"

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  fail "need root (or passwordless sudo) to install: ${missing[*]}"
fi

say "running: apt-get update"
"${SUDO[@]}" apt-get update -q || fail "apt-get update failed"
say "installing: ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
  || fail "apt-get install ${missing[*]} failed"
say "installed: ${missing[*]}"
