#!/usr/bin/env bash
# The whole test suite: types, dependency rules, then every project's tests.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/system-packages.sh"
# The k6 smoke tests need the pinned k6; building it the first time takes minutes.
echo "== k6: $(bash "$here/k6.sh")"
echo "== typecheck (tsc -b)"
tsc -b
echo "== lint (eslint, with Nx module boundaries)"
# The boundary rule reads Nx's project graph; without a computed graph it silently skips.
NX_DAEMON=false nx show projects >/dev/null
eslint --max-warnings 0 .
echo "== tests (vitest, every project)"
vitest run "$@"
