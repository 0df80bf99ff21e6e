//! State the server core publishes for its readers (GUI, CLI): lifecycle events, OSC traffic,
//! the server's log, the status history and the live node tree.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rosc::{OscMessage, OscPacket};
use tokio::sync::broadcast;

use crate::model::log::ServerLog;
use crate::model::tree::NodeTree;
use crate::server::ServerEvent;
use crate::wire::protocol::StatusInfo;

/// One `/status.reply` and when it came.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusSample {
    pub at: Instant,
    pub info: StatusInfo,
}

/// Which way an OSC packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// A packet seen on the wire, for the OSC console.
#[derive(Debug, Clone)]
pub struct OscTraffic {
    pub at: SystemTime,
    pub direction: Direction,
    pub packet: OscPacket,
}

impl OscTraffic {
    pub fn sent(packet: OscPacket) -> Self {
        OscTraffic {
            at: SystemTime::now(),
            direction: Direction::Sent,
            packet,
        }
    }
    pub fn received(m: OscMessage) -> Self {
        OscTraffic {
            at: SystemTime::now(),
            direction: Direction::Received,
            packet: OscPacket::Message(m),
        }
    }
}

/// How many status samples are kept (an hour at the default 500 ms poll).
pub const STATUS_HISTORY: usize = 7200;

/// What changed, so a reader can skip a redraw that would show the same thing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Only a new `/status.reply` (twice a second when idle).
    Status(StatusInfo),
    /// Anything else a reader shows: tree, log, state, SynthDefs, replies…
    Other,
}

type Hook = Box<dyn Fn(Change) + Send + Sync>;

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

/// A snapshot of [`LossCounters`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Losses {
    pub malformed: u64,
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

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A flood of bad packets writes at most one log line per this long.
const MALFORMED_NOTE_EVERY: Duration = Duration::from_secs(1);

impl LossCounters {
    pub fn snapshot(&self) -> Losses {
        Losses {
            malformed: self.malformed.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    pub fn count_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one malformed packet; returns whether it is time to say so in the log.
    fn count_malformed(&self) -> bool {
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

pub struct Shared {
    pub events: broadcast::Sender<ServerEvent>,
    pub osc: broadcast::Sender<OscTraffic>,
    pub log: Arc<Mutex<ServerLog>>,
    pub status: Mutex<VecDeque<StatusSample>>,
    pub tree: Mutex<NodeTree>,
    /// Woken when the tree mirror turns stale, so the health monitor reads it again.
    pub tree_stale: tokio::sync::Notify,
    pub synthdefs: Mutex<Vec<crate::ops::synthdefs::SynthDefInfo>>,
    pub meters: Mutex<crate::ops::mixer::Meters>,
    pub mixer: Mutex<crate::ops::mixer::MixerState>,
    pub recording: Mutex<Option<crate::ops::recorder::Recording>>,
    /// One task at a time creates or frees the meter and volume synths (no check-then-act).
    pub mixer_lock: tokio::sync::Mutex<()>,
    /// One task at a time starts, pauses or stops the recorder.
    pub recorder_lock: tokio::sync::Mutex<()>,
    /// One task at a time makes scpanel's own group (the mixer and the recorder share it).
    pub own_group_lock: tokio::sync::Mutex<()>,
    /// Counts meter replies, so a reader can wait for fresh levels.
    pub meter_ticks: tokio::sync::watch::Sender<u64>,
    /// Counts every change a reader might show (status, tree, log, state…).
    pub changes: tokio::sync::watch::Sender<u64>,
    pub losses: Arc<LossCounters>,
    on_change: Mutex<Option<Hook>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            events: broadcast::channel(256).0,
            osc: broadcast::channel(4096).0,
            log: Arc::new(Mutex::new(ServerLog::default())),
            status: Mutex::new(VecDeque::with_capacity(1024)),
            tree: Mutex::new(NodeTree::new(0)),
            tree_stale: tokio::sync::Notify::new(),
            synthdefs: Mutex::new(Vec::new()),
            meters: Mutex::new(Default::default()),
            mixer: Mutex::new(Default::default()),
            recording: Mutex::new(None),
            mixer_lock: tokio::sync::Mutex::new(()),
            recorder_lock: tokio::sync::Mutex::new(()),
            own_group_lock: tokio::sync::Mutex::new(()),
            meter_ticks: tokio::sync::watch::channel(0).0,
            changes: tokio::sync::watch::channel(0).0,
            losses: Arc::new(LossCounters::default()),
            on_change: Mutex::new(None),
        }
    }
}

impl Shared {
    /// Tells the reader (a GUI's repaint request) that something changed.
    pub fn changed(&self) {
        self.changed_as(Change::Other);
    }

    pub fn changed_as(&self, change: Change) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        if let Ok(hook) = self.on_change.lock()
            && let Some(h) = hook.as_ref()
        {
            h(change);
        }
    }

    pub fn set_on_change(&self, hook: Option<Hook>) {
        if let Ok(mut h) = self.on_change.lock() {
            *h = hook;
        }
    }

    pub fn emit(&self, event: ServerEvent) {
        let _ = self.events.send(event);
        self.changed();
    }

    pub fn tap(&self, t: OscTraffic) {
        if self.osc.receiver_count() > 0 {
            let _ = self.osc.send(t);
        }
    }

    pub fn note(&self, text: impl Into<String>) {
        if let Ok(mut l) = self.log.lock() {
            l.note(text);
        }
        self.changed();
    }

    /// Counts a packet that was refused, and says so in the log (at most once a second, with
    /// the running count, so a flood can't fill the log).
    pub fn malformed(&self, what: &str) {
        if self.losses.count_malformed() {
            let n = self.losses.snapshot().malformed;
            self.note(format!(
                "ignored a malformed packet: {what} ({n} malformed packet{} ignored so far)",
                plural(n)
            ));
        }
    }

    pub fn record_status(&self, info: StatusInfo) {
        if let Ok(mut s) = self.status.lock() {
            if s.len() == STATUS_HISTORY {
                s.pop_front();
            }
            s.push_back(StatusSample {
                at: Instant::now(),
                info,
            });
        }
        if let Ok(mut t) = self.tree.lock()
            && t.check_counts(info.synths, info.groups)
        {
            self.tree_stale.notify_one();
        }
    }

    pub fn latest_status(&self) -> Option<StatusInfo> {
        self.status.lock().ok()?.back().map(|s| s.info)
    }

    /// Applies a node notification; returns the parent of a synth whose SynthDef we don't
    /// know yet (made by another client), so its group can be asked for names.
    pub fn apply_tree_notification(&self, m: &OscMessage) -> Option<i32> {
        let mut t = self.tree.lock().ok()?;
        let was_stale = t.is_stale();
        t.apply(m);
        if !was_stale && t.is_stale() {
            self.tree_stale.notify_one();
        }
        if m.addr != "/n_go" {
            return None;
        }
        let id = crate::wire::protocol::int_arg(m, 0)?;
        let node = t.get(id)?;
        (!node.is_group() && node.def_name().is_none()).then_some(node.parent)
    }
}

impl crate::server::Server {
    /// What was thrown away since this handle was made (bad packets, overfull queues).
    pub fn losses(&self) -> Losses {
        self.inner.shared.losses.snapshot()
    }
}
