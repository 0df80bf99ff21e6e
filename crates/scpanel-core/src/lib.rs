//! scpanel's core: boot, connect to and command SuperCollider's synthesis server (scsynth or
//! supernova) from async Rust. No GUI toolkit.
//!
//! [`Server`] is an async handle on one scsynth, modelled on supriya's `AsyncServer`: boot one
//! (and own it) or connect to one, then query and command it. It is cheap to clone; every
//! clone is the same handle.
//!
//! ```no_run
//! # async fn demo() -> scpanel_core::Result<()> {
//! use scpanel_core::{ConnectOptions, Server};
//!
//! // Watch a running server without logging in: no login slot is taken.
//! let server = Server::new();
//! let mut options = ConnectOptions::new("127.0.0.1:57110".parse().unwrap());
//! options.login = false;
//! server.connect(options).await?;
//! let tree = server.read_tree(0, false).await?;
//! print!("{}", tree.tree.to_text(false));
//! server.disconnect().await?;
//! # Ok(())
//! # }
//! ```
//!
//! Runnable examples (in `examples/`): `boot_and_quit` boots a scsynth of its own, prints its
//! status and quits it; `print_tree` connects to a server and prints its node tree;
//! `watch_servers` watches several servers and prints a status line for each every second.

#![warn(missing_docs)]

pub mod discover;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod handle;
pub mod host;
pub mod model;
pub mod ops;
mod server;
pub mod synthdef;
pub mod wire;

pub use handle::*;
pub use server::*;
