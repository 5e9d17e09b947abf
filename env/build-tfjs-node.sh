#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native addon from source against the TensorFlow C library that ships inside the
# tensorflow-cpu wheel, because the package's own install script downloads libtensorflow from a host this machine
# cannot reach. Idempotent: does nothing when the addon already loads.
#
#   bash env/build-tfjs-node.sh [--force]
#
# Steps: fetch the wheel through pip (the on-disk mirror; --retries 0), extract libtensorflow_cc.so.2,
# libtensorflow_framework.so.2 and include/ into .reclab/tensorflow/, link them into the package's deps/, run node-gyp
# and place the binding where tfjs-node looks for it (lib/napi-v8/tfjs_binding.node).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
TF_VERSION=${RECLAB_TF_WHEEL_VERSION:-2.21.0}
pkg="$root/node_modules/@tensorflow/tfjs-node"
cache="$root/.reclab/tensorflow"
binding="$pkg/lib/napi-v8/tfjs_binding.node"

if [ ! -d "$pkg" ]; then
  echo "build-tfjs-node: $pkg is missing; run 'npm install' first" >&2
  exit 1
fi
if [ "${1:-}" != "--force" ] && [ -f "$binding" ] && node -e "require('$pkg'); if (typeof require('$binding').graphXla !== 'function') process.exit(3)" >/dev/null 2>&1; then
  echo "build-tfjs-node: native addon already builds and loads ($binding)"
  exit 0
fi

mkdir -p "$cache"
if [ ! -f "$cache/lib/libtensorflow_cc.so.2" ] || [ ! -f "$cache/include/tensorflow/c/c_api.h" ]; then
  wheels="$cache/wheel"
  mkdir -p "$wheels"
  whl=$(ls "$wheels"/tensorflow_cpu-"$TF_VERSION"-*.whl 2>/dev/null | head -1 || true)
  if [ -z "$whl" ]; then
    echo "build-tfjs-node: downloading tensorflow-cpu==$TF_VERSION wheel through pip (about 270 MB)"
    python3 -m pip download --retries 0 --no-deps --only-binary=:all: "tensorflow-cpu==$TF_VERSION" -d "$wheels"
    whl=$(ls "$wheels"/tensorflow_cpu-"$TF_VERSION"-*.whl | head -1)
  fi
  echo "build-tfjs-node: extracting the C library from $(basename "$whl")"
  tmp=$(mktemp -d)
  python3 - "$whl" "$tmp" <<'PY'
import sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist()
             if n in ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")
             or n.startswith("tensorflow/include/tensorflow/") or n.startswith("tensorflow/include/tsl/")
             or n.startswith("tensorflow/include/xla/")]
    if len([n for n in names if n.endswith(".so.2")]) != 2:
        sys.exit(f"{whl}: expected libtensorflow_cc.so.2 and libtensorflow_framework.so.2 inside the wheel")
    for n in names:
        z.extract(n, out)
PY
  mkdir -p "$cache/lib"
  mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$cache/lib/"
  rm -rf "$cache/include" && mv "$tmp/tensorflow/include" "$cache/include"
  rm -rf "$tmp" "$wheels"
fi

# deps/ as the addon's binding.gyp expects it: -ltensorflow at link time, the real sonames at run time.
rm -rf "$pkg/deps"
mkdir -p "$pkg/deps/lib"
ln -s "$cache/include" "$pkg/deps/include"
ln -s "$cache/lib/libtensorflow_cc.so.2" "$pkg/deps/lib/libtensorflow_cc.so.2"
ln -s "$cache/lib/libtensorflow_framework.so.2" "$pkg/deps/lib/libtensorflow_framework.so.2"
ln -s libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"

# reclab's step-compiler entry points (env/addon/graph_step.cc, our own source) go into the same addon: the file is
# copied beside tfjs-node's sources and three guarded edits (each applied once, so re-runs are harmless) add it to
# binding.gyp, let it reach TFJSBackend's context and handle map (a friend declaration), and register its functions
# at the end of the module's init.
cp "$root/env/addon/graph_step.cc" "$pkg/binding/reclab_graph_step.cc"
grep -q reclab_graph_step "$pkg/binding.gyp" || sed -i "s|'binding/tfjs_binding.cc'|'binding/tfjs_binding.cc', 'binding/reclab_graph_step.cc'|" "$pkg/binding.gyp"
grep -q GraphStepAccess "$pkg/binding/tfjs_backend.h" || sed -i 's|^class TFJSBackend {|class TFJSBackend {\n  friend struct GraphStepAccess;|' "$pkg/binding/tfjs_backend.h"
if ! grep -q RegisterGraphStep "$pkg/binding/tfjs_binding.cc"; then
  sed -i '0,/^namespace tfnodejs {/s||namespace tfnodejs {\nvoid RegisterGraphStep(napi_env env, napi_value exports);|' "$pkg/binding/tfjs_binding.cc"
  sed -i 's|^#undef EXPORT_INT_PROPERTY|#undef EXPORT_INT_PROPERTY\n  RegisterGraphStep(env, exports);|' "$pkg/binding/tfjs_binding.cc"
fi
for f in binding.gyp binding/tfjs_backend.h binding/tfjs_binding.cc; do
  grep -q 'reclab_graph_step\|GraphStepAccess\|RegisterGraphStep' "$pkg/$f" || { echo "build-tfjs-node: could not patch $f for graph_step.cc" >&2; exit 1; }
done

gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || gyp="$(command -v node-gyp || true)"
if [ -z "$gyp" ]; then echo "build-tfjs-node: node-gyp not found (it ships with npm)" >&2; exit 1; fi
echo "build-tfjs-node: compiling the addon with node-gyp (about 35 s)"
(cd "$pkg" && node "$gyp" rebuild --nodedir="$(npm config get nodedir 2>/dev/null || echo /usr)" --module_name=tfjs_binding --module_path=lib/napi-v8 --napi_build_version=8 >"$cache/node-gyp.log" 2>&1) || {
  echo "build-tfjs-node: node-gyp failed; last lines of $cache/node-gyp.log:" >&2
  tail -20 "$cache/node-gyp.log" >&2
  exit 1
}
mkdir -p "$pkg/lib/napi-v8"
# Into place by rename, so a process that already loaded the old addon keeps its (unlinked) copy intact.
cp "$pkg/build/Release/tfjs_binding.node" "$binding.tmp.$$"
mv -f "$binding.tmp.$$" "$binding"
TF_CPP_MIN_LOG_LEVEL=2 node -e "const tf=require('$pkg'); const a=tf.tensor([1,2,3]); if (tf.getBackend()!=='tensorflow') process.exit(2); if (typeof require('$binding').graphXla!=='function') process.exit(3); console.log('build-tfjs-node: native backend ready (TensorFlow C ' + tf.version['tfjs-node'] + ')')"
