#!/usr/bin/env bash
# Runs a command with Node 24 first on PATH, after installing Node 24 and the
# workspace's packages when they are missing. Every npm script goes through here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=node.sh
. "$root/infra/toolchain/node.sh"
santa_ensure_node
santa_ensure_deps "$root"
export PATH="$root/node_modules/.bin:$PATH"
exec "$@"
