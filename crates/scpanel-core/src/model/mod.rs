//! The model: the node tree mirror, id allocators, the option table, the server log, and
//! the state and events readers watch.

pub mod absence;
pub mod alloc;
pub mod clock;
pub mod levels;
pub mod log;
pub mod options;
pub mod recording;
pub mod roster;
pub mod scope;
pub mod spectrum;
pub mod tree;
