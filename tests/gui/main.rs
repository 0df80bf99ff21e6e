//! The window's tests that can share one process: one test binary, one module per former
//! `tests/gui_*.rs` file (`cargo test --test gui gui_scope::` runs one of them). A test that
//! sets something process-wide that another test reads (the settings folder's `last.toml` or
//! `display.toml`, signal handlers, a `harness = false` main) stays a `tests/NAME.rs` of
//! its own; see Cargo.toml's note on the test layout.

#[path = "../common/mod.rs"]
mod common;

mod gui_about;
mod gui_audio_setup;
mod gui_boot_panel;
mod gui_first_boot;
mod gui_first_sound;
mod gui_found;
mod gui_guest;
mod gui_keyboard;
mod gui_layout;
mod gui_meters;
mod gui_scope;
mod gui_spectrum_view;
mod gui_wall;
mod gui_window;
mod gui_xruns;
mod hover;
