//! The operations on a server: nodes, buffers, buses, SynthDefs, the mixer (meters,
//! volume), recording, the test tone and scpanel's own nodes.

pub(crate) mod commands;
pub(crate) mod control_watch;
pub mod mixer;
pub mod own_nodes;
pub mod recorder;
pub mod synthdefs;
pub(crate) mod test_tone;

pub use commands::BusGroup;
