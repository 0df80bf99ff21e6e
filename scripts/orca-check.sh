#!/usr/bin/env bash
# What a blind musician hears from scpanel with Orca 43 (Debian 12's screen reader), end to
# end: a virtual X display (Xvfb), a session D-Bus and the accessibility bus of its own,
# Orca writing every utterance to its debug log ("SPEECH OUTPUT: '…'"; no speech synthesizer
# needed), the release app beside a private dummy JACK (scripts/with-jack.sh), driven with
# xdotool. It boots (Ctrl+B), moves to the first row of the node tree (Ctrl+F, then Tab),
# kills the scsynth the app booted (by its pid, a child of the app's) and asserts that Orca
# said the window's name, "server online", the tree row and "the server crashed". Exits
# non-zero with the reason and what Orca said on any failure; stops everything it started,
# by pid. tests/headless/orca.rs runs it. SCPANEL_BIN picks the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${ORCA_CHECK_INNER:-}" ]; then
  # The one list of packages (scripts/deps.sh), Orca's part of it.
  source scripts/deps.sh
  need_to_run
  need_for_orca
  install_needed || { echo "orca-check: FAILED: could not install ${need[*]}"; exit 1; }
  if [ -z "${SCPANEL_BIN:-}" ]; then
    cargo build --release --quiet --bin scpanel
    SCPANEL_BIN=target/release/scpanel
  fi
  export SCPANEL_BIN ORCA_CHECK_INNER=1
  # Beside a dummy JACK already running (scripts/test.sh's), else one of our own.
  if [ -n "${JACK_DEFAULT_SERVER:-}" ] && jack_wait -c >/dev/null 2>&1; then
    exec "$0" "$@"
  fi
  exec scripts/with-jack.sh "$0" "$@"
fi

work=$(mktemp -d -t scpanel-orca.XXXXXX)
log="$work/orca.log"
pids=()
fail() {
  echo "orca-check: FAILED: $*"
  echo "--- what Orca said (the last 30 utterances):"
  grep -a 'SPEECH OUTPUT' "$log" 2>/dev/null | tr -d '\r' | tail -30 || true
  mkdir -p target && cp "$log" target/orca-check.log 2>/dev/null \
    && echo "--- Orca's whole debug log: target/orca-check.log"
  exit 1
}
# Stops what this run started, newest first, by pid; then the processes the two buses
# started for us (the accessibility bus's daemon and registry), found as their children.
cleanup() {
  local p kids=()
  for p in "${bus_pids[@]:-}"; do
    [ -n "$p" ] && kids+=($(pgrep -P "$p" 2>/dev/null || true))
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
  done
  # Orca 43 does not end on SIGTERM (measured: still running 10 s later).
  [ -n "${orca_pid:-}" ] && kill -KILL "$orca_pid" 2>/dev/null || true
  for p in "${kids[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
bus_pids=()
trap cleanup EXIT

# Everything the desktop writes goes under $work: settings, caches, the runtime folder.
export HOME="$work/home" XDG_RUNTIME_DIR="$work/run" XDG_CONFIG_HOME="$work/home/.config" \
  XDG_CACHE_HOME="$work/home/.cache" XDG_DATA_HOME="$work/home/.local/share" \
  SCPANEL_CONFIG_DIR="$work/config"
mkdir -p "$HOME" "$SCPANEL_CONFIG_DIR" && mkdir -m 700 "$XDG_RUNTIME_DIR"
unset WAYLAND_DISPLAY SESSION_MANAGER

# A display of our own: Xvfb picks a free number and writes it to fd 3.
Xvfb -displayfd 3 -screen 0 1400x900x24 -nolisten tcp 3>"$work/display" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
[ -s "$work/display" ] || fail "Xvfb did not start"
export DISPLAY=":$(head -1 "$work/display")"

dbus-daemon --session --fork --print-address=3 --print-pid=4 3>"$work/bus" 4>"$work/bus.pid"
pids+=("$(cat "$work/bus.pid")")
bus_pids+=("$(cat "$work/bus.pid")")
export DBUS_SESSION_BUS_ADDRESS="$(head -1 "$work/bus")"
/usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
pids+=($!)
bus_pids+=($!)
on=""
for _ in $(seq 50); do
  busctl --user set-property org.a11y.Bus /org/a11y/bus org.a11y.Status IsEnabled b true 2>/dev/null \
    && busctl --user set-property org.a11y.Bus /org/a11y/bus org.a11y.Status ScreenReaderEnabled b true 2>/dev/null \
    && on=1 && break
  sleep 0.1
done
[ -n "$on" ] || fail "the accessibility bus did not come up"

# Orca. Three things about Orca 43 that a script must work around, each measured here:
# - its --debug-file is opened with Python's open(): block-buffered, so the last utterances
#   sit unwritten for as long as Orca runs, and are lost when it is killed (it ignores
#   SIGTERM). A terminal makes Python buffer by line: the log is written through `script`'s
#   pty, and Orca's debug file is that pty (/dev/tty).
# - it refuses to start while any process of this user is called "orca"
#   (/usr/bin/orca: otherOrcas() is `pgrep -u UID -x orca`), on any display or bus, and
#   --replace SIGKILLs every one of them: a user's own screen reader, or another check's.
#   This run shares nothing with another Orca (its own display, buses and HOME), so it
#   runs /usr/bin/orca's main() with that one check off, and never uses --replace.
# - speech stays on (with it off, presentMessage() says nothing: it checks enableSpeech),
#   but with no synthesizer: SPEECHD_CMD=/bin/false makes starting speech-dispatcher fail
#   (no daemon is left behind), and Orca still logs each utterance (speech.py's _speak logs
#   before it looks for a speech server). Braille is off.
cat >"$work/run_orca.py" <<'EOF'
import sys
path = "/usr/bin/orca"
g = {"__name__": "orca_check", "__file__": path}
exec(compile(open(path).read(), path, "exec"), g)
g["otherOrcas"] = lambda: []
sys.argv = ["orca", "-d", "braille", "--debug-file=/dev/tty"]
sys.exit(g["main"]())
EOF
SPEECHD_CMD=/bin/false SPEECHD_ADDRESS="unix_socket:$work/no-speechd" \
  script -qfec "/usr/bin/python3 $work/run_orca.py" "$log" >/dev/null 2>&1 </dev/null &
pids+=($!)
script_pid=$!
orca_pid=""
for _ in $(seq 300); do
  orca_pid=$(pgrep -P "$script_pid" 2>/dev/null | head -1 || true)
  [ -n "$orca_pid" ] && grep -aq 'ORCA: Startup complete' "$log" 2>/dev/null && break
  kill -0 "$script_pid" 2>/dev/null || fail "Orca ended at start: $(tr -d '\r' <"$log" | tail -5)"
  sleep 0.1
done
grep -aq 'ORCA: Startup complete' "$log" || fail "Orca did not start in 30 s"

# Waits (up to $2 s) for an utterance matching the extended regexp $1 after line $mark.
heard() {
  local n=$(($2 * 10))
  for _ in $(seq "$n"); do
    tail -n +"$mark" "$log" | tr -d '\r' | grep -a 'SPEECH OUTPUT' | grep -aEq "$1" && return 0
    sleep 0.1
  done
  return 1
}
# The utterances between two lines of the log.
said() { sed -n "$1,$2p" "$log" | tr -d '\r' | grep -a 'SPEECH OUTPUT' | sed "s/^.*SPEECH OUTPUT: //; s/{.*$//" || true; }

port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'port = %s\ninput_channels = 2\noutput_channels = 2\n' "$port" >"$SCPANEL_CONFIG_DIR/last.toml"
"$SCPANEL_BIN" >"$work/app.log" 2>&1 &
app=$!
pids+=($app)

# (0) The window: with no window manager, focusing it is what activates it for Orca.
mark=1
win=""
for i in $(seq 300); do
  kill -0 "$app" 2>/dev/null || fail "the app ended: $(tail -5 "$work/app.log")"
  [ -n "$win" ] || win=$(xdotool search --name '^scpanel' 2>/dev/null | head -1 || true)
  if [ -n "$win" ] && [ $((i % 20)) -eq 1 ]; then xdotool windowfocus "$win" 2>/dev/null || true; fi
  grep -aq 'window:activate for \[frame' "$log" && break
  sleep 0.1
done
[ -n "$win" ] || fail "the window did not appear"
grep -aq 'window:activate for \[frame' "$log" || fail "Orca saw no window:activate from the app"
heard "'scpanel frame" 10 || fail "Orca did not say the window's name (\"scpanel frame\")"
start=$mark

# (a) Boot with Ctrl+B; Orca should say the server came online.
mark=$(wc -l <"$log")
boot_mark=$mark
xdotool key ctrl+b
online=""
for _ in 1 2 3; do
  heard 'server online' 15 && { online=1; break; }
  # A key pressed before the window took it is lost: press again if no server answers.
  "$SCPANEL_BIN" status --addr "127.0.0.1:$port" >/dev/null 2>&1 || xdotool key ctrl+b
done
[ -n "$online" ] || fail "Orca did not say \"server online\" within 45 s of Ctrl+B"

# (b) The node tree: Ctrl+F puts the keyboard in its filter; Tab goes on to the first row,
# the default group (node 1).
mark=$(wc -l <"$log")
row_mark=$mark
xdotool key ctrl+f
row=""
for _ in $(seq 8); do
  heard "'1 group" 1 && { row=1; break; }
  xdotool key Tab
done
[ -n "$row" ] || heard "'1 group" 2 || fail "Orca did not say the tree's first row (\"1 group\") within 8 Tabs"
heard "default group" 3 || fail "Orca did not say the row's description (\"default group\")"

# (c) A crash: SIGKILL the scsynth this app booted, found by pid as the app's child.
mark=$(wc -l <"$log")
crash_mark=$mark
synth=$(pgrep -P "$app" -x scsynth || true)
[ -n "$synth" ] || fail "no scsynth child of the app (pid $app)"
kill -KILL "$synth"
heard 'the server crashed' 20 || fail "Orca did not say \"the server crashed\" within 20 s"

end=$(wc -l <"$log")
echo "orca-check: passed. What Orca said:"
echo "--- at the window:"; said "$start" "$boot_mark"
echo "--- after Ctrl+B:"; said "$boot_mark" "$row_mark"
echo "--- on the way to the tree row:"; said "$row_mark" "$crash_mark"
echo "--- on the crash:"; said "$crash_mark" "$end"
