#!/usr/bin/env bash
# Idle CPU of the real app with 32 servers on the Servers wall (target: ≤ 3 % of one core):
# 28 scripted /status responders (benches/status_responders.py) and 4 scsynth the app boots
# itself from the roster, the release binary in a virtual X display (Xvfb, 1280x800) opened
# with `scpanel --session`, the pointer parked, the app's CPU read from /proc over 20 s.
# Run it through scripts/with-jack.sh:
#   scripts/with-jack.sh scripts/bench-wall-idle.sh
# FRAME_LOG=file keeps the app's stderr with SCPANEL_FRAME_DEBUG=1 (a line per frame, its
# cause and time) and counts the frames of the measured 20 s.
# REAL=n / SCRIPTED=n change the mix (defaults 4 and 28); MEASURE=s the seconds measured
# (default 20). The app records its show into the run's own folder, unless SCPANEL_SHOWS_DIR
# names another (kept after the run) or is `off` (no show: scripts/bench-flight-cost.sh
# measures what recording costs that way).
# Measured 2026-12-01 (2 cores, Mesa llvmpipe): 2.25 % with 32 servers (scpanel-io 0.80,
# llvmpipe 1.10, UI thread 0.30): the wall redraws every 2 s for status alone (WALL_REFRESH).
# Before that it drew a frame for every reply, paced to 2 a second: 6.4-6.6 %.
set -euo pipefail
cd "$(dirname "$0")/.."
SCREEN=1280x800
REAL=${REAL:-4}
MEASURE=${MEASURE:-20}
SCRIPTED=${SCRIPTED:-28}
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v xdpyinfo >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq xvfb xdotool x11-utils >/dev/null
}
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/scpanel"
display=":$((80 + RANDOM % 19))"
Xvfb "$display" -screen 0 "${SCREEN}x24" >/dev/null 2>&1 &
xvfb=$!
config=$(mktemp -d)
responders=""
app=""
cleanup() {
  # The app quits the servers it booted when it closes (SIGTERM); then the rest, by pid.
  if [ -n "$app" ]; then
    kill "$app" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$app" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$app" 2>/dev/null || true
  fi
  for pid in $responders $xvfb; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$config"
}
trap cleanup EXIT
export DISPLAY="$display" SCPANEL_CONFIG_DIR="$config"
unset WAYLAND_DISPLAY
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done

python3 benches/status_responders.py "$SCRIPTED" "$config/ports" &
responders=$!
for _ in $(seq 100); do [ -f "$config/ports" ] && break; sleep 0.1; done
[ -f "$config/ports" ] || { echo "the responders did not start"; exit 1; }
mapfile -t scripted < "$config/ports"

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
roster="$config/wall.toml"
ports=()
for i in $(seq "$REAL"); do
  p=$(free_port); ports+=("$p")
  printf '[[server]]\nname = "booted %s"\naddr = "127.0.0.1:%s"\n[server.boot]\ninput_channels = 2\noutput_channels = 2\n\n' "$i" "$p" >> "$roster"
done
for p in "${scripted[@]}"; do
  ports+=("$p")
  printf '[[server]]\nname = "scripted %s"\naddr = "127.0.0.1:%s"\n\n' "$p" "$p" >> "$roster"
done

if [ -n "${FRAME_LOG:-}" ]; then
  SCPANEL_FRAME_DEBUG=1 "$bin" --session "$roster" >/dev/null 2>"$FRAME_LOG" &
else
  "$bin" --session "$roster" >/dev/null 2>&1 &
fi
app=$!
win=""
for _ in $(seq 100); do win=$(xdotool search --name '^scpanel' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
[ -n "$win" ] || { echo "the window did not appear"; exit 1; }
xdotool windowsize "$win" "${SCREEN%x*}" "${SCREEN#*x}"
for p in "${ports[@]}"; do
  ok=""
  for _ in $(seq 150); do
    "$bin" status --addr "127.0.0.1:$p" >/dev/null 2>&1 && { ok=1; break; }
    sleep 0.2
  done
  [ -n "$ok" ] || { echo "the server on port $p did not answer"; exit 1; }
done
xdotool mousemove --window "$win" 1270 790   # park the pointer: no hover repaints
sleep 5   # the app's joins settle (a rejoin of a booted server that came up late)
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
hz=$(getconf CLK_TCK)
lines0=0; [ -n "${FRAME_LOG:-}" ] && lines0=$(wc -l < "$FRAME_LOG")
# Per thread (by name), to see where the time goes: the UI thread (egui and GL), Mesa's
# llvmpipe threads (software rendering under Xvfb), the runtime's scpanel-io workers.
threads() { for t in /proc/"$app"/task/*; do printf '%s\t%s\n' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"; done 2>/dev/null; }
threads > "$config/threads0"
t0=$(ticks); s0=$(date +%s.%N)
sleep "$MEASURE"
t1=$(ticks); s1=$(date +%s.%N)
threads > "$config/threads1"
lines1=0; [ -n "${FRAME_LOG:-}" ] && lines1=$(wc -l < "$FRAME_LOG")
python3 -c "print(f'idle app CPU, Servers wall with $((REAL + SCRIPTED)) servers ($REAL booted, $SCRIPTED scripted): {100*($t1-$t0)/$hz/($s1-$s0):.2f}% of one core over {($s1-$s0):.1f} s (default 500 ms poll)')"
if [ -n "${FRAME_LOG:-}" ]; then echo "frame log lines in those $MEASURE s: $((lines1 - lines0)) ($FRAME_LOG)"; fi
python3 - "$config/threads0" "$config/threads1" "$hz" "$s0" "$s1" <<'PY'
import sys
from collections import defaultdict
def read(p):
    d = defaultdict(int)
    for line in open(p):
        name, ticks = line.rstrip("\n").rsplit("\t", 1)
        d[name] += int(ticks)
    return d
a, b = read(sys.argv[1]), read(sys.argv[2])
hz, secs = int(sys.argv[3]), float(sys.argv[5]) - float(sys.argv[4])
for name in sorted(b, key=lambda n: a.get(n, 0) - b[n]):
    used = b[name] - a.get(name, 0)
    if used:
        print(f"  {name:<16} {100 * used / hz / secs:5.2f}%")
PY
