//! The server core: every socket and child process lives here. No egui.
//!
//! [`Server`] is an async handle on one scsynth, modelled on supriya's `AsyncServer`: boot one
//! (and own it) or connect to one, then query and command it. It is cheap to clone; every
//! clone is the same handle.

/// The state a server's readers share: status history, tree mirror, log, events and OSC traffic.
pub mod shared;
/// Reading a server's whole node tree with `/g_queryTree`, even when it is too big for one reply.
pub mod tree_read;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rosc::OscPacket;
use tokio::sync::{broadcast, watch};

pub use crate::error::{Result, ServerError};
use crate::handle::shared::Shared;
pub use crate::handle::shared::{Change, Direction, OscTraffic, StatusSample};
use crate::host::process::ServerProcess;
pub use crate::model::absence::{Absence, RejoinPolicy};
use crate::model::alloc::{Allocators, ServerLayout};
use crate::model::log::ServerLog;
pub use crate::model::options::{Options, Protocol};
pub use crate::model::tree::{ControlValue, Node, NodeKind, NodeTree};
use crate::wire::connection::{Connection, Login};
pub use crate::wire::protocol::{
    AddAction, BufferInfo, BusRate, NodeInfo, StatusInfo, VersionInfo,
};

/// Where the server is in its life, as a user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// No server: boot one or connect to one.
    Offline,
    /// Our scsynth process is starting up.
    Booting,
    /// Reaching the server and, when asked, logging in.
    Connecting,
    /// Connected and answering `/status`.
    Online,
    /// Online, but `/status` has gone unanswered for a while.
    Unresponsive,
    /// Quitting or disconnecting.
    Quitting,
}

impl ServerState {
    /// A lowercase word for this state, for status lines and logs.
    pub fn label(self) -> &'static str {
        match self {
            ServerState::Offline => "offline",
            ServerState::Booting => "booting",
            ServerState::Connecting => "connecting",
            ServerState::Online => "online",
            ServerState::Unresponsive => "unresponsive",
            ServerState::Quitting => "quitting",
        }
    }
    /// Whether commands can be sent: online, even if not answering right now.
    pub fn is_online(self) -> bool {
        matches!(self, ServerState::Online | ServerState::Unresponsive)
    }
}

/// Lifecycle events, like supriya's (BOOTING, PROCESS_BOOTED, … PROCESS_PANICKED, QUIT).
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// [`Server::boot`] was called.
    Booting,
    /// The scsynth process printed its ready line.
    ProcessBooted,
    /// The connection is being opened.
    Connecting,
    /// The link is up; when logged in, the client id and max logins the server gave us.
    Connected {
        /// Our client id, or `None` when watching without a login.
        client_id: Option<i32>,
        /// How many clients the server allows (its `-l`); 0 when watching.
        max_logins: u32,
    },
    /// Set up (default groups, the first tree read, as the connection asked): ready for commands.
    Online,
    /// `/status` went unanswered for [`HealthConfig::reply_timeout`].
    Unresponsive,
    /// The server answers `/status` again.
    Responsive,
    /// [`Server::quit`] or [`Server::disconnect`] was called.
    Quitting,
    /// The connection closed.
    Disconnected,
    /// The handle holds no server any more.
    Offline,
    /// Our server process ended without being asked to.
    ProcessPanicked {
        /// How it ended (exit code or signal).
        exit: crate::host::process::ExitInfo,
        /// Its last lines of output.
        last_lines: Vec<String>,
    },
    /// A server we connected to stopped answering, or its port closed.
    OscPanicked {
        /// What happened (time-out, port closed, …).
        reason: String,
    },
    /// The server is back after it went away by itself (see [`RejoinPolicy`]).
    Rejoined {
        /// Booted again (rather than joined again as it came back by itself).
        rebooted: bool,
    },
}

/// How often to poll `/status`, and when silence means trouble.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthConfig {
    /// How often to send `/status`.
    pub poll_interval: Duration,
    /// A `/status` unanswered this long marks the server unresponsive.
    pub reply_timeout: Duration,
    /// A connected server silent this long since it was last heard (and unanswered for at
    /// least half of it) is taken as gone.
    pub offline_after: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            poll_interval: Duration::from_millis(500),
            reply_timeout: Duration::from_millis(300),
            offline_after: Duration::from_millis(1000),
        }
    }
}

/// How to reach a server someone else booted.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectOptions {
    /// The server's address (scsynth listens on 57110 by default).
    pub addr: SocketAddr,
    /// UDP or TCP, as the server was booted with (`-u` or `-t`).
    pub protocol: Protocol,
    /// The server's session password (`-p`), needed by TCP servers that set one.
    pub password: Option<String>,
    /// `false` watches without logging in: status and tree only, no login slot used.
    pub login: bool,
    /// Ask for a particular client id (to get one's old id back).
    pub client_id: Option<i32>,
    /// The sizes the server was booted with, as assumed while watching. A login asks the
    /// server for them (a synth reads them), and these stay only when it can't answer.
    pub layout: ServerLayout,
    /// When logging in, ask the server for its sizes instead of assuming `layout`: a synth
    /// of ours runs for one block and `scpanel-layout` stays loaded. `new` turns it on; a
    /// one-shot command that must leave nothing behind turns it off.
    pub ask_layout: bool,
    /// Keep watching: a live tree mirror, `/status` polling and, when logged in, a default
    /// group and the level meters. `false` for a one-shot command that asks what it came for
    /// and leaves nothing behind.
    pub monitor: bool,
}

impl ConnectOptions {
    /// Logged in over UDP, no password, any client id, default sizes, monitoring on.
    pub fn new(addr: SocketAddr) -> Self {
        ConnectOptions {
            addr,
            protocol: Protocol::Udp,
            password: None,
            login: true,
            client_id: None,
            layout: ServerLayout::default(),
            ask_layout: true,
            monitor: true,
        }
    }
}

/// Who we are on the current server.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The server's address.
    pub addr: SocketAddr,
    /// The protocol we talk to it with.
    pub protocol: Protocol,
    /// Whether we booted it (and so quit it rather than just disconnect).
    pub is_owner: bool,
    /// Our client id and the server's max logins; `None` when watching without a login.
    pub login: Option<Login>,
    /// Where this client's nodes go by default. On a server we booted, `clientID + 1` for
    /// every login (supriya's layout); as a guest, the owner's for our client id, else
    /// sclang's `clientID·2^26 + 1` (see `lifecycle::guest_default_group`).
    pub default_group: i32,
    /// The server's sizes: buses, buffers, max logins.
    pub layout: ServerLayout,
    /// The process id, when we booted it.
    pub pid: Option<u32>,
}

impl Session {
    /// Where this client's nodes go by default (see the field).
    pub fn default_group(&self) -> i32 {
        self.default_group
    }
}

pub(crate) struct Live {
    pub conn: Arc<Connection>,
    pub session: Session,
    pub alloc: Option<Mutex<Allocators>>,
}

pub(crate) struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) state: watch::Sender<ServerState>,
    pub(crate) live: Mutex<Option<Arc<Live>>>,
    pub(crate) process: Mutex<Option<Arc<ServerProcess>>>,
    pub(crate) options: Mutex<Options>,
    pub(crate) health: watch::Sender<HealthConfig>,
    pub(crate) lifecycle: tokio::sync::Mutex<()>,
    /// TCP connections that got no answer to a password: closing them would make
    /// scsynth 3.13 abort, so they stay open until the app ends.
    pub(crate) parked: Mutex<Vec<Arc<Connection>>>,
    /// Synths whose controls a reader shows (see `control_watch`).
    pub(crate) watched_controls: Mutex<Vec<i32>>,
    /// Watched synths whose control names were asked for already (a group too big to
    /// answer with controls is not asked again at every tick).
    pub(crate) controls_asked: Mutex<std::collections::HashSet<i32>>,
    /// The test tone's running sequence, aborted by a new one.
    pub(crate) tone: Mutex<Option<tokio::task::JoinHandle<()>>>,
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

/// An async handle on one server, booted by us or connected to. Cheap to clone: every
/// clone is the same handle. Dropping the last clone stops a server it booted.
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
            .field("session", &self.session())
            .finish()
    }
}

/// The address a client uses to reach a server bound to `bind`.
pub fn client_address(bind: &str, port: u16) -> SocketAddr {
    let ip = match bind.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ok(ip) => ip,
        Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, port)
}

impl Server {
    /// A handle with no server yet: call [`Server::boot`] or [`Server::connect`].
    pub fn new() -> Self {
        Server {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::default()),
                state: watch::channel(ServerState::Offline).0,
                live: Mutex::new(None),
                process: Mutex::new(None),
                options: Mutex::new(Options::default()),
                health: watch::channel(HealthConfig::default()).0,
                lifecycle: tokio::sync::Mutex::new(()),
                parked: Mutex::new(Vec::new()),
                watched_controls: Mutex::new(Vec::new()),
                controls_asked: Mutex::new(std::collections::HashSet::new()),
                tone: Mutex::new(None),
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
        self.inner.shared.changes.subscribe()
    }

    /// A receiver of lifecycle events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.inner.shared.events.subscribe()
    }

    /// Every OSC packet sent and received from now on.
    pub fn subscribe_osc(&self) -> broadcast::Receiver<OscTraffic> {
        self.inner.shared.osc.subscribe()
    }

    /// Called (from the runtime) whenever something a reader shows has changed.
    pub fn set_on_change(&self, hook: Option<Box<dyn Fn(Change) + Send + Sync>>) {
        self.inner.shared.set_on_change(hook);
    }

    /// Who we are on the current server, if there is one.
    pub fn session(&self) -> Option<Session> {
        self.live().map(|l| l.session.clone())
    }

    /// Whether we booted the current server.
    pub fn is_owner(&self) -> bool {
        self.session().is_some_and(|s| s.is_owner)
    }

    /// Our client id, when logged in.
    pub fn client_id(&self) -> Option<i32> {
        self.session().and_then(|s| s.login).map(|l| l.client_id)
    }

    /// How many clients the server allows at once, when logged in.
    pub fn max_logins(&self) -> Option<u32> {
        self.session().and_then(|s| s.login).map(|l| l.max_logins)
    }

    /// The group new nodes go to by default (1 when offline).
    pub fn default_group(&self) -> i32 {
        self.session().map_or(1, |s| s.default_group())
    }

    /// The pid of the server process we booted.
    pub fn pid(&self) -> Option<u32> {
        self.inner.process.lock().ok()?.as_ref().map(|p| p.pid)
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

    /// Kept within [`crate::wire::seconds::STATUS_INTERVAL`]: the poller adds it to an `Instant`, which
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
        self.inner.shared.latest_status()
    }

    /// Runs `f` on the recent `/status` replies, oldest first.
    pub fn with_status_history<R>(
        &self,
        f: impl FnOnce(&std::collections::VecDeque<StatusSample>) -> R,
    ) -> R {
        let guard = self.inner.shared.status.lock();
        match guard {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// The live node tree mirror.
    pub fn with_tree<R>(&self, f: impl FnOnce(&NodeTree) -> R) -> R {
        match self.inner.shared.tree.lock() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    /// Runs `f` on the server's log: its output lines and our notes.
    pub fn with_log<R>(&self, f: impl FnOnce(&ServerLog) -> R) -> R {
        match self.inner.shared.log.lock() {
            Ok(g) => f(&g),
            Err(p) => f(&p.into_inner()),
        }
    }

    // ---- internals ----

    pub(crate) fn live(&self) -> Option<Arc<Live>> {
        self.inner.live.lock().ok()?.clone()
    }

    pub(crate) fn online(&self) -> Result<Arc<Live>> {
        self.live().ok_or(ServerError::ServerOffline)
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    pub(crate) fn set_state(&self, s: ServerState) {
        self.inner.state.send_if_modified(|old| {
            let changed = *old != s;
            *old = s;
            changed
        });
        self.inner.shared.changed();
    }

    pub(crate) fn emit(&self, e: ServerEvent) {
        self.inner.shared.emit(e);
    }

    pub(crate) fn ensure_offline(&self) -> Result<()> {
        match self.state() {
            ServerState::Offline => Ok(()),
            s => Err(ServerError::ServerOnline(s.label())),
        }
    }

    /// Takes the connection down and goes offline (no messages sent).
    pub(crate) fn go_offline(&self, event: Option<ServerEvent>) {
        let live = self.inner.live.lock().ok().and_then(|mut l| l.take());
        if let Some(live) = live {
            live.conn.shutdown();
        }
        if let Ok(mut p) = self.inner.process.lock() {
            p.take();
        }
        if let Ok(mut t) = self.inner.shared.tree.lock() {
            *t = NodeTree::new(0);
        }
        if let Ok(mut d) = self.inner.shared.synthdefs.lock() {
            d.clear();
        }
        if let Ok(mut m) = self.inner.shared.meters.lock() {
            *m = Default::default();
        }
        if let Ok(mut m) = self.inner.shared.mixer.lock() {
            m.volume_node = None;
        }
        if let Ok(mut r) = self.inner.shared.recording.lock() {
            r.take();
        }
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

/// An immediate bundle of messages.
pub fn bundle_of(messages: Vec<rosc::OscMessage>) -> OscPacket {
    OscPacket::Bundle(rosc::OscBundle {
        timetag: rosc::OscTime {
            seconds: 0,
            fractional: 1,
        },
        content: messages.into_iter().map(OscPacket::Message).collect(),
    })
}
