//! State the server core publishes for its readers (GUI, CLI): lifecycle events, OSC traffic,
//! the server's log, the status history and the live node tree.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rosc::OscMessage;
use tokio::sync::broadcast;

use crate::handle::ServerEvent;
use crate::model::log::ServerLog;
use crate::model::tree::NodeTree;
use crate::wire::connection::{Heard, Reporter, Subscriber};
use crate::wire::protocol::StatusInfo;
use crate::wire::tap::plural;
pub use crate::wire::tap::{Change, Direction, LossCounters, Losses, OscTraffic};

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
    /// The SynthDefs the server has from us.
    pub synthdefs: Mutex<Vec<crate::model::synthdef_info::SynthDefInfo>>,
    /// The latest meter levels.
    pub meters: Mutex<crate::model::levels::Meters>,
    /// The mixer's settings and synths.
    pub mixer: Mutex<crate::model::levels::MixerState>,
    /// The recording in progress.
    pub recording: Mutex<Option<crate::model::recording::Recording>>,
    /// One task at a time creates or frees the meter and volume synths (no check-then-act).
    pub mixer_lock: tokio::sync::Mutex<()>,
    /// One task at a time starts, pauses or stops the recorder.
    pub recorder_lock: tokio::sync::Mutex<()>,
    /// One task at a time makes scpanel's own group (the mixer and the recorder share it).
    pub own_group_lock: tokio::sync::Mutex<()>,
    /// Counts meter replies, so a reader can wait for fresh levels.
    pub meter_ticks: tokio::sync::watch::Sender<u64>,
    /// The scope synth's latest write position (see `ops::scope`); only the latest matters.
    pub scope_reports: tokio::sync::watch::Sender<Option<crate::ops::scope::ScopeReport>>,
    /// Counts scopes started: the scope synth's id is fixed, so an old tap being freed
    /// must not free a newer tap's synth.
    pub scope_generation: std::sync::atomic::AtomicU64,
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
            synthdefs: Mutex::new(Vec::new()),
            meters: Mutex::new(Default::default()),
            mixer: Mutex::new(Default::default()),
            recording: Mutex::new(None),
            mixer_lock: tokio::sync::Mutex::new(()),
            recorder_lock: tokio::sync::Mutex::new(()),
            own_group_lock: tokio::sync::Mutex::new(()),
            meter_ticks: tokio::sync::watch::channel(0).0,
            scope_reports: tokio::sync::watch::channel(None).0,
            scope_generation: std::sync::atomic::AtomicU64::new(0),
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

/// Meter replies into the levels readers show. They come 20 times a second per meter, so
/// they are used up here: off the console's tap, and the levels view redraws at its own
/// pace (only while it is shown).
struct MeterFeed(Arc<Shared>);

impl Subscriber for MeterFeed {
    fn receive(&self, m: &OscMessage) -> Heard {
        if !crate::model::levels::is_meter_reply(m) {
            return Heard::Passed;
        }
        if let Ok(mut meters) = self.0.meters.lock()
            && meters.apply(m)
        {
            self.0.meter_ticks.send_modify(|n| *n += 1);
        }
        Heard::Consumed
    }
}

/// The scope synth's position reports, 25 a second: used up here like the meters', and
/// handed on to the one capture task, which takes only the latest.
struct ScopeFeed(Arc<Shared>);

impl Subscriber for ScopeFeed {
    fn receive(&self, m: &OscMessage) -> Heard {
        let Some(report) = crate::ops::scope::ScopeReport::parse(m) else {
            return Heard::Passed;
        };
        self.0.scope_reports.send_modify(|r| {
            let count = r.as_ref().map_or(0, |r| r.count);
            *r = Some(crate::ops::scope::ScopeReport {
                count: count.wrapping_add(1),
                ..report
            });
        });
        Heard::Consumed
    }
}

/// The readers a connection routes every message to: status, the tree mirror, meters, the
/// scope.
pub fn subscribers(shared: &Arc<Shared>) -> Vec<Arc<dyn Subscriber>> {
    vec![
        Arc::new(StatusFeed(shared.clone())),
        Arc::new(TreeFeed(shared.clone())),
        Arc::new(MeterFeed(shared.clone())),
        Arc::new(ScopeFeed(shared.clone())),
    ]
}

impl crate::handle::Server {
    /// What was thrown away since this handle was made (bad packets, overfull queues).
    pub fn losses(&self) -> Losses {
        self.inner.shared.losses.snapshot()
    }
}
