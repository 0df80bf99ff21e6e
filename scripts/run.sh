#!/usr/bin/env bash
# The run command, for a fresh Debian or Ubuntu as for a set-up machine: installs what is
# missing (SuperCollider's server, JACK, what the window loads, a C compiler: the list in
# scripts/deps.sh, through apt, with sudo only when not root), then Rust through rustup when
# there is no cargo, then builds and runs the app: `cargo run --release -- "$@"`.
# No arguments open the window; any are scpanel's (`scripts/run.sh status --addr …`).
# When no JACK server runs, the window's first Boot starts one (see the README).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/deps.sh
need_to_run
# Without cargo, rustup's installer is fetched with curl.
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  command -v curl >/dev/null || need+=(curl)
  [ -e /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
fi
install_needed

if ! command -v cargo >/dev/null; then
  echo "installing Rust with rustup (static.rust-lang.org) into ~/.cargo and ~/.rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://static.rust-lang.org/rustup/rustup-init.sh |
    sh -s -- -y --profile minimal --no-modify-path || {
    echo "rustup failed: install Rust 1.95 or newer from https://rustup.rs, then run this again" >&2
    exit 1
  }
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# Rust too old for the crate (a distribution's cargo): say how to get a newer one.
wanted=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
have=$(rustc --version | cut -d' ' -f2)
if [ "$(printf '%s\n%s\n' "$wanted" "$have" | sort -V | head -1)" != "$wanted" ]; then
  if command -v rustup >/dev/null; then
    rustup toolchain install stable --profile minimal
    export RUSTUP_TOOLCHAIN=stable
  else
    echo "Rust $have is older than the $wanted scpanel needs: install a newer one from https://rustup.rs" >&2
    exit 1
  fi
fi

exec cargo run --release -- "$@"
