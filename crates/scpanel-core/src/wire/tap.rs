//! What a connection reports besides replies: the traffic the OSC console shows, what it
//! threw away (malformed packets, overfull queues), and hints for readers to redraw.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rosc::{OscMessage, OscPacket};

use crate::wire::protocol::StatusInfo;

/// Which way an OSC packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From us to the server.
    Sent,
    /// From the server to us.
    Received,
}

/// A packet seen on the wire, for the OSC console.
#[derive(Debug, Clone)]
pub struct OscTraffic {
    /// When it went.
    pub at: SystemTime,
    /// Which way.
    pub direction: Direction,
    /// The packet.
    pub packet: OscPacket,
}

impl OscTraffic {
    /// A packet we send, now.
    pub fn sent(packet: OscPacket) -> Self {
        OscTraffic {
            at: SystemTime::now(),
            direction: Direction::Sent,
            packet,
        }
    }
    /// A message we received, now.
    pub fn received(m: OscMessage) -> Self {
        OscTraffic {
            at: SystemTime::now(),
            direction: Direction::Received,
            packet: OscPacket::Message(m),
        }
    }
}

/// What changed, so a reader can skip a redraw that would show the same thing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Only a new `/status.reply` (twice a second when idle).
    Status(StatusInfo),
    /// Anything else a reader shows: tree, log, state, SynthDefs, replies…
    Other,
}

/// What the core threw away instead of crashing or growing without bound. Written by the
/// transport and the dispatcher, read by anyone (the GUI shows it, `send` reports it).
#[derive(Debug, Default)]
pub struct LossCounters {
    /// Packets that failed the packet guard or the per-address argument check.
    pub malformed: AtomicU64,
    /// Messages dropped because a bounded queue was full (they came faster than handled).
    pub dropped: AtomicU64,
    /// When a malformed packet was last written to the log (to keep a flood out of it).
    last_note: Mutex<Option<Instant>>,
}

/// What a connection lost so far, counted: packets dropped or malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Losses {
    /// Packets that failed the checks before decoding.
    pub malformed: u64,
    /// Packets dropped because the reader fell behind.
    pub dropped: u64,
}

impl Losses {
    /// "3 malformed packets ignored, 12 messages dropped", or `None` when nothing was lost.
    pub fn summary(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.malformed > 0 {
            parts.push(format!(
                "{} malformed packet{} ignored",
                self.malformed,
                plural(self.malformed)
            ));
        }
        if self.dropped > 0 {
            parts.push(format!(
                "{} message{} dropped (they came faster than they could be handled)",
                self.dropped,
                plural(self.dropped)
            ));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A flood of bad packets writes at most one log line per this long.
const MALFORMED_NOTE_EVERY: Duration = Duration::from_secs(1);

impl LossCounters {
    /// The counts right now.
    pub fn snapshot(&self) -> Losses {
        Losses {
            malformed: self.malformed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one malformed packet; returns whether it is time to say so in the log.
    pub(crate) fn count_malformed(&self) -> bool {
        self.malformed.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let Ok(mut last) = self.last_note.lock() else {
            return false;
        };
        if last.is_some_and(|t| now.duration_since(t) < MALFORMED_NOTE_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }
}
