//! One server the window shows: its handle, what came from it (notices, traffic, events,
//! action results) and the panel state that belongs to that server rather than to the
//! window (its tree view's collapsed groups and highlights, its buffers, its control-bus
//! values). The app holds a list of these.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::gui::actions::perform::perform;
use crate::gui::actions::{Action, Done, SessionId};
use crate::gui::bridge::{
    Bridge, FramePacer, Inbox, MIN_FRAME_INTERVAL, RedrawFilter, StatusFrames, TrafficLine, Waker,
};
use crate::gui::tree_view::TreePanel;
use scpanel_core::audio::xruns::{self, NoJack, XrunWatcher, Xruns};
use scpanel_core::{Direction, Server, ServerEvent};

/// The soonest a frame follows an xrun.
const XRUN_FRAME_PACE: std::time::Duration = std::time::Duration::from_millis(250);

/// One of this client's buffers, as the server described it when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct BufferRow {
    pub info: scpanel_core::BufferInfo,
    pub file: Option<std::path::PathBuf>,
}

/// What the window knows of the JACK xruns of a server it booted.
#[derive(Debug, Clone, Default)]
pub enum XrunsShown {
    /// Not counting: no server booted here (or it is starting).
    #[default]
    Off,
    /// No JACK to count with, and why.
    NoJack(String),
    /// Counting since the server booted.
    Counting(Xruns),
}

/// The meters' data rate (`SendPeakRMS` at 20 Hz): frames for them come no closer.
pub(crate) const METER_FRAME: std::time::Duration = std::time::Duration::from_millis(50);

/// When to draw a changed meter picture: `None` when a frame is due already (it draws the
/// change), else in time to keep frames [`METER_FRAME`] apart. `scheduled` is the last
/// frame asked for.
fn meter_frame(
    scheduled: &mut Option<std::time::Instant>,
    now: std::time::Instant,
) -> Option<std::time::Duration> {
    if scheduled.is_some_and(|s| s > now) {
        return None;
    }
    let due = scheduled.map_or(now, |s| (s + METER_FRAME).max(now));
    // egui's own minimum: a request for "now" would run a second, settling frame.
    let wait = (due - now).max(std::time::Duration::from_millis(1));
    *scheduled = Some(now + wait);
    Some(wait)
}

/// Which meters of a session the window shows, for the frames their replies need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetersShown {
    /// None: another server is shown, or the wall.
    Hidden,
    /// The status bar's master meter.
    Master,
    /// The Levels tab: every meter.
    All,
}

pub struct Session {
    pub id: SessionId,
    pub server: Server,
    /// The tile's name; empty shows the address.
    pub name: String,
    /// Where the tile's server is, as typed or as it was booted (`host:port`).
    pub addr: String,
    /// Late-bundle lines already seen (the tile's alert counts the ones after).
    pub late_seen: u64,
    /// When the server was added to the window, for sorting by the order of adding.
    pub added: u64,
    /// This window boots this session's server (a roster saves its options).
    pub booted: bool,
    /// Notices, offers, the console's traffic and lifecycle events, filled by this session's
    /// listeners on the runtime and by the app as results come in.
    pub inbox: Arc<Mutex<Inbox>>,
    /// Actions started and not yet back.
    pub busy: usize,
    /// Of those, the ones that concern the server (not only the machine's JACK or cards).
    pub server_busy: usize,
    /// This client's buffers, as the server described them when they were made.
    pub buffers: HashMap<i32, BufferRow>,
    /// Control-bus values, as last read or set.
    pub bus_values: HashMap<u32, f32>,
    /// The master volume slider's value (the server's own settles once the change lands).
    pub volume_db: f32,
    /// Whether this window asked the server to print what it receives (`/dumpOSC`).
    pub dump_osc: bool,
    /// The node tree view: its rows are this server's nodes, its folds this server's groups.
    pub tree: TreePanel,
    /// The Flow tab: the signal flow as last read, and its lane meter.
    pub flow: crate::gui::flow_view::FlowState,
    /// This server's scope, while the Scope or Spectrum tab shows it.
    pub scope: crate::gui::scope_feed::ScopeFeed,
    /// JACK's xruns since this window booted the server, counted by a watcher on the runtime.
    pub xruns: Arc<Mutex<XrunsShown>>,
    /// Why the last boot here failed (the doctor names the cause), until one succeeds.
    pub boot_failure: Option<scpanel_core::ServerError>,
    /// The flight recorder follows this server (from its first boot or connection).
    pub followed: bool,
    /// Its id in the show, once the follower has it.
    pub flight_id: Arc<Mutex<Option<scpanel_core::journal::ServerId>>>,
    /// Whether its OSC traffic goes into the show (the console's "Record traffic").
    pub traffic: crate::flight::TrafficSwitch,
    /// JACK's xrun count last written to the show.
    pub xruns_kept: u64,
    /// The wall's CPU alert was on when the show last heard of it.
    pub cpu_alert_kept: bool,
    done_tx: mpsc::Sender<Done>,
    done_rx: mpsc::Receiver<Done>,
    /// Which status replies need a frame (see [`StatusFrames`]).
    status_frames: Arc<AtomicU8>,
    /// Which of this session's meters are on screen, for the meter waker.
    meters_shown: tokio::sync::watch::Sender<MetersShown>,
    /// How many frames the meter waker has asked for: none while the meters show silence.
    pub meter_frames: Arc<AtomicU64>,
    /// Never sent to: dropped with the session, which ends the tasks that watch it.
    alive: tokio::sync::watch::Sender<()>,
    waker: Waker,
}

impl Session {
    /// A session with a fresh, offline server, its listeners running on `bridge`.
    pub fn new(bridge: &Bridge, id: SessionId) -> Session {
        let (done_tx, done_rx) = mpsc::channel();
        let server = Server::new();
        let session = Session {
            id,
            scope: crate::gui::scope_feed::ScopeFeed::new(bridge, server.clone(), bridge.waker()),
            server,
            name: String::new(),
            addr: String::new(),
            late_seen: 0,
            added: id,
            booted: false,
            inbox: Arc::new(Mutex::new(Inbox::default())),
            busy: 0,
            server_busy: 0,
            buffers: HashMap::new(),
            bus_values: HashMap::new(),
            volume_db: 0.0,
            dump_osc: false,
            tree: TreePanel::default(),
            flow: Default::default(),
            xruns: Arc::default(),
            boot_failure: None,
            followed: false,
            flight_id: Arc::default(),
            traffic: Default::default(),
            xruns_kept: 0,
            cpu_alert_kept: false,
            done_tx,
            done_rx,
            status_frames: Arc::new(AtomicU8::new(StatusFrames::Figures as u8)),
            meters_shown: tokio::sync::watch::channel(MetersShown::Hidden).0,
            meter_frames: Arc::default(),
            alive: tokio::sync::watch::channel(()).0,
            waker: bridge.waker(),
        };
        session.pace_frames(bridge.frames(), bridge.pacer());
        session.spawn_listeners(bridge);
        session.spawn_xrun_watch(bridge);
        session
    }

    /// The xruns as last known. Never waits: the counts are atomics.
    pub fn xruns(&self) -> XrunsShown {
        self.xruns.lock().map(|x| x.clone()).unwrap_or_default()
    }

    /// Counts JACK's xruns from each boot of this session's server until it goes offline:
    /// a JACK client of our own on the server scsynth joined (`-H server:client` names it),
    /// opened and closed on a blocking thread, never starting a JACK server. Only a server
    /// this window booted is on this machine for sure, so only those are counted.
    fn spawn_xrun_watch(&self, bridge: &Bridge) {
        let mut events = self.server.subscribe();
        // It holds the server, whose events never close while it does: it ends with the
        // session instead.
        let mut alive = self.alive.subscribe();
        let server = self.server.clone();
        let shown = self.xruns.clone();
        let waker = self.waker.clone();
        let set = move |x: XrunsShown| {
            if let Ok(mut s) = shown.lock() {
                *s = x;
            }
            waker.wake();
        };
        let waker = self.waker.clone();
        bridge.spawn(async move {
            let mut watcher: Option<XrunWatcher> = None;
            let close = |w: Option<XrunWatcher>| {
                if let Some(w) = w {
                    tokio::task::spawn_blocking(move || drop(w));
                }
            };
            loop {
                let counting = watcher.as_ref().map(XrunWatcher::xruns);
                let xrun = async {
                    match &counting {
                        Some(x) => x.changed().await,
                        None => std::future::pending().await,
                    }
                };
                let event = tokio::select! {
                    _ = alive.changed() => {
                        close(watcher.take());
                        return;
                    }
                    e = events.recv() => e,
                    () = xrun => {
                        // A storm of xruns (one a cycle) still makes a few frames a second.
                        waker.wake_after(XRUN_FRAME_PACE);
                        continue;
                    }
                };
                match event {
                    Ok(ServerEvent::ProcessBooted) => {
                        close(watcher.take());
                        let target = xruns::target_of(&server.options());
                        let opened = tokio::task::spawn_blocking(move || {
                            XrunWatcher::open(&target, "scpanel-xruns")
                        })
                        .await
                        .unwrap_or_else(|e| Err(NoJack::Server(e.to_string())));
                        match opened {
                            Ok(w) => {
                                set(XrunsShown::Counting(w.xruns()));
                                watcher = Some(w);
                            }
                            Err(e) => set(XrunsShown::NoJack(e.to_string())),
                        }
                    }
                    Ok(ServerEvent::Booting | ServerEvent::Offline) => {
                        close(watcher.take());
                        set(XrunsShown::Off);
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        close(watcher.take());
                        return;
                    }
                }
            }
        });
    }

    /// Starts `action` on the runtime; its [`Done`] comes back through [`Session::finished`].
    pub fn dispatch(&mut self, bridge: &Bridge, action: Action) {
        self.busy += 1;
        if !action.reads_only_the_machine() {
            self.server_busy += 1;
        }
        let server = self.server.clone();
        let tx = self.done_tx.clone();
        let waker = self.waker.clone();
        bridge.spawn(async move {
            let result = perform(&server, &action).await;
            // The receiver lives as long as the session; a closed one means nobody waits.
            let _ = tx.send(Done { action, result });
            waker.wake();
        });
        self.waker.wake();
    }

    /// The results that came back since the last call, oldest first. Never waits.
    pub fn finished(&mut self) -> Vec<Done> {
        let done: Vec<Done> = self.done_rx.try_iter().collect();
        self.busy = self.busy.saturating_sub(done.len());
        let on_server = done
            .iter()
            .filter(|d| !d.action.reads_only_the_machine())
            .count();
        self.server_busy = self.server_busy.saturating_sub(on_server);
        done
    }

    pub fn notice(&self, title: &str, text: impl Into<String>, error: bool) {
        if let Ok(mut i) = self.inbox.lock() {
            i.notice(title, text.into(), error);
        }
        self.waker.wake();
    }

    /// Set each frame: which status replies change what is on screen.
    pub fn set_status_frames(&self, which: StatusFrames) {
        self.status_frames.store(which as u8, Ordering::Relaxed);
    }

    /// Set each frame: which of this session's meters are on screen.
    pub fn set_meters_shown(&self, on: MetersShown) {
        self.meters_shown
            .send_if_modified(|shown| std::mem::replace(shown, on) != on);
    }

    /// Asks for frames on the core's changes, coalesced (see [`FramePacer`]).
    fn pace_frames(&self, frames: Arc<AtomicU64>, pacer: Arc<Mutex<FramePacer>>) {
        let status_frames = self.status_frames.clone();
        let filter = Mutex::new(RedrawFilter::default());
        let waker = self.waker.clone();
        self.server.set_on_change(Some(Box::new(move |change| {
            let status_frames = StatusFrames::from_u8(status_frames.load(Ordering::Relaxed));
            if filter
                .lock()
                .map_or(true, |mut f| f.needs_frame(&change, status_frames))
            {
                let frames = frames.load(Ordering::Relaxed);
                let delay = pacer.lock().map_or(Some(MIN_FRAME_INTERVAL), |mut p| {
                    p.request(Instant::now(), frames)
                });
                if let Some(delay) = delay {
                    waker.wake_after(delay);
                }
            }
        })));
    }

    fn spawn_listeners(&self, bridge: &Bridge) {
        if let Some(path) = std::env::var_os("SCPANEL_MIRROR_DUMP") {
            self.spawn_mirror_dump(bridge, path.into());
        }
        let mut osc = self.server.subscribe_osc();
        let inbox = self.inbox.clone();
        bridge.spawn(async move {
            loop {
                match osc.recv().await {
                    Ok(t) => {
                        let line = TrafficLine {
                            at: t.at,
                            direction: t.direction,
                            text: scpanel_core::osc::format_packet(&t.packet),
                        };
                        if let Ok(mut i) = inbox.lock() {
                            i.push_traffic(line);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        if let Ok(mut i) = inbox.lock() {
                            i.traffic_skipped += n;
                            i.push_traffic(TrafficLine {
                                at: std::time::SystemTime::now(),
                                direction: Direction::Received,
                                text: format!("… {n} packets not shown (too many at once)"),
                            });
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        let mut events = self.server.subscribe();
        let inbox = self.inbox.clone();
        let waker = self.waker.clone();
        bridge.spawn(async move {
            while let Ok(e) = events.recv().await {
                let Ok(mut i) = inbox.lock() else {
                    return;
                };
                let text = match &e {
                    ServerEvent::ProcessPanicked { exit, last_lines } => {
                        i.notice(
                            "The server stopped",
                            format!(
                                "scsynth ended by itself ({exit}). Boot it again; its last words:\n{}",
                                last_lines.join("\n")
                            ),
                            true,
                        );
                        format!("process panicked: {exit}")
                    }
                    ServerEvent::OscPanicked { reason } => {
                        i.notice(
                            "Lost the server",
                            format!("The server stopped answering ({reason}). Connect again when it is back."),
                            true,
                        );
                        format!("lost the server: {reason}")
                    }
                    other => format!("{other:?}"),
                };
                if i.events.len() == 200 {
                    i.events.pop_front();
                }
                i.events.push_back(text);
                drop(i);
                waker.wake();
            }
        });
        // Meter replies come 20 times a second per meter and wake nobody by themselves:
        // this asks for a frame only when the picture changes, so silence costs nothing.
        let server = self.server.clone();
        let mut shown = self.meters_shown.subscribe();
        let waker = self.waker.clone();
        let asked = self.meter_frames.clone();
        bridge.spawn(async move {
            let mut ticks = server.mixer().watch_meters();
            let mut last = Vec::new();
            // Each meter synth replies 20 times a second on its own: two meters' replies
            // must not make 40 frames. One frame per meter period at most; a change while
            // one is due is drawn by it.
            let mut scheduled: Option<std::time::Instant> = None;
            loop {
                // Hidden meters wait to be shown, not for each of the 20 replies a second.
                if *shown.borrow_and_update() == MetersShown::Hidden {
                    if shown.changed().await.is_err() {
                        return;
                    }
                    continue;
                }
                tokio::select! {
                    tick = ticks.changed() => if tick.is_err() { return },
                    changed = shown.changed() => if changed.is_err() { return },
                }
                // The Levels tab draws every meter; any other tab only the status bar's
                // master meter, which moves less.
                let meters = server.mixer().meters();
                let picture = match *shown.borrow() {
                    MetersShown::All => crate::gui::format::meter_picture(&meters),
                    MetersShown::Master if server.mixer().settings().meters => {
                        crate::gui::format::master_picture(&meters.outputs)
                    }
                    _ => Vec::new(),
                };
                if picture != last {
                    last = picture;
                    if let Some(wait) = meter_frame(&mut scheduled, std::time::Instant::now()) {
                        asked.fetch_add(1, Ordering::Relaxed);
                        waker.wake_after(wait);
                    }
                }
            }
        });
    }

    /// For the soak benchmark (`scripts/soak.sh`): on SIGUSR1, writes the live tree mirror
    /// as `scpanel tree` prints it, so it can be compared with the server's own tree.
    fn spawn_mirror_dump(&self, bridge: &Bridge, path: std::path::PathBuf) {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let server = self.server.clone();
            bridge.spawn(async move {
                let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
                    eprintln!("scpanel: SCPANEL_MIRROR_DUMP: cannot listen for SIGUSR1");
                    return;
                };
                while usr1.recv().await.is_some() {
                    let text = server.with_tree(|t| t.to_text(false));
                    let written =
                        scpanel_core::files::write_atomic(&path, text.as_bytes(), false, "dump");
                    if let Err(e) = written {
                        eprintln!("scpanel: {e}");
                    }
                }
            });
        }
        #[cfg(not(unix))]
        let _ = (bridge, path);
    }
}

#[cfg(test)]
mod meter_frame_tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn two_meters_replying_20_times_a_second_make_at_most_20_frames() {
        let start = Instant::now();
        let mut scheduled = None;
        let mut frames = std::collections::BTreeSet::new();
        // Two meters, each 20 replies a second, half a period apart, for 5 s.
        for i in 0..200u64 {
            let now = start + Duration::from_millis(i * 25);
            if let Some(wait) = meter_frame(&mut scheduled, now) {
                frames.insert(now + wait);
            }
        }
        let frames: Vec<Instant> = frames.into_iter().collect();
        for pair in frames.windows(2) {
            assert!(pair[1] - pair[0] >= METER_FRAME, "{:?}", pair[1] - pair[0]);
        }
        assert!(
            (95..=101).contains(&frames.len()),
            "{} frames in 5 s",
            frames.len()
        );
        // After a quiet spell the next change draws at once.
        let later = start + Duration::from_secs(10);
        assert_eq!(
            meter_frame(&mut scheduled, later),
            Some(Duration::from_millis(1))
        );
    }
}
