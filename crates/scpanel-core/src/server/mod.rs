//! The [`Server`] front door and its life: booting or connecting, logging in, the health
//! monitor, rejoining a server that went away, and naming other clients' synths as they
//! appear.

mod boot;
mod groups;
pub(crate) mod handle;
mod health;
mod join;
mod layout;
mod leave;
mod rejoin;

pub use groups::{guest_default_group, sclang_default_group};
pub use handle::Server;
