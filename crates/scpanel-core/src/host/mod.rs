//! The host: finding and supervising the scsynth program, its ports and whoever holds
//! them, JACK (and its xruns), and the addresses others can join at.

pub mod find;
pub mod jack;
pub mod join;
pub mod output;
pub mod ports;
pub mod process;
pub mod xruns;
