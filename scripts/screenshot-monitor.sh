#!/usr/bin/env bash
# Screenshots of the monitoring tabs for the README: runs the release app in Xvfb, boots,
# plays two tones (100 Hz left, 150 Hz right, and a quiet 1 kHz on both), then saves the
# Scope, Spectrum and Levels tabs (Ctrl+5, Ctrl+6, Ctrl+4) as assets/scope.png,
# assets/spectrum.png and assets/levels.png. SCREEN=900x600 OUT=/tmp/x for a small window
# elsewhere. Run through scripts/with-jack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export SCREEN=${SCREEN:-1280x800}
out=${OUT:-assets}
mkdir -p "$out"
. scripts/xvfb-app.sh
xdotool windowsize "$win" "${SCREEN%x*}" "${SCREEN#*x}"
defs=$(mktemp -d)
cli() { target/release/scpanel "$1" --addr "127.0.0.1:$port" "${@:2}" >/dev/null; }
target/release/scpanel synthdef write scpanel-sine "$defs" >/dev/null
cli send /d_loadDir "$defs"
cli send /s_new scpanel-sine 3001 0 1 freq 100 amp 0.5 pan -1
cli send /s_new scpanel-sine 3002 0 1 freq 150 amp 0.4 pan 1
cli send /s_new scpanel-sine 3003 0 1 freq 1000 amp 0.05 pan 0
shot() { xdotool windowfocus --sync "$win" 2>/dev/null || true; xdotool key "ctrl+$1"; sleep 4; xdotool mousemove --window "$win" "$3" "$4"; sleep 1; import -window root "$out/$2.png"; echo "wrote $out/$2.png"; }
shot 5 scope 300 400
if [ -n "${TABS_SPECTRUM:-1}" ] && target/release/scpanel --help 2>/dev/null | grep -q spectrum; then
  shot 6 spectrum 640 400
fi
shot 4 levels 600 590
rm -rf "$defs"
