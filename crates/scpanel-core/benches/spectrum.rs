//! Spectrum analysis cost: one frame of 8 channels at each window size, the work the
//! Spectrum tab does per refresh (run: `cargo bench -p scpanel-core --bench spectrum`).
//! No server: the input is a synthesized sine plus noise per channel.

use std::time::Instant;

use scpanel_core::spectrum::{Analyzer, SIZES, Spectrum};

const CHANNELS: usize = 8;
const RATE: f64 = 48_000.0;
const FRAMES: usize = 200;

fn main() {
    for size in SIZES {
        let channels: Vec<Vec<f32>> = (0..CHANNELS)
            .map(|c| {
                let hz = 220.0 * (c + 1) as f64;
                let mut state = 0x2545_F491_4F6C_DD1Du64 + c as u64;
                (0..size)
                    .map(|n| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                        let phase = 2.0 * std::f64::consts::PI * hz * n as f64 / RATE;
                        0.25 * phase.sin() as f32 + 0.01 * noise
                    })
                    .collect()
            })
            .collect();
        let mut analyzer = Analyzer::new(size).expect("a size from SIZES");
        let mut out: Vec<Spectrum> = (0..CHANNELS).map(|_| Spectrum::empty()).collect();
        let mut times = Vec::with_capacity(FRAMES);
        let mut peaks = 0;
        for _ in 0..FRAMES {
            let t = Instant::now();
            for (x, s) in channels.iter().zip(&mut out) {
                analyzer.analyze_into(x, RATE, s);
                peaks += s.peaks(5).len();
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "size {size:>4}, {CHANNELS} channels, analyse + 5 peaks: median {:.3} ms, p90 {:.3} ms, max {:.3} ms per frame (n={FRAMES}, {} peaks seen)",
            times[FRAMES / 2],
            times[FRAMES * 9 / 10],
            times[FRAMES - 1],
            peaks / FRAMES,
        );
    }
}
