#!/usr/bin/env bash
# The Servers wall for the README: the release app in Xvfb opens a roster of three servers
# it boots itself and three it watches (started here with `scpanel boot`, as a student's
# laptop would run them); one of those is then stopped, so its tile shows the alert. Saves
# assets/wall.png. Run through scripts/with-jack.sh. SCREEN=900x600 for the small window.
set -euo pipefail
cd "$(dirname "$0")/.."
SCREEN=${SCREEN:-1280x800}
OUT=${OUT:-assets/wall.png}
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null || {
  apt-get install -y -qq xvfb xdotool imagemagick x11-utils >/dev/null
}
cargo build --release --quiet
display=":$((80 + RANDOM % 19))"
Xvfb "$display" -screen 0 "${SCREEN}x24" >/dev/null 2>&1 &
xvfb=$!
config=$(mktemp -d)
theirs=()
cleanup() { kill "${app:-}" "${theirs[@]}" "$xvfb" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$config"; }
trap cleanup EXIT
export DISPLAY="$display" SCPANEL_CONFIG_DIR="$config"
unset WAYLAND_DISPLAY
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
roster="$config/classroom.toml"
ports=()
for name in Ada Grace Alan; do
  p=$(free_port); ports+=("$p")
  printf '[[server]]\nname = "%s"\naddr = "127.0.0.1:%s"\nauto_reboot = true\n[server.boot]\ninput_channels = 2\noutput_channels = 2\n\n' "$name" "$p" >> "$roster"
done
watched=()
for name in "Student 1" "Student 2" "Student 3"; do
  p=$(free_port); watched+=("$p")
  target/release/scpanel boot --port "$p" --input-channels 2 --output-channels 2 >/dev/null 2>&1 &
  theirs+=($!)
  printf '[[server]]\nname = "%s"\naddr = "127.0.0.1:%s"\n\n' "$name" "$p" >> "$roster"
done
for p in "${watched[@]}"; do
  for _ in $(seq 100); do target/release/scpanel status --addr "127.0.0.1:$p" >/dev/null 2>&1 && break; sleep 0.2; done
done
target/release/scpanel --session "$roster" >/dev/null 2>&1 &
app=$!
win=""
for _ in $(seq 100); do win=$(xdotool search --name '^scpanel' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
[ -n "$win" ] || { echo "the window did not appear"; exit 1; }
xdotool windowsize "$win" "${SCREEN%x*}" "${SCREEN#*x}"
for p in "${ports[@]}"; do
  for _ in $(seq 100); do target/release/scpanel status --addr "127.0.0.1:$p" >/dev/null 2>&1 && break; sleep 0.2; done
done
# Some sound on two of them, so their CPU lines move.
for p in "${ports[0]}" "${ports[2]}"; do
  for i in 1 2 3 4 5 6; do
    target/release/scpanel send --addr "127.0.0.1:$p" /s_new scpanel-sine -1 0 1 freq $((200 * i)) amp 0.01 >/dev/null 2>&1 || true
  done
done
sleep 6
# Student 3's laptop goes away: its tile turns offline and retries, and the title counts it.
kill "${theirs[2]}"
sleep 4
import -window root "$OUT"
echo "wrote $OUT"
