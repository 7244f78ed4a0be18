#!/usr/bin/env bash
# Measure vlab's start-up (launch -> first frame painted -> exit) with `vlab --smoke-test`,
# from the virtual environment and from the bundle, 5 runs each (hyperfine).
#
#   packaging/measure_startup.sh [RUNS]      # after packaging/build.sh
#
# Two cases per build:
#   first start  the per-user cache is empty, so numba compiles the membrane kernel
#   later starts the kernel is loaded from numba's cache (what users see every day)
# Caches live in a scratch XDG_CACHE_HOME, so nobody else's cache is touched. The OS page
# cache is warm (one warm-up run); dropping it needs root on a dedicated machine.
# Results: build/startup/*.json and *.md (hyperfine's export); copy them into
# docs/performance.md, section "Start-up".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
RUNS="${1:-5}"
command -v hyperfine >/dev/null || { echo "apt-get install hyperfine" >&2; exit 1; }
OUT=build/startup
mkdir -p "$OUT"
SCR="$(mktemp -d)"
trap 'rm -rf "$SCR"' EXIT
export QT_QPA_PLATFORM=offscreen XDG_CACHE_HOME="$SCR/cache" XDG_CONFIG_HOME="$SCR/config"
unset NUMBA_CACHE_DIR

VENV_CMD="$ROOT/.venv/bin/vlab --smoke-test"
BUNDLE_CMD="$ROOT/dist/vlab/vlab --smoke-test"

hyperfine --runs "$RUNS" --warmup 1 --shell=none \
    --command-name "venv, later starts" "$VENV_CMD" \
    --command-name "bundle, later starts" "$BUNDLE_CMD" \
    --export-json "$OUT/warm.json" --export-markdown "$OUT/warm.md"
hyperfine --runs "$RUNS" --prepare "rm -rf $SCR/cache" \
    --command-name "venv, first start (empty cache)" "$VENV_CMD" \
    --command-name "bundle, first start (empty cache)" "$BUNDLE_CMD" \
    --export-json "$OUT/first.json" --export-markdown "$OUT/first.md"
cat "$OUT/warm.md" "$OUT/first.md"
