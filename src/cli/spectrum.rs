//! `scpanel spectrum`: the Spectrum tab, headless. Logs in (the scope is a synth and a
//! buffer of this client's), captures the bus range over the network as the tab does, and
//! prints each channel's strongest peaks once an interval (or once, with `--once`); the
//! scope's synth and buffer are freed when it ends, Ctrl-C included.

use std::time::Duration;

use clap::ArgMatches;

use scpanel_core::Server;
use scpanel_core::spectrum::{Analyzer, Peak, SIZES, Spectrum};
use scpanel_core::{ScopeSpec, ScopeTap};

/// How long the first full window may take to come.
const FIRST_CAPTURE: Duration = Duration::from_secs(5);

/// One channel's peaks: `ch 1: 1000.0 Hz -12.0 dB, 440.0 Hz -20.1 dB`, or "no peaks".
pub(super) fn line(channel: usize, peaks: &[Peak]) -> String {
    if peaks.is_empty() {
        return format!("ch {channel}: no peaks");
    }
    let parts: Vec<String> = peaks
        .iter()
        .map(|p| format!("{:.1} Hz {:.1} dB", p.hz, p.db))
        .collect();
    format!("ch {channel}: {}", parts.join(", "))
}

/// `--size`: one of the window sizes the analyser takes.
pub(super) fn size_arg(text: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| SIZES.contains(n))
        .ok_or_else(|| format!("choose one of {SIZES:?}"))
}

pub(super) async fn run(m: &ArgMatches) -> Result<(), String> {
    let arg = |name: &str| m.get_one::<u32>(name).copied().unwrap_or(1);
    let size = m
        .get_one::<usize>("size")
        .copied()
        .unwrap_or(SIZES[SIZES.len() - 1]);
    let spec = ScopeSpec {
        bus: m.get_one::<u32>("bus").copied().unwrap_or(0),
        channels: arg("channels") as usize,
        frames: size,
        rate: 10.0,
    };
    let peaks = arg("peaks") as usize;
    let once = m.get_flag("once");
    let interval = m
        .get_one::<Duration>("interval")
        .copied()
        .unwrap_or(Duration::from_secs(1));
    let mut signals = crate::signals::Signals::install()
        .map_err(|e| format!("cannot listen for signals: {e}"))?;
    let server = Server::new();
    super::connect::connect_to_play(&server, m).await?;
    let tap = server.scope().start(spec).await;
    let result = match &tap {
        Ok(tap) => print_peaks(tap, size, peaks, once, interval, &mut signals).await,
        Err(e) => Err(format!("cannot start the scope: {e}")),
    };
    if let Ok(tap) = tap {
        let _ = tap.stop().await;
    }
    let _ = server.nodes().free_own_group().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), server.disconnect()).await;
    result
}

async fn print_peaks(
    tap: &ScopeTap,
    size: usize,
    peaks: usize,
    once: bool,
    interval: Duration,
    signals: &mut crate::signals::Signals,
) -> Result<(), String> {
    let mut analyzer = Analyzer::new(size).map_err(|e| e.to_string())?;
    let mut spectrum = Spectrum::empty();
    let mut every = tokio::time::interval(interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // An interval's first tick is at once: the first print waits for a capture instead.
    every.tick().await;
    let mut seq = 0;
    loop {
        let frame = tokio::select! {
            f = tap.next_after(seq, FIRST_CAPTURE) => f.map_err(|e| format!("no capture: {e}"))?,
            _ = signals.recv() => return Ok(()),
        };
        seq = frame.seq;
        // A window part-filled reads low: wait for a whole one.
        if frame.channels.first().map_or(0, Vec::len) < size {
            continue;
        }
        for (i, samples) in frame.channels.iter().enumerate() {
            analyzer.analyze_into(samples, frame.sample_rate, &mut spectrum);
            println!("{}", line(i + 1, &spectrum.peaks(peaks)));
        }
        if once {
            return Ok(());
        }
        tokio::select! {
            _ = every.tick() => {}
            _ = signals.recv() => return Ok(()),
        }
    }
}
