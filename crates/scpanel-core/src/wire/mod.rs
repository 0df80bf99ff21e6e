//! The wire: sockets (UDP, TCP), checks on every packet before it is decoded, typed
//! replies, OSC as text, and escaping of server strings for terminals.

pub mod connection;
pub mod osc_text;
pub mod packet_guard;
pub mod printable;
pub mod protocol;
pub mod seconds;
pub(crate) mod tap;
pub mod transport;
