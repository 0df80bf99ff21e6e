//! The core's test helpers (booting test servers, sclang, big trees), plus the window's.
#![allow(dead_code, unused_imports)]

#[path = "../../crates/scpanel-core/tests/common/mod.rs"]
mod core_common;

pub use core_common::*;
pub mod gui;
