#!/usr/bin/env bash
# Makes sure the system services the stages run on are installed: PostgreSQL and
# Redis (and nginx for the replicas stage). They come from the operating system's
# packages; the project starts its own instances on free loopback ports and never
# uses a system-wide service. Installs with apt-get where it can (root or
# password-less sudo); otherwise says exactly what to install, and fails.
set -euo pipefail

missing=()
have_postgres() {
  [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/postgres" ] && return 0
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ] && return 0
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null
}
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)

[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; }; then
  echo "Installing system packages: ${missing[*]} (apt-get) ..." >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # The packages may start system-wide services; the project never uses them.
  for service in postgresql redis-server nginx; do
    $sudo service "$service" stop >/dev/null 2>&1 || true
  done
  exit 0
fi

cat >&2 <<MSG
santa-ladder needs these system packages: ${missing[*]}
Install them with your package manager, for example:
  Debian/Ubuntu:  sudo apt-get install -y ${missing[*]}
  macOS:          brew install postgresql@15 redis nginx
(Or point PG_BINDIR at PostgreSQL's bin directory.)
MSG
exit 1
