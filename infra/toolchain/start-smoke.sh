#!/usr/bin/env bash
# Runs `npm start` as a newcomer would, waits for its ready line, checks that it
# answers, then stops it with SIGTERM and expects a clean exit.
set -euo pipefail
log=$(mktemp)
data_dir="data/02-sqlite"
npm start >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  if grep -q '^ready http://127.0.0.1:3000' "$log"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "npm start exited before it was ready" >&2; exit 1; fi
  sleep 0.5
done
grep -q '^ready http://127.0.0.1:3000' "$log" || { cat "$log"; echo "npm start was not ready within 60 s" >&2; kill "$pid"; exit 1; }
curl -fsS http://127.0.0.1:3000/healthz >/dev/null
curl -fsS http://127.0.0.1:3000/readyz >/dev/null
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
[ -d "$data_dir" ] || { echo "npm start kept no data in $data_dir" >&2; exit 1; }
if [ "$status" -ne 0 ]; then cat "$log"; echo "npm start exited $status on SIGTERM" >&2; exit 1; fi
echo "npm start: ready, answered, stopped cleanly"
