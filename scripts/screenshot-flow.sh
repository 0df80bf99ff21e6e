#!/usr/bin/env bash
# Screenshots of the Flow tab in the real window, at 900x600 and 1920x1080: a beginner's
# server with a reverb placed before the sources that feed it, a delay after its source, a
# def sent without a file (its buses guessed) and a synth reading the first input. The defs
# are written by sclang into its own SynthDef folder, where scpanel finds their graphs.
# Saves assets/flow-900x600.png and assets/flow-1920x1080.png. Run through
# scripts/with-jack.sh. SIZES overrides "900x600 1920x1080"; BIN runs another build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null \
  && command -v xdpyinfo >/dev/null && command -v sclang >/dev/null || {
  echo "needs Xvfb, xdotool, imagemagick, x11-utils and sclang"; exit 1
}
bin="${BIN:-target/release/scpanel}"
[ -n "${BIN:-}" ] || cargo build --release --quiet
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
for size in ${SIZES:-900x600 1920x1080}; do
  w=${size%x*}; h=${size#*x}
  config=$(mktemp -d)
  Xvfb -displayfd 3 -screen 0 "${size}x24" 3>"$config/display" >/dev/null 2>&1 &
  xvfb=$!; pids+=("$xvfb")
  for _ in $(seq 100); do [ -s "$config/display" ] && break; sleep 0.1; done
  # sclang and the app share a data folder: sclang's SynthDef folder is the app's to read.
  export DISPLAY=":$(head -1 "$config/display")" SCPANEL_CONFIG_DIR="$config" XDG_DATA_HOME="$config/data"
  unset WAYLAND_DISPLAY
  for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf 'port = %s\ninput_channels = 2\noutput_channels = 2\n' "$port" > "$config/last.toml"
  other="$config/other"; mkdir -p "$other"
  cat > "$config/defs.scd" <<EOF
SynthDef(\src, { |out = 0, freq = 220, amp = 0.05| Out.ar(out, SinOsc.ar(freq, 0, amp) ! 2) }).writeDefFile;
SynthDef(\reverb, { |in = 16, out = 0| Out.ar(out, FreeVerb.ar(In.ar(in, 2), 0.5)) }).writeDefFile;
SynthDef(\delay, { |in = 18, out = 0| Out.ar(out, CombN.ar(In.ar(in, 2), 0.2, 0.2, 2)) }).writeDefFile;
SynthDef(\mic, { |out = 20| Out.ar(out, In.ar(2, 1) ! 2) }).writeDefFile;
SynthDef(\pad, { |out = 0, amp = 0.02| Out.ar(out, LFSaw.ar([110, 111], 0, amp)) }).writeDefFile("$other/");
0.exit;
EOF
  env -u DISPLAY QT_QPA_PLATFORM=offscreen QTWEBENGINE_DISABLE_SANDBOX=1 HOME="$config" \
    XDG_CONFIG_HOME="$config/config" timeout 60 sclang "$config/defs.scd" >/dev/null 2>&1 || true
  defs="$config/data/SuperCollider/synthdefs"
  [ -f "$defs/src.scsyndef" ] || { echo "sclang wrote no SynthDefs"; exit 1; }
  "$bin" >/dev/null 2>&1 &
  app=$!; pids+=("$app")
  win=""
  for _ in $(seq 100); do win=$(xdotool search --name '^scpanel$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
  [ -n "$win" ] || { echo "the window did not appear"; exit 1; }
  # Xvfb has no window manager to size the window: fill the screen by hand.
  xdotool windowsize --sync "$win" "$w" "$h" || true
  xdotool windowmove --sync "$win" 0 0 || true
  sleep 2
  # Where the status bar's Boot button and the Flow tab (the last tab, no key of its own)
  # are at this size. Boot is clicked: a key needs the focus, which Xvfb without a window
  # manager does not give.
  case "$size" in
    900x600) boot="73 12" tab="637 69" ;;
    *) boot="138 12" tab="1233 46" ;;
  esac
  boot=${BOOT_AT:-$boot} tab=${FLOW_TAB:-$tab}
  for _ in $(seq 10); do
    xdotool mousemove --window "$win" $boot click 1
    "$bin" status --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
    sleep 1
  done
  "$bin" status --addr "127.0.0.1:$port" >/dev/null || {
    import -window root "${TMPDIR:-/tmp}/flow-no-boot-$size.png"
    echo "the server did not come up (see ${TMPDIR:-/tmp}/flow-no-boot-$size.png)"; exit 1
  }
  cli() { "$bin" "$1" --addr "127.0.0.1:$port" "${@:2}" >/dev/null; }
  cli send /d_loadDir "$defs"
  cli send /d_loadDir "$other"
  # In the default group, in this order: the reverb first (it hears nothing of its
  # sources), the delay after its source, a pad whose def has no file here, the mic on the
  # first input, writing a bus nothing reads.
  cli send /s_new reverb 3001 1 1 in 16 out 0
  cli send /s_new src 3002 1 1 out 16 freq 220
  cli send /s_new src 3003 1 1 out 16 freq 330
  cli send /s_new src 3004 1 1 out 18 freq 440
  cli send /s_new delay 3005 1 1 in 18 out 0
  cli send /s_new pad 3006 1 1 out 0
  cli send /s_new mic 3007 1 1 out 20
  xdotool mousemove --window "$win" $tab click 1
  # Park the pointer low in the side panel, away from the lanes (one under it is metered)
  # and from the status bar's tooltips; HOVER=X,Y puts it on a lane instead.
  if [ -n "${HOVER:-}" ]; then
    xdotool mousemove --window "$win" ${HOVER%,*} ${HOVER#*,}
  else
    xdotool mousemove --window "$win" 100 $((h - 20))
  fi
  sleep 3
  import -window root "assets/flow-$size.png"
  echo "wrote assets/flow-$size.png"
  # IDLE=1: the app's CPU over 10 s on the Flow tab, the pointer still.
  if [ -n "${IDLE:-}" ]; then
    ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
    t0=$(ticks); s0=$(date +%s.%N); sleep 10; t1=$(ticks); s1=$(date +%s.%N)
    python3 -c "print(f'Flow tab, {\"$size\"}: app CPU {100*($t1-$t0)/$(getconf CLK_TCK)/($s1-$s0):.2f}% of one core over {($s1-$s0):.1f} s')"
  fi
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" "$xvfb" 2>/dev/null || true
  rm -rf "$config"
done
