#!/usr/bin/env bash
# Soak benchmark (issue 8, point 6): the release app under Xvfb boots a server, then a
# churn client (scripts/soak.py) makes and frees 1,000 nodes/s and sends 500 /n_set/s for
# MINUTES (default 10): synths for the first half, empty groups for the second (never mixed:
# that mix crashes scsynth 3.13). The app shows the Node tree tab, then the Console tab,
# in each half. Reports the app's CPU (% of one core), RSS growth, passes slower than 50 ms,
# and whether the app's tree mirror equals the server's tree at the end.
#   scripts/soak.sh [MINUTES]        (runs itself under scripts/with-jack.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
if [ -z "${JACK_DEFAULT_SERVER:-}" ]; then exec scripts/with-jack.sh "$0" "$minutes"; fi

work=$(mktemp -d -t scpanel-soak.XXXXXX)
export FRAME_LOG="$work/frames.log" SCPANEL_FRAME_DEBUG=1 SCPANEL_MIRROR_DUMP="$work/mirror.txt"
# Starts Xvfb and the app, boots its server; leaves $app, $win, $WIDTH, $port and a trap.
. scripts/xvfb-app.sh
trap 'cleanup; [ -n "${SOAK_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
bin=target/release/scpanel
"$bin" synthdef write scpanel-sine "$work" >/dev/null
xdotool mousemove --window "$win" 10 880   # park the pointer: no hover repaints

# The "Node tree" and "OSC console" tabs, by their keys (src/gui/keys.rs), not by where they
# are drawn.
tree_key=ctrl+2; console_key=ctrl+8
show_tab() { xdotool key --window "$win" "$1"; }

hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$app/stat"; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$app/status"; }
# CPU ticks per thread name (the UI thread is "scpanel", the runtime "scpanel-io", Mesa's
# software renderer "llvmpipe-N"), as "name ticks" lines.
thread_ticks() {
  for t in /proc/"$app"/task/*; do
    printf '%s %s\n' "$(tr ' ' '_' < "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done 2>/dev/null | awk '{n=$1; sub(/-[0-9]+$/, "", n); a[n] += $2} END {for (k in a) print k, a[k]}'
}
half=$(python3 -c "print($minutes * 30)")
quarter=$(python3 -c "print($minutes * 15)")

sleep 2
rss0=$(rss); t0=$(ticks); s0=$(date +%s.%N); thread_ticks > "$work/threads0"
passes0=$(wc -l < "$FRAME_LOG")
for mode in synths groups; do
  show_tab "$tree_key"
  python3 scripts/soak.py "$port" "$half" "$mode" "$work/scpanel-sine.scsyndef" &
  churn=$!
  sleep "$quarter"
  # RSS once warmed up (fonts, GL, the first tree and console lines): growth from here on
  # is what a long gig would see.
  rss_warm="${rss_warm:-$(rss)}"
  show_tab "$console_key"
  wait "$churn"
  kill -0 "$app" 2>/dev/null || { echo "the app died"; exit 1; }
done
t1=$(ticks); s1=$(date +%s.%N); rss1=$(rss); thread_ticks > "$work/threads1"

# Quiet: wait until two status polls a second apart agree, then compare trees.
prev=""
for _ in $(seq 30); do
  now=$("$bin" status --addr "127.0.0.1:$port" | awk '{print $4, $6}')
  [ "$now" = "$prev" ] && break
  prev=$now; sleep 1
done
sleep 1
rm -f "$SCPANEL_MIRROR_DUMP"
kill -USR1 "$app"
for _ in $(seq 50); do [ -s "$SCPANEL_MIRROR_DUMP" ] && break; sleep 0.1; done
"$bin" tree --addr "127.0.0.1:$port" > "$work/server.txt"
# Structure only: node ids with their depth, in order (names may be "?" on either side).
shape() { awk 'NR > 1 { match($0, /^ */); print RLENGTH, $1 }' "$1"; }
if [ -s "$SCPANEL_MIRROR_DUMP" ] && diff <(shape "$SCPANEL_MIRROR_DUMP") <(shape "$work/server.txt") >/dev/null; then
  mirror="equal ($(($(wc -l < "$work/server.txt") - 1)) nodes)"
else
  mirror="DIFFERENT: mirror $(($(wc -l < "$SCPANEL_MIRROR_DUMP" 2>/dev/null || echo 1) - 1)) nodes, server $(($(wc -l < "$work/server.txt") - 1))"
fi

python3 - "$FRAME_LOG" "$passes0" <<EOF
import sys
lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]
passes = [float(l.split()[1]) for l in lines if l.startswith("pass ")]
secs = $s1 - $s0
slow = [p for p in passes if p > 50]
print(f"soak: {$minutes} min, 1,000 nodes/s + 500 /n_set/s (synths, then groups)")
print(f"app CPU: {100 * ($t1 - $t0) / $hz / secs:.1f}% of one core over {secs:.0f} s")
print(f"app RSS: {$rss0 / 1024:.1f} MB -> {$rss1 / 1024:.1f} MB (growth {($rss1 - $rss0) / 1024:.1f} MB; "
      f"{($rss1 - $rss_warm) / 1024:.1f} MB after the first {$quarter} s)")
mean = sum(passes) / len(passes) if passes else 0
print(f"passes: {len(passes)} ({len(passes) / secs:.1f}/s), mean {mean:.1f} ms, "
      f"longest {max(passes, default=0):.1f} ms, {len(slow)} over 50 ms")
EOF
echo "mirror vs server tree: $mirror"
echo "CPU by thread (% of one core):"
join -a 2 <(sort "$work/threads0") <(sort "$work/threads1") | awk -v hz="$hz" -v secs="$(python3 -c "print($s1 - $s0)")" \
  '{ before = (NF == 3) ? $2 : 0; after = $NF; pct = 100 * (after - before) / hz / secs; if (pct >= 0.5) printf "  %-16s %5.1f\n", $1, pct }'

