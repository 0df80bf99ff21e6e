//! What the scope reads and shows: planning `/b_getn` reads from the scope synth's ring
//! buffer, putting the chunks back together, the trigger that makes a steady tone stand
//! still, and the figures the Scope tab reports. No I/O: `ops::scope` does the reading.

use std::time::Instant;

/// The most channels one scope reads.
pub const MAX_CHANNELS: usize = 8;
/// Where the scope def reports its write position (`scpanel-scope-N`).
pub const SCOPE_REPLY: &str = "/scpanel/scope";
/// The most frames one read takes per channel (the spectrum's largest window).
pub const MAX_FRAMES: usize = 8192;
/// Samples per `/b_getn`: the reply (`/b_setn buf start count v…`: 5 bytes a value with its
/// type tag) stays under 8 KiB, one Ethernet-friendly datagram's worth of fragments, as
/// sclang's `Buffer.getToFloatArray` does (1633 values).
pub const CHUNK: usize = 1600;
/// Updates per second by default.
pub const DEFAULT_RATE: f32 = 25.0;
/// Updates per second at most.
pub const MAX_RATE: f32 = 60.0;
/// Updates per second at least: slower, a report would come after the silence that puts
/// the synth back, and half a ring would pass between reads.
pub const MIN_RATE: f32 = 2.0;

/// The ring's length in frames: at least a second and four reads, a power of two, so a
/// read stays clear of the write head for a whole round trip of up to ~¾ s.
pub fn ring_frames(sample_rate: f64, frames: usize) -> usize {
    let second = sample_rate.clamp(1.0, 768_000.0) as usize;
    second.max(4 * frames.min(MAX_FRAMES)).next_power_of_two()
}

/// The frames kept on the client, per channel: the most one capture shows, twice over,
/// so the trigger has a window's worth of frames to look for an edge in.
pub const HISTORY: usize = 2 * MAX_FRAMES;

/// The latest frames of each channel, in order, gapless while the reads keep up: each read
/// brings only what the server wrote since the last one.
#[derive(Debug, Clone, Default)]
pub struct History {
    channels: Vec<std::collections::VecDeque<f32>>,
}

impl History {
    /// An empty history of `channels` channels.
    pub fn new(channels: usize) -> Self {
        History {
            channels: vec![std::collections::VecDeque::with_capacity(HISTORY); channels],
        }
    }

    /// Forgets everything (after a gap: what comes next does not follow on).
    pub fn clear(&mut self) {
        self.channels.iter_mut().for_each(|c| c.clear());
    }

    /// Appends interleaved frames, dropping the oldest past `HISTORY`.
    pub fn push_interleaved(&mut self, samples: &[f32]) {
        let n = self.channels.len().max(1);
        for frame in samples.chunks_exact(n) {
            for (c, v) in self.channels.iter_mut().zip(frame) {
                if c.len() == HISTORY {
                    c.pop_front();
                }
                c.push_back(*v);
            }
        }
    }

    /// How many frames it holds.
    pub fn len(&self) -> usize {
        self.channels.first().map_or(0, |c| c.len())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last `frames` frames of each channel (fewer while it fills).
    pub fn latest(&self, frames: usize) -> Vec<Vec<f32>> {
        self.channels
            .iter()
            .map(|c| {
                c.iter()
                    .skip(c.len().saturating_sub(frames))
                    .copied()
                    .collect()
            })
            .collect()
    }
}

/// One `/b_getn`: `count` samples from `start` (interleaved sample indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// The first sample (frame × channels + channel).
    pub start: usize,
    /// How many samples.
    pub count: usize,
}

/// The reads that fetch the `frames` frames ending just before `end` (the write head) from
/// a ring of `ring` frames of `channels` interleaved channels, oldest first, wrapped.
pub fn plan_reads(end: usize, frames: usize, ring: usize, channels: usize) -> Vec<Chunk> {
    if ring == 0 || channels == 0 {
        return Vec::new();
    }
    let frames = frames.min(ring);
    let end = end % ring;
    let first = (end + ring - frames) % ring;
    // The frames in ring order: one span, or two when they wrap past the ring's end.
    let spans = if first + frames <= ring {
        vec![(first, frames)]
    } else {
        vec![(first, ring - first), (0, frames - (ring - first))]
    };
    let mut chunks = Vec::new();
    for (start, len) in spans {
        let (mut at, stop) = (start * channels, (start + len) * channels);
        while at < stop {
            let count = CHUNK.min(stop - at);
            chunks.push(Chunk { start: at, count });
            at += count;
        }
    }
    chunks
}

/// Splits the interleaved samples (in read order) into one vector per channel.
pub fn deinterleave(samples: &[f32], channels: usize) -> Vec<Vec<f32>> {
    let channels = channels.max(1);
    let frames = samples.len() / channels;
    (0..channels)
        .map(|ch| (0..frames).map(|f| samples[f * channels + ch]).collect())
        .collect()
}

/// Where a rising edge crosses `level` in `signal`, as a fractional frame index within the
/// first `search` frames (so the `len` frames shown after it are all there). A little
/// hysteresis keeps noise riding on the level from counting as an edge.
pub fn rising_edge(signal: &[f32], level: f32, search: usize, hysteresis: f32) -> Option<f64> {
    let mut armed = false;
    for i in 1..search.min(signal.len()) {
        let (a, b) = (signal[i - 1], signal[i]);
        if a < level - hysteresis {
            armed = true;
        }
        if armed && a < level && b >= level {
            let frac = f64::from((level - a) / (b - a));
            return Some((i - 1) as f64 + frac);
        }
    }
    None
}

/// `len` values of `signal` starting at the fractional index `at`, linearly interpolated,
/// so successive triggered frames line up to a fraction of a sample.
pub fn resample_from(signal: &[f32], at: f64, len: usize) -> Vec<f32> {
    let last = signal.len().saturating_sub(1);
    (0..len)
        .map(|k| {
            let t = at + k as f64;
            let i = (t.floor().max(0.0) as usize).min(last);
            let frac = (t - i as f64).clamp(0.0, 1.0) as f32;
            let a = signal.get(i).copied().unwrap_or(0.0);
            let b = signal.get(i + 1).copied().unwrap_or(a);
            a + (b - a) * frac
        })
        .collect()
}

/// What the scope's trigger does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TriggerMode {
    /// Show the latest frames as they come.
    Free,
    /// Start each frame at a rising edge through `level` on the first channel; a frame
    /// with no edge is shown free-running.
    Rising {
        /// The level the edge crosses.
        level: f32,
    },
}

/// The frames shown after the trigger: `shown` frames starting at the edge when `mode`
/// finds one in the first `captured - shown` frames; else the last `shown` frames.
/// Returns whether the trigger fired.
pub fn triggered(channels: &[Vec<f32>], shown: usize, mode: TriggerMode) -> (Vec<Vec<f32>>, bool) {
    let captured = channels.first().map_or(0, Vec::len);
    let shown = shown.min(captured);
    let edge = match mode {
        TriggerMode::Free => None,
        TriggerMode::Rising { level } => channels
            .first()
            .and_then(|c| rising_edge(c, level, captured - shown, 0.01)),
    };
    match edge {
        Some(at) => (
            channels
                .iter()
                .map(|c| resample_from(c, at, shown))
                .collect(),
            true,
        ),
        None => (
            channels
                .iter()
                .map(|c| c[c.len() - shown..].to_vec())
                .collect(),
            false,
        ),
    }
}

/// How far two frames of the same channel differ, relative to the larger's peak (0.01 is
/// 1 %): how still a triggered tone stands.
pub fn difference(a: &[f32], b: &[f32]) -> f32 {
    let peak = a
        .iter()
        .chain(b)
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    a.iter()
        .zip(b)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()))
        / peak
}

/// The capture's running figures, as the Scope tab shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScopeStats {
    /// Frames delivered per second, over the last second or so.
    pub updates_per_sec: f64,
    /// Bytes received per second per channel (the network cost).
    pub bytes_per_sec_per_channel: f64,
    /// Reads thrown away because the write head may have overtaken them (too slow a
    /// round trip for the ring) or a chunk went unanswered.
    pub lost: u64,
    /// Position reports passed over because a read was still under way.
    pub skipped: u64,
    /// How often the scope synth had to be put back (a reset freed it).
    pub restarts: u64,
    /// Samples that were not numbers (NaN, infinite), shown as silence.
    pub not_numbers: u64,
}

/// One capture: the latest frames of each channel, oldest first.
#[derive(Debug, Clone)]
pub struct ScopeFrame {
    /// Counts captures, from 1.
    pub seq: u64,
    /// When the position this frame ends at was reported.
    pub at: Instant,
    /// The server's sample rate.
    pub sample_rate: f64,
    /// The first bus read.
    pub bus: u32,
    /// One vector per channel, all the same length.
    pub channels: Vec<Vec<f32>>,
    /// The figures as of this frame.
    pub stats: ScopeStats,
}

/// A running rate over the last second (at most 128 events), known from the second event.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    events: std::collections::VecDeque<(Instant, f64)>,
}

impl Meter {
    pub(crate) fn new() -> Self {
        Meter::default()
    }

    /// Counts `n` now; returns the rate per second.
    pub(crate) fn add(&mut self, n: f64) -> f64 {
        let now = Instant::now();
        self.events.push_back((now, n));
        while self.events.len() > 128
            || self
                .events
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t).as_secs_f64() > 1.0)
        {
            self.events.pop_front();
        }
        let Some((first, _)) = self.events.front() else {
            return 0.0;
        };
        let span = now.duration_since(*first).as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        // The first event opens the span: the rate is what came after it.
        self.events.iter().skip(1).map(|(_, n)| n).sum::<f64>() / span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, sr: f64, start: usize, n: usize) -> Vec<f32> {
        (start..start + n)
            .map(|i| (std::f64::consts::TAU * freq * i as f64 / sr).sin() as f32)
            .collect()
    }

    #[test]
    fn reads_cover_exactly_the_frames_behind_the_head_across_the_wrap() {
        let ring = 1 << 14;
        for (end, frames, ch) in [(5000, 4096, 2), (100, 4096, 2), (0, 8192, 8), (16383, 1, 1)] {
            let reads = plan_reads(end, frames, ring, ch);
            let total: usize = reads.iter().map(|c| c.count).sum();
            assert_eq!(total, frames * ch);
            assert!(
                reads
                    .iter()
                    .all(|c| c.count <= CHUNK && c.start + c.count <= ring * ch)
            );
            // Contiguous in ring order, ending at the head.
            let mut at = ((end + ring - frames) % ring) * ch;
            for c in &reads {
                assert_eq!(c.start, at % (ring * ch));
                at = c.start + c.count;
            }
            assert_eq!(at % (ring * ch), (end % ring) * ch);
        }
    }

    #[test]
    fn the_history_keeps_the_latest_frames_in_order() {
        let mut h = History::new(2);
        let samples: Vec<f32> = (0..2 * (HISTORY + 10)).map(|i| i as f32).collect();
        for part in samples.chunks(2 * 1000) {
            h.push_interleaved(part);
        }
        assert_eq!(h.len(), HISTORY);
        let last = h.latest(3);
        let n = samples.len() as f32;
        assert_eq!(last[0], vec![n - 6.0, n - 4.0, n - 2.0]);
        assert_eq!(last[1], vec![n - 5.0, n - 3.0, n - 1.0]);
        h.clear();
        assert!(h.is_empty());
        assert_eq!(h.latest(4)[0].len(), 0);
    }

    #[test]
    fn the_ring_outlasts_four_reads_and_a_second() {
        assert_eq!(ring_frames(48_000.0, 4096), 65_536);
        assert_eq!(ring_frames(48_000.0, 16_384), 65_536);
        assert!(ring_frames(192_000.0, 8192) >= 192_000);
        assert!(ring_frames(0.0, 0).is_power_of_two());
    }

    #[test]
    fn deinterleaving_keeps_each_channel_in_order() {
        let s: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let c = deinterleave(&s, 3);
        assert_eq!(c[0], vec![0.0, 3.0, 6.0, 9.0]);
        assert_eq!(c[2], vec![2.0, 5.0, 8.0, 11.0]);
    }

    #[test]
    fn a_triggered_tone_stands_still_wherever_the_capture_starts() {
        let (sr, shown) = (48_000.0, 4096);
        let mut frames = Vec::new();
        // Captures starting at unrelated offsets, as the write head lands.
        for start in [0usize, 1234, 40_001, 77_777] {
            let ch = vec![sine(100.0, sr, start, shown + 2048)];
            let (shownf, fired) = triggered(&ch, shown, TriggerMode::Rising { level: 0.0 });
            assert!(fired);
            frames.push(shownf[0].clone());
        }
        for f in &frames[1..] {
            let d = difference(&frames[0], f);
            assert!(d < 0.01, "frames differ by {:.3} %", d * 100.0);
        }
        // Free-running, the same captures do not line up.
        let a = triggered(&[sine(100.0, sr, 0, 6144)], shown, TriggerMode::Free).0;
        let b = triggered(&[sine(100.0, sr, 1234, 6144)], shown, TriggerMode::Free).0;
        assert!(difference(&a[0], &b[0]) > 0.1);
    }

    #[test]
    fn no_edge_in_silence_or_a_constant() {
        assert_eq!(rising_edge(&[0.0; 100], 0.0, 100, 0.01), None);
        assert_eq!(rising_edge(&[0.5; 100], 0.0, 100, 0.01), None);
        let (f, fired) = triggered(&[vec![0.0; 10]], 4, TriggerMode::Rising { level: 0.0 });
        assert!(!fired);
        assert_eq!(f[0].len(), 4);
    }
}
