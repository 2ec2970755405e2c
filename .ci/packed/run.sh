#!/usr/bin/env bash
# The packages as users get them: build, pack every package, install the tarballs with npm into a
# fresh project outside the workspace, run plain JavaScript under plain node against dist/ (local
# actors, a supervisor, two schedulers loading a module of actors, the dirty pool, two nodes over
# the mesh in two OS processes), and type-check a small TypeScript consumer against the .d.ts.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/foundation-packed.XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$root"
pnpm build >/dev/null
mkdir -p "$work/tarballs"
for dir in packages/*/; do
  (cd "$dir" && pnpm pack --pack-destination "$work/tarballs" >/dev/null)
done

cp -r "$root/.ci/packed/consumer" "$work/app"
cd "$work/app"
deps=""
for t in "$work"/tarballs/*.tgz; do
  name="$(tar -xzOf "$t" package/package.json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).name)')"
  deps="$deps\"$name\": \"file:$t\","
done
ts_version="$(node -p "require('$root/node_modules/typescript/package.json').version")"
types_version="$(node -p "require('$root/package.json').devDependencies['@types/node']")"
cat > package.json <<JSON
{ "name": "foundation-packed-consumer", "private": true, "type": "module",
  "dependencies": { ${deps%,} },
  "devDependencies": { "typescript": "$ts_version", "@types/node": "$types_version" } }
JSON
npm install --no-audit --no-fund --loglevel=error >/dev/null

echo "packed: plain node against dist/"
node --conditions=production main.mjs
echo "packed: TypeScript consumer against the published .d.ts"
npx tsc -p tsconfig.json
echo "packed: ok"
