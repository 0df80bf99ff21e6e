//! scpanel: a control panel for SuperCollider's synthesis server (scsynth / supernova).
//!
//! The core is the `scpanel-core` crate (no GUI): boot or connect to a server and talk to
//! it. [`gui`] is the desktop app on top of it, [`cli`] the headless commands.

pub mod cli;
pub mod flight;
pub mod gui;
pub mod keeping;
pub mod signals;
pub mod timeline;
pub mod traffic;
