//! The host: finding and supervising the scsynth program, its ports and whoever holds
//! them; JACK (and its xruns), the sound cards, PipeWire's JACK and sample-rate
//! mismatches; and the addresses others can join at.

pub mod alsa;
pub mod find;
pub mod jack;
pub mod join;
pub mod output;
pub mod pipewire;
pub mod ports;
pub mod process;
pub mod sample_rate;
pub mod xruns;
