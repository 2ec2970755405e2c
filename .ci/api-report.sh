#!/usr/bin/env bash
# The public surface of each package, as API Extractor reads it from dist/*.d.ts, against the
# report checked in at packages/<pkg>/etc/<pkg>.api.md. `check` fails when they differ (a change
# to a public API must show in review); `update` rewrites the reports.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode="${1:-check}"
cd "$root"
TURBO_TELEMETRY_DISABLED=1 pnpm build >/dev/null
flag=""
[ "$mode" = "update" ] && flag="--local"
status=0
for dir in packages/*/; do
  out="$(cd "$dir" && "$root/node_modules/.bin/api-extractor" run $flag 2>&1)" || { echo "$out" | grep -vE '^\s*$' | tail -20; status=1; }
done
[ $status -eq 0 ] && echo "api reports: up to date"
exit $status
