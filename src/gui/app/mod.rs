//! The window: status bar on top, boot / connect on the left, the live views in tabs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::theme::{Tone, tone};
use egui::RichText;

use super::actions::{Action, ActionQueue, Done, Outcome, Pick, SessionId};
use super::boot_panel::BootPanel;
use super::bridge::{Bridge, Offer, StatusFrames};
use super::buffers_panel::BufferRow;
use super::buffers_panel::BuffersPanel;
use super::connect_panel::ConnectPanel;
use super::console::Console;
use super::keys::{self, Command};
use super::log_panel::LogPanel;
use super::mixer_panel::MixerPanel;
use super::plots::Plots;
use super::session::{MetersShown, Session};
use super::wall::{self, TileAction, Wall, WallRequest};
use super::{profiles, status_bar};
use crate::server::RejoinPolicy;
use crate::server::host::jack::JackServer;
use crate::server::model::roster::{MAX_SERVERS, Roster, RosterEntry};
use crate::server::ops::recorder::Recording;
use crate::server::{Options, ServerState};
use crate::signals::{Signals, Termination};

/// How long a signal waits for the server to quit (a recording to close) before the window
/// closes anyway.
const SIGNAL_SHUTDOWN_LIMIT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Servers,
    Tree,
    Plots,
    Levels,
    Scope,
    Spectrum,
    Buffers,
    Console,
    Log,
}

impl Tab {
    pub const ALL: [Tab; 9] = [
        Tab::Servers,
        Tab::Tree,
        Tab::Plots,
        Tab::Levels,
        Tab::Scope,
        Tab::Spectrum,
        Tab::Buffers,
        Tab::Console,
        Tab::Log,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Servers => "Servers",
            Tab::Tree => "Node tree",
            Tab::Plots => "CPU & sample rate",
            Tab::Levels => "Levels & record",
            Tab::Scope => "Scope",
            Tab::Spectrum => "Spectrum",
            Tab::Buffers => "Buffers & buses",
            Tab::Console => "OSC console",
            Tab::Log => "Server log",
        }
    }
}

/// Quits (or logs out of) every server at once, so one slow server doesn't hold up the rest.
/// What a signal does to the servers online: those this window booted are quit, the others
/// only logged out of (said, so nobody fears for a server someone else runs).
fn leaving(owned: usize, visited: usize) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    match (owned, visited) {
        (0, 0) => "closing".into(),
        (0, v) => format!("logging out, leaving the server{} running", s(v)),
        (o, 0) => format!("quitting the server{} this window booted…", s(o)),
        (o, v) => format!(
            "quitting the server{} this window booted, logging out of the other{}…",
            s(o),
            s(v)
        ),
    }
}

async fn shutdown_all(servers: Vec<crate::server::Server>) {
    let mut all = tokio::task::JoinSet::new();
    for s in servers {
        all.spawn(async move { s.shutdown().await });
    }
    while all.join_next().await.is_some() {}
}

/// A ring around whatever has the keyboard, drawn last on the widget's own layer (so a
/// window over it still covers it): egui shows focus on text fields, but on a check box, a
/// slider or a row only as a shade.
fn focus_ring(ctx: &egui::Context) {
    let Some(id) = ctx.memory(|m| m.focused()) else {
        return;
    };
    let Some(r) = ctx.read_response(id) else {
        return;
    };
    let stroke = ctx.global_style().visuals.selection.stroke;
    ctx.layer_painter(r.layer_id).rect_stroke(
        r.rect.expand(2.0),
        3.0,
        stroke,
        egui::StrokeKind::Outside,
    );
}

/// What a confirmed quit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitKind {
    /// Ctrl+Q: quit the server, the window stays.
    Server,
    /// The window's close button: quit the server and close the window.
    Window,
}

/// How often the wall redraws for its servers' status alone. A minute of CPU is 236 px
/// wide: two seconds move it 8 px. At 2 frames a second, 32 servers took 6.5 % of a core
/// under software GL; at one every 2 s, about 2 % (`scripts/bench-wall-idle.sh`).
pub const WALL_REFRESH: Duration = Duration::from_secs(2);

/// How long a notice that is not an error stays on screen.
const NOTICE_SECONDS: u64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Boot,
    Connect,
}

pub struct ScPanel {
    /// The runtime every session's work runs on.
    pub bridge: Bridge,
    /// One per server; panels draw the current one. Never empty.
    pub sessions: Vec<Session>,
    current: usize,
    next_session: SessionId,
    /// Every session's server, for a signal: it may come while the UI thread is busy, and
    /// must reach the sessions added after the handler was installed.
    servers: Arc<Mutex<Vec<crate::server::Server>>>,
    /// What the panels asked for this frame; run once the frame is drawn.
    pub actions: ActionQueue,
    /// A JACK server this app started (stopped when the app closes). It serves every
    /// session, so the app holds it.
    own_jack: Option<JackServer>,
    pub join: super::join_box::JoinBox,
    pub boot: BootPanel,
    pub connect: ConnectPanel,
    pub plots: Plots,
    pub buffers: BuffersPanel,
    pub console: Console,
    pub log: LogPanel,
    pub mixer: MixerPanel,
    pub scope: super::scope_panel::ScopePanel,
    pub spectrum: super::spectrum_panel::SpectrumPanel,
    /// What the Scope and Spectrum tabs look at.
    pub scope_source: super::scope_panel::ScopeSource,
    pub wall: Wall,
    /// The About box (Shift+F1, or "About" in the status bar).
    pub about: super::about::About,
    pub tab: Tab,
    pub side: Side,
    confirm_stop: Option<crate::server::host::ports::PortHolder>,
    /// The signal that asked the app to end, once the server has been quit for it.
    pub terminated: Arc<Mutex<Option<Termination>>>,
    /// The window's context, for a signal that arrives between frames.
    window: Arc<Mutex<Option<egui::Context>>>,
    /// Whether the boot / connect side panel is shown (F9 or the status bar's button).
    pub side_open: bool,
    /// A quit that waits for the user's yes, because it would stop sound or a recording.
    pub confirm_quit: Option<QuitKind>,
    /// "Don't ask again", ticked in the quit confirmation.
    pub quit_without_asking: bool,
    /// The dialog's "don't ask again" box, kept while the dialog is open.
    dont_ask_ticked: bool,
    /// The user said yes to closing the window: the next close request goes through.
    close_confirmed: bool,
    /// The window title last sent, so a title is sent only when it changes.
    title: String,
    /// `SCPANEL_FRAME_DEBUG` set: log every frame and its cause to stderr.
    frame_debug: bool,
    /// The Keyboard window (F1) is open.
    pub keys_open: bool,
    /// What a screen reader is told without asking.
    pub announcer: super::announce::Announcer,
    /// Zoom and high contrast, kept across starts.
    pub display: super::theme::Display,
    /// The display settings as last applied to the window (`None` before the first frame).
    display_applied: Option<super::theme::Display>,
    /// A zoom set last frame, which egui applies a frame later.
    zoom_pending: bool,
    /// Hands display settings to the task that saves them.
    display_saver: Option<tokio::sync::watch::Sender<super::theme::Display>>,
}

impl ScPanel {
    pub fn new(options: Options) -> Result<ScPanel, String> {
        let bridge = Bridge::new()?;
        let first = Session::new(&bridge, 0);
        Ok(ScPanel {
            bridge,
            servers: Arc::new(Mutex::new(vec![first.server.clone()])),
            sessions: vec![first],
            current: 0,
            next_session: 1,
            actions: ActionQueue::default(),
            own_jack: None,
            join: Default::default(),
            boot: BootPanel::new(options),
            connect: ConnectPanel::default(),
            plots: Plots::default(),
            buffers: BuffersPanel::default(),
            console: Console::default(),
            log: LogPanel::default(),
            mixer: MixerPanel::default(),
            scope: Default::default(),
            spectrum: Default::default(),
            scope_source: Default::default(),
            wall: Wall::default(),
            about: Default::default(),
            tab: Tab::Tree,
            side: Side::Boot,
            confirm_stop: None,
            terminated: Arc::new(Mutex::new(None)),
            window: Arc::new(Mutex::new(None)),
            side_open: true,
            confirm_quit: None,
            quit_without_asking: false,
            dont_ask_ticked: false,
            close_confirmed: false,
            title: String::new(),
            frame_debug: std::env::var_os("SCPANEL_FRAME_DEBUG").is_some(),
            keys_open: false,
            announcer: Default::default(),
            display: super::theme::Display::load(),
            display_applied: None,
            zoom_pending: false,
            display_saver: None,
        })
    }

    /// The session the panels draw.
    pub fn session(&self) -> &Session {
        &self.sessions[self.current]
    }

    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.sessions[self.current]
    }

    /// Adds a session with an offline server and returns its id; the current one stays.
    pub fn add_session(&mut self) -> SessionId {
        let id = self.next_session;
        self.next_session += 1;
        let session = Session::new(&self.bridge, id);
        if let Ok(mut all) = self.servers.lock() {
            all.push(session.server.clone());
        }
        self.sessions.push(session);
        id
    }

    /// Runs what the wall asked for: new servers, rosters, tiles opened or removed.
    pub fn wall_requests(&mut self, asked: Vec<WallRequest>) {
        for r in asked {
            match r {
                WallRequest::BootAnother => {
                    self.boot_another();
                }
                WallRequest::Add {
                    addr,
                    name,
                    protocol,
                    login,
                } => {
                    let mut entry = RosterEntry::watch(addr);
                    entry.name = name;
                    entry.protocol = protocol;
                    entry.login = login;
                    self.add_entry(entry);
                }
                WallRequest::Paste(text) => self.add_pasted(&text),
                WallRequest::SaveRoster(path) => self.save_roster(&path),
                WallRequest::LoadRoster(path) => self.load_roster(&path),
                WallRequest::PickRoster => self.actions.push(Action::PickFile(Pick::Roster)),
                WallRequest::Tile(TileAction::Open(id)) => {
                    if self.show_session(id) {
                        let late = wall::late_lines(self.session());
                        self.session_mut().late_seen = late;
                        self.tab = Tab::Tree;
                    }
                }
                WallRequest::Tile(TileAction::Remove(id)) => self.remove_session(id),
            }
        }
    }

    /// Adds a session that boots the boot panel's options on the next free port (and, under
    /// JACK, with a client name of its own); returns its id.
    pub fn boot_another(&mut self) -> SessionId {
        let mut options = self.boot.options.clone();
        // Ports this window's servers have or were given: booted, on the way, or crashed and
        // waiting to be booted again on theirs.
        let busiest = self
            .sessions
            .iter()
            .filter_map(|s| {
                let typed = s
                    .addr
                    .parse::<std::net::SocketAddr>()
                    .ok()
                    .map(|a| a.port());
                let live = s.server.session().map(|l| l.addr.port());
                let booted = s.booted.then(|| s.server.options().port);
                typed.max(live).max(booted)
            })
            .max()
            .unwrap_or(0);
        let start = options.port.max(busiest.saturating_add(1));
        // A short look: each probe binds a socket, and this runs on the UI thread.
        if let Some(port) = (start..=start.saturating_add(63))
            .find(|&p| crate::server::wire::transport::port_is_free(p))
        {
            options.port = port;
        }
        if cfg!(target_os = "linux") && options.device.trim().is_empty() {
            options.device = crate::server::host::jack::client_name_for_port(options.port);
        }
        let mut entry = RosterEntry::watch(
            crate::server::client_address(&options.bind_address, options.port).to_string(),
        );
        entry.protocol = options.protocol;
        entry.boot = Some(options);
        self.add_entry(entry)
    }

    /// Adds a session for the server at `addr` (`host:port`), watching unless `login`.
    pub fn add_server(&mut self, addr: String, name: String, login: bool) -> SessionId {
        let mut entry = RosterEntry::watch(addr);
        entry.name = name;
        entry.login = login;
        self.add_entry(entry)
    }

    /// Adds a session for a roster entry: booted here, or joined (watching unless the entry
    /// logs in), and rejoined when it goes away.
    pub fn add_entry(&mut self, entry: RosterEntry) -> SessionId {
        if self.sessions.len() >= MAX_SERVERS {
            self.session().notice(
                "Too many servers",
                format!("the window holds at most {MAX_SERVERS} servers: remove some first"),
                true,
            );
            return self.session().id;
        }
        // A session that never had a server (the one a window starts with) takes the first
        // entry, rather than staying on the wall as an empty tile.
        let unused = self.sessions.iter().find(|s| {
            s.server.state() == ServerState::Offline
                && s.addr.is_empty()
                && s.server_busy == 0
                && s.server.absence().offline_since.is_none()
                && s.server.with_log(|l| l.lines().next().is_none())
        });
        let id = match unused {
            Some(s) => s.id,
            None => self.add_session(),
        };
        let Some(s) = self.sessions.iter_mut().find(|s| s.id == id) else {
            return id;
        };
        s.addr = entry.addr.clone();
        s.name = entry.name.trim().to_string();
        s.server.set_rejoin_policy(RejoinPolicy {
            rejoin: true,
            reboot: entry.auto_reboot,
        });
        s.booted = entry.boot.is_some();
        let action = match entry.boot {
            Some(options) => Action::Boot(options),
            None => Action::Join {
                addr: entry.addr,
                protocol: entry.protocol,
                login: entry.login,
            },
        };
        self.actions.push_for(id, action);
        id
    }

    /// Every server in pasted `host:port` lines becomes a watching tile; bad lines are
    /// listed on the wall with what to fix.
    pub fn add_pasted(&mut self, text: &str) {
        let (entries, bad) = Roster::parse_list(text);
        self.wall.problems = bad
            .into_iter()
            .map(|(line, why)| format!("line {line}: {why}"))
            .collect();
        for e in entries {
            self.add_entry(e);
        }
    }

    /// The wall as a roster: each session that has (or had) a server.
    pub fn roster(&self) -> Roster {
        let servers = self
            .sessions
            .iter()
            .filter_map(|s| {
                let server = &s.server;
                let live = server.session();
                let booted = live.as_ref().is_some_and(|l| l.is_owner) || s.booted;
                let addr = match (&live, s.addr.is_empty()) {
                    (_, false) => s.addr.clone(),
                    (Some(l), true) => l.addr.to_string(),
                    (None, true) => return None,
                };
                let options = server.options();
                Some(RosterEntry {
                    name: s.name.clone(),
                    addr,
                    protocol: live.as_ref().map_or(options.protocol, |l| l.protocol),
                    login: live
                        .as_ref()
                        .is_some_and(|l| l.login.is_some() && !l.is_owner),
                    boot: booted.then_some(options),
                    auto_reboot: booted && server.rejoin_policy().reboot,
                })
            })
            .collect();
        Roster { servers }
    }

    /// Saves the wall to `path`; says where it went, or why it could not.
    pub fn save_roster(&mut self, path: &str) {
        let roster = self.roster();
        let n = roster.servers.len();
        match roster.save(std::path::Path::new(path)) {
            Ok(()) => {
                self.session()
                    .notice("Roster saved", format!("{n} server(s) in {path}"), false)
            }
            Err(e) => self.session().notice("Roster not saved", e, true),
        }
    }

    /// Adds every server of the roster at `path` to the wall (the servers already on it
    /// stay); a file that can't be used changes nothing and says why.
    pub fn load_roster(&mut self, path: &str) {
        match Roster::load(std::path::Path::new(path)) {
            Ok(roster) => {
                for e in roster.servers {
                    self.add_entry(e);
                }
            }
            Err(e) => self.session().notice("Roster not loaded", e, true),
        }
    }

    /// Takes a tile off the wall: a server this window booted is quit, any other is left
    /// (logged out of, when logged in). The window always keeps one session.
    pub fn remove_session(&mut self, id: SessionId) {
        let Some(i) = self.sessions.iter().position(|s| s.id == id) else {
            return;
        };
        let session = self.sessions.remove(i);
        self.wall.found.session_removed(id);
        let server = session.server.clone();
        if let Ok(mut all) = self.servers.lock() {
            all.retain(|s| !s.same_handle(&server));
        }
        server.stop_rejoining();
        self.bridge.spawn(async move { server.shutdown().await });
        if self.sessions.is_empty() {
            self.add_session();
        }
        // The same session stays current when another one goes.
        if i < self.current {
            self.current -= 1;
        }
        self.current = self.current.min(self.sessions.len() - 1);
    }

    /// Makes the session `id` the one the panels draw; false when there is none.
    pub fn show_session(&mut self, id: SessionId) -> bool {
        match self.sessions.iter().position(|s| s.id == id) {
            Some(i) => {
                self.current = i;
                true
            }
            None => false,
        }
    }

    /// Quits every server this window owns (finishing recordings) and logs out of the
    /// others, waiting at most `limit` in all. For closing the app.
    pub fn shutdown(&self, limit: Duration) {
        let servers = self.sessions.iter().map(|s| s.server.clone()).collect();
        let _ = self
            .bridge
            .block_on(async { tokio::time::timeout(limit, shutdown_all(servers)).await });
    }

    /// Runs every action the frame's panels pushed, each against its own session. Called
    /// once per frame, after the panels are drawn.
    pub fn run_actions(&mut self) {
        for (id, action) in self.actions.take() {
            if let Action::StopJack = action {
                if let Some(j) = self.own_jack.take() {
                    self.bridge.spawn(async move { j.stop().await });
                }
                self.mixer.jack_changed();
                self.boot.audio.jack_changed(false);
                continue;
            }
            // A session closed since the click has nobody left to do it for.
            if let Some(s) = self.sessions.iter_mut().find(|s| s.id == id) {
                s.dispatch(&self.bridge, action);
            }
        }
    }

    /// Takes in every result that came back since the last frame: session data, panel
    /// fields, notices. Called once per frame, before the panels are drawn.
    pub fn apply_finished(&mut self) {
        for i in 0..self.sessions.len() {
            for done in self.sessions[i].finished() {
                self.apply(i, done);
            }
        }
    }

    fn apply(&mut self, i: usize, done: Done) {
        let session = &mut self.sessions[i];
        let outcome = match done.result {
            Ok(o) => o,
            Err(f) => {
                // A lookup that ended early still ends the wait for it.
                if let Action::LookUpHost(host) = &done.action {
                    self.connect.looked(host.clone(), Err(f.text.clone()));
                }
                // The Found list shows its own failures where they happened.
                match &done.action {
                    Action::Scan { .. } => {
                        self.wall.found.scan_done(Err(f.text));
                        return;
                    }
                    Action::Browse => {
                        self.wall.found.browsing = false;
                        self.wall.found.error = Some(f.text);
                        return;
                    }
                    Action::Version => {
                        self.about.answered(session.id, Err(f.text));
                        return;
                    }
                    _ => {}
                }
                if done.action.tells_failure() {
                    if let Some(o) = f.offer
                        && let Ok(mut inbox) = session.inbox.lock()
                    {
                        inbox.offers.push(o);
                    }
                    session.notice(done.action.title(), f.text, true);
                }
                return;
            }
        };
        match outcome {
            Outcome::Done => {}
            Outcome::Buffer { info, file } => {
                session.buffers.insert(info.id, BufferRow { info, file });
            }
            Outcome::BufferFreed(id) => {
                session.buffers.remove(&id);
            }
            Outcome::BusValues(v) => session.bus_values.extend(v),
            Outcome::ScopeSource(spec) => {
                self.scope_source = super::scope_panel::ScopeSource {
                    bus: spec.bus,
                    channels: spec
                        .channels
                        .clamp(1, crate::server::model::scope::MAX_CHANNELS),
                    label: Some(match spec.note {
                        Some(note) => format!("{} ({note})", spec.name),
                        None => spec.name,
                    }),
                    chosen: true,
                };
                self.tab = Tab::Scope;
            }
            Outcome::RecordingSaved(path) => {
                session.notice("Recording saved", path.display().to_string(), false)
            }
            Outcome::SpeakersConnected(pairs) => {
                let text = pairs
                    .iter()
                    .map(|(a, b)| format!("{a} -> {b}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                session.notice("Connected", text, false);
            }
            Outcome::Jack(status) => {
                self.boot.audio.jack_status = Some(status.clone());
                self.mixer.jack_status = Some(status);
            }
            Outcome::JackRate(rate) => self.boot.jack_rate = rate,
            Outcome::Executable { asked, found } => self.boot.executable_found(asked, found),
            Outcome::JackStarted(j) => {
                self.own_jack = Some(j.0);
                self.mixer.jack_changed();
                self.boot.audio.jack_changed(true);
            }
            Outcome::AudioDevices { cards, pipewire } => {
                self.mixer.pipewire_jack = pipewire.provides_jack();
                self.boot.audio.found(cards, pipewire);
            }
            Outcome::Booted { rate_mismatch } => {
                if let Some(why) = &rate_mismatch {
                    session.notice("Sample rate", why.clone(), false);
                }
                self.boot.rate_mismatch = rate_mismatch;
            }
            Outcome::Looked { host, result } => self.connect.looked(host, result),
            Outcome::Picked { path: None, .. } => {}
            Outcome::Picked {
                pick,
                path: Some(p),
            } => match pick {
                Pick::Executable => self.boot.picked(p),
                Pick::SoundFile => self.buffers.path = p.display().to_string(),
                Pick::Recording { .. } => self.mixer.record_path = p.display().to_string(),
                Pick::Roster => self.wall.roster_path = p.display().to_string(),
            },
            Outcome::Browsing(b) => {
                let mut changes = b.0.watch();
                let waker = self.bridge.waker();
                // Ends when the browser is dropped (its threads end, and the sender with them).
                self.bridge.spawn(async move {
                    while changes.changed().await.is_ok() {
                        waker.wake();
                    }
                });
                self.wall.found.browser_started(b.0);
            }
            Outcome::Scanned(found) => self.wall.found.scan_done(Ok(found)),
            Outcome::Version(info) => self.about.answered(session.id, Ok(info)),
            Outcome::ProcessStopped { pid } => {
                session.notice("Stopped", format!("pid {pid} is gone: boot again"), false)
            }
        }
    }

    /// Makes SIGTERM, SIGHUP and SIGINT quit the owned server (finishing a recording first)
    /// or log out of another's, then close the window. A second signal ends the process at
    /// once (the server's parent-death signal then stops it).
    pub fn handle_signals(&self) -> Result<(), String> {
        let mut signals = self
            .bridge
            .block_on(async { Signals::install() })
            .map_err(|e| format!("cannot listen for signals: {e}"))?;
        let servers = self.servers.clone();
        let terminated = self.terminated.clone();
        let window = self.window.clone();
        self.bridge.spawn(async move {
            let sig = signals.recv().await;
            // Every session's server is quit (or logged out of) before the window closes.
            let servers = servers.lock().map(|s| s.clone()).unwrap_or_default();
            let online: Vec<bool> = servers
                .iter()
                .filter_map(|s| s.session().map(|s| s.is_owner))
                .collect();
            let owned = online.iter().filter(|o| **o).count();
            eprintln!("scpanel: {sig}: {}", leaving(owned, online.len() - owned));
            let all = shutdown_all(servers);
            tokio::select! {
                _ = tokio::time::timeout(SIGNAL_SHUTDOWN_LIMIT, all) => {}
                again = signals.recv() => std::process::exit(128 + again.number()),
            }
            if let Ok(mut t) = terminated.lock() {
                *t = Some(sig);
            }
            if let Some(ctx) = window.lock().ok().and_then(|w| w.clone()) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            let again = signals.recv().await;
            std::process::exit(128 + again.number());
        });
        Ok(())
    }

    pub fn boot(&mut self) {
        if let Some(why) = self.boot.blocker() {
            self.session().notice("Can't boot", why, true);
            return;
        }
        if self.boot.ask_about_network() {
            return;
        }
        if let Some(w) = self.boot.warning() {
            self.session().notice("Sample rate", w, false);
        }
        let options = self.boot.options.clone();
        if let Err(e) = profiles::save_last(&options) {
            self.session().notice("Options not saved", e, true);
        }
        self.session_mut().booted = true;
        self.actions.push(Action::Boot(options));
    }

    fn quit(&mut self) {
        if self.session().server.is_owner() {
            self.actions.push(Action::Quit);
        } else {
            self.side = Side::Connect;
            self.side_open = true;
            self.connect.confirm_quit = true;
        }
    }

    /// The window title as last set.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Synths the user plays: scpanel's own meter, volume, recorder and tone synths left out.
    pub fn user_synths(&self) -> usize {
        let server = &self.session().server;
        server.with_tree(|t| {
            t.nodes()
                .filter(|n| !n.is_group() && !server.is_own_node(n.id))
                .count()
        })
    }

    /// scpanel's own synths on the server.
    pub fn own_synths(&self) -> usize {
        let server = &self.session().server;
        let Some(group) = server.own_node(crate::server::ops::own_nodes::Own::Group) else {
            return 0;
        };
        server.with_tree(|t| t.children(group).filter(|n| !n.is_group()).count())
    }

    /// What a quit would stop, as the question to ask; `None` when there is nothing to lose
    /// (or the user said not to ask).
    pub fn quit_question(&self) -> Option<String> {
        if self.quit_without_asking {
            return None;
        }
        // Quitting or closing only ends the synths of a server we own; a guest just leaves.
        let synths =
            if self.session().server.is_owner() && self.session().server.state().is_online() {
                self.user_synths()
            } else {
                0
            };
        let recording = self.session().server.recording();
        let mut parts = Vec::new();
        match synths {
            0 => {}
            1 => parts.push("1 synth playing".to_string()),
            n => parts.push(format!("{n} synths playing")),
        }
        if let Some(r) = &recording {
            parts.push(format!("recording {}", status_bar::mm_ss(r.elapsed())));
        }
        if parts.is_empty() {
            None
        } else {
            Some(format!("{}: stop and quit?", parts.join(", ")))
        }
    }

    /// Ctrl+Q: quit at once when nothing would be lost, otherwise ask.
    fn quit_key(&mut self) {
        if self.session().server.is_owner() && self.quit_question().is_some() {
            self.confirm_quit = Some(QuitKind::Server);
        } else {
            self.quit();
        }
    }

    /// The window's close button: asks first when synths or a recording would stop.
    fn close_request(&mut self, ctx: &egui::Context) {
        if !ctx.input(|i| i.viewport().close_requested()) || self.close_confirmed {
            return;
        }
        if self.quit_question().is_some() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm_quit = Some(QuitKind::Window);
        }
    }

    fn quit_dialog(&mut self, ctx: &egui::Context) {
        let Some(kind) = self.confirm_quit else {
            return;
        };
        let Some(question) = self.quit_question() else {
            // Nothing left to lose (the synths ended meanwhile): no need to ask.
            self.confirm_quit = None;
            self.confirmed_quit(ctx, kind);
            return;
        };
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("confirm-quit")).show(ctx, |ui| {
            ui.set_max_width(360.0);
            ui.label(RichText::new(question).strong());
            ui.checkbox(&mut self.dont_ask_ticked, "Don't ask again");
            ui.horizontal(|ui| {
                if ui.button("Stop and quit").clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        if let Some(yes) = answer {
            self.confirm_quit = None;
            if yes {
                self.quit_without_asking = self.dont_ask_ticked;
                self.confirmed_quit(ctx, kind);
            }
            self.dont_ask_ticked = false;
        }
    }

    fn confirmed_quit(&mut self, ctx: &egui::Context, kind: QuitKind) {
        match kind {
            QuitKind::Server => self.quit(),
            QuitKind::Window => {
                self.close_confirmed = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let labels: Vec<&'static str> = Tab::ALL.iter().map(|t| t.label()).collect();
        let pressed: Vec<Command> = ctx.input_mut(|i| {
            keys::bindings(&labels)
                .into_iter()
                .filter(|b| i.consume_shortcut(&b.shortcut))
                .map(|b| b.command)
                .collect()
        });
        let state = self.session().server.state();
        for command in pressed {
            match command {
                Command::Boot if state == ServerState::Offline => self.boot(),
                Command::Quit if state.is_online() => self.quit_key(),
                Command::Reboot if self.session().server.is_owner() => {
                    self.actions.push(Action::Reboot)
                }
                // Reset is the panic button: never asks.
                Command::Reset if state.is_online() => self.actions.push(Action::Reset),
                Command::ToggleSide => self.side_open = !self.side_open,
                Command::Tab(i) => {
                    if let Some(t) = Tab::ALL.get(i) {
                        self.tab = *t;
                    }
                }
                Command::ConsoleInput => {
                    self.tab = Tab::Console;
                    ctx.memory_mut(|m| {
                        m.request_focus(egui::Id::unique(super::console::CONSOLE_INPUT))
                    });
                }
                Command::TreeFilter => {
                    self.tab = Tab::Tree;
                    ctx.memory_mut(|m| {
                        m.request_focus(egui::Id::unique(super::tree_panel::TREE_FILTER))
                    });
                }
                Command::Help => self.keys_open = !self.keys_open,
                Command::About => self.about.open(state.is_online(), &mut self.actions),
                _ => {}
            }
        }
    }

    /// Notices and offers float in the bottom right corner, over the panels: they never move
    /// the layout, so a click can't land on a widget that slid under the pointer. Errors and
    /// offers stay until dismissed; confirmations fade after a few seconds.
    fn toasts(&mut self, ctx: &egui::Context) {
        let expiry = Duration::from_secs(NOTICE_SECONDS);
        let (notices, offers) = match self.session().inbox.lock() {
            Ok(mut i) => {
                let now = std::time::SystemTime::now();
                i.notices.retain(|n| {
                    n.error || now.duration_since(n.at).map_or(true, |age| age < expiry)
                });
                (i.notices.clone(), i.offers.clone())
            }
            Err(_) => return,
        };
        if notices.iter().any(|n| !n.error) {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        if notices.is_empty() && offers.is_empty() {
            self.stop_dialog(ctx);
            return;
        }
        let mut dismiss = None;
        let mut take_offer = None;
        let mut dismiss_all = false;
        let width = (ctx.content_rect().width() - 24.0).clamp(200.0, 420.0);
        egui::Area::new(egui::Id::unique("toasts"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -12.0))
            .show(ctx, |ui| {
                ui.set_max_width(width);
                for (i, n) in notices.iter().enumerate().rev().take(4) {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_width(width);
                        let colour = if n.error {
                            tone(ui, Tone::Error)
                        } else {
                            tone(ui, Tone::Good)
                        };
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(&n.title).strong().color(colour));
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    if ui.small_button("Dismiss").clicked() {
                                        dismiss = Some(i);
                                    }
                                },
                            );
                        });
                        ui.label(&n.text);
                    });
                }
                for (i, o) in offers.iter().enumerate() {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_width(width);
                        ui.horizontal_wrapped(|ui| {
                            if self.offer(ui, o) {
                                take_offer = Some(i);
                            }
                            if ui.small_button("Not now").clicked() {
                                take_offer = Some(i);
                            }
                        });
                    });
                }
                if notices.len() + offers.len() > 1 && ui.small_button("Dismiss all").clicked() {
                    dismiss_all = true;
                }
            });
        if let Ok(mut inbox) = self.session().inbox.lock() {
            if dismiss_all {
                inbox.notices.clear();
                inbox.offers.clear();
            }
            if let Some(i) = dismiss
                && i < inbox.notices.len()
            {
                inbox.notices.remove(i);
            }
            if let Some(i) = take_offer
                && i < inbox.offers.len()
            {
                inbox.offers.remove(i);
            }
        }
        self.stop_dialog(ctx);
    }

    /// One offer's buttons; true when the offer was taken.
    fn offer(&mut self, ui: &mut egui::Ui, o: &Offer) -> bool {
        let mut taken = false;
        match o {
            Offer::WatchOnly(c) => {
                ui.label("Every login of that server is taken.");
                if ui.button("Watch without logging in").clicked() {
                    self.actions.push(Action::Watch(c.clone()));
                    taken = true;
                }
            }
            Offer::PortHeld {
                port,
                holder,
                suggestion,
            } => {
                ui.label(format!(
                    "Port {port} is held by {} (pid {}).",
                    holder.command, holder.pid
                ));
                if holder.is_scsynth() && ui.button("Connect to it").clicked() {
                    self.connect.port = port.to_string();
                    self.side = Side::Connect;
                    self.side_open = true;
                    taken = true;
                }
                if ui.button(format!("Stop pid {}…", holder.pid)).clicked() {
                    self.confirm_stop = Some(holder.clone());
                    taken = true;
                }
                if let Some(p) = suggestion
                    && ui.button(format!("Use port {p}")).clicked()
                {
                    let mut o = self.boot.options.clone();
                    o.port = *p;
                    self.boot.set_options(o);
                    // The user asked to boot, and this is the one way it can: do it now.
                    self.boot();
                    taken = true;
                }
            }
        }
        taken
    }

    fn stop_dialog(&mut self, ctx: &egui::Context) {
        let Some(holder) = self.confirm_stop.clone() else {
            return;
        };
        egui::Window::new("Stop that process?")
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(format!("pid {}: {}", holder.pid, holder.command));
                ui.label("Only this one process is stopped (SIGTERM, then SIGKILL).");
                ui.horizontal(|ui| {
                    if ui.button("Stop it").clicked() {
                        self.actions.push(Action::StopProcess(holder.clone()));
                        self.confirm_stop = None;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_stop = None;
                    }
                });
            });
    }

    /// Puts the display settings on the window, and keeps a zoom changed with Ctrl + / −
    /// / 0 for the next start (written on the runtime, not on this thread).
    fn apply_display(&mut self, ctx: &egui::Context) {
        // A zoom the keys changed since the last frame (egui's own Ctrl + / − / 0). A zoom
        // we set takes effect a frame later: until then the old one is no change of the keys.
        let zoom = ctx.zoom_factor();
        if let Some(applied) = self.display_applied
            && (zoom - applied.zoom).abs() > f32::EPSILON
            && !self.zoom_pending
        {
            self.display.zoom = zoom;
        }
        self.zoom_pending = false;
        if self.display_applied == Some(self.display) {
            return;
        }
        super::theme::apply(ctx, &self.display);
        if (zoom - self.display.zoom).abs() > f32::EPSILON {
            ctx.set_zoom_factor(self.display.zoom);
            self.zoom_pending = true;
        }
        // The first frame only applies what was loaded; later changes are saved, by one
        // task, latest first (Ctrl + held down makes many changes in a row).
        if self.display_applied.is_some() {
            let saver = self.display_saver.get_or_insert_with(|| {
                let (tx, mut rx) = tokio::sync::watch::channel(self.display);
                let waker = self.bridge.waker();
                let inbox = self.sessions[self.current].inbox.clone();
                self.bridge.spawn(async move {
                    while rx.changed().await.is_ok() {
                        let d = *rx.borrow_and_update();
                        let saved = tokio::task::spawn_blocking(move || d.save()).await;
                        if let Ok(Err(e)) = saved {
                            if let Ok(mut i) = inbox.lock() {
                                i.notice("Display settings not saved", e, true);
                            }
                            waker.wake();
                        }
                    }
                });
                tx
            });
            saver.send_replace(self.display);
        }
        self.display_applied = Some(self.display);
    }

    /// Tells the live region what changed (see [`super::announce`]).
    fn announce(&mut self, ctx: &egui::Context) {
        let now = std::time::Instant::now();
        let session = self.session();
        let server = &session.server;
        let away = server.absence();
        let name = wall::label(session);
        let meters = server.meters();
        let clips = meters
            .inputs
            .iter()
            .chain(&meters.outputs)
            .filter(|c| c.clipping(now))
            .count();
        let seen = super::announce::Seen {
            session: session.id,
            name: &name,
            state: server.state(),
            crashes: away.crashes,
            away: away.reason.as_deref(),
            alerts: self.alert_count(),
            clips,
        };
        if let Some(wait) = self.announcer.observe(now, &seen) {
            ctx.request_repaint_after(wait);
        }
    }

    /// Servers with an alert, as the window title counts them.
    pub fn alert_count(&self) -> usize {
        self.sessions
            .iter()
            .filter(|s| wall::alerts(s, self.wall.cpu_threshold).any())
            .count()
    }

    /// The window title names a running recording and counts the servers with an alert, so
    /// both show in the task bar too.
    fn window_title(&mut self, ctx: &egui::Context, recording: Option<&Recording>) {
        let mut title = match recording {
            // The title is drawn by the window manager's font, which has the dot.
            Some(r) => format!("\u{25CF} {} \u{B7} scpanel", status_bar::rec_short(r)),
            None => "scpanel".to_string(),
        };
        match self.alert_count() {
            0 => {}
            1 => title.push_str(" \u{B7} 1 alert"),
            n => title.push_str(&format!(" \u{B7} {n} alerts")),
        }
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The row of tab buttons; it wraps onto a second line when the window is narrow. With
    /// several servers it ends with the one the other tabs show, to switch between them.
    fn tabs(&mut self, ui: &mut egui::Ui) {
        let mut show = None;
        ui.horizontal_wrapped(|ui| {
            for t in Tab::ALL {
                ui.selectable_value(&mut self.tab, t, t.label());
            }
            if self.sessions.len() > 1 && self.tab != Tab::Servers {
                ui.separator();
                let current = self.sessions[self.current].id;
                let label = ui.label("Server");
                egui::ComboBox::from_id_salt("current-server")
                    .selected_text(wall::label(&self.sessions[self.current]))
                    .show_ui(ui, |ui| {
                        for s in &self.sessions {
                            if ui
                                .selectable_label(s.id == current, wall::label(s))
                                .clicked()
                            {
                                show = Some(s.id);
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
        });
        if let Some(id) = show {
            self.show_session(id);
        }
    }
}

impl eframe::App for ScPanel {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        // The panels' colour: they paint none of their own (see `ui`).
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.bridge.set_context(&ctx);
        if let Ok(mut w) = self.window.lock()
            && w.is_none()
        {
            *w = Some(ctx.clone());
        }
        // A signal that came before the first frame had no window to close yet.
        if self.terminated.lock().is_ok_and(|t| t.is_some()) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.frame_debug {
            // Why this frame ran: for checking that an idle app stays idle.
            eprintln!(
                "frame {:?} {:?}",
                std::time::Instant::now(),
                ctx.repaint_causes()
            );
        }
        self.apply_display(&ctx);
        self.apply_finished();
        self.actions.target = self.session().id;
        self.close_request(&ctx);
        self.shortcuts(&ctx);
        if self.boot.network_question(&ctx) {
            self.boot();
        }
        let state = self.session().server.state();
        let session = self.session().server.session();
        let status = self.session().server.latest_status();
        let recording = self.session().server.recording();
        // Boot is offered: it needs to know whether the program is there.
        if !state.is_online() {
            self.boot.find_executable(&mut self.actions);
        }
        let blocker = self.boot.blocker();
        // The master meter shows while the meters run, on every tab.
        let master = (state.is_online() && self.session().server.mixer_settings().meters)
            .then(|| self.session().server.meters().outputs);
        self.window_title(&ctx, recording.as_ref());
        self.announce(&ctx);
        // The panels paint no background of their own: the window is cleared to the panel
        // colour (`clear_color`). Under software GL each full-window fill cost as much as the
        // rest of a frame (scripts/bench-draw.sh).
        let style = ctx.global_style();
        egui::Panel::top("status-bar")
            .frame(egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT))
            .show(ui, |ui| {
                let a = status_bar::ui(
                    ui,
                    status_bar::View {
                        state,
                        session: session.as_ref(),
                        status,
                        boot_blocker: blocker.as_deref(),
                        recording: recording.as_ref(),
                        side_open: self.side_open,
                        own_synths: self.own_synths(),
                        last_reply: self.session().server.last_heard(),
                        cpu_alert: Some(self.wall.cpu_threshold),
                        large: self.display.large_figures,
                        master: master.as_deref(),
                        xruns: self.session().xruns(),
                    },
                );
                if a.test_tone {
                    self.actions.push(Action::TestTone);
                }
                if a.boot {
                    self.boot();
                }
                if a.quit {
                    self.quit();
                }
                if a.reboot {
                    self.actions.push(Action::Reboot);
                }
                if a.reset {
                    self.actions.push(Action::Reset);
                }
                if a.toggle_side {
                    self.side_open = !self.side_open;
                }
                if a.about {
                    self.about.open(state.is_online(), &mut self.actions);
                }
                self.announcer.ui(ui);
                if state == ServerState::Offline
                    && let Some(why) = &blocker
                {
                    ui.colored_label(tone(ui, Tone::Error), format!("Boot is disabled: {why}"));
                }
            });
        let side_width = (ctx.content_rect().width() * 0.35).clamp(240.0, 380.0);
        egui::Panel::left("side")
            .frame(egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT))
            .resizable(true)
            .default_size(side_width)
            .min_size(240.0)
            .show_collapsible(ui, &mut self.side_open, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.selectable_value(&mut self.side, Side::Boot, "Boot options");
                    ui.selectable_value(&mut self.side, Side::Connect, "Connect to a server");
                });
                ui.separator();
                // Both ways: a field wider than the panel scrolls instead of widening it.
                egui::ScrollArea::both()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        // Where students point their clients, while a class server runs.
                        let session = &self.sessions[self.current];
                        self.join.ui(ui, session);
                        match self.side {
                            Side::Boot => self.boot.ui(ui, session, &mut self.actions),
                            Side::Connect => self.connect.ui(ui, session, &mut self.actions),
                        }
                    });
            });
        let mut wall_asked = Vec::new();
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT))
            .show(ui, |ui| {
                self.tabs(ui);
                ui.separator();
                // The wall's tiles move with every server's status; the plots scroll with time,
                // and the console may be showing every status reply.
                let wall_shown = self.tab == Tab::Servers;
                for (i, s) in self.sessions.iter().enumerate() {
                    // On the wall the status bar, too, moves at the wall's pace.
                    s.set_status_frames(if i != self.current || wall_shown {
                        StatusFrames::Never
                    } else if matches!(self.tab, Tab::Plots)
                        || (self.tab == Tab::Console && self.console.show_status)
                    {
                        StatusFrames::Every
                    } else {
                        StatusFrames::Figures
                    });
                    // A running scope draws 25 frames a second: the status bar's master
                    // meter rides on them rather than ask for 20 more of its own.
                    let scope_frames = matches!(self.tab, Tab::Scope | Tab::Spectrum)
                        && s.scope.view().frame.is_some();
                    s.set_meters_shown(if i != self.current || wall_shown || scope_frames {
                        MetersShown::Hidden
                    } else if self.tab == Tab::Levels {
                        MetersShown::All
                    } else {
                        MetersShown::Master
                    });
                    let scope = (i == self.current && !wall_shown)
                        .then(|| match self.tab {
                            Tab::Scope => Some(self.scope.spec(&self.scope_source)),
                            Tab::Spectrum => Some(self.spectrum.spec(&self.scope_source)),
                            _ => None,
                        })
                        .flatten();
                    s.scope.want(scope);
                }
                if wall_shown {
                    // The tiles' figures and CPU lines move at this pace, not with each of the
                    // servers' replies; a server going away or coming back redraws at once.
                    ui.ctx().request_repaint_after(WALL_REFRESH);
                    let current = self.sessions[self.current].id;
                    wall_asked = self.wall.ui(ui, &self.sessions, current, &mut self.actions);
                    return;
                }
                let session = &mut self.sessions[self.current];
                let actions = &mut self.actions;
                match self.tab {
                    Tab::Servers => {}
                    Tab::Tree => session.tree.ui(ui, &session.server, actions),
                    Tab::Plots => self.plots.ui(ui, &session.server, &session.xruns()),
                    Tab::Levels => self.mixer.ui(ui, session, self.own_jack.is_some(), actions),
                    Tab::Scope | Tab::Spectrum => {
                        let layout = session.server.session().map_or((1024, 2), |s| {
                            (s.layout.audio_buses, s.layout.output_channels)
                        });
                        if !self.scope_source.chosen {
                            self.scope_source = super::scope_panel::ScopeSource::outputs(layout.1);
                        }
                        let view = session.scope.view();
                        if self.tab == Tab::Scope {
                            self.scope.ui(ui, &mut self.scope_source, &view, layout);
                        } else {
                            self.spectrum.ui(ui, &mut self.scope_source, &view, layout);
                        }
                    }
                    Tab::Buffers => self.buffers.ui(ui, session, actions),
                    Tab::Console => self.console.ui(ui, session, actions),
                    Tab::Log => self.log.ui(ui, &session.server),
                }
            });
        self.wall_requests(wall_asked);
        focus_ring(&ctx);
        if self.keys_open {
            let labels: Vec<&'static str> = Tab::ALL.iter().map(|t| t.label()).collect();
            keys::help_window(&ctx, &mut self.keys_open, &labels, &mut self.display);
        }
        self.toasts(&ctx);
        self.quit_dialog(&ctx);
        let online = self.session().server.state().is_online();
        self.about.ui(&ctx, self.session().id, online);
        // The recording's clock and size in the status bar move once a second.
        if recording.is_some() {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        self.run_actions();
        // Busy work in the background: look again soon, without spinning.
        if self.sessions.iter().any(|s| s.busy > 0) || state == ServerState::Booting {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.shutdown(Duration::from_secs(5));
        if let Some(j) = self.own_jack.take() {
            self.bridge.block_on(j.stop());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use egui_kittest::Harness;

    use super::*;

    #[test]
    fn a_signal_says_which_servers_it_quits_and_which_it_leaves_running() {
        assert_eq!(leaving(0, 0), "closing");
        assert_eq!(leaving(0, 1), "logging out, leaving the server running");
        assert_eq!(leaving(1, 0), "quitting the server this window booted…");
        assert_eq!(
            leaving(2, 3),
            "quitting the servers this window booted, logging out of the others…"
        );
    }

    fn app() -> Harness<'static, ScPanel> {
        Harness::builder()
            .with_size(egui::vec2(1200.0, 800.0))
            .build_eframe(|_cc| ScPanel::new(Options::default()).expect("app"))
    }

    /// Steps until `done` holds, for results that come back from the runtime.
    fn step_until(h: &mut Harness<'static, ScPanel>, done: impl Fn(&ScPanel) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(h.state()) {
            assert!(Instant::now() < deadline, "timed out");
            h.step();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn titles(s: &Session) -> Vec<String> {
        s.inbox
            .lock()
            .unwrap()
            .notices
            .iter()
            .map(|n| n.title.clone())
            .collect()
    }

    #[test]
    fn the_frame_runs_what_was_queued_once_and_its_failure_becomes_one_notice() {
        let mut h = app();
        h.step();
        h.state_mut().actions.push(Action::RefreshTree);
        h.step();
        assert!(h.state().actions.is_empty(), "the frame took the queue");
        step_until(&mut h, |a| a.session().busy == 0);
        h.step();
        h.step();
        // Offline, the read fails: one notice, with the panel's title, not one per frame.
        assert_eq!(titles(h.state().session()), vec!["Reading the tree"]);
    }

    #[test]
    fn a_result_lands_in_the_panel_that_asked() {
        let mut h = app();
        h.step();
        h.state_mut()
            .actions
            .push(Action::LookUpHost("localhost".into()));
        h.step();
        step_until(&mut h, |a| a.session().busy == 0);
        // Connect's form now knows the name: the frame that draws it asks for no lookup
        // and says nothing about looking it up.
        h.state_mut().connect.host = "localhost".into();
        h.state_mut().side = Side::Connect;
        h.step();
        assert_eq!(h.state().session().busy, 0, "a name already looked up");
        use egui_kittest::kittest::Queryable;
        assert!(h.query_by_label_contains("looking up").is_none());
        assert!(titles(h.state().session()).is_empty());
    }

    #[test]
    fn actions_go_to_the_session_the_panels_drew() {
        let mut h = app();
        let first = h.state().session().id;
        let second = h.state_mut().add_session();
        assert_ne!(first, second);
        assert!(h.state_mut().show_session(second));
        h.step();
        h.state_mut().actions.push(Action::RefreshTree);
        h.step();
        step_until(&mut h, |a| a.sessions.iter().all(|s| s.busy == 0));
        h.step();
        let by_id = |id| {
            let a = h.state();
            titles(a.sessions.iter().find(|s| s.id == id).expect("session"))
        };
        assert_eq!(by_id(second), vec!["Reading the tree"]);
        assert!(by_id(first).is_empty(), "the other server was not asked");
        assert!(!h.state_mut().show_session(99), "no such session");
    }
}
