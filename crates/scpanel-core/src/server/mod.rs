//! The server's life on top of the handle and the operations: booting or connecting, logging
//! in, the health monitor, and naming other clients' synths from the server's printout.

mod health;
mod lifecycle;
pub(crate) mod printout;

pub use lifecycle::{guest_default_group, sclang_default_group};
