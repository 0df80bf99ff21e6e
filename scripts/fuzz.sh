#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the parsers that read outside bytes:
#
#   scripts/fuzz.sh TARGET SECONDS   one target (see fuzz/fuzz_targets/) for SECONDS
#   scripts/fuzz.sh all SECONDS      each target for SECONDS, one per core at a time (default: all 60)
#   scripts/fuzz.sh build            every target built, none run (scripts/test.sh builds them
#                                    while the tests run)
#
# A crash (panic), a hang (one input taking over 1 s) or an allocation over 256 MB is a finding:
# libFuzzer stops, saves the input under fuzz/artifacts/TARGET/ and this script fails. The
# committed seed corpus fuzz/corpus/TARGET/ is only read; what a run finds goes to
# fuzz/target/corpus/TARGET/ (not committed: `cargo fuzz cmin` folds it in by hand).
#
# cargo-fuzz is installed when missing (`cargo install --locked cargo-fuzz`). libFuzzer's
# instrumentation needs nightly compiler flags: the nightly toolchain is used when rustup has
# one, else the stable compiler with RUSTC_BOOTSTRAP=1 for this build only (the fuzz crate is
# a workspace of its own, so the main build never sees either).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(server_reply osc_text synthdef roster profile server_output)
target=${1:-all}
seconds=${2:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "fuzz.sh: SECONDS must be a whole number of seconds, not '$seconds'" >&2
    exit 2
fi
if [[ $target == all || $target == build ]]; then
    run=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $target "* ]]; then
    run=("$target")
else
    echo "fuzz.sh: no target '$target' (targets: ${TARGETS[*]}, or all, or build)" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz (cargo install --locked cargo-fuzz)"
    start=$SECONDS
    cargo install --locked cargo-fuzz
    echo "fuzz.sh: cargo-fuzz installed in $((SECONDS - start)) s"
fi

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    echo "fuzz.sh: no nightly toolchain: building with the stable compiler and RUSTC_BOOTSTRAP=1"
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi

# The build's options, given to `run` too (else it would build again with its defaults):
# release with debug assertions and AddressSanitizer, as cargo-fuzz does by default, but in 16
# codegen units instead of 1: with 1, the build took 506 s of a 607 s smoke on 2 cores
# (scpanel-core alone about 3 min); 16 runs slightly slower code, which a 15 s smoke can spare.
build=(--codegen-units 16)
# All targets in one build (one pass over the shared dependencies), or the one asked for.
if [[ $target == all || $target == build ]]; then
    "${fuzz[@]}" build "${build[@]}"
else
    "${fuzz[@]}" build "${build[@]}" "$target"
fi
[[ $target != build ]] || exit 0

# AddressSanitizer keeps freed memory in a quarantine of 256 MB by default, which alone would
# take the process past the 256 MB limit that is meant for the parsers' own allocations.
export ASAN_OPTIONS="quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

# Targets are fuzzed side by side, one per core (libFuzzer runs on one thread), so `all`
# takes about SECONDS per core-full of targets instead of SECONDS per target; each target
# still gets SECONDS of a core of its own. Each run's output goes to a log that is printed
# whole when the run ends, so the runs' lines do not interleave.
jobs=$(nproc 2>/dev/null || echo 1)
logs=$PWD/fuzz/target/logs
mkdir -p "$logs"
failed=()
pids=()
names=()
finish() { # Waits for the oldest run still going, prints its log and its verdict.
    local t=${names[0]} pid=${pids[0]}
    names=("${names[@]:1}")
    pids=("${pids[@]:1}")
    if wait "$pid"; then
        cat "$logs/$t.log"
        echo "fuzz.sh: $t: no finding in $seconds s"
    else
        cat "$logs/$t.log"
        echo "fuzz.sh: $t: FOUND a crash, a hang or an allocation over 256 MB: see fuzz/artifacts/$t/" >&2
        failed+=("$t")
    fi
}
for t in "${run[@]}"; do
    ((${#pids[@]} < jobs)) || finish
    work=$PWD/fuzz/target/corpus/$t
    mkdir -p "$work"
    echo "fuzz.sh: $t for $seconds s"
    # The first corpus folder takes what the run finds; the committed one is only read.
    # cargo-fuzz saves findings under fuzz/artifacts/TARGET/.
    "${fuzz[@]}" run "${build[@]}" "$t" "$work" "$PWD/fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=256 -timeout=1 -print_final_stats=1 \
        >"$logs/$t.log" 2>&1 &
    pids+=($!)
    names+=("$t")
done
while ((${#pids[@]})); do
    finish
done
# A closing line in the form CI reads: targets without a finding, targets with one.
echo "fuzz: $((${#run[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
    echo "fuzz.sh: findings in: ${failed[*]}" >&2
    exit 1
fi
