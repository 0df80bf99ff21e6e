//! The headless tests (CLI, servers, parsers, the repository's files) that can share one
//! process: one test binary, one module per former `tests/NAME.rs` file
//! (`cargo test --test headless cli_many::` runs one of them). See Cargo.toml's note on the
//! test layout.

#[path = "../common/mod.rs"]
mod common;

mod classroom;
mod cli;
mod cli_many;
mod doctor_cli;
mod first_sound;
mod flight;
mod guest;
mod hostile_peer;
mod mirror;
mod orca;
mod packaging;
mod readme_keys;
mod spectrum;
mod tokens;
mod traffic;
