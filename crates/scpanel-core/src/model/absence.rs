//! What a handle does when its server goes away, and what it knows while the server is
//! gone: since when, how many tries, how many crashes.

use std::time::{Instant, SystemTime};

/// What to do when the server goes away by itself (never after a quit or a disconnect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RejoinPolicy {
    /// Keep trying the server's address, with backoff, and join it again when it answers:
    /// a connected server that went offline, or the port of a booted one that crashed.
    pub rejoin: bool,
    /// Boot a server this handle booted again when it crashes, with the same options (the
    /// volume, mute and meters come back with it). Takes precedence over `rejoin`.
    pub reboot: bool,
}

/// The server's absence, as a tile shows it ("offline since 12:03, retrying").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Absence {
    /// When the server went away by itself; `None` while it is here or after a quit.
    pub offline_since: Option<SystemTime>,
    /// Why it went away (the exit status, "no answer for 1000 ms", …).
    pub reason: Option<String>,
    /// Whether a rejoin or reboot is under way.
    pub retrying: bool,
    /// Tries since it went away.
    pub attempts: u32,
    /// When the next try is due.
    pub next_try: Option<Instant>,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// Times a server this handle booted ended by itself, since the handle was made.
    pub crashes: u32,
    /// Times the server came back through a rejoin or reboot.
    pub returns: u32,
}
