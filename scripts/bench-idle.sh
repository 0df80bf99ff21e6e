#!/usr/bin/env bash
# Idle CPU of the real app with a server online: runs the release binary in a virtual X
# display (Xvfb), clicks Boot, then reads the app's CPU time from /proc over 20 s.
# Needs xvfb and xdotool (installed if missing); run it through scripts/with-jack.sh:
#   scripts/with-jack.sh scripts/bench-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq xvfb xdotool imagemagick >/dev/null
}
cargo build --release --quiet
display=":$((90 + RANDOM % 9))"
Xvfb "$display" -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
config=$(mktemp -d)
cleanup() { kill "${app:-}" "$xvfb" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$config"; }
trap cleanup EXIT
export DISPLAY="$display" SCPANEL_CONFIG_DIR="$config"
unset WAYLAND_DISPLAY
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'port = %s\ninput_channels = 2\noutput_channels = 2\n' "$port" > "$config/last.toml"
target/release/scpanel >/dev/null 2>"${FRAME_LOG:-/dev/null}" &
app=$!
win=""
for _ in $(seq 100); do win=$(xdotool search --name '^scpanel$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
[ -n "$win" ] || { echo "the window did not appear"; exit 1; }
# The Boot button sits at the right end of the status bar.
eval "$(xdotool getwindowgeometry --shell "$win")"
xdotool mousemove --window "$win" $((WIDTH - 205)) 12 click 1
for _ in $(seq 100); do target/release/scpanel status --addr "127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.1; done
target/release/scpanel status --addr "127.0.0.1:$port" >/dev/null || { echo "the server did not come up"; exit 1; }
xdotool mousemove --window "$win" 10 880   # park the pointer: no hover repaints
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
sleep 20
t1=$(ticks); s1=$(date +%s.%N)
python3 -c "print(f'idle app CPU with a server online: {100*($t1-$t0)/$hz/($s1-$s0):.2f}% of one core over {($s1-$s0):.1f} s (default 500 ms poll, node tree tab)')"
if [ -n "${SCREENSHOT:-}" ]; then import -window root "$SCREENSHOT"; echo "screenshot: $SCREENSHOT"; fi
