#!/usr/bin/env bash
# Screenshots of the real window at 900x600 for the README: the release binary in Xvfb, a
# booted server with a few nodes; saves assets/small-tree.png and assets/small-console.png.
# Run through scripts/with-jack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
SCREEN=900x600 . scripts/xvfb-app.sh
defs=$(mktemp -d)
cli() { target/release/scpanel "$1" --addr "127.0.0.1:$port" "${@:2}" >/dev/null; }
target/release/scpanel synthdef write default "$defs" >/dev/null
target/release/scpanel synthdef write scpanel-sine "$defs" >/dev/null
cli send /d_loadDir "$defs"
cli send /g_new 3000 1 1
cli send /s_new default 3001 0 3000 freq 220 amp 0.05
cli send /s_new default 3002 1 3000 freq 330 amp 0.05
cli send /s_new scpanel-sine 3003 1 1 freq 440 amp 0.02 pan -0.5
xdotool mousemove --window "$win" 880 590   # park the pointer away from the widgets
sleep 3
import -window root assets/small-tree.png
xdotool key --window "$win" ctrl+8   # the OSC console tab
sleep 3
import -window root assets/small-console.png
echo "wrote assets/small-tree.png and assets/small-console.png"
rm -rf "$defs"
