//! The core's tests that can share one process: one test binary, one module per former
//! `tests/NAME.rs` file (`cargo test -p scpanel-core --test suite lifecycle::` runs one of
//! them). A test that measures its own process (threads, memory) stays a `tests/NAME.rs` of
//! its own; see the note in this crate's Cargo.toml.

#[path = "../common/mod.rs"]
mod common;

mod audio_setup;
mod discover;
mod doctor;
mod examples;
mod late_join;
mod layers;
mod lifecycle;
mod musician;
mod nodes;
mod printed_tree;
mod printout_names;
mod rejoin;
mod requests;
mod scope;
mod supriya_format;
mod synthdef_format;
mod synthdefs_server;
mod xruns;
