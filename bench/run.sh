#!/usr/bin/env bash
# Benchmarks: builds .venv-bench (vlab + NEURON 9, which vlab itself never depends on) and
# runs every bench script, printing ratios measured side by side in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
fi
.venv-bench/bin/python -m pip install -q "neuron==9.0.2" -e . >/dev/null
.venv-bench/bin/python bench/bench_engine.py "$@"
.venv-bench/bin/python bench/bench_cable.py
