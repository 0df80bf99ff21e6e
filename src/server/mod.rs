//! The server core: every socket and child process lives here. No egui.
//!
//! [`Server`] is an async handle on one scsynth, modelled on supriya's `AsyncServer`: boot one
//! (and own it) or connect to one, then query and command it. It is cheap to clone; every
//! clone is the same handle.

pub mod alloc;
pub mod commands;
pub mod connection;
pub mod error;
mod health;
pub mod jack;
pub mod log;
pub mod mixer;
pub mod options;
pub mod osc_text;
pub mod ports;
pub mod process;
pub mod protocol;
pub mod recorder;
pub mod shared;
pub mod synthdef;
pub mod synthdefs;
pub mod transport;
pub mod tree;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rosc::{OscPacket, OscType};
use tokio::sync::{broadcast, mpsc, watch};

use alloc::{Allocators, ClientRanges, ServerLayout};
use connection::{Connection, Login, REQUEST_TIMEOUT, SYNC_TIMEOUT};
pub use error::{Result, ServerError};
use log::ServerLog;
pub use options::{Options, Protocol};
use process::{LineKind, ServerProcess};
pub use protocol::{AddAction, BufferInfo, BusRate, NodeInfo, StatusInfo, VersionInfo};
use protocol::{Expect, msg};
use shared::Shared;
pub use shared::{Direction, OscTraffic, StatusSample};
pub use tree::{ControlValue, Node, NodeKind, NodeTree};

/// Where the server is in its life, as a user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    Offline,
    Booting,
    Connecting,
    Online,
    /// Online, but `/status` has gone unanswered for a while.
    Unresponsive,
    Quitting,
}

impl ServerState {
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
    pub fn is_online(self) -> bool {
        matches!(self, ServerState::Online | ServerState::Unresponsive)
    }
}

/// Lifecycle events, like supriya's (BOOTING, PROCESS_BOOTED, … PROCESS_PANICKED, QUIT).
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    Booting,
    ProcessBooted,
    Connecting,
    Connected {
        client_id: Option<i32>,
        max_logins: u32,
    },
    Online,
    Unresponsive,
    Responsive,
    Quitting,
    Disconnected,
    Offline,
    /// Our server process ended without being asked to.
    ProcessPanicked {
        exit: process::ExitInfo,
        last_lines: Vec<String>,
    },
    /// A server we connected to stopped answering, or its port closed.
    OscPanicked {
        reason: String,
    },
}

/// How often to poll `/status`, and when silence means trouble.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthConfig {
    pub poll_interval: Duration,
    /// A `/status` unanswered this long marks the server unresponsive.
    pub reply_timeout: Duration,
    /// A connected server unresponsive this long is taken as gone.
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
    pub addr: SocketAddr,
    pub protocol: Protocol,
    pub password: Option<String>,
    /// `false` watches without logging in: status and tree only, no login slot used.
    pub login: bool,
    /// Ask for a particular client id (to get one's old id back).
    pub client_id: Option<i32>,
    /// The sizes the server was booted with; a client can't ask for them.
    pub layout: ServerLayout,
}

impl ConnectOptions {
    pub fn new(addr: SocketAddr) -> Self {
        ConnectOptions {
            addr,
            protocol: Protocol::Udp,
            password: None,
            login: true,
            client_id: None,
            layout: ServerLayout::default(),
        }
    }
}

/// Who we are on the current server.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub addr: SocketAddr,
    pub protocol: Protocol,
    pub is_owner: bool,
    pub login: Option<Login>,
    pub layout: ServerLayout,
    pub pid: Option<u32>,
}

impl Session {
    /// The client's default group: `clientID + 1`, as supriya makes them.
    pub fn default_group(&self) -> i32 {
        self.login.map_or(1, |l| l.client_id + 1)
    }
}

pub(crate) struct Live {
    pub conn: Arc<Connection>,
    pub session: Session,
    pub alloc: Option<Mutex<Allocators>>,
}

struct Inner {
    shared: Arc<Shared>,
    state: watch::Sender<ServerState>,
    live: Mutex<Option<Arc<Live>>>,
    process: Mutex<Option<Arc<ServerProcess>>>,
    /// Set while we ask our own process to stop, so its exit is no panic.
    quitting: AtomicBool,
    options: Mutex<Options>,
    health: watch::Sender<HealthConfig>,
    lifecycle: tokio::sync::Mutex<()>,
    /// TCP connections that got no answer to a password: closing them would make
    /// scsynth 3.13 abort, so they stay open until the app ends.
    parked: Mutex<Vec<Arc<Connection>>>,
}

#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
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
    pub fn new() -> Self {
        Server {
            inner: Arc::new(Inner {
                shared: Arc::new(Shared::default()),
                state: watch::channel(ServerState::Offline).0,
                live: Mutex::new(None),
                process: Mutex::new(None),
                quitting: AtomicBool::new(false),
                options: Mutex::new(Options::default()),
                health: watch::channel(HealthConfig::default()).0,
                lifecycle: tokio::sync::Mutex::new(()),
                parked: Mutex::new(Vec::new()),
            }),
        }
    }

    // ---- what readers see ----

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

    pub fn subscribe(&self) -> broadcast::Receiver<ServerEvent> {
        self.inner.shared.events.subscribe()
    }

    /// Every OSC packet sent and received from now on.
    pub fn subscribe_osc(&self) -> broadcast::Receiver<OscTraffic> {
        self.inner.shared.osc.subscribe()
    }

    /// Called (from the runtime) whenever something a reader shows has changed.
    pub fn set_on_change(&self, hook: Option<Box<dyn Fn() + Send + Sync>>) {
        self.inner.shared.set_on_change(hook);
    }

    pub fn session(&self) -> Option<Session> {
        self.live().map(|l| l.session.clone())
    }

    pub fn is_owner(&self) -> bool {
        self.session().is_some_and(|s| s.is_owner)
    }

    pub fn client_id(&self) -> Option<i32> {
        self.session().and_then(|s| s.login).map(|l| l.client_id)
    }

    pub fn max_logins(&self) -> Option<u32> {
        self.session().and_then(|s| s.login).map(|l| l.max_logins)
    }

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

    pub fn health(&self) -> HealthConfig {
        *self.inner.health.borrow()
    }

    pub fn set_health(&self, config: HealthConfig) {
        self.inner.health.send_replace(config);
    }

    pub fn set_poll_interval(&self, interval: Duration) {
        self.inner
            .health
            .send_modify(|h| h.poll_interval = interval);
    }

    pub fn latest_status(&self) -> Option<StatusInfo> {
        self.inner.shared.latest_status()
    }

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

    fn set_state(&self, s: ServerState) {
        self.inner.state.send_if_modified(|old| {
            let changed = *old != s;
            *old = s;
            changed
        });
        self.inner.shared.changed();
    }

    fn emit(&self, e: ServerEvent) {
        self.inner.shared.emit(e);
    }

    fn ensure_offline(&self) -> Result<()> {
        match self.state() {
            ServerState::Offline => Ok(()),
            s => Err(ServerError::ServerOnline(s.label())),
        }
    }

    /// Takes the connection down and goes offline (no messages sent).
    fn go_offline(&self, event: Option<ServerEvent>) {
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

    fn weak(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    fn from_weak(w: &Weak<Inner>) -> Option<Server> {
        w.upgrade().map(|inner| Server { inner })
    }

    // ---- lifecycle ----

    /// Boots a server with `options` and waits until it is online and we are logged in.
    pub async fn boot(&self, options: Options) -> Result<()> {
        let _lifecycle = self.inner.lifecycle.lock().await;
        self.ensure_offline()?;
        options.validate().map_err(ServerError::InvalidOptions)?;
        check_port_free(&options)?;
        let program = process::find_executable(options.executable.as_deref())?;
        if let Ok(mut o) = self.inner.options.lock() {
            *o = options.clone();
        }
        self.set_state(ServerState::Booting);
        self.emit(ServerEvent::Booting);
        match self.boot_inner(&options, &program).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.inner.shared.note(format!("boot failed: {e}"));
                let process = self.inner.process.lock().ok().and_then(|mut p| p.take());
                if let Some(p) = process {
                    self.inner.quitting.store(true, Ordering::SeqCst);
                    p.terminate(Duration::from_secs(1)).await;
                }
                self.go_offline(None);
                Err(e)
            }
        }
    }

    async fn boot_inner(&self, options: &Options, program: &std::path::Path) -> Result<()> {
        let shared = self.inner.shared.clone();
        let argv = options.argv();
        shared.note(format!(
            "$ {}",
            options.command_line(&program.display().to_string())
        ));
        let (line_tx, mut lines) = mpsc::unbounded_channel();
        self.inner.quitting.store(false, Ordering::SeqCst);
        let process =
            ServerProcess::spawn(program, &argv, &options.env, shared.log.clone(), line_tx)?;
        if let Ok(mut p) = self.inner.process.lock() {
            *p = Some(process.clone());
        }
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + options.boot_timeout;
        let addr = client_address(&options.bind_address, options.port);
        // Over UDP we can ask /status before the ready line: that is how `-V -1` boots.
        let mut conn = match options.protocol {
            Protocol::Udp => {
                Some(Connection::open(shared.clone(), addr, Protocol::Udp, None).await?)
            }
            Protocol::Tcp => None,
        };
        let password = Some(options.password.as_str()).filter(|p| !p.is_empty());
        let mut probe = tokio::time::interval(Duration::from_millis(50));
        probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ready_line = false;
        loop {
            tokio::select! {
                line = lines.recv() => {
                    if let Some((LineKind::Ready, _)) = line {
                        ready_line = true;
                        break;
                    }
                    if line.is_none() {
                        // Both pipes closed: the process is ending; its exit is reported below.
                        let exit = process.wait().await;
                        return Err(self.classify_boot_failure(&process, options, exit).await);
                    }
                }
                exit = process.wait() => {
                    return Err(self.classify_boot_failure(&process, options, exit).await);
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let last_lines = shared.log.lock().map(|l| l.tail(8)).unwrap_or_default();
                    return Err(ServerError::BootTimeout { after: options.boot_timeout, last_lines });
                }
                _ = probe.tick() => {
                    if let Some(c) = &conn {
                        if c.last_heard().is_some() {
                            break;
                        }
                        let _ = c.send_msg(msg("/status", [])).await;
                    } else if started.elapsed() > Duration::from_millis(300)
                        && let Ok(c) = Connection::open(shared.clone(), addr, Protocol::Tcp, password).await
                    {
                        // A TCP listener that accepted us is up (password, if any, sent first).
                        conn = Some(c);
                        break;
                    }
                }
            }
        }
        self.emit(ServerEvent::ProcessBooted);
        shared.note(format!(
            "server process {} is up after {} ms{}",
            process.pid,
            started.elapsed().as_millis(),
            if ready_line {
                ""
            } else {
                " (answered /status)"
            }
        ));
        let conn = match conn {
            Some(c) => c,
            None => Connection::open(shared.clone(), addr, Protocol::Tcp, password).await?,
        };
        // Keep the server's output flowing into the log (and repaint) after boot.
        let drain_shared = shared.clone();
        conn.add_task(tokio::spawn(async move {
            while lines.recv().await.is_some() {
                drain_shared.changed();
            }
        }));
        let layout = ServerLayout::from_options(options);
        let session = Session {
            addr,
            protocol: options.protocol,
            is_owner: true,
            login: None,
            layout,
            pid: Some(process.pid),
        };
        self.establish(conn, session, true, None, Some(options.max_logins))
            .await?;
        self.watch_process(process);
        Ok(())
    }

    async fn classify_boot_failure(
        &self,
        process: &ServerProcess,
        options: &Options,
        exit: process::ExitInfo,
    ) -> ServerError {
        process.drained(Duration::from_millis(500)).await;
        let (kinds, last_lines): (Vec<(LineKind, String)>, Vec<String>) = self.with_log(|l| {
            let kinds = l
                .lines()
                .filter(|l| l.at >= process.started)
                .map(|l| (l.kind, l.text.clone()))
                .collect();
            (kinds, l.tail(8))
        });
        if kinds.iter().any(|(k, _)| *k == LineKind::PortInUse) {
            return port_in_use(options);
        }
        let audio: Vec<String> = kinds
            .iter()
            .filter(|(k, _)| *k == LineKind::NoAudio)
            .map(|(_, t)| t.clone())
            .collect();
        if !audio.is_empty() {
            return ServerError::NoAudio {
                detail: audio.join(" / "),
            };
        }
        ServerError::ProcessExited {
            exit: exit.to_string(),
            last_lines,
        }
    }

    /// Logs in (if asked), sets up default groups and the health monitor, and goes online.
    async fn establish(
        &self,
        conn: Arc<Connection>,
        mut session: Session,
        login: bool,
        client_id: Option<i32>,
        local_max_logins: Option<u32>,
    ) -> Result<()> {
        if login {
            let l = self.login(&conn, client_id, local_max_logins).await?;
            session.login = Some(l);
        }
        let alloc = session.login.map(|l| {
            let ranges =
                ClientRanges::new(l.client_id.max(0) as u32, l.max_logins, &session.layout);
            Mutex::new(Allocators::new(ranges))
        });
        self.emit(ServerEvent::Connected {
            client_id: session.login.map(|l| l.client_id),
            max_logins: session.login.map_or(0, |l| l.max_logins),
        });
        if let Some(l) = session.login {
            if session.is_owner {
                create_default_groups(&conn, l.max_logins).await?;
            } else {
                self.ensure_default_group(&conn, session.default_group())
                    .await?;
            }
        }
        conn.clear_closed();
        let live = Arc::new(Live {
            conn: conn.clone(),
            session,
            alloc,
        });
        if let Ok(mut l) = self.inner.live.lock() {
            *l = Some(live.clone());
        }
        // Seed the live tree; notifications keep it current from here on.
        match self.query_tree(true).await {
            Ok(mut tree) => {
                if live.session.is_owner {
                    // We just booted it: nothing can have been paused yet.
                    tree.set_unknown_paused(false);
                }
                if let Ok(mut t) = self.inner.shared.tree.lock() {
                    *t = tree;
                }
            }
            Err(e) => self
                .inner
                .shared
                .note(format!("could not read the node tree: {e}")),
        }
        let monitor = tokio::spawn(health::monitor(self.weak(), Arc::downgrade(&live)));
        conn.add_task(monitor);
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut slot) = conn.unknown_synths.lock() {
            *slot = Some(tx);
        }
        conn.add_task(tokio::spawn(describe_synths(self.weak(), rx)));
        self.set_state(ServerState::Online);
        self.emit(ServerEvent::Online);
        if live.session.login.is_some()
            && let Err(e) = self.restore_mixer().await
        {
            self.inner
                .shared
                .note(format!("could not restore the meters and volume: {e}"));
        }
        Ok(())
    }

    async fn login(
        &self,
        conn: &Connection,
        client_id: Option<i32>,
        local_max: Option<u32>,
    ) -> Result<Login> {
        let mut args = vec![OscType::Int(1)];
        if let Some(id) = client_id {
            args.push(OscType::Int(id));
        }
        let reply = conn
            .request(
                OscPacket::Message(msg("/notify", args)),
                Expect::Done {
                    command: "/notify".into(),
                    id: None,
                },
                REQUEST_TIMEOUT,
            )
            .await;
        match reply {
            Ok(m) => {
                let id = protocol::int_arg(&m, 1).unwrap_or(0);
                // supernova does not report max logins: fall back to what we booted with.
                let max = protocol::int_arg(&m, 2)
                    .and_then(|v| u32::try_from(v).ok())
                    .or(local_max)
                    .unwrap_or(1);
                Ok(Login {
                    client_id: id,
                    max_logins: max,
                })
            }
            Err(ServerError::Fail { message, .. }) if message.contains("too many users") => {
                Err(ServerError::TooManyClients {
                    max_logins: local_max,
                })
            }
            Err(ServerError::Fail { message, .. }) if message.contains("already registered") => {
                let message = if conn.transport.protocol == Protocol::Tcp {
                    // scsynth 3.13 takes every TCP client for the same address.
                    "scsynth lets only one TCP client log in, and one already has: \
                     watch without logging in, or use a UDP server"
                } else {
                    "this address is already logged in: disconnect the other client first"
                };
                Err(ServerError::Fail {
                    command: "/notify".into(),
                    message: message.into(),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn ensure_default_group(&self, conn: &Connection, group: i32) -> Result<()> {
        let q = conn
            .request(
                OscPacket::Message(msg("/n_query", [OscType::Int(group)])),
                Expect::ReplyOrFail {
                    reply: "/n_info",
                    id: Some(group),
                    command: "/n_query",
                },
                REQUEST_TIMEOUT,
            )
            .await;
        match q {
            Ok(_) => Ok(()),
            // A server booted by sclang has no group `id + 1`: make it, as supriya would.
            Err(ServerError::Fail { .. }) => {
                conn.send_checked(OscPacket::Message(msg(
                    "/g_new",
                    [OscType::Int(group), OscType::Int(1), OscType::Int(0)],
                )))
                .await
            }
            Err(e) => Err(e),
        }
    }

    fn watch_process(&self, process: Arc<ServerProcess>) {
        let weak = self.weak();
        let task = tokio::spawn(async move {
            let exit = process.wait().await;
            let Some(server) = Server::from_weak(&weak) else {
                return;
            };
            if server.inner.quitting.load(Ordering::SeqCst) {
                return;
            }
            process.drained(Duration::from_millis(200)).await;
            let last_lines = server.with_log(|l| l.tail(8));
            server
                .inner
                .shared
                .note(format!("the server process ended by itself ({exit})"));
            server.go_offline(Some(ServerEvent::ProcessPanicked { exit, last_lines }));
        });
        // Not tied to the connection: it must outlive a connection that is shut down.
        drop(task);
    }

    /// Connects to a running server (which we then don't own).
    pub async fn connect(&self, options: ConnectOptions) -> Result<()> {
        let _lifecycle = self.inner.lifecycle.lock().await;
        self.ensure_offline()?;
        self.set_state(ServerState::Connecting);
        self.emit(ServerEvent::Connecting);
        let result = self.connect_inner(&options).await;
        if result.is_err() {
            self.go_offline(None);
        }
        result
    }

    async fn connect_inner(&self, options: &ConnectOptions) -> Result<()> {
        let shared = self.inner.shared.clone();
        let conn = Connection::open(
            shared,
            options.addr,
            options.protocol,
            options.password.as_deref(),
        )
        .await?;
        // Make sure something answers before logging in.
        let probe = conn
            .request(
                OscPacket::Message(msg("/status", [])),
                Expect::Address("/status.reply"),
                Duration::from_millis(1500),
            )
            .await;
        if let Err(e) = probe {
            if options.protocol == Protocol::Tcp && options.password.is_some() {
                if let Ok(mut p) = self.inner.parked.lock() {
                    p.push(conn);
                }
                return Err(ServerError::Unreachable {
                    addr: format!("tcp://{}", options.addr),
                    reason: "no answer after the password: it is probably wrong (scsynth gives no error). \
                             The connection stays open, because closing it would stop scsynth"
                        .into(),
                });
            }
            return Err(ServerError::Unreachable {
                addr: format!("{}://{}", options.protocol.as_str(), options.addr),
                reason: e.to_string(),
            });
        }
        let session = Session {
            addr: options.addr,
            protocol: options.protocol,
            is_owner: false,
            login: None,
            layout: options.layout,
            pid: None,
        };
        self.establish(conn, session, options.login, options.client_id, None)
            .await
    }

    /// Quits the server. Quitting a server we did not boot needs `force`.
    pub async fn quit(&self, force: bool) -> Result<()> {
        let _lifecycle = self.inner.lifecycle.lock().await;
        let live = self.online()?;
        if !live.session.is_owner && !force {
            return Err(ServerError::UnownedServerShutdown);
        }
        self.set_state(ServerState::Quitting);
        self.emit(ServerEvent::Quitting);
        if self.recording().is_some()
            && let Err(e) = self.stop_recording().await
        {
            self.inner
                .shared
                .note(format!("could not finish the recording: {e}"));
        }
        self.inner.quitting.store(true, Ordering::SeqCst);
        let done = live
            .conn
            .request(
                OscPacket::Message(msg("/quit", [])),
                Expect::Done {
                    command: "/quit".into(),
                    id: None,
                },
                Duration::from_secs(1),
            )
            .await;
        if let Err(e) = done {
            self.inner
                .shared
                .note(format!("no /done for /quit ({e}); stopping the process"));
        }
        let process = self.inner.process.lock().ok().and_then(|p| p.clone());
        if let Some(p) = process {
            // A big server takes a second or two to exit after /done /quit.
            if tokio::time::timeout(Duration::from_secs(3), p.wait())
                .await
                .is_err()
            {
                self.inner
                    .shared
                    .note("the server did not exit after /quit: terminating it");
                p.terminate(Duration::from_secs(1)).await;
            }
        }
        self.go_offline(None);
        Ok(())
    }

    /// Logs out and closes the connection; the server keeps running.
    pub async fn disconnect(&self) -> Result<()> {
        let _lifecycle = self.inner.lifecycle.lock().await;
        let live = self.online()?;
        if live.session.is_owner {
            return Err(ServerError::OwnedServerShutdown);
        }
        if live.session.login.is_some() {
            let _ = live
                .conn
                .request(
                    OscPacket::Message(msg("/notify", [OscType::Int(0)])),
                    Expect::Done {
                        command: "/notify".into(),
                        id: None,
                    },
                    Duration::from_millis(500),
                )
                .await;
        }
        self.go_offline(Some(ServerEvent::Disconnected));
        Ok(())
    }

    /// Quits and boots again with the same options.
    pub async fn reboot(&self) -> Result<()> {
        let live = self.online()?;
        if !live.session.is_owner {
            return Err(ServerError::UnownedServerShutdown);
        }
        let options = self.options();
        self.quit(false).await?;
        self.boot(options).await
    }

    /// SuperCollider's Cmd-period. As owner: clear the schedule, free every node, re-create the
    /// default groups. As a connected client: free only this client's nodes.
    pub async fn reset(&self) -> Result<()> {
        let live = self.online()?;
        let conn = &live.conn;
        let Some(login) = live.session.login else {
            return Err(ServerError::NotLoggedIn);
        };
        let mut bundle = Vec::new();
        if live.session.is_owner {
            bundle.push(msg("/clearSched", []));
            bundle.push(msg("/g_freeAll", [OscType::Int(0)]));
            conn.send(bundle_of(bundle)).await?;
            create_default_groups(conn, login.max_logins).await?;
        } else {
            let group = live.session.default_group();
            let range = live
                .alloc
                .as_ref()
                .and_then(|a| a.lock().ok().map(|a| a.ranges.nodes.clone()))
                .unwrap_or(0..0);
            // Our nodes outside our default group, topmost only (their children go with them).
            let ours: Vec<i32> = self.with_tree(|t| {
                t.nodes()
                    .filter(|n| {
                        range.contains(&n.id) && !range.contains(&n.parent) && n.parent != group
                    })
                    .map(|n| n.id)
                    .collect()
            });
            bundle.push(msg("/g_freeAll", [OscType::Int(group)]));
            if !ours.is_empty() {
                bundle.push(msg("/n_free", ours.into_iter().map(OscType::Int)));
            }
            conn.send(bundle_of(bundle)).await?;
        }
        if let Some(a) = &live.alloc
            && let Ok(mut a) = a.lock()
        {
            a.nodes.clear();
        }
        conn.sync(SYNC_TIMEOUT).await?;
        // Cmd-period freed the meter and volume synths with everything else.
        self.restore_mixer().await?;
        Ok(())
    }

    /// Quits a server we own, or logs out of one we don't. For app shutdown.
    pub async fn shutdown(&self) {
        match self.session() {
            Some(s) if s.is_owner => {
                let _ = self.quit(false).await;
            }
            Some(_) => {
                let _ = self.disconnect().await;
            }
            None => {}
        }
    }
}

/// Fills in the SynthDef names and controls of synths other clients make: notifications
/// carry neither, so each such synth's group is read with `/g_queryTree group 1`.
async fn describe_synths(server: Weak<Inner>, mut groups: mpsc::UnboundedReceiver<i32>) {
    while let Some(first) = groups.recv().await {
        let mut batch = vec![first];
        while let Ok(g) = groups.try_recv() {
            batch.push(g);
        }
        batch.sort_unstable();
        batch.dedup();
        let Some(server) = Server::from_weak(&server) else {
            return;
        };
        for group in batch {
            // A group too big for one reply is left as it is ("def unknown").
            let Ok(sub) = server.query_group_once(group).await else {
                continue;
            };
            if let Ok(mut t) = server.inner.shared.tree.lock() {
                for n in sub.nodes() {
                    let unknown = t
                        .get(n.id)
                        .is_some_and(|m| !m.is_group() && m.def_name().is_none());
                    if let (true, Some(def)) = (unknown, n.def_name()) {
                        t.describe_synth(n.id, def, n.controls.clone());
                    }
                }
            }
            server.inner.shared.changed();
        }
    }
}

/// Refuses a port another program holds: a server already there would answer our probes.
fn check_port_free(options: &Options) -> Result<()> {
    let ip: IpAddr = options
        .bind_address
        .parse()
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if options.port == 0 {
        return Ok(());
    }
    let addr = SocketAddr::new(ip, options.port);
    let taken = match options.protocol {
        Protocol::Udp => std::net::UdpSocket::bind(addr)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse),
        Protocol::Tcp => std::net::TcpListener::bind(addr)
            .is_err_and(|e| e.kind() == std::io::ErrorKind::AddrInUse),
    };
    if taken {
        return Err(port_in_use(options));
    }
    Ok(())
}

fn port_in_use(options: &Options) -> ServerError {
    ServerError::PortInUse {
        port: options.port,
        protocol: options.protocol.as_str(),
        suggestion: transport::find_free_port(),
        holder: ports::port_holder(options.port, options.protocol),
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

/// One default group per login, `id + 1` at the tail of the root, as supriya makes them.
async fn create_default_groups(conn: &Connection, max_logins: u32) -> Result<()> {
    let groups = (0..max_logins as i32)
        .map(|i| {
            msg(
                "/g_new",
                [OscType::Int(i + 1), OscType::Int(1), OscType::Int(0)],
            )
        })
        .collect();
    conn.send_checked(bundle_of(groups)).await
}
