//! scpanel's core: boot, connect to and command SuperCollider's synthesis server (scsynth or
//! supernova) from async Rust. No GUI toolkit.
//!
//! [`Server`] is an async handle on one scsynth, modelled on supriya's `AsyncServer`: boot one
//! (and own it) or connect to one, then query and command it. It is cheap to clone; every
//! clone is the same handle.

#![warn(missing_docs)]

pub mod error;
mod handle;
pub mod host;
pub mod model;
pub mod ops;
mod server;
pub mod synthdef;
pub mod wire;

pub use handle::*;
pub use server::*;
