#!/usr/bin/env bash
# Idle CPU of the real app with a server online: runs the release binary in a virtual X
# display (Xvfb), clicks Boot, then reads the app's CPU time from /proc over 20 s.
# Needs xvfb and xdotool (installed if missing); run it through scripts/with-jack.sh:
#   scripts/with-jack.sh scripts/bench-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/xvfb-app.sh
xdotool mousemove --window "$win" 10 880   # park the pointer: no hover repaints
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
sleep 20
t1=$(ticks); s1=$(date +%s.%N)
python3 -c "print(f'idle app CPU with a server online: {100*($t1-$t0)/$hz/($s1-$s0):.2f}% of one core over {($s1-$s0):.1f} s (default 500 ms poll, node tree tab)')"
if [ -n "${SCREENSHOT:-}" ]; then import -window root "$SCREENSHOT"; echo "screenshot: $SCREENSHOT"; fi
