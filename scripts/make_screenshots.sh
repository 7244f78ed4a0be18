#!/usr/bin/env bash
# Regenerate the rig screenshots in docs/screenshots/ with `vlab --screenshot` (offscreen).
# Usage: scripts/make_screenshots.sh   (from anywhere; uses the repo's .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
PY=.venv/bin/python
OUT=docs/screenshots
mkdir -p "$OUT"

shot() {  # shot FILE [vlab args...]
    local file=$1; shift
    .venv/bin/vlab --screenshot "$OUT/$file" "$@"
    echo "wrote $OUT/$file"
}

shot main_window.png --protocol vc_step_family
shot gap_free.png
shot single_pulse.png --protocol single_pulse
# the sizes a maximised window gets on school laptops (docs/gui.md, "Layout")
shot main_window_1024x768.png --protocol vc_step_family --size 1024x700
shot main_window_1366x768.png --protocol vc_step_family --size 1366x700
shot vc_family_ttx.png --protocol vc_step_family --drug TTX=30nM
"$PY" scripts/import_screenshot.py "$OUT/import_iv.png"  # a real cell's I-V over the model's
"$PY" -m vlab.gui.axon_view --screenshot "$OUT/axon_view.png"
echo "wrote $OUT/axon_view.png"
