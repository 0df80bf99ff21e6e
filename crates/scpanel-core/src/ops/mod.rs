//! The operations on a server: nodes, buffers, buses, SynthDefs, the mixer (meters,
//! volume), recording, the test tone, scpanel's own nodes, and SynthDef names from the
//! server's printout.

pub mod commands;
pub(crate) mod control_watch;
pub mod mixer;
pub mod own_nodes;
pub mod printout;
pub mod recorder;
pub mod synthdefs;
pub mod test_tone;
