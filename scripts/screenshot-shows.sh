#!/usr/bin/env bash
# Screenshots of the Shows tab in the real window, at 900x600 and 1920x1080: a made-up 1-hour
# show of three servers (examples/demo_show.rs: marks every quarter of an hour, xrun and
# `late` bursts, a crash), opened from the list, the cursor on the crash. Saves
# assets/shows-900x600.png, assets/shows-1920x1080.png and assets/shows-export.png (the same
# show through `scpanel shows export --png`). SIZES overrides "900x600 1920x1080"; BIN runs
# another build.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null \
  && command -v xdpyinfo >/dev/null || {
  echo "needs Xvfb, xdotool, imagemagick and x11-utils"; exit 1
}
bin="${BIN:-target/release/scpanel}"
[ -n "${BIN:-}" ] || cargo build --release --quiet --bin scpanel --example demo_show
demo="$(dirname "$bin")/examples/demo_show"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
for size in ${SIZES:-900x600 1920x1080}; do
  w=${size%x*}; h=${size#*x}
  config=$(mktemp -d)
  Xvfb -displayfd 3 -screen 0 "${size}x24" 3>"$config/display" >/dev/null 2>&1 &
  xvfb=$!; pids+=("$xvfb")
  for _ in $(seq 100); do [ -s "$config/display" ] && break; sleep 0.1; done
  export DISPLAY=":$(head -1 "$config/display")" SCPANEL_CONFIG_DIR="$config"
  unset WAYLAND_DISPLAY
  for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
  # The window's shows go beside its settings: the made-up show is there before it starts.
  show=$("$demo" "$config/shows" 3 60)
  "$bin" >/dev/null 2>&1 &
  app=$!; pids+=("$app")
  win=""
  for _ in $(seq 100); do win=$(xdotool search --name '^scpanel$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
  [ -n "$win" ] || { echo "the window did not appear"; exit 1; }
  xdotool windowsize --sync "$win" "$w" "$h" || true
  xdotool windowmove --sync "$win" 0 0 || true
  sleep 2
  # The side panel's button, then (with the panel hidden) the Shows tab, the made-up show's
  # row (under this run's own, which records now) and the crash's place on the plot.
  case "$size" in
    900x600) tab="34 69" row="200 170" cursor="${CURSOR:-556 420}" ;;
    *) tab="${SHOWS_TAB:-910 46}" row="${ROW:-200 150}" cursor="${CURSOR:-1151 600}" ;;
  esac
  xdotool mousemove --window "$win" 22 12 click 1
  sleep 1
  xdotool mousemove --window "$win" $tab click 1
  sleep 1
  xdotool mousemove --window "$win" $row click 1
  sleep 2
  xdotool mousemove --window "$win" $cursor
  sleep 2
  import -window root "assets/shows-$size.png"
  echo "wrote assets/shows-$size.png"
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" "$xvfb" 2>/dev/null || true
  if [ "$size" = 900x600 ]; then
    "$bin" shows export "$show" --png assets/shows-export.png >/dev/null
    echo "wrote assets/shows-export.png"
  fi
  rm -rf "$config"
done
