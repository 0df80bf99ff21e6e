#!/usr/bin/env bash
# Runs the benchmarks (release build) beside a private dummy JACK server.
# `scripts/bench.sh` runs all; `scripts/bench.sh --bench core` one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
exec scripts/with-jack.sh cargo bench --workspace "$@"
