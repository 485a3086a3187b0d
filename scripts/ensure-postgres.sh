#!/usr/bin/env bash
# Makes sure the PostgreSQL server binaries (initdb, pg_ctl, postgres) that the test suite's global
# setup needs are installed, and prints the directory holding them.
#
#   scripts/ensure-postgres.sh          # CI, as root on a Debian/Ubuntu image
#   MP_REQUIRE_POSTGRES=1 npm test      # then fails instead of skipping if PostgreSQL is missing
#
# Looks on PATH first, then in /usr/lib/postgresql/<version>/bin (Debian's layout). If nothing is
# found and we are root with apt-get available, installs Debian's `postgresql` package. The package's
# own cluster/service is not used: the tests start a private cluster on a free loopback port.
set -euo pipefail

have_all() {
  local dir="$1"
  [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]
}

find_bindir() {
  local dir
  IFS=: read -r -a path_dirs <<<"${PATH:-}"
  for dir in "${path_dirs[@]}"; do
    [[ -n "$dir" ]] && have_all "$dir" && { echo "$dir"; return 0; }
  done
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    have_all "$dir" && { echo "$dir"; return 0; }
  done
  return 1
}

if bindir="$(find_bindir)"; then
  echo "$bindir"
  exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
  echo "ensure-postgres: PostgreSQL server binaries not found and not running as root; install the 'postgresql' package" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: PostgreSQL server binaries not found and apt-get is unavailable; install PostgreSQL manually" >&2
  exit 1
fi

echo "ensure-postgres: installing Debian's postgresql package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y --no-install-recommends postgresql >&2

if bindir="$(find_bindir)"; then
  echo "$bindir"
  exit 0
fi
echo "ensure-postgres: postgresql installed but initdb/pg_ctl/postgres still not found" >&2
exit 1
