//! The operations on a server: nodes, buffers, buses, SynthDefs, the mixer (meters,
//! volume), recording, the test tone, scpanel's own nodes, and SynthDef names from the
//! server's printout.

pub(crate) mod commands;
pub(crate) mod control_watch;
/// Level meters, master volume and mute.
pub mod mixer;
/// scpanel's own group and the synths in it (meters, volume, test tone, recorder), at fixed ids.
pub mod own_nodes;
/// SynthDef names read from the server's printout of its tree (servers scpanel booted).
pub(crate) mod printout;
/// Recording the outputs to a sound file (`DiskOut`).
pub mod recorder;
/// The network scope: a ring buffer on the server read over OSC.
pub mod scope;
/// Sending and loading SynthDefs, and what the server has from us.
pub mod synthdefs;
pub(crate) mod test_tone;

pub use commands::BusGroup;
