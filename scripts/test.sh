#!/usr/bin/env bash
# The one command that runs every test (CI calls it through .ci/run): first the style
# (`cargo fmt --check`, then clippy with warnings as errors, which reuses the test build's
# dependencies), then every test, then the fuzz smoke: each fuzz target for 15 s on its saved
# corpus (scripts/fuzz.sh, which installs cargo-fuzz when missing). Extra arguments go to
# `cargo test`, e.g. `scripts/test.sh --test lifecycle`, and skip the fuzz smoke. Both the
# tests and the smoke run; the script fails if either fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
status=0
scripts/with-jack.sh cargo test --workspace "$@" || status=$?
if (($# == 0)); then
    scripts/fuzz.sh all 15 || status=$?
fi
exit "$status"
