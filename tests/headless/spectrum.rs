//! The spectrum on a real scsynth: a 1 kHz sine at −12 dBFS written straight to bus 0 (no
//! panner) reads as a peak at 1 kHz ± one bin and −12 ± 1 dB, through `scpanel spectrum`
//! and through the Spectrum tab; the command leaves nothing behind on the server.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::DefSource;
use scpanel_core::synthdef::{Graph, Rate, Sig};
use scpanel_core::{AddAction, Server, ServerState};

const LIMIT: Duration = Duration::from_secs(20);
/// −12 dBFS.
const AMP: f32 = 0.251_188_64;

/// `Out.ar(0, SinOsc.ar(1000) * amp)`: one channel, no panner.
async fn play_1k(server: &Server) {
    let mut g = Graph::new("test-sine-1k");
    let osc = g.ugen(
        "SinOsc",
        Rate::Audio,
        &[Sig::Const(1000.0), Sig::Const(0.0)],
    );
    let sig = g.mul(osc, Sig::Const(AMP));
    g.sink("Out", Rate::Audio, &[Sig::Const(0.0), sig]);
    server
        .synthdefs()
        .send(&[g.build()], DefSource::BuiltIn)
        .await
        .expect("def");
    server
        .add_synth("test-sine-1k", 1, AddAction::AddToHead, &[])
        .await
        .expect("sine");
}

/// "1000.3 Hz -12.0 dB" → (1000.3, -12.0), the first peak of a `ch 1:` line.
fn first_peak(line: &str) -> Option<(f64, f64)> {
    let rest = line.split_once(": ")?.1;
    let first = rest.split(", ").next()?;
    let mut words = first.split_whitespace();
    let hz = words.next()?.parse().ok()?;
    words.next();
    let db = words.next()?.parse().ok()?;
    Some((hz, db))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scpanel_spectrum_reads_a_1k_sine_at_minus_12_dbfs() {
    let server = common::boot(common::options()).await;
    play_1k(&server).await;
    let addr = format!("127.0.0.1:{}", server.options().port);
    let buffers_before = server.status().await.expect("status");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_scpanel"))
            .args([
                "spectrum", "--addr", &addr, "--bus", "0", "--peaks", "5", "--once",
            ])
            .output()
            .expect("run scpanel")
    })
    .await
    .expect("join");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().next().unwrap_or_default();
    let (hz, db) = first_peak(line).unwrap_or_else(|| panic!("no peak in {stdout:?}"));
    let bin = 48_000.0 / 8192.0;
    assert!((hz - 1000.0).abs() <= bin, "{line}");
    assert!((db + 12.0).abs() <= 1.0, "{line}");
    // It freed its scope synth and its group: only the sine is left.
    let after = server.status().await.expect("status");
    assert_eq!(after.synths, buffers_before.synths, "{after:?}");
    server.quit(false).await.expect("quit");
}

#[test]
fn the_spectrum_tab_reads_a_1k_sine_at_minus_12_dbfs() {
    let mut h = app(common::options(), "gui-spectrum");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    h.state().bridge.block_on(play_1k(&server));
    show_tab(&mut h, "Spectrum");
    // "strongest: 1.00 kHz at -12.0 dB" (channel 1 of the outputs; channel 2 is silent).
    let mut last = String::new();
    step_until(&mut h, "the 1 kHz peak at -12 dB", LIMIT, |h| {
        let Some(v) = h.query_by_label("Spectrum plot").and_then(|n| {
            egui_kittest::kittest::NodeT::accesskit_node(&n)
                .value()
                .map(|v| v.to_string())
        }) else {
            return false;
        };
        last = v.clone();
        let Some(rest) = v.split("strongest: ").nth(1) else {
            return false;
        };
        let mut words = rest.split_whitespace();
        let (Some(f), Some(unit), Some(_), Some(db)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return false;
        };
        let hz = f.parse::<f64>().unwrap_or(0.0) * if unit == "kHz" { 1000.0 } else { 1.0 };
        let db = db.parse::<f64>().unwrap_or(0.0);
        (hz - 1000.0).abs() <= 48_000.0 / 4096.0 && (db + 12.0).abs() <= 1.0
    });
    assert!(!last.is_empty());
}
