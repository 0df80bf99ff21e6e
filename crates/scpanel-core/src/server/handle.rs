//! The [`Server`] type: the one front door a user of the library meets. It boots or
//! connects (see `lifecycle`), shows what readers see, makes the requests every client
//! makes, and hands out the operations ([`Server::mixer`], [`Server::nodes`], …), each of
//! which owns its own state.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rosc::{OscMessage, OscPacket};
use tokio::sync::{broadcast, watch};

use crate::error::{Result, ServerError};
use crate::link::shared::{Change, OscTraffic, StatusSample};
use crate::link::{Attachment, ConnectOptions, HealthConfig, Link, Live, ServerEvent, ServerState};
use crate::model::absence::{Absence, RejoinPolicy};
use crate::model::log::ServerLog;
use crate::model::options::Options;
use crate::model::tree::NodeTree;
use crate::ops::buffers::{self, Buffers};
use crate::ops::buses::{self, BusGroup, Buses};
use crate::ops::control_watch::{self, Controls};
use crate::ops::doctor::{self, Doctor};
use crate::ops::mixer::{self, Mixer};
use crate::ops::nodes::{self, Nodes};
use crate::ops::own_nodes::OwnGroup;
use crate::ops::recorder::{self, Recorder};
use crate::ops::scope::{self, Scope};
use crate::ops::synthdefs::{self, SynthDefs};
use crate::ops::test_tone::{self, TestTone};
use crate::ops::tree_read::TreeRead;
use crate::ops::{requests, tree_query};
use crate::wire::connection::Connection;
use crate::wire::protocol::{AddAction, BusRate, StatusInfo, VersionInfo};
use crate::wire::tap::Losses;

/// The state each operation keeps, one of each per handle.
#[derive(Default)]
pub(crate) struct OpsState {
    pub own: Arc<OwnGroup>,
    pub synthdefs: Arc<synthdefs::Known>,
    pub mixer: Arc<mixer::State>,
    pub recorder: Arc<recorder::State>,
    pub scope: Arc<scope::State>,
    pub tone: Arc<test_tone::State>,
    pub controls: Arc<control_watch::State>,
    pub doctor: Arc<doctor::State>,
}

pub(crate) struct Inner {
    pub(crate) link: Arc<Link>,
    pub(crate) ops: OpsState,
    pub(crate) state: watch::Sender<ServerState>,
    pub(crate) options: Mutex<Options>,
    pub(crate) health: watch::Sender<HealthConfig>,
    pub(crate) lifecycle: tokio::sync::Mutex<()>,
    /// TCP connections that got no answer to a password: closing them would make
    /// scsynth 3.13 abort, so they stay open until the app ends.
    pub(crate) parked: Mutex<Vec<Arc<Connection>>>,
    /// What to do when the server goes away, and what is known while it is away.
    pub(crate) keeper: Mutex<Keeper>,
    /// How the last successful [`Server::connect`] reached the server (for a rejoin).
    pub(crate) last_connect: Mutex<Option<ConnectOptions>>,
}

/// The rejoin policy and the server's absence; `epoch` changes whenever the user boots,
/// connects, quits or disconnects, which ends any rejoin under way.
#[derive(Default)]
pub(crate) struct Keeper {
    pub policy: RejoinPolicy,
    pub absence: Absence,
    pub epoch: u64,
}

/// An async handle on one server, booted by us or connected to, modelled on supriya's
/// `AsyncServer`. Cheap to clone: every clone is the same handle. Dropping the last clone
/// stops a server it booted.
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<Inner>,
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("state", &self.state())
            .field("attachment", &self.attachment())
            .finish()
    }
}

impl Server {
    /// A handle with no server yet: call [`Server::boot`] or [`Server::connect`].
    pub fn new() -> Self {
        Server {
            inner: Arc::new(Inner {
                link: Arc::new(Link::default()),
                ops: OpsState::default(),
                state: watch::channel(ServerState::Offline).0,
                options: Mutex::new(Options::default()),
                health: watch::channel(HealthConfig::default()).0,
                lifecycle: tokio::sync::Mutex::new(()),
                parked: Mutex::new(Vec::new()),
                keeper: Mutex::new(Keeper::default()),
                last_connect: Mutex::new(None),
            }),
        }
    }

    // ---- what readers see ----

    /// Whether `other` is a clone of this handle (the same server, not just the same address).
    pub fn same_handle(&self, other: &Server) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Where the server is in its life right now.
    pub fn state(&self) -> ServerState {
        *self.inner.state.borrow()
    }

    /// A receiver that sees every state change.
    pub fn watch_state(&self) -> watch::Receiver<ServerState> {
        self.inner.state.subscribe()
    }

    /// Ticks whenever anything a reader shows has changed (status, tree, log, state…).
    pub fn watch_changes(&self) -> watch::Receiver<u64> {
        self.inner.link.shared.changes.subscribe()
    }

    /// A receiver of lifecycle events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.inner.link.shared.events.subscribe()
    }

    /// Every OSC packet sent and received from now on.
    pub fn subscribe_osc(&self) -> broadcast::Receiver<OscTraffic> {
        self.inner.link.shared.osc.subscribe()
    }

    /// Called (from the runtime) whenever something a reader shows has changed.
    pub fn set_on_change(&self, hook: Option<Box<dyn Fn(Change) + Send + Sync>>) {
        self.inner.link.shared.set_on_change(hook);
    }

    /// How this handle is attached to its server (who we are there), if it has one.
    pub fn attachment(&self) -> Option<Attachment> {
        self.live().map(|l| l.attachment.clone())
    }

    /// Whether we booted the current server.
    pub fn is_owner(&self) -> bool {
        self.attachment().is_some_and(|s| s.is_owner)
    }

    /// Our client id, when logged in.
    pub fn client_id(&self) -> Option<i32> {
        self.attachment().and_then(|s| s.login).map(|l| l.client_id)
    }

    /// How many clients the server allows at once, when logged in.
    pub fn max_logins(&self) -> Option<u32> {
        self.attachment()
            .and_then(|s| s.login)
            .map(|l| l.max_logins)
    }

    /// The group new nodes go to by default (1 when offline).
    pub fn default_group(&self) -> i32 {
        self.attachment().map_or(1, |s| s.default_group())
    }

    /// The pid of the server process we booted.
    pub fn pid(&self) -> Option<u32> {
        self.inner.link.process().map(|p| p.pid)
    }

    /// The options of the last boot.
    pub fn options(&self) -> Options {
        self.inner
            .options
            .lock()
            .map(|o| o.clone())
            .unwrap_or_default()
    }

    /// The current `/status` polling settings.
    pub fn health(&self) -> HealthConfig {
        *self.inner.health.borrow()
    }

    /// Changes the `/status` polling settings; the poller picks them up at its next tick.
    pub fn set_health(&self, config: HealthConfig) {
        self.inner.health.send_replace(config);
    }

    /// Kept within `STATUS_INTERVAL` (the range `/status` polling takes): the poller adds it to an `Instant`, which
    /// panics on overflow.
    pub fn set_poll_interval(&self, interval: Duration) {
        let range = crate::wire::seconds::STATUS_INTERVAL;
        let interval = interval.clamp(
            Duration::from_secs_f64(range.min),
            Duration::from_secs_f64(range.max),
        );
        self.inner
            .health
            .send_modify(|h| h.poll_interval = interval);
    }

    /// When the server last sent anything (a reply, a notification): how long it has been
    /// silent when it turns unresponsive.
    pub fn last_heard(&self) -> Option<std::time::Instant> {
        self.live()?.conn.last_heard()
    }

    /// Whether the server is away by itself, since when, and whether it is being rejoined.
    pub fn absence(&self) -> Absence {
        self.inner
            .keeper
            .lock()
            .map(|k| k.absence.clone())
            .unwrap_or_default()
    }

    /// What to do when the server goes away by itself: rejoin it, reboot it, or nothing
    /// (the default).
    pub fn rejoin_policy(&self) -> RejoinPolicy {
        self.inner
            .keeper
            .lock()
            .map(|k| k.policy)
            .unwrap_or_default()
    }

    /// Sets [`Server::rejoin_policy`]; it applies from the next time the server goes away.
    pub fn set_rejoin_policy(&self, policy: RejoinPolicy) {
        if let Ok(mut k) = self.inner.keeper.lock() {
            k.policy = policy;
        }
    }

    /// The last `/status.reply`: CPU, UGens, synths, groups, SynthDefs, sample rates.
    pub fn latest_status(&self) -> Option<StatusInfo> {
        self.inner.link.shared.latest_status()
    }

    /// Runs `f` on the recent `/status` replies, oldest first.
    pub fn with_status_history<R>(
        &self,
        f: impl FnOnce(&std::collections::VecDeque<StatusSample>) -> R,
    ) -> R {
        let guard = self.inner.link.shared.status.lock();
        match guard {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// The live node tree mirror.
    pub fn with_tree<R>(&self, f: impl FnOnce(&NodeTree) -> R) -> R {
        match self.inner.link.shared.tree.lock() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// Runs `f` on the server's log: its output lines and our notes.
    pub fn with_log<R>(&self, f: impl FnOnce(&ServerLog) -> R) -> R {
        match self.inner.link.shared.log.lock() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// Adds a line of the app's own to the server's log (what it did for the server, such
    /// as starting JACK before a boot).
    pub fn note(&self, text: impl Into<String>) {
        self.inner.link.shared.note(text);
    }

    /// The node, buffer and bus id ranges of this client, when logged in.
    pub fn client_ranges(&self) -> Option<crate::model::alloc::ClientRanges> {
        self.inner.link.client_ranges()
    }

    /// What was thrown away since this handle was made (bad packets, overfull queues).
    pub fn losses(&self) -> Losses {
        self.inner.link.shared.losses.snapshot()
    }

    // ---- the requests every client makes (supriya's `Server` has the same) ----

    /// Sends any OSC message or bundle, as is.
    pub async fn send(&self, p: OscPacket) -> Result<()> {
        self.inner.link.send(p).await
    }

    /// Sends one OSC message, expecting no reply.
    pub async fn send_msg(&self, m: OscMessage) -> Result<()> {
        self.inner.link.send_msg(m).await
    }

    /// Sends, then waits until the server has done it; `/fail`s become the error.
    pub async fn send_checked(&self, p: OscPacket) -> Result<()> {
        self.inner.link.send_checked(p).await
    }

    /// Whether a `/synced` id is one of the handle's own (not one a person sent).
    pub fn is_own_sync(&self, id: i32) -> bool {
        self.live().is_some_and(|l| l.conn.is_own_sync(id))
    }

    /// Waits until the server has done everything sent before (`/sync`, answered by `/synced`).
    pub async fn sync(&self) -> Result<()> {
        self.inner.link.sync().await
    }

    /// A fresh `/status` (the poller's latest is [`Server::latest_status`]).
    pub async fn status(&self) -> Result<StatusInfo> {
        requests::status(&self.inner.link).await
    }

    /// The server program and its version (`/version`).
    pub async fn version(&self) -> Result<VersionInfo> {
        requests::version(&self.inner.link).await
    }

    /// The server prints every message it receives (to its log) from the next one on.
    pub async fn dump_osc(&self, on: bool) -> Result<()> {
        requests::dump_osc(&self.inner.link, on).await
    }

    /// The whole node tree, read from the server (not the live mirror). Stays right past
    /// scsynth's 64 KiB reply limit; fails when a group is too big to list without logging
    /// in ([`Server::read_tree`] returns the rest). With controls, on a server this handle
    /// booted, it is read from the server's printout (see [`Server::read_tree`]).
    pub async fn query_tree(&self, with_controls: bool) -> Result<NodeTree> {
        tree_query::query_group(&self.inner.link, 0, with_controls).await
    }

    /// The subtree under `group` as far as the server can tell it, with what is missing.
    /// The whole tree (`group` 0) with controls, on a server this handle booted, comes from
    /// the server's own printout (`/g_dumpTree 0 1`: 20,000 synths in tens of milliseconds
    /// where OSC takes seconds), paused groups' children over OSC
    /// ([`TreeRead::from_printout`]); anywhere else, or when the printout can't be read
    /// whole, over OSC.
    pub async fn read_tree(&self, group: i32, with_controls: bool) -> Result<TreeRead> {
        tree_query::read(&self.inner.link, group, with_controls).await
    }

    /// Why a watch-only read is missing groups, with how much they hold (from `/status`).
    pub async fn unlisted_error(&self, read: &TreeRead) -> ServerError {
        tree_query::unlisted_error(&self.inner.link, read).await
    }

    /// Re-reads the tree into the live mirror.
    pub async fn refresh_tree(&self) -> Result<()> {
        tree_query::refresh(&self.inner.link).await
    }

    /// Adds a group (a parallel group, `/p_new`, when `parallel`); returns its id.
    pub async fn add_group(&self, target: i32, action: AddAction, parallel: bool) -> Result<i32> {
        nodes::add_group(&self.inner.link, target, action, parallel).await
    }

    /// Adds a synth of a SynthDef the server knows (a built-in is sent on first use);
    /// returns its id.
    pub async fn add_synth(
        &self,
        def: &str,
        target: i32,
        action: AddAction,
        controls: &[(&str, f32)],
    ) -> Result<i32> {
        nodes::add_synth(
            &self.inner.link,
            &self.synthdefs(),
            def,
            target,
            action,
            controls,
        )
        .await
    }

    /// Allocates a buffer of `frames` × `channels`; returns its id.
    pub async fn add_buffer(&self, frames: i32, channels: i32) -> Result<i32> {
        buffers::add(&self.inner.link, frames, channels).await
    }

    /// Allocates one bus from this client's range.
    pub async fn add_bus(&self, rate: BusRate) -> Result<BusGroup> {
        buses::add_group(&self.inner.link, rate, 1)
    }

    /// Reserves `count` consecutive buses from this client's range.
    pub async fn add_bus_group(&self, rate: BusRate, count: u32) -> Result<BusGroup> {
        buses::add_group(&self.inner.link, rate, count)
    }

    // ---- the operations, each with its own state ----

    /// What can be done to running nodes: free, pause, set, move, trace, ask.
    pub fn nodes(&self) -> Nodes {
        Nodes {
            link: self.inner.link.clone(),
        }
    }

    /// Buffers beyond [`Server::add_buffer`]: read a file, ask, zero, free.
    pub fn buffers(&self) -> Buffers {
        Buffers {
            link: self.inner.link.clone(),
        }
    }

    /// Bus blocks and control bus values.
    pub fn buses(&self) -> Buses {
        Buses {
            link: self.inner.link.clone(),
        }
    }

    /// The SynthDefs this client gave the server: send, load, free, list.
    pub fn synthdefs(&self) -> SynthDefs {
        SynthDefs {
            link: self.inner.link.clone(),
            known: self.inner.ops.synthdefs.clone(),
        }
    }

    /// Level meters, the master volume and mute.
    pub fn mixer(&self) -> Mixer {
        Mixer {
            link: self.inner.link.clone(),
            state: self.inner.ops.mixer.clone(),
            own: self.inner.ops.own.clone(),
            defs: self.synthdefs(),
        }
    }

    /// Recording the outputs to a sound file.
    pub fn recorder(&self) -> Recorder {
        Recorder {
            link: self.inner.link.clone(),
            state: self.inner.ops.recorder.clone(),
            own: self.inner.ops.own.clone(),
            defs: self.synthdefs(),
        }
    }

    /// The network scope.
    pub fn scope(&self) -> Scope {
        Scope {
            link: self.inner.link.clone(),
            state: self.inner.ops.scope.clone(),
            own: self.inner.ops.own.clone(),
            defs: self.synthdefs(),
        }
    }

    /// The test tone, left then right.
    pub fn test_tone(&self) -> TestTone {
        TestTone {
            link: self.inner.link.clone(),
            state: self.inner.ops.tone.clone(),
            own: self.inner.ops.own.clone(),
            defs: self.synthdefs(),
        }
    }

    /// The sound doctor: what stands between the server and the speakers, and the fixes.
    pub fn doctor(&self) -> Doctor {
        Doctor {
            link: self.inner.link.clone(),
            state: self.inner.ops.doctor.clone(),
            defs: self.synthdefs(),
            mixer: self.mixer(),
            options: self.options(),
        }
    }

    /// Keeping the controls of the synths a reader shows up to date.
    pub fn controls(&self) -> Controls {
        Controls {
            link: self.inner.link.clone(),
            state: self.inner.ops.controls.clone(),
        }
    }

    // ---- internals ----

    /// What a connection routes every message to: the readers every client has, and the
    /// operations' own (the meters', the scope's).
    pub(crate) fn subscribers(&self) -> Vec<Arc<dyn crate::wire::connection::Subscriber>> {
        let mut feeds = crate::link::shared::subscribers(&self.inner.link.shared);
        feeds.push(Arc::new(mixer::MeterFeed(self.inner.ops.mixer.clone())));
        feeds.push(Arc::new(scope::ScopeFeed(self.inner.ops.scope.clone())));
        feeds
    }

    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.inner.link
    }

    pub(crate) fn shared(&self) -> &Arc<crate::link::shared::Shared> {
        &self.inner.link.shared
    }

    pub(crate) fn live(&self) -> Option<Arc<Live>> {
        self.inner.link.live()
    }

    pub(crate) fn online(&self) -> Result<Arc<Live>> {
        self.inner.link.online()
    }

    pub(crate) fn set_state(&self, s: ServerState) {
        self.inner.state.send_if_modified(|old| {
            let changed = *old != s;
            *old = s;
            changed
        });
        self.inner.link.shared.changed();
    }

    pub(crate) fn emit(&self, e: ServerEvent) {
        self.inner.link.shared.emit(e);
    }

    pub(crate) fn ensure_offline(&self) -> Result<()> {
        match self.state() {
            ServerState::Offline => Ok(()),
            s => Err(ServerError::ServerOnline(s.label())),
        }
    }

    /// Takes the connection down and goes offline (no messages sent).
    pub(crate) fn go_offline(&self, event: Option<ServerEvent>) {
        if let Some(live) = self.inner.link.replace_live(None) {
            live.conn.shutdown();
        }
        self.inner.link.replace_process(None);
        self.inner.link.update_tree(|t| *t = NodeTree::new(0));
        if let Ok(mut d) = self.inner.ops.synthdefs.lock() {
            d.clear();
        }
        self.inner.ops.mixer.forget_synths();
        self.inner.ops.recorder.forget();
        self.set_state(ServerState::Offline);
        if let Some(e) = event {
            self.emit(e);
        }
        self.emit(ServerEvent::Offline);
    }

    pub(crate) fn weak(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn from_weak(w: &Weak<Inner>) -> Option<Server> {
        w.upgrade().map(|inner| Server { inner })
    }
}
