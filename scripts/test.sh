#!/usr/bin/env bash
# The one command that runs every test (CI calls it through .ci/run). Extra arguments go to
# `cargo test`, e.g. `scripts/test.sh --test lifecycle`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-jack.sh cargo test --workspace "$@"
