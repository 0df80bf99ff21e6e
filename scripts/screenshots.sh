#!/usr/bin/env bash
# The README's screenshots of the real window, at 900x600 and 1920x1080: the first screen (a
# fresh profile, nothing booted), a booted server with a few nodes in the tree, Levels with
# a sine playing, and the Servers wall. Run through scripts/with-jack.sh.
#   scripts/with-jack.sh scripts/screenshots.sh                 # writes assets/window-*.png
#   APP=/path/to/old/scpanel OUT=/tmp/before scripts/with-jack.sh scripts/screenshots.sh
# APP is the window's binary (default: this tree's release build); the CLI used to add the
# nodes is always this tree's. SIZES overrides "900x600 1920x1080".
set -euo pipefail
cd "$(dirname "$0")/.."
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null \
  && command -v xdpyinfo >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq xvfb xdotool imagemagick x11-utils >/dev/null
}
cargo build --release --quiet
cli_bin=target/release/scpanel
app_bin=${APP:-target/release/scpanel}
out=${OUT:-assets}
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
# Waits (bounded) until the server at $port answers /status.
answered() {
  for _ in $(seq 100); do
    "$cli_bin" status --addr "127.0.0.1:$port" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "the server did not come up"; return 1
}
shot() { sleep "${SETTLE:-2}"; import -window root "$out/window-$1-$size.png"; echo "wrote $out/window-$1-$size.png"; }
for size in ${SIZES:-900x600 1920x1080}; do
  # Xvfb picks a free display and says which: a display number picked at random may be
  # another run's, and the keys would go to its window.
  config=$(mktemp -d)
  Xvfb -displayfd 3 -screen 0 "${size}x24" 3>"$config/display" >/dev/null 2>&1 &
  xvfb=$!; pids+=("$xvfb")
  for _ in $(seq 100); do [ -s "$config/display" ] && break; sleep 0.1; done
  display=":$(head -1 "$config/display")"
  export DISPLAY="$display" SCPANEL_CONFIG_DIR="$config"
  unset WAYLAND_DISPLAY
  for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  [ "$(xdpyinfo | awk '/dimensions:/ {print $2}')" = "$size" ] || { echo "$display is not ours"; exit 1; }
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'port = %s\ninput_channels = 2\noutput_channels = 2\n' "$port" > "$config/last.toml"
  "$app_bin" >/dev/null 2>&1 &
  app=$!; pids+=("$app")
  win=""
  for _ in $(seq 100); do win=$(xdotool search --name '^scpanel' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
  [ -n "$win" ] || { echo "the window did not appear"; exit 1; }
  # Xvfb has no window manager to maximise the window: fill the screen by hand.
  xdotool windowsize --sync "$win" "${size%x*}" "${size#*x}" || true
  xdotool windowmove --sync "$win" 0 0 || true
  xdotool mousemove --window "$win" 5 "$(( ${size#*x} - 5 ))"   # out of the way
  shot first
  xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win"
  for i in $(seq 5); do
    xdotool key --window "$win" ctrl+b
    "$cli_bin" status --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 1
  done
  answered
  defs=$(mktemp -d)
  "$cli_bin" synthdef write default "$defs" >/dev/null
  "$cli_bin" synthdef write scpanel-sine "$defs" >/dev/null
  send() { "$cli_bin" send --addr "127.0.0.1:$port" "$@" >/dev/null; }
  send /d_loadDir "$defs"
  send /g_new 3000 1 1
  send /s_new default 3001 0 3000 freq 220 amp 0.05
  send /s_new default 3002 1 3000 freq 330 amp 0.05
  send /s_new scpanel-sine 3003 1 1 freq 440 amp 0.2 pan -0.5
  send /s_new scpanel-sine 3004 1 1 freq 441 amp 0.2 pan 0.5
  xdotool key --window "$win" ctrl+2
  shot booted
  xdotool key --window "$win" ctrl+4
  shot levels
  xdotool key --window "$win" ctrl+1
  SETTLE=4 shot wall
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" "$xvfb" 2>/dev/null || true
  rm -rf "$config" "$defs"
done
