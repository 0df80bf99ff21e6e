//! One show's timeline, as the Shows tab draws it and `shows export --png` paints it: each
//! server's average and peak CPU over the show, and its events as markers. Both draw from
//! here, so the picture a performer exports is the one they looked at.
//!
//! A 4-hour show of 8 servers holds about half a million samples: a frame never walks them
//! all for every pixel. [`Lane::runs`] folds the samples in view into at most one point per
//! bucket (the bucket's mean average CPU and highest peak, so no spike is lost when zoomed
//! out) and breaks the line where the server was silent, and [`Timeline::markers`] folds the
//! events in the same way.

#[cfg(test)]
mod fixtures;
pub mod png;

use std::path::Path;
use std::time::{Duration, SystemTime};

use scpanel_core::clock;
use scpanel_core::journal::{
    Event, EventRow, JournalError, Sample, SampleRow, ServerId, Show, ShowInfo, Summary,
};

/// Samples further apart than this are not joined by a line: the server was away (or the
/// show was not running).
pub const GAP: f64 = 5.0;

/// A time on the timeline: seconds since the show began.
pub type Seconds = f64;

/// The round steps a time axis ticks at, in seconds: from a tenth of a second to a week.
pub const STEPS: [Seconds; 24] = [
    0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
    3600.0, 7200.0, 10800.0, 14400.0, 21600.0, 43200.0, 86400.0, 172_800.0, 604_800.0,
];

/// The smallest round step at least `min` long.
pub fn step_for(min: Seconds) -> Seconds {
    STEPS
        .iter()
        .copied()
        .find(|s| *s >= min)
        .unwrap_or(STEPS[STEPS.len() - 1])
}

/// The most ticks [`Timeline::ticks`] gives, whatever it is asked.
const MAX_TICKS: f64 = 2000.0;

/// One show, read whole, ready to draw.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// The show's file and list figures.
    pub info: ShowInfo,
    /// Its summary ("peak 87 % at 21:14:03…").
    pub summary: Summary,
    /// Where 0 is: the show's start.
    pub origin: SystemTime,
    /// The show's length (to its end, its last record, or its last sample, whichever last).
    pub length: Seconds,
    /// One lane per server, in the show's order.
    pub lanes: Vec<Lane>,
    /// Every event, in time order.
    pub events: Vec<Marker>,
    /// The highest peak CPU of any lane, 100 at least (worked out once: a frame asks).
    ceiling: f32,
    /// Which kinds of marker the show has, by `MarkerKind as usize` (a legend asks each frame).
    kinds: [bool; MarkerKind::ALL.len()],
}

/// One server's samples.
#[derive(Debug, Clone)]
pub struct Lane {
    /// Its id in the show.
    pub server: ServerId,
    /// What it is called.
    pub name: String,
    /// Each sample's time, ascending.
    pub times: Vec<Seconds>,
    /// The samples, beside `times`.
    pub samples: Vec<Sample>,
}

/// A point of a lane's line: one sample, or the samples of one bucket folded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The bucket's middle (or the sample's time).
    pub t: Seconds,
    /// The mean average CPU (%).
    pub average: f32,
    /// The highest peak CPU (%).
    pub peak: f32,
}

/// What a marker stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MarkerKind {
    /// A performer's mark: a labelled flag.
    Mark,
    /// The server went away by itself.
    Crash,
    /// A `FAILURE IN SERVER` or error line.
    Failure,
    /// JACK xruns.
    Xrun,
    /// A bundle came late.
    Late,
    /// `/status` went unanswered.
    Unresponsive,
    /// Booting, online, offline, rejoined.
    Life,
    /// An alert, or a doctor's finding.
    Note,
}

impl MarkerKind {
    /// Every kind, in the order a legend lists them.
    pub const ALL: [MarkerKind; 8] = [
        MarkerKind::Mark,
        MarkerKind::Crash,
        MarkerKind::Failure,
        MarkerKind::Xrun,
        MarkerKind::Late,
        MarkerKind::Unresponsive,
        MarkerKind::Life,
        MarkerKind::Note,
    ];

    /// The kind of an event.
    pub fn of(event: &Event) -> MarkerKind {
        match event {
            Event::Mark { .. } => MarkerKind::Mark,
            Event::Crashed { .. } => MarkerKind::Crash,
            Event::Failure { .. } => MarkerKind::Failure,
            Event::Xrun { .. } => MarkerKind::Xrun,
            Event::Late { .. } => MarkerKind::Late,
            Event::Unresponsive => MarkerKind::Unresponsive,
            Event::Booting | Event::Online | Event::Offline | Event::Rejoined => MarkerKind::Life,
            Event::Alert { .. } | Event::Doctor { .. } | Event::Other { .. } => MarkerKind::Note,
        }
    }

    /// What a legend calls it (plural: a folded marker counts several).
    pub fn label(self) -> &'static str {
        match self {
            MarkerKind::Mark => "marks",
            MarkerKind::Crash => "crashes",
            MarkerKind::Failure => "failures",
            MarkerKind::Xrun => "xruns",
            MarkerKind::Late => "late",
            MarkerKind::Unresponsive => "unresponsive",
            MarkerKind::Life => "boot / online / offline",
            MarkerKind::Note => "alerts & doctor",
        }
    }

    /// A colour for it, as `[r, g, b]` (the tab and the PNG both use it).
    pub fn rgb(self) -> [u8; 3] {
        match self {
            MarkerKind::Mark => [70, 130, 230],
            MarkerKind::Crash => [220, 40, 40],
            MarkerKind::Failure => [200, 60, 160],
            MarkerKind::Xrun => [235, 140, 20],
            MarkerKind::Late => [200, 170, 30],
            MarkerKind::Unresponsive => [150, 90, 40],
            MarkerKind::Life => [120, 120, 120],
            MarkerKind::Note => [40, 160, 150],
        }
    }
}

/// An event on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// When.
    pub t: Seconds,
    /// Whose (`None`: the show's, a mark).
    pub server: Option<ServerId>,
    /// Which kind.
    pub kind: MarkerKind,
    /// The event.
    pub event: Event,
}

/// Markers of one kind folded into one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded<'a> {
    /// The first one's time.
    pub t: Seconds,
    /// Which kind.
    pub kind: MarkerKind,
    /// How many events (an xrun event counts its xruns).
    pub count: u64,
    /// The first one.
    pub first: &'a Marker,
}

/// A server's palette: distinct on light and dark backgrounds, `[r, g, b]`.
pub fn lane_rgb(index: usize) -> [u8; 3] {
    const PALETTE: [[u8; 3]; 8] = [
        [31, 119, 180],
        [44, 160, 44],
        [148, 103, 189],
        [23, 190, 207],
        [140, 86, 75],
        [227, 119, 194],
        [188, 189, 34],
        [127, 127, 127],
    ];
    PALETTE[index % PALETTE.len()]
}

impl Timeline {
    /// Reads a show whole (its samples, events and summary). Reads the disk: not on the UI
    /// thread.
    pub fn load(show: &Show) -> Result<Timeline, JournalError> {
        Ok(Timeline::new(
            show.info().clone(),
            show.summary()?,
            show.samples(..)?,
            show.events(..)?,
        ))
    }

    /// Opens the show file at `path` and reads it.
    pub fn open(path: &Path) -> Result<Timeline, JournalError> {
        Timeline::load(&Show::open(path)?)
    }

    /// A timeline of rows already read (what [`Timeline::load`] does after reading).
    pub fn new(
        info: ShowInfo,
        summary: Summary,
        samples: Vec<SampleRow>,
        events: Vec<EventRow>,
    ) -> Timeline {
        let origin = info.started;
        let at = |t: SystemTime| since(origin, t);
        let mut lanes: Vec<Lane> = info
            .servers
            .iter()
            .map(|s| Lane {
                server: s.id,
                name: info.server_name(s.id),
                times: Vec::new(),
                samples: Vec::new(),
            })
            .collect();
        // A file someone sent may name any number of servers: each sample finds its lane
        // by a map, not by a walk through the lanes.
        let mut index: std::collections::HashMap<ServerId, usize> = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.server, i))
            .collect();
        for row in samples {
            let i = *index.entry(row.server).or_insert_with(|| {
                // A sample of a server the list lacks (a cut file): a lane of its own.
                lanes.push(Lane {
                    server: row.server,
                    name: info.server_name(row.server),
                    times: Vec::new(),
                    samples: Vec::new(),
                });
                lanes.len() - 1
            });
            let lane = &mut lanes[i];
            let t = at(row.time);
            // Rows come in time order; one out of order (a clock stepped back) is put in
            // place so the lane stays sorted for the searches.
            let place = lane.times.partition_point(|x| *x <= t);
            lane.times.insert(place, t);
            lane.samples.insert(place, row.sample);
        }
        let events: Vec<Marker> = events
            .into_iter()
            .map(|e| Marker {
                t: at(e.time),
                server: e.server,
                kind: MarkerKind::of(&e.event),
                event: e.event,
            })
            .collect();
        let last_sample = lanes
            .iter()
            .filter_map(|l| l.times.last().copied())
            .fold(0.0, f64::max);
        let last_event = events.last().map_or(0.0, |m| m.t);
        // A show still being written runs to now, not to its last record: a minute with a
        // dead server in it is a minute long.
        let now = if info.live && info.ended.is_none() {
            since(origin, SystemTime::now())
        } else {
            0.0
        };
        let length = info
            .length()
            .as_secs_f64()
            .max(last_sample)
            .max(last_event)
            .max(now);
        let ceiling = lanes
            .iter()
            .flat_map(|l| l.samples.iter().map(|s| s.peak_cpu))
            .filter(|p| p.is_finite())
            .fold(100.0, f32::max);
        let mut kinds = [false; MarkerKind::ALL.len()];
        for m in &events {
            kinds[m.kind as usize] = true;
        }
        Timeline {
            info,
            summary,
            origin,
            length,
            lanes,
            events,
            ceiling,
            kinds,
        }
    }

    /// The wall-clock time of `t`.
    pub fn wall(&self, t: Seconds) -> SystemTime {
        if t >= 0.0 {
            self.origin + Duration::from_secs_f64(t.min(1e9))
        } else {
            self.origin - Duration::from_secs_f64((-t).min(1e9))
        }
    }

    /// Ticks every `step` seconds in `[lo, hi]`, on round local times (21:15:00, not 300 s
    /// after the show began).
    pub fn ticks(&self, lo: Seconds, hi: Seconds, step: Seconds) -> Vec<Seconds> {
        if !(lo.is_finite() && hi.is_finite() && step > 0.0) || hi < lo {
            return Vec::new();
        }
        let unix = since(SystemTime::UNIX_EPOCH, self.origin);
        // The show's start in local seconds since the epoch, whole and fraction apart (so a
        // tenth of a second stays exact next to 1.7e9).
        let local = unix + clock::utc_offset(self.origin) as f64;
        let (whole, part) = (local.floor(), local - local.floor());
        let phase = (whole % step) + part;
        let first = ((lo + phase) / step).ceil();
        let last = ((hi + phase) / step).floor();
        if last - first > MAX_TICKS {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut k = first;
        while k <= last {
            out.push(k * step - phase);
            k += 1.0;
        }
        out
    }

    /// `21:14:03` for `t`, or `21:14:03.250` when `fine` (zoomed to seconds). Rounded to
    /// the millisecond first: a tick a hair before 21:15:00 reads 21:15:00.
    pub fn clock(&self, t: Seconds, fine: bool) -> String {
        let at = self.wall(t);
        // The wall time itself is rounded (the show began at some odd microsecond).
        let us = since(SystemTime::UNIX_EPOCH, at) * 1e6;
        let ms = (us / 1000.0).round() * 1000.0;
        let at = if ms >= 0.0 {
            SystemTime::UNIX_EPOCH + Duration::from_micros(ms as u64)
        } else {
            at
        };
        if fine {
            clock::hms_millis(at)
        } else {
            clock::hms(at)
        }
    }

    /// The events in `[lo, hi]`, in time order.
    pub fn events_in(&self, lo: Seconds, hi: Seconds) -> &[Marker] {
        let a = self.events.partition_point(|m| m.t < lo);
        let b = self.events.partition_point(|m| m.t <= hi);
        &self.events[a..b.max(a)]
    }

    /// The events in `[lo, hi]` folded per kind into `buckets` equal spans: what can be
    /// drawn when thousands of `late` lines fall in one pixel. Marks are never folded (each
    /// flag has its own label).
    pub fn markers(&self, lo: Seconds, hi: Seconds, buckets: usize) -> Vec<Folded<'_>> {
        let width = bucket_width(lo, hi, buckets);
        let mut out: Vec<Folded<'_>> = Vec::new();
        // The last folded marker of each kind, by index into `out`.
        let mut open: [Option<(i64, usize)>; MarkerKind::ALL.len()] = [None; 8];
        for m in self.events_in(lo, hi) {
            let n = match m.event {
                Event::Xrun { count } => u64::from(count.max(1)),
                _ => 1,
            };
            if m.kind == MarkerKind::Mark {
                out.push(Folded {
                    t: m.t,
                    kind: m.kind,
                    count: 1,
                    first: m,
                });
                continue;
            }
            let bucket = ((m.t - lo) / width).floor() as i64;
            let slot = &mut open[m.kind as usize];
            match slot {
                Some((b, i)) if *b == bucket => out[*i].count += n,
                _ => {
                    *slot = Some((bucket, out.len()));
                    out.push(Folded {
                        t: m.t,
                        kind: m.kind,
                        count: n,
                        first: m,
                    });
                }
            }
        }
        out
    }

    /// The marks before or at `t`, newest first: what a cursor or a peak came after.
    pub fn mark_before(&self, t: Seconds) -> Option<&Marker> {
        self.events[..self.events.partition_point(|m| m.t <= t)]
            .iter()
            .rev()
            .find(|m| m.kind == MarkerKind::Mark)
    }

    /// Whether the show has a marker of `kind`.
    pub fn has(&self, kind: MarkerKind) -> bool {
        self.kinds[kind as usize]
    }

    /// The highest peak CPU of any lane (100 at least: the axis always shows the ceiling).
    pub fn ceiling(&self) -> f32 {
        self.ceiling
    }

    /// What a cursor at `t` reads: each lane's sample then, and the events within `near`.
    pub fn read_at(&self, t: Seconds, near: Seconds) -> Reading<'_> {
        Reading {
            t,
            values: self
                .lanes
                .iter()
                .map(|l| (l, l.at(t).map(|i| (l.times[i], &l.samples[i]))))
                .collect(),
            events: self.events_in(t - near, t + near),
            after_mark: self.mark_before(t),
        }
    }

    /// The summary card's lines: the summary, then each crash.
    pub fn card(&self) -> Vec<String> {
        let mut lines = vec![self.summary.to_string()];
        for c in &self.summary.crashes {
            lines.push(format!(
                "crashed at {} ({}): {}",
                clock::hms(c.at),
                c.server,
                c.reason
            ));
        }
        lines
    }
}

/// What the cursor reads at one time.
#[derive(Debug)]
pub struct Reading<'a> {
    /// When.
    pub t: Seconds,
    /// Each lane, and its sample at or before `t` (with its time) unless the server was
    /// silent then.
    pub values: Vec<(&'a Lane, Option<(Seconds, &'a Sample)>)>,
    /// The events near `t`.
    pub events: &'a [Marker],
    /// The last mark at or before `t`.
    pub after_mark: Option<&'a Marker>,
}

impl Lane {
    /// The index of the sample at or before `t`, unless it is older than [`GAP`] (the
    /// server was silent at `t`).
    pub fn at(&self, t: Seconds) -> Option<usize> {
        let i = self.times.partition_point(|x| *x <= t).checked_sub(1)?;
        (t - self.times[i] <= GAP).then_some(i)
    }

    /// The line in `[lo, hi]` folded into at most `buckets` points, split where samples are
    /// more than [`GAP`] apart. One sample each side of the range is kept so the line runs
    /// to the edges.
    pub fn runs(&self, lo: Seconds, hi: Seconds, buckets: usize) -> Vec<Vec<Point>> {
        let a = self.times.partition_point(|x| *x < lo).saturating_sub(1);
        let b = (self.times.partition_point(|x| *x <= hi) + 1).min(self.times.len());
        let width = bucket_width(lo, hi, buckets);
        let mut runs: Vec<Vec<Point>> = Vec::new();
        let mut run: Vec<Point> = Vec::new();
        let mut acc: Option<Bucket> = None;
        let mut last_t: Option<Seconds> = None;
        let flush = |acc: &mut Option<Bucket>, run: &mut Vec<Point>| {
            if let Some(k) = acc.take() {
                run.push(k.point());
            }
        };
        for i in a..b.max(a) {
            let t = self.times[i];
            let s = &self.samples[i];
            if last_t.is_some_and(|p| t - p > GAP) {
                flush(&mut acc, &mut run);
                if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
            last_t = Some(t);
            let index = ((t - lo) / width).floor() as i64;
            match &mut acc {
                Some(k) if k.index == index => k.add(t, s),
                _ => {
                    flush(&mut acc, &mut run);
                    acc = Some(Bucket::new(index, t, s));
                }
            }
        }
        flush(&mut acc, &mut run);
        if !run.is_empty() {
            runs.push(run);
        }
        runs
    }
}

/// The samples of one bucket being folded.
struct Bucket {
    index: i64,
    n: u32,
    /// The sum of their average CPUs.
    sum: f64,
    peak: f32,
    first: Seconds,
    last: Seconds,
}

impl Bucket {
    fn new(index: i64, t: Seconds, s: &Sample) -> Bucket {
        Bucket {
            index,
            n: 1,
            sum: f64::from(finite(s.average_cpu)),
            peak: finite(s.peak_cpu),
            first: t,
            last: t,
        }
    }

    fn add(&mut self, t: Seconds, s: &Sample) {
        self.n += 1;
        self.sum += f64::from(finite(s.average_cpu));
        self.peak = self.peak.max(finite(s.peak_cpu));
        self.last = t;
    }

    /// One sample at its time; several at the middle of their span.
    fn point(&self) -> Point {
        Point {
            t: (self.first + self.last) / 2.0,
            average: (self.sum / f64::from(self.n.max(1))) as f32,
            peak: self.peak,
        }
    }
}

fn finite(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

fn bucket_width(lo: Seconds, hi: Seconds, buckets: usize) -> Seconds {
    ((hi - lo) / buckets.max(1) as f64).max(1e-6)
}

/// Seconds from `origin` to `t` (negative before it).
fn since(origin: SystemTime, t: SystemTime) -> Seconds {
    match t.duration_since(origin) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::fixtures::{empty_summary, event, info, sample};

    #[test]
    fn folding_keeps_every_spike_and_breaks_at_silences() {
        let i = info(&["s1"], 100);
        // 0..100 s at 2 a second, with a spike at 30 s and nothing from 50 to 60 s.
        let mut rows = Vec::new();
        for k in 0..200 {
            let t = f64::from(k) * 0.5;
            if (50.0..60.0).contains(&t) {
                continue;
            }
            let peak = if k == 60 { 97.0 } else { 20.0 };
            rows.push(sample(&i, 0, t, 10.0, peak));
        }
        let tl = Timeline::new(i.clone(), empty_summary(), rows, Vec::new());
        let runs = tl.lanes[0].runs(0.0, 100.0, 20);
        assert_eq!(runs.len(), 2, "split at the silence: {runs:?}");
        let points: usize = runs.iter().map(Vec::len).sum();
        assert!(points <= 21, "{points} points for 20 buckets");
        let top = runs.iter().flatten().map(|p| p.peak).fold(0.0f32, f32::max);
        assert_eq!(top, 97.0, "the spike survives the folding");
        assert!(runs.iter().flatten().all(|p| p.average == 10.0));
        // Zoomed in, each sample is its own point at its own time.
        let close = tl.lanes[0].runs(29.0, 31.0, 1000);
        let ts: Vec<f64> = close.iter().flatten().map(|p| p.t).collect();
        assert_eq!(ts, vec![28.5, 29.0, 29.5, 30.0, 30.5, 31.0, 31.5]);
        assert_eq!(tl.lanes[0].at(55.0), None, "silent at 55 s");
        assert_eq!(tl.lanes[0].at(30.2), Some(60));
    }

    #[test]
    fn markers_fold_by_kind_but_marks_keep_their_flags() {
        let i = info(&["s1"], 100);
        let mut events = vec![event(
            &i,
            10.0,
            Some(0),
            Event::Mark {
                text: "verse 2".into(),
            },
        )];
        for k in 0..50 {
            events.push(event(
                &i,
                20.0 + f64::from(k) * 0.01,
                Some(0),
                Event::Late { seconds: 0.1 },
            ));
        }
        events.push(event(&i, 20.2, Some(0), Event::Xrun { count: 3 }));
        events.push(event(&i, 10.1, Some(0), Event::Mark { text: "b".into() }));
        events.sort_by_key(|e| e.time);
        let tl = Timeline::new(i, empty_summary(), Vec::new(), events);
        let folded = tl.markers(0.0, 100.0, 10);
        let late: Vec<_> = folded
            .iter()
            .filter(|f| f.kind == MarkerKind::Late)
            .collect();
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].count, 50);
        let xruns: u64 = folded
            .iter()
            .filter(|f| f.kind == MarkerKind::Xrun)
            .map(|f| f.count)
            .sum();
        assert_eq!(xruns, 3);
        assert_eq!(
            folded.iter().filter(|f| f.kind == MarkerKind::Mark).count(),
            2
        );
        let reading = tl.read_at(20.25, 0.1);
        assert!(matches!(
            &reading.after_mark.map(|m| &m.event),
            Some(Event::Mark { text }) if text == "b"
        ));
        assert!(reading.events.iter().any(|m| m.kind == MarkerKind::Xrun));
    }

    #[test]
    fn ticks_fall_on_round_local_times() {
        let i = info(&["s1"], 100);
        let tl = Timeline::new(i, empty_summary(), Vec::new(), Vec::new());
        assert_eq!(step_for(250.0), 300.0);
        assert_eq!(step_for(1e9), 604_800.0);
        let ticks = tl.ticks(0.0, 3600.0, 300.0);
        assert!(ticks.len() >= 12, "{ticks:?}");
        for t in &ticks {
            let local =
                since(SystemTime::UNIX_EPOCH, tl.wall(*t)) + clock::utc_offset(tl.wall(*t)) as f64;
            let off = local.rem_euclid(300.0);
            assert!(
                off < 1e-3 || 300.0 - off < 1e-3,
                "{t} is {off} s past a round time"
            );
        }
        assert!(tl.ticks(0.0, 1e12, 0.1).is_empty(), "bounded");
        assert!(tl.ticks(0.0, f64::NAN, 1.0).is_empty());
    }

    #[test]
    fn lanes_follow_the_servers_and_a_stray_sample_gets_its_own() {
        let i = info(&["s1", "s2"], 100);
        let rows = vec![
            sample(&i, 1, 1.0, 5.0, 6.0),
            sample(&i, 9, 2.0, 5.0, 6.0),
            sample(&i, 1, 0.5, 1.0, 2.0),
        ];
        let tl = Timeline::new(i, empty_summary(), rows, Vec::new());
        assert_eq!(tl.lanes.len(), 3);
        assert_eq!(tl.lanes[1].times, vec![0.5, 1.0], "kept in time order");
        assert_eq!(tl.lanes[2].name, "#9");
        assert!(tl.length >= 100.0);
        assert_eq!(tl.ceiling(), 100.0);
    }
}
