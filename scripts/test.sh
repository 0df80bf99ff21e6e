#!/usr/bin/env bash
# The one command that runs every test (CI calls it through .ci/run): first the style
# (`cargo fmt --check`, then clippy with warnings as errors, which reuses the test build's
# dependencies), then every test, then the fuzz smoke: each fuzz target for 15 s on its saved
# corpus (scripts/fuzz.sh, which installs cargo-fuzz when missing; its build runs beside the
# tests). Extra arguments go to `cargo test`, e.g. `scripts/test.sh --test suite lifecycle::`,
# and skip the fuzz smoke. Both the tests and the smoke run; the script fails if either fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# CI builds once, from a fresh clone: incremental compilation's cache would only be written,
# never read (a developer's runs keep it).
if [[ ${CI:-} == true ]]; then
    export CARGO_INCREMENTAL=0
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
status=0
if (($# == 0)); then
    # The fuzz targets (a workspace and target folder of their own) build while the tests run,
    # at the lowest priority: the tests mostly wait on servers, and have the CPU when they
    # don't. Its output is shown after the tests'.
    fuzz_log=$(mktemp -t scpanel-fuzz-build.XXXXXX)
    nice -n 19 scripts/fuzz.sh build >"$fuzz_log" 2>&1 &
    fuzz_build=$!
fi
scripts/with-jack.sh cargo test --workspace "$@" || status=$?
if (($# == 0)); then
    fuzz_built=0
    wait "$fuzz_build" || fuzz_built=$?
    cat "$fuzz_log"
    rm -f "$fuzz_log"
    if ((fuzz_built == 0)); then
        scripts/fuzz.sh all 15 || status=$?
    else
        echo "test.sh: the fuzz targets did not build" >&2
        status=$fuzz_built
    fi
fi
exit "$status"
