#!/usr/bin/env bash
# Prints the path of the k6 binary the load tests use: version v1.8.1, pinned so that
# every comparison runs the same load generator.
#
#   K6_BINARY set       that binary, as it is (the caller answers for its version)
#   already built       ${SANTA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/santa-ladder}/k6-v1.8.1/k6
#   Go installed        built there once with `go install go.k6.io/k6@v1.8.1`
#
# Build output goes to stderr; stdout carries only the path.
set -euo pipefail

k6_version=v1.8.1

if [ -n "${K6_BINARY:-}" ]; then
  if [ ! -x "$K6_BINARY" ]; then
    echo "K6_BINARY is set to '$K6_BINARY', which is not an executable file." >&2
    exit 1
  fi
  echo "$K6_BINARY"
  exit 0
fi

cache_dir=${SANTA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/santa-ladder}/k6-$k6_version
binary=$cache_dir/k6

if [ -x "$binary" ]; then
  echo "$binary"
  exit 0
fi

# The official Go installer puts Go in /usr/local/go without adding it to every shell's PATH.
go_command=$(command -v go || true)
[ -z "$go_command" ] && [ -x /usr/local/go/bin/go ] && go_command=/usr/local/go/bin/go
if [ -z "$go_command" ]; then
  cat >&2 <<MESSAGE
k6 $k6_version is needed for the load tests and is not built yet, and Go is not installed to build it.
Either install Go (https://go.dev/dl/, 1.25 or newer) and run this again, which builds k6 once into
  $binary
or install k6 $k6_version yourself (https://grafana.com/docs/k6/latest/set-up/install-k6/) and set
  K6_BINARY=/path/to/k6
MESSAGE
  exit 1
fi

mkdir -p "$cache_dir"
# Two first runs at once would build twice into the same place; the lock makes the second wait and reuse.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_dir/.build.lock"
  flock 9
fi
if [ ! -x "$binary" ]; then
  echo "Building k6 $k6_version into $cache_dir (once; takes a minute or two) ..." >&2
  GOBIN="$cache_dir" "$go_command" install "go.k6.io/k6@$k6_version" >&2
fi
echo "$binary"
