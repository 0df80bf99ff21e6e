# Sourced by scripts/run.sh (the run command) and scripts/with-jack.sh (every test): the one
# list of the Debian / Ubuntu packages scpanel needs, and the one way they are installed.
# Each need_* function adds what is missing to the array `need`; install_needed installs it.

need=()

# ldconfig lives in /sbin, which a user's PATH on Debian leaves out.
has_lib() {
  local ldconfig
  ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
  "$ldconfig" -p 2>/dev/null | grep -q "$1"
}

# What building the app and running its window and a server need.
need_to_run() {
  command -v scsynth >/dev/null || need+=(supercollider-server)
  # jackd2 also brings jack_lsp and jack_wait, which the app's JACK checks run.
  command -v jackd >/dev/null && command -v jack_wait >/dev/null || need+=(jackd2)
  command -v cc >/dev/null || need+=(gcc libc6-dev)
  # What the window loads at run time (X11 or Wayland, OpenGL), library:package.
  local pair
  for pair in libGL.so.1:libgl1 libEGL.so.1:libegl1 libxkbcommon-x11.so.0:libxkbcommon-x11-0 \
    libXcursor.so.1:libxcursor1 libXi.so.6:libxi6; do
    has_lib "${pair%%:*}" || need+=("${pair#*:}")
  done
  # Mesa's drivers, software rendering among them (a machine without a GPU, Xvfb).
  [ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || need+=(libgl1-mesa-dri)
  return 0
}

# What the tests need beside that.
need_to_test() {
  need_to_run
  command -v supernova >/dev/null || need+=(supercollider-supernova)
  # sclang is the other client in the guest tests (tests/headless/guest.rs, tests/gui_guest.rs).
  command -v sclang >/dev/null || need+=(supercollider-language)
  # PipeWire's JACK, run in a directory of its own by the audio-setup test (tests/suite/audio_setup.rs).
  command -v pipewire >/dev/null || need+=(pipewire)
  [ -e /usr/lib/x86_64-linux-gnu/pipewire-0.3/jack/libjack.so.0 ] || need+=(pipewire-jack)
  # supriya (the classroom test's third client) is installed into a venv under target/.
  python3 -c "import venv, ensurepip" 2>/dev/null || need+=(python3-venv)
  command -v Xvfb >/dev/null || need+=(xvfb)
  # The packaging tests validate the .desktop file and the AppStream metainfo (tests/headless/packaging.rs).
  command -v desktop-file-validate >/dev/null || need+=(desktop-file-utils)
  command -v appstreamcli >/dev/null || need+=(appstream)
  return 0
}

# What the scripted Orca run needs beside that (scripts/orca-check.sh, tests/headless/orca.rs).
need_for_orca() {
  command -v orca >/dev/null || need+=(orca)
  /usr/bin/python3 -c 'import pyatspi' 2>/dev/null || need+=(python3-pyatspi)
  [ -x /usr/libexec/at-spi-bus-launcher ] || need+=(at-spi2-core)
  command -v dbus-daemon >/dev/null || need+=(dbus)
  command -v busctl >/dev/null || need+=(systemd)
  command -v Xvfb >/dev/null || need+=(xvfb)
  command -v xdotool >/dev/null || need+=(xdotool)
  command -v xdpyinfo >/dev/null || need+=(x11-utils)
  command -v script >/dev/null || need+=(bsdutils)
  return 0
}

# Runs a command as root: itself when root already, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "installing needs root, and sudo is missing: as root, run  apt-get install ${need[*]}" >&2
    return 1
  fi
}

# Installs `need` with apt (nothing when it is empty), without a question: jackd2's
# "enable realtime process priority?" is answered no (it would change the system's limits;
# scpanel starts jackd without real-time scheduling).
install_needed() {
  [ ${#need[@]} -gt 0 ] || return 0
  command -v apt-get >/dev/null || {
    echo "missing: ${need[*]} (Debian package names); install them with your system's packages" >&2
    return 1
  }
  echo "installing: ${need[*]}"
  as_root apt-get update -qq
  echo "jackd2 jackd/tweak_rt_limits boolean false" | as_root debconf-set-selections
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  need=()
}
