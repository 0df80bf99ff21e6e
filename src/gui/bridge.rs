//! The one place the UI meets the server core: a tokio runtime in the background runs every
//! request; the UI only starts them and reads snapshots. Nothing here blocks the UI thread.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::server::{Change, Direction, Server, ServerError, ServerEvent};

/// Something the user should read: a failure with what to do, or a confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub at: SystemTime,
    pub title: String,
    pub text: String,
    pub error: bool,
}

/// An offer the app makes after a failure (e.g. "watch without logging in").
#[derive(Debug, Clone, PartialEq)]
pub enum Offer {
    /// Login failed: too many users. Watch the same server without logging in.
    WatchOnly(crate::server::ConnectOptions),
    /// The port is held by another process.
    PortHeld {
        port: u16,
        holder: crate::server::host::ports::PortHolder,
        suggestion: Option<u16>,
    },
}

/// One line of the console's traffic log, formatted once when it arrives (not every frame).
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficLine {
    pub direction: Direction,
    pub text: String,
}

/// The console's log of OSC traffic.
pub const TRAFFIC_KEEP: usize = 2000;

#[derive(Default)]
pub struct Inbox {
    pub notices: Vec<Notice>,
    pub offers: Vec<Offer>,
    pub traffic: VecDeque<TrafficLine>,
    /// Lines that fell off the front of `traffic` to keep it at [`TRAFFIC_KEEP`].
    pub traffic_dropped: u64,
    /// Packets that came too fast for the console's tap and were never formatted.
    pub traffic_skipped: u64,
    /// Lifecycle events as text, newest last (for the log and tests).
    pub events: VecDeque<String>,
    pub busy: usize,
}

/// Frames drawn for changes from the core are at least this far apart, however fast
/// notifications come: a churning client must not turn the panel into a busy loop that
/// steals the CPU the server needs. Input (typing, clicks) still draws at once. Measured
/// with scripts/soak.sh (1,000 nodes/s): under Mesa's software GL one frame of the window
/// costs ~15 ms of rendering, so 30 frames/s took 67% of a core (45% in llvmpipe alone);
/// five a second is still live to the eye.
pub const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(200);
/// The interval once changes have kept coming for [`SUSTAINED`]: nobody reads a tree that
/// churns 1,000 nodes a second row by row, and at five frames a second the soak's window
/// still took 16% of a core (half of it in llvmpipe).
pub const BUSY_FRAME_INTERVAL: Duration = Duration::from_millis(500);
/// How long changes must keep coming before frames slow to [`BUSY_FRAME_INTERVAL`].
pub const SUSTAINED: Duration = Duration::from_secs(2);
/// A pause this long between changes ends a burst: the next change draws at once.
const QUIET: Duration = Duration::from_secs(1);

/// Coalesces change notifications into frames at most [`MIN_FRAME_INTERVAL`] apart, and
/// [`BUSY_FRAME_INTERVAL`] apart while they never let up.
#[derive(Default)]
pub struct FramePacer {
    /// When the latest frame asked for is due.
    scheduled: Option<Instant>,
    /// When the current run of changes without a quiet second began.
    busy_since: Option<Instant>,
    /// The frame count when the scheduled frame was asked for.
    asked_in: u64,
}

impl FramePacer {
    /// How long from `now` the frame for a change should wait. Every change gets a
    /// request (egui may have spent an earlier one on an input frame); all that come
    /// before a scheduled frame share it.
    pub fn delay(&mut self, now: Instant) -> Duration {
        // egui's own minimum: a request for "now" would run a second, settling frame.
        let earliest = now + Duration::from_millis(1);
        let quiet = self
            .scheduled
            .is_none_or(|s| now.saturating_duration_since(s) >= QUIET);
        if quiet {
            self.busy_since = Some(now);
        }
        let interval = match self.busy_since {
            Some(b) if now.saturating_duration_since(b) >= SUSTAINED => BUSY_FRAME_INTERVAL,
            _ => MIN_FRAME_INTERVAL,
        };
        let due = match self.scheduled {
            Some(s) if s >= now => s,
            Some(s) => earliest.max(s + interval),
            None => earliest,
        };
        self.scheduled = Some(due);
        due - now
    }

    /// [`FramePacer::delay`], or `None` when the frame it would ask for is already asked for
    /// and no frame has run since (`frames` counts the frames begun). Asking again would
    /// only wake the UI thread: at 1,500 notifications a second those wake-ups cost more
    /// than the frames.
    pub fn request(&mut self, now: Instant, frames: u64) -> Option<Duration> {
        let pending = self.scheduled.is_some_and(|s| s >= now) && self.asked_in == frames;
        let delay = self.delay(now);
        if pending {
            return None;
        }
        self.asked_in = frames;
        Some(delay)
    }
}

/// Decides whether a change from the core needs a frame.
#[derive(Default)]
pub struct RedrawFilter {
    latest_figures: Option<[String; 2]>,
}

impl RedrawFilter {
    /// An idle server answers twice a second with the same rounded figures: drawing a frame
    /// for each would be the idle app's whole CPU use. `status_frames`: the view on screen
    /// moves with every reply (the plots).
    pub fn needs_frame(&mut self, change: &Change, status_frames: bool) -> bool {
        match change {
            Change::Status(st) => {
                let figures = Some(super::status_bar::figures(st));
                let before = std::mem::replace(&mut self.latest_figures, figures);
                status_frames || before != self.latest_figures
            }
            Change::Other => true,
        }
    }
}

impl Inbox {
    /// Appends a console line, dropping (and counting) the oldest past [`TRAFFIC_KEEP`].
    pub fn push_traffic(&mut self, line: TrafficLine) {
        while self.traffic.len() >= TRAFFIC_KEEP {
            self.traffic.pop_front();
            self.traffic_dropped += 1;
        }
        self.traffic.push_back(line);
    }
}

pub struct Bridge {
    runtime: tokio::runtime::Runtime,
    pub server: Server,
    pub inbox: Arc<Mutex<Inbox>>,
    repaint: Arc<Mutex<Option<egui::Context>>>,
    /// Whether every status reply needs a frame (a view that moves with time is shown).
    status_frames: Arc<AtomicBool>,
    /// Frames begun, so the change hook asks for a frame only when none is pending.
    frames: Arc<AtomicU64>,
}

impl Bridge {
    pub fn new() -> Result<Bridge, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("scpanel-io")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the background runtime: {e}"))?;
        let server = Server::new();
        let inbox = Arc::new(Mutex::new(Inbox::default()));
        let repaint: Arc<Mutex<Option<egui::Context>>> = Arc::new(Mutex::new(None));
        let hook_repaint = repaint.clone();
        let status_frames = Arc::new(AtomicBool::new(false));
        let hook_status_frames = status_frames.clone();
        let filter = Mutex::new(RedrawFilter::default());
        let pacer = Mutex::new(FramePacer::default());
        let frames = Arc::new(AtomicU64::new(0));
        let hook_frames = frames.clone();
        server.set_on_change(Some(Box::new(move |change| {
            let status_frames = hook_status_frames.load(Ordering::Relaxed);
            if filter
                .lock()
                .map_or(true, |mut f| f.needs_frame(&change, status_frames))
            {
                let frames = hook_frames.load(Ordering::Relaxed);
                let delay = pacer.lock().map_or(Some(MIN_FRAME_INTERVAL), |mut p| {
                    p.request(Instant::now(), frames)
                });
                if let Some(delay) = delay {
                    request_repaint_after(&hook_repaint, delay);
                }
            }
        })));
        let bridge = Bridge {
            runtime,
            server,
            inbox,
            repaint,
            status_frames,
            frames,
        };
        bridge.spawn_listeners();
        Ok(bridge)
    }

    /// Called as each frame begins.
    pub fn set_context(&self, ctx: &egui::Context) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut r) = self.repaint.lock() {
            if r.is_none() && std::env::var_os("SCPANEL_FRAME_DEBUG").is_some() {
                log_pass_times(ctx);
            }
            *r = Some(ctx.clone());
        }
    }

    /// Set each frame: whether the view on screen changes with every status reply.
    pub fn set_status_frames(&self, on: bool) {
        self.status_frames.store(on, Ordering::Relaxed);
    }

    fn repaint(&self) {
        request_repaint(&self.repaint);
    }

    fn spawn_listeners(&self) {
        if let Some(path) = std::env::var_os("SCPANEL_MIRROR_DUMP") {
            self.spawn_mirror_dump(path.into());
        }
        let mut osc = self.server.subscribe_osc();
        let inbox = self.inbox.clone();
        self.runtime.spawn(async move {
            loop {
                match osc.recv().await {
                    Ok(t) => {
                        let line = TrafficLine {
                            direction: t.direction,
                            text: crate::server::wire::osc_text::format_packet(&t.packet),
                        };
                        if let Ok(mut i) = inbox.lock() {
                            i.push_traffic(line);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        if let Ok(mut i) = inbox.lock() {
                            i.traffic_skipped += n;
                            i.push_traffic(TrafficLine {
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
        let repaint = self.repaint.clone();
        self.runtime.spawn(async move {
            while let Ok(e) = events.recv().await {
                let text = match &e {
                    ServerEvent::ProcessPanicked { exit, last_lines } => {
                        push_notice(
                            &inbox,
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
                        push_notice(
                            &inbox,
                            "Lost the server",
                            format!("The server stopped answering ({reason}). Connect again when it is back."),
                            true,
                        );
                        format!("lost the server: {reason}")
                    }
                    other => format!("{other:?}"),
                };
                if let Ok(mut i) = inbox.lock() {
                    if i.events.len() == 200 {
                        i.events.pop_front();
                    }
                    i.events.push_back(text);
                }
                request_repaint(&repaint);
            }
        });
    }

    /// For the soak benchmark (`scripts/soak.sh`): on SIGUSR1, writes the live tree mirror
    /// as `scpanel tree` prints it, so it can be compared with the server's own tree.
    fn spawn_mirror_dump(&self, path: std::path::PathBuf) {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let server = self.server.clone();
            self.runtime.spawn(async move {
                let Ok(mut usr1) = signal(SignalKind::user_defined1()) else {
                    eprintln!("scpanel: SCPANEL_MIRROR_DUMP: cannot listen for SIGUSR1");
                    return;
                };
                while usr1.recv().await.is_some() {
                    let text = server.with_tree(|t| t.to_text(false));
                    let tmp = path.with_extension("part");
                    let written =
                        std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &path));
                    if let Err(e) = written {
                        eprintln!("scpanel: cannot write {}: {e}", path.display());
                    }
                }
            });
        }
        #[cfg(not(unix))]
        let _ = path;
    }

    /// Runs `job` in the background; a failure becomes a notice titled `what`.
    pub fn run<F, T>(&self, what: &str, job: impl FnOnce(Server) -> F)
    where
        F: Future<Output = Result<T, ServerError>> + Send + 'static,
        T: Send + 'static,
    {
        self.run_then(what, job, |_, _| {});
    }

    /// Like [`Bridge::run`], with a callback on success (on the runtime, not the UI thread).
    pub fn run_then<F, T>(
        &self,
        what: &str,
        job: impl FnOnce(Server) -> F,
        then: impl FnOnce(T, &Arc<Mutex<Inbox>>) + Send + 'static,
    ) where
        F: Future<Output = Result<T, ServerError>> + Send + 'static,
        T: Send + 'static,
    {
        let fut = job(self.server.clone());
        let inbox = self.inbox.clone();
        let repaint = self.repaint.clone();
        let what = what.to_string();
        if let Ok(mut i) = inbox.lock() {
            i.busy += 1;
        }
        self.runtime.spawn(async move {
            let result = fut.await;
            if let Ok(mut i) = inbox.lock() {
                i.busy = i.busy.saturating_sub(1);
            }
            match result {
                Ok(v) => then(v, &inbox),
                Err(e) => {
                    offer_for(&e, &inbox);
                    push_notice(&inbox, &what, e.to_string(), true);
                }
            }
            request_repaint(&repaint);
        });
        self.repaint();
    }

    /// Spawns any background work (e.g. a file dialog) on the runtime.
    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(fut);
    }

    /// Runs a blocking job (file dialogs) off the UI thread.
    pub fn spawn_blocking(&self, job: impl FnOnce() + Send + 'static) {
        let repaint = self.repaint.clone();
        self.runtime.spawn_blocking(move || {
            job();
            request_repaint(&repaint);
        });
    }

    pub fn notice(&self, title: &str, text: impl Into<String>, error: bool) {
        push_notice(&self.inbox, title, text.into(), error);
        self.repaint();
    }

    /// Quits a server we own (or logs out), waiting at most `limit`. For closing the app.
    pub fn shutdown(&self, limit: Duration) {
        let server = self.server.clone();
        let _ = self
            .runtime
            .block_on(async move { tokio::time::timeout(limit, server.shutdown()).await });
    }

    /// Waits for a condition on the runtime's clock, for tests driving the UI.
    pub fn block_on<T>(&self, fut: impl Future<Output = T>) -> T {
        self.runtime.block_on(fut)
    }
}

/// With `SCPANEL_FRAME_DEBUG`: prints how long each pass took to build (layout and
/// widgets, not the GPU's painting), as `pass 12.3 ms`, for the soak benchmark.
fn log_pass_times(ctx: &egui::Context) {
    let started: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let begin = started.clone();
    ctx.on_begin_pass(
        "scpanel-pass-start",
        Arc::new(move |_| {
            if let Ok(mut s) = begin.lock() {
                *s = Some(Instant::now());
            }
        }),
    );
    ctx.on_end_pass(
        "scpanel-pass-time",
        Arc::new(move |_| {
            if let Some(t) = started.lock().ok().and_then(|mut s| s.take()) {
                eprintln!("pass {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
            }
        }),
    );
}

fn request_repaint(r: &Arc<Mutex<Option<egui::Context>>>) {
    // `request_repaint` would run two frames (egui's settle frame); one is enough for new data.
    request_repaint_after(r, Duration::from_millis(1));
}

fn request_repaint_after(r: &Arc<Mutex<Option<egui::Context>>>, delay: Duration) {
    if let Ok(ctx) = r.lock()
        && let Some(ctx) = ctx.as_ref()
    {
        ctx.request_repaint_after(delay);
    }
}

pub fn push_notice(inbox: &Arc<Mutex<Inbox>>, title: &str, text: String, error: bool) {
    if let Ok(mut i) = inbox.lock() {
        i.notices.push(Notice {
            at: SystemTime::now(),
            title: title.to_string(),
            text,
            error,
        });
        if i.notices.len() > 20 {
            i.notices.remove(0);
        }
    }
}

fn offer_for(e: &ServerError, inbox: &Arc<Mutex<Inbox>>) {
    let offer = match e {
        ServerError::PortInUse {
            port,
            holder: Some(holder),
            suggestion,
            ..
        } => Some(Offer::PortHeld {
            port: *port,
            holder: holder.clone(),
            suggestion: *suggestion,
        }),
        _ => None,
    };
    if let Some(o) = offer
        && let Ok(mut i) = inbox.lock()
    {
        i.offers.push(o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::StatusInfo;

    #[test]
    fn a_flood_of_changes_gets_at_most_one_frame_per_interval() {
        let mut p = FramePacer::default();
        let start = Instant::now();
        // 10,000 changes a second for two seconds.
        let mut due = std::collections::BTreeSet::new();
        for i in 0..20_000u64 {
            let now = start + Duration::from_micros(i * 100);
            due.insert(now + p.delay(now));
        }
        let due: Vec<Instant> = due.into_iter().collect();
        for pair in due.windows(2) {
            assert!(
                pair[1] - pair[0] >= MIN_FRAME_INTERVAL,
                "frames {:?} apart",
                pair[1] - pair[0]
            );
        }
        let most = (Duration::from_secs(2).as_millis() / MIN_FRAME_INTERVAL.as_millis()) as usize;
        assert!(due.len() <= most + 1, "{} frames in two seconds", due.len());
        assert!(due.len() + 1 >= most, "still redraws: {} frames", due.len());
        // A lone change after a quiet spell is drawn at once.
        let later = start + Duration::from_secs(10);
        assert!(p.delay(later) <= Duration::from_millis(1));
    }

    #[test]
    fn a_frame_already_asked_for_is_not_asked_for_again_until_one_runs() {
        let mut p = FramePacer::default();
        let start = Instant::now();
        assert!(p.request(start, 0).is_some(), "the first change asks");
        let ms = |n| start + Duration::from_millis(n);
        // A frame ran (frame 1); changes during the next interval ask once.
        assert!(p.request(ms(10), 1).is_some());
        for t in 11..150 {
            assert_eq!(p.request(ms(t), 1), None, "at {t} ms");
        }
        // An input frame ran in between: the next change must ask again.
        assert!(p.request(ms(150), 2).is_some());
        // Past the scheduled frame, a change asks for the next one.
        assert!(p.request(ms(400), 2).is_some());
    }

    #[test]
    fn changes_that_never_let_up_slow_frames_to_the_busy_rate() {
        let mut p = FramePacer::default();
        let start = Instant::now();
        // 1,000 changes a second for ten seconds (the soak's churn).
        let mut due = std::collections::BTreeSet::new();
        for i in 0..10_000u64 {
            let now = start + Duration::from_millis(i);
            due.insert(now + p.delay(now));
        }
        let after = start + SUSTAINED + BUSY_FRAME_INTERVAL;
        let late: Vec<Instant> = due.into_iter().filter(|d| *d > after).collect();
        for pair in late.windows(2) {
            assert!(
                pair[1] - pair[0] >= BUSY_FRAME_INTERVAL,
                "frames {:?} apart",
                pair[1] - pair[0]
            );
        }
        let span = start + Duration::from_secs(10) - after;
        let most = (span.as_millis() / BUSY_FRAME_INTERVAL.as_millis()) as usize + 1;
        assert!(late.len() <= most, "{} frames", late.len());
        assert!(
            late.len() + 2 >= most,
            "still redraws: {} frames",
            late.len()
        );
        // A quiet second later, a change draws at once and the fast rate is back.
        let later = start + Duration::from_secs(12);
        assert!(p.delay(later) <= Duration::from_millis(1));
        let next = later + Duration::from_millis(10);
        let d = p.delay(next);
        assert!(d <= MIN_FRAME_INTERVAL && d + Duration::from_millis(20) >= MIN_FRAME_INTERVAL);
    }

    #[test]
    fn the_console_log_keeps_its_bound_and_counts_what_it_dropped() {
        let mut inbox = Inbox::default();
        for i in 0..TRAFFIC_KEEP + 25 {
            inbox.push_traffic(TrafficLine {
                direction: Direction::Received,
                text: format!("/n_go {i}"),
            });
        }
        assert_eq!(inbox.traffic.len(), TRAFFIC_KEEP);
        assert_eq!(inbox.traffic_dropped, 25);
        assert_eq!(
            inbox.traffic.front().map(|l| l.text.as_str()),
            Some("/n_go 25")
        );
    }

    #[test]
    fn a_status_reply_that_shows_the_same_figures_needs_no_frame() {
        let mut f = RedrawFilter::default();
        let idle = |cpu: f32| {
            Change::Status(StatusInfo {
                average_cpu: cpu,
                peak_cpu: cpu,
                ..Default::default()
            })
        };
        assert!(
            f.needs_frame(&idle(0.71), false),
            "the first figures are shown"
        );
        assert!(!f.needs_frame(&idle(0.83), false), "still 1%");
        assert!(
            f.needs_frame(&idle(0.83), true),
            "the plots move with every reply"
        );
        assert!(f.needs_frame(&idle(2.2), false), "2% is news");
        assert!(f.needs_frame(&Change::Other, false));
        let more_synths = Change::Status(StatusInfo {
            average_cpu: 2.2,
            peak_cpu: 2.2,
            synths: 1,
            ..Default::default()
        });
        assert!(f.needs_frame(&more_synths, false));
    }
}
