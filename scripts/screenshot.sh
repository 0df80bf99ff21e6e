#!/usr/bin/env bash
# Screenshots of the real window for the README: runs the release binary in Xvfb, boots a
# server, adds a few nodes, and saves assets/screenshot.png (node tree) and
# assets/plots.png. Run through scripts/with-jack.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
display=":$((80 + RANDOM % 9))"
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
config=$(mktemp -d)
defs=$(mktemp -d)
cleanup() { kill "${app:-}" "$xvfb" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$config" "$defs"; }
trap cleanup EXIT
export DISPLAY="$display" SCPANEL_CONFIG_DIR="$config"
unset WAYLAND_DISPLAY
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'port = %s\ninput_channels = 2\noutput_channels = 2\n' "$port" > "$config/last.toml"
target/release/scpanel >/dev/null 2>&1 &
app=$!
win=""
for _ in $(seq 100); do win=$(xdotool search --name '^scpanel$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
eval "$(xdotool getwindowgeometry --shell "$win")"
xdotool mousemove --window "$win" $((WIDTH - 205)) 12 click 1
cli() { target/release/scpanel "$1" --addr "127.0.0.1:$port" "${@:2}" >/dev/null; }
for _ in $(seq 100); do cli status 2>/dev/null && break; sleep 0.1; done
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
xdotool mousemove --window "$win" 560 42 click 1   # the "CPU & sample rate" tab
sleep 6
import -window root assets/plots.png
echo "wrote assets/screenshot.png and assets/plots.png"
