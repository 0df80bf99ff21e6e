//! scpanel: a control panel for SuperCollider's synthesis server (scsynth / supernova).
//!
//! [`server`] is the core (no GUI): boot or connect to a server and talk to it.
//! [`gui`] is the desktop app on top of it, [`cli`] the headless commands.

pub mod cli;
pub mod gui;
pub mod server;
pub mod signals;
