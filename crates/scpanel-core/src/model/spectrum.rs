//! Spectrum analysis of captured audio: a windowed real FFT read in dBFS (a full-scale sine
//! reads 0 dB), its peaks, a level at any frequency for a cursor, and a peak hold.
//!
//! The window is Hann, and levels between bins come from a parabola through the three
//! nearest bins in dB (Gaussian interpolation). Why not a flat-top window: Hann alone reads a
//! sine that falls halfway between bins 1.42 dB low (scalloping), outside the ±1 dB asked
//! for; a flat-top window reads it within 0.02 dB but its main lobe is ~10 bins wide against
//! Hann's 4, so tones 4 bins apart (100 Hz at 2048 points, 48 kHz) would merge into one peak
//! (`close_tones_are_two_peaks` holds Hann to that). The parabola through the Hann peak recovers the
//! level to within 0.33 dB (it reads high by that much for a sine exactly halfway between
//! bins: the parabola through Hann's −15.4, −1.4, −1.4 dB peaks at +0.32) and the frequency to
//! within 0.02 bin, at any offset (`levels_hold_for_every_offset_between_bins` sweeps them),
//! and keeps Hann's resolution. The cursor reads the same parabola, so it agrees with peaks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use realfft::{RealFftPlanner, RealToComplex, num_complex::Complex};

/// The window sizes offered.
pub const SIZES: [usize; 4] = [1024, 2048, 4096, 8192];

/// The dB range shown and kept: levels are floored at `-DB_RANGE` dBFS.
pub const DB_RANGE: f32 = 96.0;

/// Peaks below this frequency are not reported (DC and sub-audio drift).
pub const PEAK_MIN_HZ: f64 = 10.0;

/// How far a peak must rise above the lower ground on both sides to count as one, so a
/// ripple on a slope or on a noise floor doesn't fill the list.
pub const PEAK_PROMINENCE_DB: f32 = 6.0;

/// A window size that can't be analysed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "window size {0} can't be used: choose a power of two from {min} to {max}",
    min = SIZES[0],
    max = SIZES[SIZES.len() - 1]
)]
pub struct BadSize(pub usize);

/// One planned FFT size with its window and scratch buffers: analysing a frame allocates
/// nothing (with [`Analyzer::analyze_into`]).
pub struct Analyzer {
    size: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// Amplitude of a bin (not DC or Nyquist) per unit of |X|: 2 / Σw, so a sine of
    /// amplitude 1 reads 1 (0 dBFS) whatever the window's coherent gain.
    scale: f32,
    input: Vec<f32>,
    output: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("size", &self.size)
            .finish()
    }
}

impl Analyzer {
    /// Plans the FFT for `size` points (one of [`SIZES`]) and makes its window.
    pub fn new(size: usize) -> Result<Self, BadSize> {
        if !(SIZES[0]..=SIZES[SIZES.len() - 1]).contains(&size) || !size.is_power_of_two() {
            return Err(BadSize(size));
        }
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(size);
        // Periodic Hann: its nulls fall exactly on the bins, so a tone on a bin leaks nowhere.
        let window: Vec<f32> = (0..size)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / size as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        let sum: f64 = window.iter().map(|&w| f64::from(w)).sum();
        Ok(Analyzer {
            size,
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            scale: (2.0 / sum) as f32,
        })
    }

    /// The FFT size planned.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The spectrum of the last `size` samples (zero-padded at the front when there are
    /// fewer; [`Spectrum::filled`] says how much was real).
    pub fn analyze(&mut self, samples: &[f32], sample_rate: f64) -> Spectrum {
        let mut out = Spectrum::empty();
        self.analyze_into(samples, sample_rate, &mut out);
        out
    }

    /// [`Analyzer::analyze`] into `out`, reusing its storage.
    pub fn analyze_into(&mut self, samples: &[f32], sample_rate: f64, out: &mut Spectrum) {
        let n = self.size;
        let take = samples.len().min(n);
        let pad = n - take;
        self.input[..pad].fill(0.0);
        let tail = &samples[samples.len() - take..];
        for ((x, &s), &w) in self.input[pad..]
            .iter_mut()
            .zip(tail)
            .zip(&self.window[pad..])
        {
            // A NaN or infinity from a broken capture would poison every bin.
            *x = if s.is_finite() { s * w } else { 0.0 };
        }
        // Only fails on buffers of the wrong length, which were made by the plan itself.
        let ok =
            self.fft
                .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch);
        debug_assert!(ok.is_ok());
        out.sample_rate = sample_rate;
        out.size = n;
        out.filled = take as f32 / n as f32;
        out.db.clear();
        let last = self.output.len() - 1;
        out.db.extend(self.output.iter().enumerate().map(|(k, c)| {
            // DC and Nyquist have no mirror image to fold in.
            let scale = if k == 0 || k == last {
                self.scale / 2.0
            } else {
                self.scale
            };
            to_db(c.norm() * scale)
        }));
    }
}

fn to_db(amplitude: f32) -> f32 {
    let db = 20.0 * amplitude.log10();
    // NaN (from 0 · ∞ upstream) floors too.
    if db > -DB_RANGE { db } else { -DB_RANGE }
}

/// One frame's spectrum in dBFS.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// The sample rate of the audio analysed, in Hz.
    pub sample_rate: f64,
    /// The FFT size; `db` holds `size / 2 + 1` bins from DC to Nyquist.
    pub size: usize,
    /// Level per bin in dBFS, floored at `-DB_RANGE`.
    pub db: Vec<f32>,
    /// The fraction of the window that held captured samples (the rest was zero-padded at
    /// the front): below 1 the levels read low, by up to 20·log10(filled) dB.
    pub filled: f32,
}

/// A peak: a local maximum, its frequency and level interpolated between bins.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    /// Frequency in Hz.
    pub hz: f64,
    /// Level in dBFS.
    pub db: f32,
}

impl Spectrum {
    /// No bins: what a view shows before the first frame.
    pub fn empty() -> Self {
        Spectrum {
            sample_rate: 0.0,
            size: 0,
            db: Vec::new(),
            filled: 0.0,
        }
    }

    /// The width of one bin in Hz (0 for an empty spectrum).
    pub fn bin_hz(&self) -> f64 {
        if self.size == 0 {
            0.0
        } else {
            self.sample_rate / self.size as f64
        }
    }

    /// Half the sample rate: the top of the spectrum.
    pub fn nyquist(&self) -> f64 {
        self.sample_rate / 2.0
    }

    /// The level at `hz`: the parabola through the three bins nearest to it, so at a peak
    /// it reads the interpolated peak level ([`Spectrum::peaks`] uses the same parabola).
    /// Outside 0..Nyquist, or with no bins, `-DB_RANGE`.
    pub fn level_at(&self, hz: f64) -> f32 {
        let bin = self.bin_hz();
        if self.db.len() < 3 || bin <= 0.0 || !(0.0..=self.nyquist()).contains(&hz) {
            return -DB_RANGE;
        }
        let x = hz / bin;
        let k = (x.round() as usize).clamp(1, self.db.len() - 2);
        let (a, b, c) = (self.db[k - 1], self.db[k], self.db[k + 1]);
        let t = (x - k as f64) as f32;
        // Lagrange form of the parabola through (−1, a), (0, b), (1, c).
        let level = b + t * (c - a) / 2.0 + t * t * (a - 2.0 * b + c) / 2.0;
        level.clamp(-DB_RANGE, a.max(b).max(c) + 3.0)
    }

    /// Up to `n` peaks, strongest first: local maxima above 10 Hz that rise at least
    /// [`PEAK_PROMINENCE_DB`] above the floor on both sides.
    pub fn peaks(&self, n: usize) -> Vec<Peak> {
        let bin = self.bin_hz();
        let db = &self.db;
        if n == 0 || db.len() < 3 || bin <= 0.0 {
            return Vec::new();
        }
        let first = ((PEAK_MIN_HZ / bin).ceil() as usize).max(1);
        let mut found: Vec<Peak> = Vec::new();
        for k in first..db.len() - 1 {
            let (a, b, c) = (db[k - 1], db[k], db[k + 1]);
            if !(b > a && b >= c && b > -DB_RANGE) || self.prominence(k) < PEAK_PROMINENCE_DB {
                continue;
            }
            let curve = a - 2.0 * b + c;
            let p = if curve < 0.0 {
                (0.5 * (a - c) / curve).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let level = b - 0.25 * (a - c) * p;
            found.push(Peak {
                hz: (k as f64 + f64::from(p)) * bin,
                db: level,
            });
        }
        found.sort_by(|x, y| y.db.total_cmp(&x.db));
        found.truncate(n);
        found
    }

    /// How far bin `k` stands above the higher of the two lowest points reached walking
    /// down from it on each side before the spectrum rises above it again.
    fn prominence(&self, k: usize) -> f32 {
        let db = &self.db;
        let top = db[k];
        let mut left = top;
        for &v in db[..k].iter().rev() {
            if v > top {
                break;
            }
            left = left.min(v);
        }
        let mut right = top;
        for &v in &db[k + 1..] {
            if v > top {
                break;
            }
            right = right.min(v);
        }
        top - left.max(right)
    }
}

/// A per-bin maximum that holds for `hold`, then falls at `fall_db_per_s`.
#[derive(Debug, Clone)]
pub struct PeakHold {
    /// How long a caught level stays before it falls.
    pub hold: Duration,
    /// How fast it falls after that, in dB per second.
    pub fall_db_per_s: f32,
    /// The held levels as of the last [`PeakHold::update`].
    held: Spectrum,
    /// Per bin, the level caught and when.
    caught: Vec<(f32, Instant)>,
}

impl Default for PeakHold {
    fn default() -> Self {
        PeakHold::new(Duration::from_secs(2), 12.0)
    }
}

impl PeakHold {
    /// An empty hold: the first frame fills it.
    pub fn new(hold: Duration, fall_db_per_s: f32) -> Self {
        PeakHold {
            hold,
            fall_db_per_s,
            held: Spectrum::empty(),
            caught: Vec::new(),
        }
    }

    /// Takes in a frame at `now` and lets held levels fall. A frame of another size or
    /// sample rate starts over from it.
    pub fn update(&mut self, frame: &Spectrum, now: Instant) {
        if frame.db.len() != self.caught.len()
            || frame.size != self.held.size
            || frame.sample_rate != self.held.sample_rate
        {
            self.held = frame.clone();
            self.caught.clear();
            self.caught.extend(frame.db.iter().map(|&d| (d, now)));
            return;
        }
        self.held.filled = frame.filled;
        for ((held, caught), &new) in self.held.db.iter_mut().zip(&mut self.caught).zip(&frame.db) {
            let fallen = fallen(self.hold, self.fall_db_per_s, *caught, now);
            if new >= fallen {
                *caught = (new, now);
                *held = new;
            } else {
                *held = fallen;
            }
        }
    }

    /// The held levels as of the last update (empty before the first).
    pub fn held(&self) -> &Spectrum {
        &self.held
    }

    /// Forgets every held level: the next frame starts over.
    pub fn reset(&mut self) {
        self.held = Spectrum::empty();
        self.caught.clear();
    }
}

/// A level caught at `at`, held for `hold` and falling at `rate` dB/s since, as of `now`.
fn fallen(hold: Duration, rate: f32, (level, at): (f32, Instant), now: Instant) -> f32 {
    let falling = now.saturating_duration_since(at).saturating_sub(hold);
    (level - falling.as_secs_f32() * rate).max(-DB_RANGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: [f64; 2] = [44_100.0, 48_000.0];

    fn sine(hz: f64, dbfs: f64, rate: f64, len: usize) -> Vec<f32> {
        let amp = 10f64.powf(dbfs / 20.0);
        (0..len)
            .map(|n| (amp * (2.0 * std::f64::consts::PI * hz * n as f64 / rate).sin()) as f32)
            .collect()
    }

    fn mix(a: &[f32], b: &[f32]) -> Vec<f32> {
        a.iter().zip(b).map(|(x, y)| x + y).collect()
    }

    /// xorshift: deterministic white noise in ±amp without a random-number crate.
    fn noise(amp: f32, len: usize, mut state: u64) -> Vec<f32> {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
                amp * (2.0 * unit as f32 - 1.0)
            })
            .collect()
    }

    fn assert_peak(s: &Spectrum, hz: f64, dbfs: f32, what: &str) {
        let peaks = s.peaks(1);
        let p = peaks.first().unwrap_or_else(|| panic!("{what}: no peak"));
        assert!(
            (p.hz - hz).abs() <= s.bin_hz(),
            "{what}: peak at {} Hz, wanted {hz} ± {} Hz",
            p.hz,
            s.bin_hz()
        );
        assert!(
            (p.db - dbfs).abs() <= 1.0,
            "{what}: peak at {} dB, wanted {dbfs} ± 1 dB",
            p.db
        );
        let cursor = s.level_at(p.hz);
        assert!(
            (cursor - dbfs).abs() <= 1.0,
            "{what}: cursor at the peak reads {cursor} dB"
        );
    }

    #[test]
    fn a_1khz_sine_at_minus_12_reads_1khz_and_minus_12_at_every_size_and_rate() {
        for rate in RATES {
            for size in SIZES {
                let mut a = Analyzer::new(size).expect("size");
                let s = a.analyze(&sine(1000.0, -12.0, rate, size * 2), rate);
                assert_eq!(s.db.len(), size / 2 + 1);
                assert_eq!(s.filled, 1.0);
                assert_peak(&s, 1000.0, -12.0, &format!("{size} at {rate}"));
                let cursor = s.level_at(1000.0);
                assert!(
                    (cursor + 12.0).abs() <= 1.0,
                    "{size} at {rate}: cursor at 1 kHz reads {cursor}"
                );
            }
        }
    }

    #[test]
    fn levels_hold_for_every_offset_between_bins() {
        // Worst errors over the sweep, reported so the comment at the top stays true.
        let (mut worst_db, mut worst_bins) = (0f32, 0f64);
        for rate in RATES {
            for size in SIZES {
                let mut a = Analyzer::new(size).expect("size");
                let bin = rate / size as f64;
                for base in [37.0, 300.0] {
                    for step in 0..=10 {
                        let hz = (base + step as f64 / 10.0) * bin;
                        for dbfs in [0.0, -12.0, -40.0, -70.0] {
                            let s = a.analyze(&sine(hz, dbfs, rate, size), rate);
                            let what = format!("{hz:.2} Hz at {dbfs} dBFS, {size} at {rate}");
                            assert_peak(&s, hz, dbfs as f32, &what);
                            let p = s.peaks(1)[0];
                            worst_db = worst_db.max((p.db - dbfs as f32).abs());
                            worst_bins = worst_bins.max((p.hz - hz).abs() / bin);
                        }
                    }
                }
            }
        }
        eprintln!("worst level error {worst_db:.3} dB, frequency error {worst_bins:.3} bin");
        assert!(worst_db < 0.35 && worst_bins < 0.05);
    }

    #[test]
    fn a_full_scale_sine_on_a_bin_reads_0_dbfs() {
        let mut a = Analyzer::new(4096).expect("size");
        let s = a.analyze(
            &sine(48_000.0 / 4096.0 * 100.0, 0.0, 48_000.0, 4096),
            48_000.0,
        );
        assert!(
            (s.db[100]).abs() < 0.01,
            "on-bin full scale reads {}",
            s.db[100]
        );
    }

    #[test]
    fn two_sines_give_two_peaks_strongest_first() {
        for rate in RATES {
            for size in SIZES {
                let mut a = Analyzer::new(size).expect("size");
                let x = mix(
                    &sine(440.0, -20.0, rate, size),
                    &sine(5_000.0, -6.0, rate, size),
                );
                let s = a.analyze(&x, rate);
                let p = s.peaks(5);
                assert!(p.len() >= 2, "{size} at {rate}: {p:?}");
                let what = format!("{size} at {rate}: {p:?}");
                assert!((p[0].hz - 5_000.0).abs() <= s.bin_hz(), "{what}");
                assert!((p[0].db + 6.0).abs() <= 1.0, "{what}");
                assert!((p[1].hz - 440.0).abs() <= s.bin_hz(), "{what}");
                assert!((p[1].db + 20.0).abs() <= 1.0, "{what}");
                // Hann's side lobes fall monotonically between bins: nothing else stands out.
                assert!(p.iter().skip(2).all(|q| q.db < -60.0), "{what}");
            }
        }
    }

    #[test]
    fn close_tones_are_two_peaks() {
        let rate = 48_000.0;
        let mut a = Analyzer::new(2048).expect("size");
        let x = mix(
            &sine(1000.0, -12.0, rate, 2048),
            &sine(1100.0, -12.0, rate, 2048),
        );
        let s = a.analyze(&x, rate);
        let mut p = s.peaks(2);
        p.sort_by(|x, y| x.hz.total_cmp(&y.hz));
        assert_eq!(p.len(), 2, "{p:?}");
        // Each lobe leans on the other: the frequencies hold to a bin, the levels to 2 dB.
        for (peak, hz) in p.iter().zip([1000.0, 1100.0]) {
            assert!((peak.hz - hz).abs() <= s.bin_hz(), "{p:?}");
            assert!((peak.db + 12.0).abs() <= 2.0, "{p:?}");
        }
    }

    #[test]
    fn silence_has_no_peaks_and_reads_the_floor() {
        let mut a = Analyzer::new(2048).expect("size");
        let s = a.analyze(&vec![0.0; 2048], 48_000.0);
        assert!(s.peaks(5).is_empty());
        assert!(s.db.iter().all(|&d| d == -DB_RANGE));
        assert_eq!(s.level_at(1000.0), -DB_RANGE);
    }

    #[test]
    fn white_noise_gives_no_peak_above_its_expected_bin_level_plus_margin() {
        for size in SIZES {
            let amp = 0.3f32;
            let mut a = Analyzer::new(size).expect("size");
            let s = a.analyze(&noise(amp, size, 0x9E37_79B9_7F4A_7C15), 48_000.0);
            // Uniform ±amp has variance amp²/3. Hann-windowed, a bin's mean power in the
            // 0 dBFS-for-a-sine scale is 4·σ²·Σw²/(Σw)² = 4·σ²·1.5/N. Its power is
            // exponential, so exceeding 20× the mean (13 dB) in any of N/2 bins has
            // probability below N/2·e⁻²⁰.
            let mean = 10.0 * (4.0 * f64::from(amp * amp) / 3.0 * 1.5 / size as f64).log10();
            let bound = mean as f32 + 13.0;
            let peaks = s.peaks(10);
            assert!(
                peaks.iter().all(|p| p.db < bound),
                "{size}: {peaks:?} above {bound}"
            );
            // And the floor itself is where the arithmetic says: the median bin sits near
            // the mean minus 1.6 dB (the median of an exponential is ln 2 of its mean).
            let mut sorted = s.db.clone();
            sorted.sort_by(f32::total_cmp);
            let median = sorted[sorted.len() / 2];
            let expected = mean as f32 + 10.0 * 2f32.ln().log10();
            assert!(
                (median - expected).abs() < 1.5,
                "{size}: median {median}, expected {expected}"
            );
        }
    }

    #[test]
    fn short_input_is_zero_padded_at_the_front_and_says_so() {
        let mut a = Analyzer::new(4096).expect("size");
        let s = a.analyze(&sine(1000.0, -12.0, 48_000.0, 1024), 48_000.0);
        assert_eq!(s.filled, 0.25);
        let p = s.peaks(1)[0];
        assert!((p.hz - 1000.0).abs() <= 4.0 * s.bin_hz(), "{p:?}");
        // Only the last quarter of the window held signal: it reads low by the share of the
        // window's sum that quarter carries.
        let w = |n: usize| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / 4096.0).cos();
        let share = (3072..4096).map(w).sum::<f32>() / (0..4096).map(w).sum::<f32>();
        let expected = -12.0 + 20.0 * share.log10();
        assert!(
            (p.db - expected).abs() <= 1.0,
            "{p:?}, expected {expected} dB"
        );
        // The last samples are the ones analysed.
        let long = mix(
            &[vec![0.9; 4096], vec![0.0; 4096]].concat(),
            &sine(3000.0, -6.0, 48_000.0, 8192),
        );
        let s = a.analyze(&long, 48_000.0);
        assert_eq!(s.filled, 1.0);
        assert!(
            s.db[0] < -80.0,
            "DC from the first half leaked in: {}",
            s.db[0]
        );
        assert_peak(&s, 3000.0, -6.0, "tail");
    }

    #[test]
    fn bad_sizes_are_refused_with_the_sizes_that_work() {
        for size in [0, 512, 1000, 3000, 16384] {
            let e = Analyzer::new(size).expect_err("refused");
            assert!(e.to_string().contains("1024 to 8192"), "{e}");
        }
        for size in SIZES {
            assert_eq!(Analyzer::new(size).map(|a| a.size()), Ok(size));
        }
    }

    #[test]
    fn non_finite_samples_do_not_poison_the_spectrum() {
        let mut a = Analyzer::new(1024).expect("size");
        let mut x = sine(1000.0, -12.0, 48_000.0, 1024);
        x[0] = f32::NAN;
        x[1] = f32::INFINITY;
        let s = a.analyze(&x, 48_000.0);
        assert!(s.db.iter().all(|d| d.is_finite()));
        assert_peak(&s, 1000.0, -12.0, "with a NaN");
    }

    #[test]
    fn peak_hold_holds_then_falls_then_catches_a_new_peak() {
        let rate = 48_000.0;
        let mut a = Analyzer::new(2048).expect("size");
        let loud = a.analyze(&sine(1000.0, -6.0, rate, 2048), rate);
        let quiet = a.analyze(&sine(1000.0, -40.0, rate, 2048), rate);
        let k = loud
            .db
            .iter()
            .enumerate()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .map(|(k, _)| k)
            .expect("bins");
        let t0 = Instant::now();
        let hold = Duration::from_secs(1);
        let fall = 10.0;
        let mut h = PeakHold::new(hold, fall);
        h.update(&loud, t0);
        assert_eq!(h.held().db[k], loud.db[k]);
        // Within the hold time the level stays.
        h.update(&quiet, t0 + Duration::from_millis(900));
        assert_eq!(h.held().db[k], loud.db[k]);
        // 2 s after the hold ended it has fallen 2 s × fall.
        h.update(&quiet, t0 + hold + Duration::from_secs(2));
        let fallen = h.held().db[k];
        assert!(
            (fallen - (loud.db[k] - 2.0 * fall)).abs() < 0.01,
            "{fallen} vs {}",
            loud.db[k]
        );
        // It never falls below what is playing now.
        h.update(&quiet, t0 + Duration::from_secs(60));
        assert_eq!(h.held().db[k], quiet.db[k]);
        // A louder frame is caught at once.
        h.update(&loud, t0 + Duration::from_secs(61));
        assert_eq!(h.held().db[k], loud.db[k]);
        // Another size starts over.
        let mut b = Analyzer::new(4096).expect("size");
        let other = b.analyze(&sine(1000.0, -40.0, rate, 4096), rate);
        h.update(&other, t0 + Duration::from_secs(62));
        assert_eq!(h.held(), &other);
        h.reset();
        assert!(h.held().db.is_empty());
    }

    #[test]
    fn level_at_outside_the_band_or_empty_reads_the_floor() {
        assert_eq!(Spectrum::empty().level_at(1000.0), -DB_RANGE);
        assert!(Spectrum::empty().peaks(3).is_empty());
        let mut a = Analyzer::new(1024).expect("size");
        let s = a.analyze(&sine(1000.0, -12.0, 48_000.0, 1024), 48_000.0);
        assert_eq!(s.level_at(-5.0), -DB_RANGE);
        assert_eq!(s.level_at(30_000.0), -DB_RANGE);
        assert_eq!(s.level_at(f64::NAN), -DB_RANGE);
    }
}
