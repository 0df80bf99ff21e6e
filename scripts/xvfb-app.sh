# Sourced by bench-idle.sh and screenshot.sh: runs the release app in a virtual X display
# (Xvfb) with a config of its own, clicks Boot, and waits until the server answers.
# Leaves: $app (pid), $win, $WIDTH, $port; stops everything it started on exit.
command -v Xvfb >/dev/null && command -v xdotool >/dev/null && command -v import >/dev/null \
  && command -v xdpyinfo >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq xvfb xdotool imagemagick x11-utils >/dev/null
}
# BIN=path runs another build of the app (e.g. the parent commit's, for a before/after).
bin="${BIN:-target/release/scpanel}"
[ -n "${BIN:-}" ] || cargo build --release --quiet
# Xvfb picks a free display and says which: one picked at random may be another run's.
config=$(mktemp -d)
Xvfb -displayfd 3 -screen 0 "${SCREEN:-1400x900}x24" 3>"$config/display" >/dev/null 2>&1 &
xvfb=$!
for _ in $(seq 100); do [ -s "$config/display" ] && break; sleep 0.1; done
display=":$(head -1 "$config/display")"
cleanup() { kill "${app:-}" "$xvfb" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$config"; }
trap cleanup EXIT
export DISPLAY="$display" SCPANEL_CONFIG_DIR="$config"
unset WAYLAND_DISPLAY
for _ in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'port = %s\ninput_channels = 2\noutput_channels = 2\n' "$port" > "$config/last.toml"
"$bin" >/dev/null 2>"${FRAME_LOG:-/dev/null}" &
app=$!
win=""
for _ in $(seq 100); do win=$(xdotool search --name '^scpanel$' 2>/dev/null | head -1) && [ -n "$win" ] && break; sleep 0.1; done
[ -n "$win" ] || { echo "the window did not appear"; exit 1; }
eval "$(xdotool getwindowgeometry --shell "$win")"
# Ctrl+B boots; a key before the first frame is lost, so press it again until the server
# answers (Boot is off once it is booting).
for i in $(seq 100); do
  [ $((i % 20)) -eq 1 ] && xdotool key --window "$win" ctrl+b
  "$bin" status --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
  sleep 0.1
done
"$bin" status --addr "127.0.0.1:$port" >/dev/null || { echo "the server did not come up"; exit 1; }
