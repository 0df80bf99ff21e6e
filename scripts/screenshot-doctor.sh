#!/usr/bin/env bash
# The README's screenshots of "Why no sound?" in the real window, at 900x600 and 1920x1080:
# a server the window booted, where another client (the CLI) made the classic mistakes with
# SynthDefs sclang wrote to its own folder (a reverb reading bus 16 placed before the source
# that writes it, a sine on Out.ar(2) of a 2-output server, `default` at amp 0), then F8.
# Run through scripts/with-jack.sh; writes assets/doctor-<size>.png (OUT= elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null \
  && command -v xdpyinfo >/dev/null && command -v sclang >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq xvfb xdotool imagemagick x11-utils supercollider-language >/dev/null
}
cargo build --release --quiet
bin=target/release/scpanel
out=${OUT:-assets}
mkdir -p "$out"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
home=$(mktemp -d)
defs="$home/.local/share/SuperCollider/synthdefs"
mkdir -p "$defs"
# sclang writes the defs where .store and .writeDefFile put them, in a home of its own.
cat > "$home/write.scd" <<'SCD'
SynthDef(\src, { |out = 0, freq = 330, amp = 0.1| Out.ar(out, SinOsc.ar(freq, 0, amp) ! 2) }).writeDefFile;
SynthDef(\reverb, { |in = 16, out = 0| Out.ar(out, FreeVerb.ar(In.ar(in, 2), 0.5)) }).writeDefFile;
0.exit;
SCD
HOME="$home" XDG_DATA_HOME="$home/.local/share" QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 \
  timeout 60 sclang "$home/write.scd" >/dev/null 2>&1 || true
[ -f "$defs/reverb.scsyndef" ] || { echo "sclang wrote no SynthDefs"; exit 1; }
for size in ${SIZES:-900x600 1920x1080}; do
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
  # The window reads sclang's folder from this home.
  HOME="$home" XDG_DATA_HOME="$home/.local/share" "$bin" >/dev/null 2>&1 &
  app=$!; pids+=("$app")
  win=""
  for _ in $(seq 100); do win=$(xdotool search --name '^scpanel' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
  [ -n "$win" ] || { echo "the window did not appear"; exit 1; }
  xdotool windowsize --sync "$win" "${size%x*}" "${size#*x}" || true
  xdotool windowmove --sync "$win" 0 0 || true
  xdotool mousemove --window "$win" 5 "$(( ${size#*x} - 5 ))"
  xdotool windowactivate --sync "$win" 2>/dev/null || xdotool windowfocus --sync "$win" 2>/dev/null || true
  for _ in $(seq 5); do
    xdotool key --window "$win" ctrl+b
    "$bin" status --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 1
  done
  for _ in $(seq 100); do "$bin" status --addr "127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.1; done
  send() { "$bin" send --addr "127.0.0.1:$port" "$@" >/dev/null; }
  "$bin" synthdef write default "$config" >/dev/null
  send /d_loadDir "$defs"
  send /d_load "$config/default.scsyndef"
  send /g_new 3000 1 1
  # The source to bus 16, then the reverb at the head: it runs first and hears nothing.
  send /s_new src 3001 0 3000 out 16
  send /s_new reverb 3002 0 3000 in 16
  send /s_new src 3003 1 3000 out 2 freq 440
  send /s_new default 3004 1 3000 amp 0
  xdotool key --window "$win" ctrl+2
  sleep 1
  xdotool key --window "$win" F8
  sleep 3
  import -window root "$out/doctor-$size.png"
  echo "wrote $out/doctor-$size.png"
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
done
rm -rf "$home"
