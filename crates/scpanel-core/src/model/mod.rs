//! The model: the node tree mirror, id allocators, the option table, the server log, and
//! the state and events readers watch.

pub mod alloc;
pub mod log;
pub mod options;
pub mod tree;
