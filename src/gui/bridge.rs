//! The one place the UI meets the runtime: a tokio runtime in the background runs every
//! action (see [`crate::gui::actions`]) and listener; the UI only starts them and reads snapshots.
//! Nothing here blocks the UI thread.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use scpanel_core::{Change, Direction};

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
    WatchOnly(scpanel_core::ConnectOptions),
    /// The port is held by another process.
    PortHeld {
        port: u16,
        holder: scpanel_core::PortHolder,
        suggestion: Option<u16>,
    },
}

/// One line of the console's traffic log, formatted once when it arrives (not every frame).
#[derive(Debug, Clone, PartialEq)]
pub struct TrafficLine {
    /// When the packet went (for the export).
    pub at: SystemTime,
    pub direction: Direction,
    pub text: String,
}

/// The console's log of OSC traffic.
pub(crate) const TRAFFIC_KEEP: usize = 2000;

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
}

/// Frames drawn for changes from the core are at least this far apart, however fast
/// notifications come: a churning client must not turn the panel into a busy loop that
/// steals the CPU the server needs. Input (typing, clicks) still draws at once. Measured
/// with scripts/soak.sh (1,000 nodes/s): under Mesa's software GL one frame of the window
/// costs ~15 ms of rendering, so 30 frames/s took 67% of a core (45% in llvmpipe alone);
/// five a second is still live to the eye.
pub(crate) const MIN_FRAME_INTERVAL: Duration = Duration::from_millis(200);
/// The interval once changes have kept coming for [`SUSTAINED`]: nobody reads a tree that
/// churns 1,000 nodes a second row by row, and at five frames a second the soak's window
/// still took 16% of a core (half of it in llvmpipe).
pub(crate) const BUSY_FRAME_INTERVAL: Duration = Duration::from_millis(500);
/// How long changes must keep coming before frames slow to [`BUSY_FRAME_INTERVAL`].
pub(crate) const SUSTAINED: Duration = Duration::from_secs(2);
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

/// Which of a server's `/status` replies need a frame, by what the window shows of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum StatusFrames {
    /// None: the server is not on screen, or only on the wall, which redraws at its own pace
    /// (every reply of 32 servers would keep software GL busy).
    Never = 0,
    /// When the status bar's rounded figures change (the current server).
    Figures = 1,
    /// Every reply: a view that moves with each one (the plots, the console showing them).
    Every = 2,
}

impl StatusFrames {
    pub fn from_u8(v: u8) -> StatusFrames {
        match v {
            0 => StatusFrames::Never,
            2 => StatusFrames::Every,
            _ => StatusFrames::Figures,
        }
    }
}

impl RedrawFilter {
    /// An idle server answers twice a second with the same rounded figures: drawing a frame
    /// for each would be the idle app's whole CPU use.
    pub fn needs_frame(&mut self, change: &Change, status: StatusFrames) -> bool {
        match change {
            Change::Status(st) => {
                let figures = Some(crate::gui::format::figures(st));
                let before = std::mem::replace(&mut self.latest_figures, figures);
                match status {
                    StatusFrames::Never => false,
                    StatusFrames::Figures => before != self.latest_figures,
                    StatusFrames::Every => true,
                }
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

/// The runtime every session's work runs on, and the way back to the window: one per app,
/// whatever the number of servers.
pub struct Bridge {
    runtime: tokio::runtime::Runtime,
    repaint: Waker,
    /// Frames begun, so a change hook asks for a frame only when none is pending.
    frames: Arc<AtomicU64>,
    pacer: Arc<Mutex<FramePacer>>,
}

/// Asks the window for a frame from any thread; does nothing before the first frame.
#[derive(Clone, Default)]
pub struct Waker(Arc<Mutex<Option<egui::Context>>>);

impl Waker {
    /// A frame soon. `request_repaint` would run two frames (egui's settle frame); one is
    /// enough for new data.
    pub fn wake(&self) {
        self.wake_after(Duration::from_millis(1));
    }

    pub fn wake_after(&self, delay: Duration) {
        if let Ok(ctx) = self.0.lock()
            && let Some(ctx) = ctx.as_ref()
        {
            ctx.request_repaint_after(delay);
        }
    }
}

impl Bridge {
    pub fn new() -> Result<Bridge, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("scpanel-io")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the background runtime: {e}"))?;
        Ok(Bridge {
            runtime,
            repaint: Waker::default(),
            frames: Arc::new(AtomicU64::new(0)),
            pacer: Arc::new(Mutex::new(FramePacer::default())),
        })
    }

    /// The one pacer every session's changes go through: 32 servers' status replies make
    /// one stream of frames, not 32.
    pub fn pacer(&self) -> Arc<Mutex<FramePacer>> {
        self.pacer.clone()
    }

    /// Called as each frame begins.
    pub fn set_context(&self, ctx: &egui::Context) {
        self.frames.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut r) = self.repaint.0.lock() {
            if r.is_none() && std::env::var_os("SCPANEL_FRAME_DEBUG").is_some() {
                log_pass_times(ctx);
            }
            *r = Some(ctx.clone());
        }
    }

    pub fn waker(&self) -> Waker {
        self.repaint.clone()
    }

    /// The count of frames begun, shared with change hooks.
    pub fn frames(&self) -> Arc<AtomicU64> {
        self.frames.clone()
    }

    /// Spawns background work (a session's listeners, an action) on the runtime.
    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(fut);
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

impl Inbox {
    /// Adds a notice, keeping the latest 20.
    pub fn notice(&mut self, title: &str, text: String, error: bool) {
        self.notices.push(Notice {
            at: SystemTime::now(),
            title: title.to_string(),
            text,
            error,
        });
        if self.notices.len() > 20 {
            self.notices.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scpanel_core::StatusInfo;

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
                at: SystemTime::UNIX_EPOCH,
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
        use StatusFrames::*;
        assert!(
            f.needs_frame(&idle(0.71), Figures),
            "the first figures are shown"
        );
        assert!(!f.needs_frame(&idle(0.83), Figures), "still 1%");
        assert!(
            f.needs_frame(&idle(0.83), Every),
            "the plots move with every reply"
        );
        assert!(!f.needs_frame(&idle(5.0), Never), "a server off screen");
        assert!(
            !f.needs_frame(&idle(5.0), Figures),
            "5% was taken in, unshown"
        );
        assert!(f.needs_frame(&idle(2.2), Figures), "2% is news");
        assert!(f.needs_frame(&Change::Other, Never));
        let more_synths = Change::Status(StatusInfo {
            average_cpu: 2.2,
            peak_cpu: 2.2,
            synths: 1,
            ..Default::default()
        });
        assert!(f.needs_frame(&more_synths, Figures));
    }
}
