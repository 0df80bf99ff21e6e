//! The flight recorder (issue 26): every server the window (or `scpanel watch`) follows,
//! kept in one show of the core's journal: its `/status` samples, its lifecycle, its `late`
//! and failure lines, and the marks the performer sets; and its OSC traffic when asked
//! ([`Flight::record_traffic`], switched at run time by a [`TrafficSwitch`]). The journal
//! writes on a thread of its own and never makes a caller wait; what it could not keep it
//! counts.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use scpanel_core::LineKind;
use scpanel_core::journal::{
    Event, Journal, JournalOptions, Retention, Sample, ServerId, ServerInfo,
};
use scpanel_core::{Server, ServerEvent};

use crate::traffic::{TrafficFilter, TrafficMode};

/// Where shows go, for the window and the commands alike: `SCPANEL_SHOWS_DIR` when set
/// (tests, a second copy; `off`: no show at all, for measuring what recording costs,
/// `scripts/bench-flight-cost.sh`), else beside the app's files when a test or script set
/// them apart (`SCPANEL_CONFIG_DIR`), else the data folder's `scpanel/shows`.
pub fn shows_folder() -> Option<PathBuf> {
    // The window's own unit tests keep their shows out of the user's data folder.
    if cfg!(test) {
        return Some(
            std::env::temp_dir().join(format!("scpanel-unit-shows-{}", std::process::id())),
        );
    }
    match std::env::var_os("SCPANEL_SHOWS_DIR") {
        Some(dir) if dir == "off" => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => crate::gui::profiles::set_apart()
            .map(|d| d.join("shows"))
            .or_else(scpanel_core::journal::default_folder),
    }
}

/// How often old shows are looked at for removal while the app runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// One show, recording from the moment it starts.
#[derive(Clone)]
pub struct Flight {
    journal: Arc<Journal>,
}

impl Flight {
    /// Starts a show in `folder` (the default one when `None`); [`Flight::prune_hourly`]
    /// drops the shows past the retention. Never fails: a folder that can't be written is
    /// [`Flight::error`], and the app goes on without a record.
    pub fn start(folder: Option<PathBuf>) -> Option<Flight> {
        let folder = folder.or_else(shows_folder)?;
        let mut options = JournalOptions::new(folder);
        options.app_version = env!("CARGO_PKG_VERSION").to_string();
        let journal = Arc::new(Journal::start(options));
        Some(Flight { journal })
    }

    /// Why the show is not being kept, in a sentence, when it is not.
    pub fn error(&self) -> Option<String> {
        self.journal.error().map(|e| e.to_string())
    }

    /// How many records never reached the file (the queue was full, or the disk said no).
    pub fn lost(&self) -> u64 {
        self.journal.dropped()
    }

    /// The show's file.
    pub fn path(&self) -> PathBuf {
        self.journal.path().to_path_buf()
    }

    /// A mark at this moment (Ctrl+M, `scpanel mark`).
    pub fn mark(&self, text: &str) {
        self.journal.mark(text);
    }

    /// A mark at `at` (Ctrl+M takes the moment the key went down; the name comes later).
    pub fn mark_at(&self, at: SystemTime, text: &str) {
        self.journal.record(
            at,
            scpanel_core::journal::Record::Event(
                None,
                Event::Mark {
                    text: text.to_string(),
                },
            ),
        );
    }

    /// Waits until everything recorded so far is on disk (for a test, or before quitting).
    pub fn flush(&self) -> Result<(), String> {
        self.journal.flush().map_err(|e| e.to_string())
    }

    /// A server in the show, for a caller that records it itself (`scpanel watch`).
    pub fn add_server(&self, name: &str, address: &str, protocol: &str, owned: bool) -> ServerId {
        self.journal
            .add_server(ServerInfo::new(address, name, protocol, owned))
    }

    /// A `/status` reply of `id`, now.
    pub fn status(&self, id: ServerId, status: &scpanel_core::StatusInfo) {
        self.journal.record_status(id, &sample(status));
    }

    /// Something that happened to `id`, now.
    pub fn event(&self, id: ServerId, event: Event) {
        self.journal.record_event(Some(id), event);
    }

    /// Something that happened to `id` at `at`.
    pub fn event_at(&self, id: ServerId, at: SystemTime, event: Event) {
        self.journal
            .record(at, scpanel_core::journal::Record::Event(Some(id), event));
    }

    /// Follows `server` until its handle goes: its samples, events and output lines go
    /// into the show; returns its id there, for what the caller records of it itself (xruns,
    /// the doctor's findings). Runs on the caller's tokio runtime.
    pub fn follow(&self, server: &Server, name: &str, address: &str, owned: bool) -> ServerId {
        let protocol = server.attachment().map_or("udp", |a| a.protocol.as_str());
        let id = self.add_server(name, address, protocol, owned);
        let journal = Arc::clone(&self.journal);
        let server = server.clone();
        tokio::spawn(async move { keep(journal, id, server).await });
        id
    }

    /// Keeps `server`'s OSC traffic under `id` while `switch` says so, until the handle goes:
    /// each packet at the time it went, as its bytes on the wire. Packets the recorder fell
    /// behind on are counted on the switch and written to the show as an alert.
    pub fn record_traffic(&self, server: &Server, id: ServerId, switch: TrafficSwitch) {
        let journal = Arc::clone(&self.journal);
        // Subscribed here, not on the task: nothing sent after this call is missed.
        let osc = server.subscribe_osc();
        tokio::spawn(async move { keep_traffic(journal, id, osc, switch).await });
    }

    /// Drops the shows past `retention` now (never this one): blocking, for the runtime.
    pub fn prune(&self, retention: &Retention) -> Result<scpanel_core::journal::Pruned, String> {
        self.journal.prune(retention).map_err(|e| e.to_string())
    }

    /// Drops shows past the retention now and every hour after, on the runtime's blocking
    /// threads (it opens every show in the folder).
    pub fn prune_hourly(&self) {
        let journal = Arc::clone(&self.journal);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRUNE_EVERY);
            loop {
                tick.tick().await;
                let j = Arc::clone(&journal);
                // Read each time: the user may have changed it in the Shows tab.
                let _ = tokio::task::spawn_blocking(move || {
                    j.prune(&crate::keeping::Keeping::load().retention())
                })
                .await;
            }
        });
    }
}

/// Whether (and which of) a server's traffic goes into the show, switched at run time by the
/// console's "Record traffic" or set once by `--record-traffic`; and what the recorder missed.
#[derive(Clone, Default, Debug)]
pub struct TrafficSwitch(Arc<SwitchState>);

#[derive(Default, Debug)]
struct SwitchState {
    mode: AtomicU8,
    missed: AtomicU64,
    kept: AtomicU64,
}

impl TrafficSwitch {
    /// A switch set to `mode`.
    pub fn new(mode: TrafficMode) -> TrafficSwitch {
        let s = TrafficSwitch::default();
        s.set(mode);
        s
    }

    /// Turns recording on (filtered or all) or off, from now on.
    pub fn set(&self, mode: TrafficMode) {
        let v = match mode {
            TrafficMode::Off => 0,
            TrafficMode::Filtered => 1,
            TrafficMode::All => 2,
        };
        self.0.mode.store(v, Ordering::Relaxed);
    }

    /// What is kept now.
    pub fn mode(&self) -> TrafficMode {
        match self.0.mode.load(Ordering::Relaxed) {
            0 => TrafficMode::Off,
            1 => TrafficMode::Filtered,
            _ => TrafficMode::All,
        }
    }

    /// Packets that went by while recording was on but were not kept (the recorder fell
    /// behind, or a packet would not encode).
    pub fn missed(&self) -> u64 {
        self.0.missed.load(Ordering::Relaxed)
    }

    /// Packets handed to the show so far.
    pub fn kept(&self) -> u64 {
        self.0.kept.load(Ordering::Relaxed)
    }
}

async fn keep_traffic(
    journal: Arc<Journal>,
    id: ServerId,
    mut osc: tokio::sync::broadcast::Receiver<scpanel_core::OscTraffic>,
    switch: TrafficSwitch,
) {
    use tokio::sync::broadcast::error::RecvError;
    let mut filter = TrafficFilter::default();
    loop {
        match osc.recv().await {
            Ok(t) => {
                // The filter sees every packet, kept or not, so that it knows the meters
                // made while recording was off when they are freed later; only a filtered
                // recording pays for the copy it makes.
                let packet = match switch.mode() {
                    TrafficMode::Off => {
                        filter.observe(t.direction, &t.packet);
                        continue;
                    }
                    TrafficMode::All => {
                        filter.observe(t.direction, &t.packet);
                        t.packet
                    }
                    TrafficMode::Filtered => match filter.keep(t.direction, &t.packet) {
                        Some(p) => p,
                        None => continue,
                    },
                };
                let direction = match t.direction {
                    scpanel_core::Direction::Sent => scpanel_core::journal::Direction::Sent,
                    scpanel_core::Direction::Received => scpanel_core::journal::Direction::Received,
                };
                match rosc::encoder::encode(&packet) {
                    Ok(bytes) => {
                        switch.0.kept.fetch_add(1, Ordering::Relaxed);
                        journal.record(
                            t.at,
                            scpanel_core::journal::Record::Traffic(id, direction, bytes),
                        );
                    }
                    Err(e) => {
                        switch.0.missed.fetch_add(1, Ordering::Relaxed);
                        journal.record_event(
                            Some(id),
                            Event::Alert {
                                text: format!("an OSC packet was not recorded: {e}"),
                            },
                        );
                    }
                }
            }
            Err(RecvError::Lagged(n)) => {
                if switch.mode().is_on() {
                    switch.0.missed.fetch_add(n, Ordering::Relaxed);
                    journal.record_event(
                        Some(id),
                        Event::Alert {
                            text: format!(
                                "{n} OSC packet{} not recorded (they came faster than the \
                                 recorder could keep them)",
                                if n == 1 { "" } else { "s" }
                            ),
                        },
                    );
                }
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// The wall-clock time of an `Instant` in the past.
fn wall(at: Instant) -> SystemTime {
    SystemTime::now() - at.elapsed()
}

/// How often a followed server's new replies and lines go into the show. Every follower
/// ticks at the same instants, so the runtime wakes once for all of them rather than once
/// per reply (64 times a second with 32 servers at the default poll:
/// `scripts/bench-flight-cost.sh`). Each reply keeps the time it came; it waits at most
/// this long for the queue, then at most a batch (500 ms) for the disk.
const COLLECT_EVERY: Duration = Duration::from_millis(250);

/// A tick on the instants every follower shares.
fn collect_ticks() -> tokio::time::Interval {
    static ANCHOR: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    let anchor = *ANCHOR.get_or_init(tokio::time::Instant::now);
    let periods = anchor.elapsed().as_nanos() / COLLECT_EVERY.as_nanos() + 1;
    let start = anchor + COLLECT_EVERY * u32::try_from(periods).unwrap_or(1);
    let mut ticks = tokio::time::interval_at(start, COLLECT_EVERY);
    // Skip (not Delay) keeps a late follower on the shared instants.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    ticks
}

/// What a follower has taken from its server so far.
struct Taken {
    last_sample: Option<Instant>,
    log_seen: u64,
}

impl Taken {
    /// The server's replies and lines since the last time, into the show at their times.
    fn collect(&mut self, journal: &Journal, id: ServerId, server: &Server) {
        // From the newest back: the history holds an hour of replies.
        let last_sample = self.last_sample;
        let mut new: Vec<(Instant, Sample)> = server.with_status_history(|h| {
            h.iter()
                .rev()
                .take_while(|s| last_sample.is_none_or(|t| s.at > t))
                .map(|s| (s.at, sample(&s.info)))
                .collect()
        });
        new.reverse();
        for (at, s) in new {
            self.last_sample = Some(at);
            journal.record(wall(at), scpanel_core::journal::Record::Status(id, s));
        }
        // The server's own lines: `late` and failures (a server scpanel booted).
        let lines: Vec<(SystemTime, Event)> = server.with_log(|l| {
            let out = l
                .since(self.log_seen)
                .filter_map(|x| line(x.kind, &x.text).map(|e| (x.at, e)))
                .collect();
            self.log_seen = l.total;
            out
        });
        for (at, e) in lines {
            journal.record(at, scpanel_core::journal::Record::Event(Some(id), e));
        }
    }
}

async fn keep(journal: Arc<Journal>, id: ServerId, server: Server) {
    let mut events = server.subscribe();
    let mut ticks = collect_ticks();
    let mut taken = Taken {
        last_sample: None,
        log_seen: server.with_log(|l| l.total),
    };
    loop {
        tokio::select! {
            event = events.recv() => {
                // What the server said before the event goes in before it.
                taken.collect(&journal, id, &server);
                match event {
                    Ok(e) => {
                        if let Some(e) = lifecycle(&e) {
                            journal.record_event(Some(id), e);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                }
            }
            _ = ticks.tick() => taken.collect(&journal, id, &server),
        }
    }
}

fn sample(s: &scpanel_core::StatusInfo) -> Sample {
    Sample {
        average_cpu: s.average_cpu,
        peak_cpu: s.peak_cpu,
        ugens: s.ugens,
        synths: s.synths,
        groups: s.groups,
        synthdefs: s.synthdefs,
        nominal_sample_rate: s.nominal_sample_rate,
        actual_sample_rate: s.actual_sample_rate,
    }
}

/// What a lifecycle event is in the show; `None` for the steps in between.
fn lifecycle(e: &ServerEvent) -> Option<Event> {
    Some(match e {
        ServerEvent::Booting => Event::Booting,
        ServerEvent::Online | ServerEvent::Responsive => Event::Online,
        ServerEvent::Unresponsive => Event::Unresponsive,
        ServerEvent::Offline => Event::Offline,
        ServerEvent::ProcessPanicked { exit, .. } => Event::Crashed {
            reason: format!("the server process ended ({exit})"),
        },
        ServerEvent::OscPanicked { reason } => Event::Crashed {
            reason: reason.clone(),
        },
        ServerEvent::Rejoined { .. } => Event::Rejoined,
        _ => return None,
    })
}

/// A line of the server's output worth keeping: `late 0.012` or a failure.
fn line(kind: LineKind, text: &str) -> Option<Event> {
    let text = text.trim();
    match kind {
        LineKind::Late => {
            scpanel_core::log::late_seconds(kind, text).map(|seconds| Event::Late { seconds })
        }
        LineKind::Error
            if text.starts_with("FAILURE IN SERVER") || text.starts_with("*** ERROR") =>
        {
            Some(Event::Failure {
                line: text.chars().take(512).collect(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_worth_keeping() {
        assert_eq!(
            line(LineKind::Late, "late 0.250000"),
            Some(Event::Late { seconds: 0.25 })
        );
        assert_eq!(line(LineKind::Late, "late soon"), None);
        assert_eq!(
            line(
                LineKind::Error,
                "FAILURE IN SERVER /s_new SynthDef not found"
            ),
            Some(Event::Failure {
                line: "FAILURE IN SERVER /s_new SynthDef not found".into()
            })
        );
        assert_eq!(
            line(LineKind::Normal, "SuperCollider 3 server ready."),
            None
        );
        assert_eq!(lifecycle(&ServerEvent::Connecting), None);
        assert_eq!(
            lifecycle(&ServerEvent::Unresponsive),
            Some(Event::Unresponsive)
        );
    }
}
