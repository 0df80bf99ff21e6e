//! Meters, master volume and recording, measured on a real scsynth's audio.

use crate::common;

use std::time::Duration;

use common::{boot, options};
use scpanel_core::recording::{HeaderFormat, RecordOptions, SampleFormat};
use scpanel_core::{AddAction, Server};

/// Waits for `n` fresh meter replies: audio time passing, not a sleep.
async fn meter_reports(server: &Server, n: usize) {
    let mut ticks = server.mixer().watch_meters();
    for _ in 0..n {
        tokio::time::timeout(Duration::from_secs(5), ticks.changed())
            .await
            .expect("the meters stopped reporting")
            .expect("server gone");
    }
}

fn peak_db(server: &Server, channel: usize) -> f32 {
    server.mixer().meters().outputs[channel].peak_db
}

/// RMS follows a change at once; the peak falls back slowly (a 3 s peak lag, as in sclang).
fn rms_db(server: &Server, channel: usize) -> f32 {
    server.mixer().meters().outputs[channel].rms_db
}

/// A full-left sine at `amp` on output 0.
async fn sine(server: &Server, amp: f32) -> i32 {
    server
        .add_synth(
            "scpanel-sine",
            1,
            AddAction::AddToHead,
            &[("amp", amp), ("pan", -1.0), ("freq", 441.0)],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sine_shows_on_its_meter_at_its_level() {
    let server = boot(options()).await;
    server.mixer().start_meters().await.unwrap();
    let m = server.mixer().meters();
    assert_eq!(
        (m.inputs.len(), m.outputs.len()),
        (2, 2),
        "as many meters as channels"
    );
    meter_reports(&server, 3).await;
    assert!(peak_db(&server, 0) <= -89.0, "silence before the synth");
    sine(&server, 0.5).await;
    meter_reports(&server, 6).await;
    let expected = 20.0 * 0.5f32.log10();
    let got = peak_db(&server, 0);
    assert!(
        (got - expected).abs() < 1.0,
        "meter 0 shows {got:.2} dB, played {expected:.2} dB"
    );
    let rms = server.mixer().meters().outputs[0].rms_db;
    assert!((rms - (expected - 3.01)).abs() < 1.0, "rms {rms:.2} dB");
    assert!(
        peak_db(&server, 1) <= -89.0,
        "panned hard left: nothing on 1"
    );
    // The meters are synths at the ends of the root group, and go with the server.
    server.mixer().stop_meters().await.unwrap();
    assert!(server.mixer().meters().output_node.is_none());
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_and_mute_act_on_the_outputs_and_survive_reset_and_reboot() {
    let server = boot(options()).await;
    server.mixer().start_meters().await.unwrap();
    sine(&server, 0.5).await;
    meter_reports(&server, 6).await;
    let before = rms_db(&server, 0);
    server.mixer().set_volume(-12.0).await.unwrap();
    meter_reports(&server, 10).await;
    let after = rms_db(&server, 0);
    assert!(
        (before - after - 12.0).abs() < 1.0,
        "{before:.2} → {after:.2} dB"
    );
    server.mixer().set_mute(true).await.unwrap();
    meter_reports(&server, 10).await;
    assert!(rms_db(&server, 0) <= -89.0, "muted: {}", rms_db(&server, 0));
    server.mixer().set_mute(false).await.unwrap();

    // Cmd-period frees every node, then the volume and meters come back.
    server.reset().await.unwrap();
    let settings = server.mixer().settings();
    assert_eq!(
        (settings.volume_db, settings.muted, settings.meters),
        (-12.0, false, true)
    );
    sine(&server, 0.5).await;
    meter_reports(&server, 10).await;
    let after_reset = rms_db(&server, 0);
    assert!(
        (before - after_reset - 12.0).abs() < 1.0,
        "after reset {after_reset:.2} dB"
    );

    server.reboot().await.unwrap();
    sine(&server, 0.5).await;
    meter_reports(&server, 10).await;
    let after_reboot = rms_db(&server, 0);
    assert!(
        (before - after_reboot - 12.0).abs() < 1.0,
        "after reboot {after_reboot:.2} dB"
    );
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_writes_a_complete_readable_file() {
    let server = boot(options()).await;
    server.mixer().start_meters().await.unwrap();
    sine(&server, 0.25).await;
    let dir = std::env::temp_dir().join(format!("scpanel-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (header, sample, bits) in [
        (HeaderFormat::Wav, SampleFormat::Int16, 16),
        (HeaderFormat::Wav, SampleFormat::Float, 32),
        (HeaderFormat::Aiff, SampleFormat::Int24, 24),
    ] {
        let path = dir.join(format!("take-{bits}.{}", header.extension()));
        server
            .recorder()
            .start(RecordOptions {
                path: path.clone(),
                header,
                sample,
                channels: 2,
            })
            .await
            .unwrap();
        meter_reports(&server, 10).await;
        server.recorder().pause().await.unwrap();
        let paused_at = server.recorder().recording().unwrap().elapsed();
        meter_reports(&server, 4).await;
        assert!(
            server.recorder().recording().unwrap().elapsed() - paused_at
                < Duration::from_millis(50),
            "time stops while paused"
        );
        server.recorder().resume().await.unwrap();
        meter_reports(&server, 4).await;
        let rec = server.recorder().recording().unwrap();
        assert!(rec.elapsed() > Duration::from_millis(300));
        assert_eq!(server.recorder().stop().await.unwrap(), path);
        assert!(server.recorder().recording().is_none());
        let bytes = std::fs::read(&path).unwrap();
        match header {
            HeaderFormat::Wav => {
                let mut reader = hound::WavReader::open(&path).unwrap();
                let spec = reader.spec();
                assert_eq!(
                    (spec.channels, spec.sample_rate, spec.bits_per_sample),
                    (2, 48000, bits)
                );
                let frames = reader.duration();
                assert!(frames > 48000 / 4, "{frames} frames");
                let loud = match sample {
                    SampleFormat::Float => reader
                        .samples::<f32>()
                        .step_by(2)
                        .map(|s| s.unwrap().abs())
                        .fold(0.0, f32::max),
                    _ => reader
                        .samples::<i32>()
                        .step_by(2)
                        .map(|s| s.unwrap().abs() as f32 / 32768.0)
                        .fold(0.0, f32::max),
                };
                assert!((loud - 0.25).abs() < 0.03, "left channel peak {loud}");
            }
            HeaderFormat::Aiff => {
                assert_eq!(&bytes[0..4], b"FORM");
                assert_eq!(&bytes[8..12], b"AIFF");
                let comm = bytes
                    .windows(4)
                    .position(|w| w == b"COMM")
                    .expect("COMM chunk");
                let channels = u16::from_be_bytes([bytes[comm + 8], bytes[comm + 9]]);
                let frames = u32::from_be_bytes(bytes[comm + 10..comm + 14].try_into().unwrap());
                let bits = u16::from_be_bytes([bytes[comm + 14], bytes[comm + 15]]);
                assert_eq!((channels, bits), (2, 24));
                assert!(frames > 48000 / 4, "{frames} frames");
                let ssnd = bytes
                    .windows(4)
                    .position(|w| w == b"SSND")
                    .expect("SSND chunk");
                let data = &bytes[ssnd + 16..];
                assert!(data.iter().any(|b| *b != 0), "samples are not silent");
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    server.quit(false).await.unwrap();
}
