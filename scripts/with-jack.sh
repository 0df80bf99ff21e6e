#!/usr/bin/env bash
# Runs a command beside a private dummy JACK server: installs what is missing (Debian),
# starts jackd, runs "$@", and stops jackd by its pid whatever happens.
# scripts/test.sh (every test) and the benchmarks use it.
set -euo pipefail
cd "$(dirname "$0")/.."

# The one list of what scpanel and its tests need (scripts/deps.sh).
source scripts/deps.sh
need_to_test
install_needed

# A JACK server of our own, isolated from any the user runs.
export JACK_NO_START_SERVER=1
jack_log="$(mktemp -t scpanel-jackd.XXXXXX)"
# Marks what this run's scsynth processes create in /dev/shm.
shm_stamp="$(mktemp -t scpanel-shm.XXXXXX)"
jack_pid=""
stop_jack() {
  [ -n "$jack_pid" ] && kill "$jack_pid" 2>/dev/null || true
  [ -n "$jack_pid" ] && wait "$jack_pid" 2>/dev/null || true
  rm -f "$jack_log"
  # A scsynth killed with SIGKILL (the crash tests do it) leaves its shared memory behind,
  # 4 MB or more each: remove this run's, unless a running scsynth still uses that port.
  for seg in $(find /dev/shm -maxdepth 1 -name 'SuperColliderServer_*' -newer "$shm_stamp" 2>/dev/null); do
    port="${seg##*_}"
    pgrep -f "scsynth .*-[ut] $port( |$)" >/dev/null || rm -f "$seg"
  done
  rm -f "$shm_stamp"
}
trap stop_jack EXIT
# Its name comes from a small pool, not from this run's pid: jackd reclaims a dead server's
# entry in its registry only for the same name, and a registry full of names that never come
# back (8 entries; a jackd stopped while a client hung leaves its own) refuses every new
# server with "Too many servers already active". A name a running jackd holds is skipped.
for n in 0 1 2 3 4 5 6 7; do
  name="scpanel-test-$n"
  pgrep -f -- "jackd -n $name " >/dev/null && continue
  export JACK_DEFAULT_SERVER="$name"
  jackd -n "$name" -r -d dummy -r 48000 -p 256 >"$jack_log" 2>&1 &
  jack_pid=$!
  jack_wait -w -t 20 >/dev/null 2>&1 && break
  kill "$jack_pid" 2>/dev/null || true
  wait "$jack_pid" 2>/dev/null || true
  jack_pid=""
done
if [ -z "$jack_pid" ]; then
  echo "the dummy JACK server did not start:"; cat "$jack_log"; exit 1
fi

status=0
"$@" || status=$?
exit $status
