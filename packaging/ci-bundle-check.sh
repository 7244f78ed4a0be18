#!/usr/bin/env bash
# Build the desktop bundle and .deb and check them thoroughly (nightly / release CI job).
#
#   packaging/ci-bundle-check.sh              # build (packaging/build.sh), then check
#   packaging/ci-bundle-check.sh --no-build   # check an existing dist/ (after build.sh)
#   packaging/ci-bundle-check.sh --install    # also apt-get install the .deb (disposable root
#                                             # containers only) and smoke-test /usr/bin/vlab
#
# Checks, each printed as "ok ..." (the script stops at the first failure, exit != 0):
#  1. the bundle starts and paints its first frame offscreen (--smoke-test), on a first start
#     with empty per-user folders and again with a warm numba cache; times both;
#  2. the frozen membrane kernel runs and fires (VLAB_BUNDLE_SELFTEST); numba compiles on the
#     first start and loads the kernel from its cache on the second; the About box renders;
#  3. nothing needs the network: the smoke test runs in a network namespace without
#     interfaces (unshare -n) when the runner allows it;
#  4. the command-line tools work from the bundle (vlab protocols, vlab run ... --out);
#  5. tests/packaging (the .desktop entry validates; the .deb's control fields, launcher
#     symlink, menu entry and icons; the spec; the About box).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${VLAB_PYTHON:-$ROOT/.venv/bin/python}"
BUILD=1 INSTALL=0
for a in "$@"; do
    case "$a" in
        --no-build) BUILD=0 ;;
        --install) INSTALL=1 ;;
        *) echo "usage: $0 [--no-build] [--install]" >&2; exit 2 ;;
    esac
done

if [ "$BUILD" = 1 ]; then
    SKIP_SMOKE=1 packaging/build.sh
fi
VERSION="$("$PY" -c 'import vlab; print(vlab.__version__)')"
BUNDLE="$ROOT/dist/vlab/vlab"
DEB="$ROOT/dist/vlab_${VERSION}_amd64.deb"
[ -x "$BUNDLE" ] || { echo "no bundle at $BUNDLE: run packaging/build.sh" >&2; exit 1; }

SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
fresh_env() {  # a first start: empty cache/config/data folders
    local home="$SCRATCH/$1"
    mkdir -p "$home"
    echo env -u NUMBA_CACHE_DIR -u VLAB_RESOURCES HOME="$home" XDG_CACHE_HOME="$home/cache" \
        XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" QT_QPA_PLATFORM=offscreen
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

echo "== 1. smoke test"
ENV1=$(fresh_env smoke)
t=$(now); $ENV1 timeout 120 "$BUNDLE" --smoke-test; echo "ok smoke test, first start: $(elapsed "$t") s"
t=$(now); $ENV1 timeout 120 "$BUNDLE" --smoke-test; echo "ok smoke test, warm cache: $(elapsed "$t") s"

echo "== 2. frozen kernel and numba cache"
ENV2=$(fresh_env selftest)
first=$($ENV2 VLAB_BUNDLE_SELFTEST=1 timeout 300 "$BUNDLE")
second=$($ENV2 VLAB_BUNDLE_SELFTEST=1 VLAB_SELFTEST_ABOUT_PNG="$SCRATCH/about.png" timeout 300 "$BUNDLE")
echo "first:  $first"
echo "second: $second"
"$PY" - "$first" "$second" <<'EOF'
import json, sys
a, b = (json.loads(x) for x in sys.argv[1:3])
assert a["frozen"] and "_internal/resources" in a["resource_root"], a
missing = {"preparations", "protocols", "drugs", "icons", "licenses"} - set(a["resources"])
assert not missing, f"resources missing from the bundle: {missing}"
assert a["peak_mV"] > 0 and b["peak_mV"] == a["peak_mV"], (a, b)
assert a["jit"], "numba is not active in the bundle"
k1, k2 = a["kernel"]["advance"], b["kernel"]["advance"]
assert k1["cache_hits"] == 0, "first start should compile"
assert k2["cache_hits"] >= 1 and k2["cache_misses"] == 0, "second start should load from the cache"
assert b.get("about_png"), "the About box did not render"
print(f"ok kernel fires ({a['peak_mV']} mV); compile {a['seconds']} s, cached {b['seconds']} s")
EOF
# numba's files, not only the folder vlab.sim.jit made: the bundle once cached under
# ~/.cache/numba instead, in a folder named after the working directory
if find "$SCRATCH/selftest/cache/vlab/numba" -name '*.nbi' | grep -q .; then
    echo "ok numba cache in \$XDG_CACHE_HOME/vlab/numba"
else
    echo "no numba cache files in \$XDG_CACHE_HOME/vlab/numba" >&2; exit 1
fi

echo "== 3. offline"
if unshare -n true 2>/dev/null; then
    ENV3=$(fresh_env offline)
    $ENV3 unshare -n timeout 120 "$BUNDLE" --smoke-test
    echo "ok smoke test without any network interface"
else
    echo "skip: unshare -n is not permitted on this runner"
fi

echo "== 4. command line from the bundle"
ENV4=$(fresh_env cli)
$ENV4 timeout 120 "$BUNDLE" --version
$ENV4 timeout 120 "$BUNDLE" protocols | grep -q single_pulse && echo "ok vlab protocols (bundled resources)"
$ENV4 timeout 300 "$BUNDLE" run single_pulse --out "$SCRATCH/single.csv" >/dev/null
[ -s "$SCRATCH/single.csv" ] && echo "ok vlab run single_pulse --out single.csv"

echo "== 5. tests/packaging"
"$PY" -m pytest -q -p no:cacheprovider tests/packaging

if [ "$INSTALL" = 1 ]; then
    echo "== 6. install the .deb"
    apt-get install -y -q "$DEB" >/dev/null
    QT_QPA_PLATFORM=offscreen timeout 120 vlab --smoke-test
    echo "ok installed /usr/bin/vlab --smoke-test"
fi
echo "== all bundle checks passed ($(du -sh dist/vlab | cut -f1) bundle; $(du -h "$DEB" | cut -f1) .deb)"
