//! State the server core publishes for its readers (GUI, CLI): lifecycle events, OSC traffic,
//! the server's log, the status history and the live node tree.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rosc::OscMessage;
use tokio::sync::broadcast;

use crate::link::ServerEvent;
use crate::model::log::ServerLog;
use crate::model::tree::NodeTree;
use crate::wire::connection::{Heard, Reporter, Subscriber};
use crate::wire::protocol::StatusInfo;
use crate::wire::tap::plural;
pub use crate::wire::tap::{Change, Direction, LossCounters, OscTraffic};

/// One `/status.reply` and when it came.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StatusSample {
    /// When the reply came.
    pub at: Instant,
    /// What it said.
    pub info: StatusInfo,
}

/// How many status samples are kept (an hour at the default 500 ms poll).
pub(crate) const STATUS_HISTORY: usize = 7200;

type Hook = Box<dyn Fn(Change) + Send + Sync>;

/// What a server handle shares with its connection, health monitor and readers. A
/// [`Server`](crate::Server) holds one; tests build one to drive a connection directly.
pub struct Shared {
    /// Lifecycle events (see [`Server::subscribe`](crate::Server::subscribe)).
    pub events: broadcast::Sender<ServerEvent>,
    /// Every OSC packet sent and received, for an OSC monitor.
    pub osc: broadcast::Sender<OscTraffic>,
    /// The server's output and our notes.
    pub log: Arc<Mutex<ServerLog>>,
    /// Recent `/status` replies, oldest first.
    pub status: Mutex<VecDeque<StatusSample>>,
    /// The live node tree mirror.
    pub tree: Mutex<NodeTree>,
    /// Woken when the tree mirror turns stale, so the health monitor reads it again.
    pub tree_stale: tokio::sync::Notify,
    /// Counts every change a reader might show (status, tree, log, state…).
    pub changes: tokio::sync::watch::Sender<u64>,
    /// Packets lost on the way in (dropped or malformed).
    pub losses: Arc<LossCounters>,
    /// Groups holding synths we know no SynthDef name for (see `describe_synths`), while a
    /// connection lives.
    pub unknown_synths: Mutex<Option<tokio::sync::mpsc::Sender<i32>>>,
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
            changes: tokio::sync::watch::channel(0).0,
            losses: Arc::new(LossCounters::default()),
            unknown_synths: Mutex::new(None),
            on_change: Mutex::new(None),
        }
    }
}

impl Shared {
    /// Tells the reader (a GUI's repaint request) that something changed.
    pub fn changed(&self) {
        self.changed_as(Change::Other);
    }

    pub(crate) fn changed_as(&self, change: Change) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        if let Ok(hook) = self.on_change.lock()
            && let Some(h) = hook.as_ref()
        {
            h(change);
        }
    }

    /// Sets (or clears) a hook called whenever something a reader shows has changed.
    pub fn set_on_change(&self, hook: Option<Hook>) {
        if let Ok(mut h) = self.on_change.lock() {
            *h = hook;
        }
    }

    pub(crate) fn emit(&self, event: ServerEvent) {
        let _ = self.events.send(event);
        self.changed();
    }

    /// Passes a packet to OSC monitors, if any listen.
    pub fn tap(&self, t: OscTraffic) {
        if self.osc.receiver_count() > 0 {
            let _ = self.osc.send(t);
        }
    }

    /// Adds a line of our own to the log.
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

    pub(crate) fn record_status(&self, info: StatusInfo) {
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

    /// The last `/status.reply`.
    pub fn latest_status(&self) -> Option<StatusInfo> {
        self.status.lock().ok()?.back().map(|s| s.info)
    }

    /// Applies a node notification; returns the parent of a synth whose SynthDef we don't
    /// know yet (made by another client), so its group can be asked for names.
    pub(crate) fn apply_tree_notification(&self, m: &OscMessage) -> Option<i32> {
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

/// Groups waiting to have their synths' SynthDef names read, at most.
pub(crate) const UNKNOWN_SYNTHS_QUEUE: usize = 1024;

impl Reporter for Shared {
    fn losses(&self) -> &Arc<LossCounters> {
        &self.losses
    }
    fn tap(&self, traffic: OscTraffic) {
        Shared::tap(self, traffic);
    }
    fn malformed(&self, what: &str) {
        Shared::malformed(self, what);
    }
    fn changed(&self, change: Change) {
        self.changed_as(change);
    }
}

/// `/status.reply` into the status history (and the mirror's node-count check).
struct StatusFeed(Arc<Shared>);

impl Subscriber for StatusFeed {
    fn receive(&self, m: &OscMessage) -> Heard {
        match StatusInfo::from_msg(m) {
            Some(info) => {
                self.0.record_status(info);
                Heard::Used(Change::Status(info))
            }
            None => Heard::Passed,
        }
    }
}

/// Node notifications into the tree mirror; the groups of synths with no known SynthDef
/// name go to be read for names.
struct TreeFeed(Arc<Shared>);

impl Subscriber for TreeFeed {
    fn receive(&self, m: &OscMessage) -> Heard {
        if !matches!(
            m.addr.as_str(),
            "/n_go" | "/n_end" | "/n_move" | "/n_on" | "/n_off"
        ) {
            return Heard::Passed;
        }
        if let Some(parent) = self.0.apply_tree_notification(m)
            && let Ok(tx) = self.0.unknown_synths.lock()
            && let Some(tx) = tx.as_ref()
            && let Err(tokio::sync::mpsc::error::TrySendError::Full(_)) = tx.try_send(parent)
        {
            self.0.losses.count_dropped(1);
        }
        Heard::Used(Change::Other)
    }
}

/// The readers of what every client shows: status and the tree mirror (the operations add
/// their own, such as the meters' and the scope's).
pub fn subscribers(shared: &Arc<Shared>) -> Vec<Arc<dyn Subscriber>> {
    vec![
        Arc::new(StatusFeed(shared.clone())),
        Arc::new(TreeFeed(shared.clone())),
    ]
}
