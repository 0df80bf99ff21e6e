#!/usr/bin/env bash
# The one command that runs every test (CI calls it through .ci/run): first the style
# (`cargo fmt --check`, then clippy with warnings as errors, which reuses the test build's
# dependencies), then every test. Extra arguments go to `cargo test`, e.g.
# `scripts/test.sh --test lifecycle`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
exec scripts/with-jack.sh cargo test --workspace "$@"
