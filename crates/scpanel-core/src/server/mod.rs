//! The server's life on top of the handle and the operations: booting or connecting, logging
//! in, the health monitor, and naming other clients' synths as they appear.

mod health;
mod layout;
mod lifecycle;
mod rejoin;

pub use lifecycle::{guest_default_group, sclang_default_group};
