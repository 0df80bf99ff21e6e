#!/usr/bin/env bash
# Screenshots of the real window for the README: runs the release binary in Xvfb, boots a
# server, adds a few nodes, and saves assets/screenshot.png (node tree) and
# assets/plots.png. Run through scripts/with-jack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export SCREEN=${SCREEN:-1280x800}
. scripts/xvfb-app.sh
# Xvfb has no window manager to maximise the window: fill the screen by hand.
xdotool windowsize "$win" "${SCREEN%x*}" "${SCREEN#*x}"
defs=$(mktemp -d)
cli() { target/release/scpanel "$1" --addr "127.0.0.1:$port" "${@:2}" >/dev/null; }
target/release/scpanel synthdef write default "$defs" >/dev/null
target/release/scpanel synthdef write scpanel-sine "$defs" >/dev/null
cli send /d_loadDir "$defs"
cli send /g_new 3000 1 1
cli send /s_new default 3001 0 3000 freq 220 amp 0.05
cli send /s_new default 3002 1 3000 freq 330 amp 0.05
cli send /s_new scpanel-sine 3003 1 1 freq 440 amp 0.02 pan -0.5
cli send /g_new 3004 1 1
cli send /n_run 3004 0
sleep 3
import -window root assets/screenshot.png
xdotool key --window "$win" ctrl+3   # the "CPU & sample rate" tab
sleep 6
import -window root assets/plots.png
echo "wrote assets/screenshot.png and assets/plots.png"
rm -rf "$defs"
