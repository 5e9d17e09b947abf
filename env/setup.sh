#!/usr/bin/env bash
# One idempotent set-up for a fresh clone; `npm start`, `npm test` and `npm run bench` call it first.
# Each step installs only what is missing, decided by a stamp (a hash of the files that define it) under .reclab/stamps/:
#   1. npm dependencies            (package.json + package-lock.json; install scripts are off, see .npmrc)
#   2. the native TensorFlow addon  (env/build-tfjs-node.sh: built from the tensorflow-cpu wheel's C library)
#   3. the Python venv at .venv     (env/requirements.txt; pip --retries 0 because pip reads an on-disk mirror)
#   4. the tslab Jupyter kernel     (registered into .venv)
#   5. Chromium for PNG/SVG/PDF export, poppler-utils for the report's PDF test (Debian packages; skipped with a warning
#      where apt-get is not usable)
#   6. reclab's type declarations (.reclab/types) and the shim package node_modules/reclab for typed notebook imports
# Set RECLAB_SETUP_SKIP="chromium,venv" to skip steps by name (each skip is printed).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stamps="$root/.reclab/stamps"
mkdir -p "$stamps"
export PIP_RETRIES=0 PIP_DISABLE_PIP_VERSION_CHECK=1

say() { echo "setup: $*"; }
skipped() { [[ ",${RECLAB_SETUP_SKIP:-}," == *",$1,"* ]] && { say "skipping $1 (RECLAB_SETUP_SKIP)"; return 0; }; return 1; }
hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
fresh() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }
stamp() { echo "$2" > "$stamps/$1"; }

# 1. npm dependencies
h=$(hash_of package.json package-lock.json .npmrc)
if ! skipped npm; then
  if [ ! -d node_modules ] || ! fresh npm "$h"; then
    say "installing npm dependencies"
    if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
    rm -f "$stamps/native"
    stamp npm "$(hash_of package.json package-lock.json .npmrc)"
  fi
fi

# 2. native TensorFlow backend
# The hash covers reclab's own addon source (env/addon/*.cc); a stale stamp rebuilds with --force, since the
# script's own "already loads" check cannot tell an edited graph_step.cc from the built one.
h=$(hash_of env/build-tfjs-node.sh package-lock.json env/addon/*.cc)
if ! skipped native; then
  if ! fresh native "$h" || [ ! -f node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node ]; then
    bash env/build-tfjs-node.sh --force
    stamp native "$h"
  fi
fi

# 3. Python virtual environment
h=$(hash_of env/requirements.txt)
if ! skipped venv; then
  if [ ! -x .venv/bin/python ] || ! fresh venv "$h"; then
    say "creating the Python environment .venv from env/requirements.txt (torch CPU, numpy, scikit-learn, nbconvert, jupyterlab, plotly)"
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/python -m pip install --retries 0 --quiet -r env/requirements.txt
    stamp venv "$h"
  fi
fi

# 4. tslab kernel inside .venv, pointing at this checkout's tslab binary
tslab_bin="$root/node_modules/.bin/tslab"
kernel_json=".venv/share/jupyter/kernels/tslab/kernel.json"
if ! skipped kernel && [ -x .venv/bin/python ]; then
  if [ ! -f "$kernel_json" ] || ! grep -q "$tslab_bin" "$kernel_json"; then
    say "registering the tslab kernel into .venv"
    "$tslab_bin" install --python="$root/.venv/bin/python" --sys-prefix --binary="$tslab_bin" >/dev/null
  fi
fi

# 5. Chromium (figure and report export) and poppler-utils (pdftoppm: the report test turns the PDF's page 1 into a PNG)
if ! skipped chromium; then
  if [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Chromium and poppler-utils with apt-get (about 40 s)"
      export DEBIAN_FRONTEND=noninteractive
      (apt-get update -qq && apt-get install -y -qq chromium poppler-utils >/dev/null) ||
        say "WARNING: apt-get could not install chromium/poppler-utils; HTML figures still work, PNG/SVG/PDF export (or the PDF test) will fail with a hint"
    else
      say "WARNING: /usr/bin/chromium or pdftoppm is missing and apt-get is not usable as this user; run: sudo apt-get install -y chromium poppler-utils"
    fi
  fi
fi

# 6. reclab as a typed package for notebooks: declarations of src/ in .reclab/types (tsconfig.types.json) and a shim
#    package node_modules/reclab whose code is src/index.ts through tsx and whose types are those declarations, so a tslab
#    cell can `import { generateCtrWorld } from 'reclab'` with completion and type errors. Rebuilt when src/ changes.
if ! skipped types; then
  h=$(find src -name '*.ts' -print0 | sort -z | xargs -0 cat tsconfig.json tsconfig.types.json | sha256sum | cut -c1-16)
  if ! fresh types "$h" || [ ! -f .reclab/types/index.d.ts ] || [ ! -f node_modules/reclab/index.d.ts ]; then
    say "building reclab's type declarations for notebooks (.reclab/types, about a minute)"
    rm -rf .reclab/types
    # Declarations are emitted even where the strict check reports an error elsewhere; say so but go on.
    node node_modules/typescript/bin/tsc -p tsconfig.types.json >/dev/null || say "WARNING: tsc reported errors while emitting .reclab/types (run npm run typecheck)"
    mkdir -p node_modules/reclab
    cat > node_modules/reclab/package.json <<'JSON'
{ "name": "reclab", "private": true, "main": "index.js", "types": "index.d.ts" }
JSON
    printf '%s\n' "// Written by env/setup.sh: reclab's sources through tsx." "require('tsx/cjs');" \
      "module.exports = require('../../src/index.ts');" > node_modules/reclab/index.js
    printf '%s\n' "// Written by env/setup.sh: declarations emitted from src/ (tsconfig.types.json)." \
      "export * from '../../.reclab/types/index';" > node_modules/reclab/index.d.ts
    printf '%s\n' "// Written by env/setup.sh: notebook display helpers through tsx." "require('tsx/cjs');" \
      "module.exports = require('../../src/notebook/index.ts');" > node_modules/reclab/notebook.js
    printf '%s\n' "export * from '../../.reclab/types/notebook/index';" > node_modules/reclab/notebook.d.ts
    stamp types "$h"
  fi
fi
