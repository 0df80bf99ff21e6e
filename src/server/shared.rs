//! State the server core publishes for its readers (GUI, CLI): lifecycle events, OSC traffic,
//! the server's log, the status history and the live node tree.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use rosc::{OscMessage, OscPacket};
use tokio::sync::broadcast;

use super::ServerEvent;
use super::log::ServerLog;
use super::protocol::StatusInfo;
use super::tree::NodeTree;

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

pub struct Shared {
    pub events: broadcast::Sender<ServerEvent>,
    pub osc: broadcast::Sender<OscTraffic>,
    pub log: Arc<Mutex<ServerLog>>,
    pub status: Mutex<VecDeque<StatusSample>>,
    pub tree: Mutex<NodeTree>,
    /// Woken when the tree mirror turns stale, so the health monitor reads it again.
    pub tree_stale: tokio::sync::Notify,
    pub synthdefs: Mutex<Vec<super::synthdefs::SynthDefInfo>>,
    pub meters: Mutex<super::mixer::Meters>,
    pub mixer: Mutex<super::mixer::MixerState>,
    pub recording: Mutex<Option<super::recorder::Recording>>,
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
        let id = super::protocol::int_arg(m, 0)?;
        let node = t.get(id)?;
        (!node.is_group() && node.def_name().is_none()).then_some(node.parent)
    }
}
