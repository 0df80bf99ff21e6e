#!/usr/bin/env bash
# Screenshots of the Flow tab in the real window, at 900x600 and 1920x1080: a beginner's
# server with a reverb placed before the sources that feed it, a delay after its source, a
# def sent without a file (its buses guessed) and a synth reading the first input. The defs
# are written by sclang into its own SynthDef folder, where scpanel finds their graphs.
# Saves assets/flow-900x600.png and assets/flow-1920x1080.png. Run through
# scripts/with-jack.sh. SIZES overrides "900x600 1920x1080"; BIN another build of the app.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SCREEN:-}" ]; then
  for size in ${SIZES:-900x600 1920x1080}; do SCREEN=$size "$0"; done
  exit 0
fi
# sclang and the app share a data folder: sclang's SynthDef folder is the app's to read.
data=$(mktemp -d)
export XDG_DATA_HOME="$data"
. scripts/xvfb-app.sh
trap 'cleanup; rm -rf "$data"' EXIT
w=${SCREEN%x*}; h=${SCREEN#*x}
# Xvfb has no window manager to size the window: fill the screen by hand.
xdotool windowsize --sync "$win" "$w" "$h" || true
xdotool windowmove --sync "$win" 0 0 || true
other=$(mktemp -d)
cat > "$data/defs.scd" <<EOF
SynthDef(\src, { |out = 0, freq = 220, amp = 0.05| Out.ar(out, SinOsc.ar(freq, 0, amp) ! 2) }).writeDefFile;
SynthDef(\reverb, { |in = 16, out = 0| Out.ar(out, FreeVerb.ar(In.ar(in, 2), 0.5)) }).writeDefFile;
SynthDef(\delay, { |in = 18, out = 0| Out.ar(out, CombN.ar(In.ar(in, 2), 0.2, 0.2, 2)) }).writeDefFile;
SynthDef(\mic, { |out = 20| Out.ar(out, In.ar(2, 1) ! 2) }).writeDefFile;
SynthDef(\pad, { |out = 0, amp = 0.02| Out.ar(out, LFSaw.ar([110, 111], 0, amp)) }).writeDefFile("$other/");
0.exit;
EOF
QT_QPA_PLATFORM=offscreen HOME="$data" timeout 60 sclang "$data/defs.scd" >/dev/null 2>&1 || true
ls "$data/SuperCollider/synthdefs/src.scsyndef" >/dev/null
cli() { "$bin" "$1" --addr "127.0.0.1:$port" "${@:2}" >/dev/null; }
cli send /d_loadDir "$data/SuperCollider/synthdefs"
cli send /d_loadDir "$other"
# In the default group, in this order: the reverb first (it hears nothing of its sources),
# the delay after its source, a pad whose def has no file here, the mic on the first input.
cli send /s_new reverb 3001 1 1 in 16 out 0
cli send /s_new src 3002 1 1 out 16 freq 220
cli send /s_new src 3003 1 1 out 16 freq 330
cli send /s_new src 3004 1 1 out 18 freq 440
cli send /s_new delay 3005 1 1 in 18 out 0
cli send /s_new pad 3006 1 1 out 0
cli send /s_new mic 3007 1 1 out 20
# The Flow tab is the last tab (no key of its own): clicked where the tab row puts it.
case "$SCREEN" in
  900x600) flow_tab="${FLOW_TAB:-420 57}" ;;
  *) flow_tab="${FLOW_TAB:-1040 35}" ;;
esac
xdotool mousemove --window "$win" ${flow_tab} click 1
xdotool mousemove --window "$win" $((w - 10)) $((h - 10))   # away from the lanes
sleep 3
import -window root "assets/flow-$SCREEN.png"
echo "wrote assets/flow-$SCREEN.png"
rm -rf "$other"
