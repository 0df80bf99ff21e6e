//! The [`Server`] front door and its life: booting or connecting, logging in, the health
//! monitor, rejoining a server that went away, and naming other clients' synths as they
//! appear.

pub(crate) mod handle;
mod health;
mod layout;
mod lifecycle;
mod rejoin;

pub use handle::Server;
pub use lifecycle::{guest_default_group, sclang_default_group};
