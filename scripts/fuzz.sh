#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of the parsers that read outside bytes:
#
#   scripts/fuzz.sh TARGET SECONDS   one target (see fuzz/fuzz_targets/) for SECONDS
#   scripts/fuzz.sh all SECONDS      each target in turn for SECONDS (the default: all 60)
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
if [[ $target == all ]]; then
    run=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $target "* ]]; then
    run=("$target")
else
    echo "fuzz.sh: no target '$target' (targets: ${TARGETS[*]}, or all)" >&2
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

# All targets in one build (one pass over the shared dependencies), or the one asked for.
if [[ $target == all ]]; then
    "${fuzz[@]}" build
else
    "${fuzz[@]}" build "$target"
fi

# AddressSanitizer keeps freed memory in a quarantine of 256 MB by default, which alone would
# take the process past the 256 MB limit that is meant for the parsers' own allocations.
export ASAN_OPTIONS="quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

failed=()
for t in "${run[@]}"; do
    work=$PWD/fuzz/target/corpus/$t
    mkdir -p "$work"
    echo "fuzz.sh: $t for $seconds s"
    start=$SECONDS
    # The first corpus folder takes what the run finds; the committed one is only read.
    # cargo-fuzz saves findings under fuzz/artifacts/TARGET/.
    if "${fuzz[@]}" run "$t" "$work" "$PWD/fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=256 -timeout=1 -print_final_stats=1; then
        echo "fuzz.sh: $t: no finding in $((SECONDS - start)) s"
    else
        echo "fuzz.sh: $t: FOUND a crash, a hang or an allocation over 256 MB: see fuzz/artifacts/$t/" >&2
        failed+=("$t")
    fi
done
# A closing line in the form CI reads: targets without a finding, targets with one.
echo "fuzz: $((${#run[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if ((${#failed[@]})); then
    echo "fuzz.sh: findings in: ${failed[*]}" >&2
    exit 1
fi
