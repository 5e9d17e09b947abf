#!/usr/bin/env bash
# The whole test suite: strict type check, lint, then every test file under test/ with Node's test runner (through tsx).
# RECLAB_TEST_FILTER=substring limits the files run (e.g. RECLAB_TEST_FILTER=metrics).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export RECLAB_PROGRESS=${RECLAB_PROGRESS:-0}
export PATH="$root/node_modules/.bin:$PATH"
echo "test: type check (tsc --noEmit, strict; the project's TypeScript, not the older one tslab puts on node_modules/.bin)"
node "$root/node_modules/typescript/bin/tsc" --noEmit -p .
echo "test: lint (eslint)"
eslint .
mapfile -t files < <(find test -name '*.test.ts' | sort | grep -- "${RECLAB_TEST_FILTER:-}")
[ ${#files[@]} -gt 0 ] || { echo "test: no test files matched" >&2; exit 1; }
echo "test: ${#files[@]} test files"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
