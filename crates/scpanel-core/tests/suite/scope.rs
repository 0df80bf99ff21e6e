//! The network scope on a real scsynth: what it captures is what the server plays, a
//! triggered 100 Hz tone stands still, it comes back after an owner's reset, it reports
//! its network cost, and it leaves nothing behind.

use crate::common;

use std::time::Duration;

use common::{boot, options};
use scpanel_core::Own;
use scpanel_core::ScopeSpec;
use scpanel_core::scope::{TriggerMode, difference, triggered};
use scpanel_core::{AddAction, Server};

const LIMIT: Duration = Duration::from_secs(10);

async fn sine(server: &Server, freq: f32, amp: f32, pan: f32) -> i32 {
    server
        .synthdefs()
        .send_builtin("scpanel-sine")
        .await
        .expect("def");
    let id = server
        .add_synth(
            "scpanel-sine",
            1,
            AddAction::AddToHead,
            &[("freq", freq), ("amp", amp), ("pan", pan)],
        )
        .await
        .expect("sine");
    server.sync().await.expect("sync");
    id
}

fn peak(v: &[f32]) -> f32 {
    v.iter().fold(0.0f32, |m, x| m.max(x.abs()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_captures_what_the_server_plays_and_a_triggered_tone_stands_still() {
    let server = boot(options()).await;
    // Hard left: Pan2 passes the whole amplitude to the left, nothing to the right.
    sine(&server, 100.0, 0.5, -1.0).await;
    let tap = server
        .scope()
        .start(ScopeSpec {
            frames: 4096 + 2048,
            ..ScopeSpec::default()
        })
        .await
        .expect("scope");
    // The history fills from the synth's start (the fresh ring before it is not audio),
    // a few reads' worth: wait for a whole window, well past the sine's 10 ms attack.
    let mut frame = tap.next_after(0, LIMIT).await.expect("a capture");
    assert!(frame.channels[0].len() <= 4096 + 2048);
    let deadline = std::time::Instant::now() + LIMIT;
    while frame.channels[0].len() < 4096 + 2048 {
        assert!(
            std::time::Instant::now() < deadline,
            "the history never filled"
        );
        frame = tap.next_after(frame.seq, LIMIT).await.expect("a capture");
    }
    assert_eq!(frame.channels.len(), 2);
    assert_eq!(frame.channels[1].len(), 4096 + 2048);
    let (left, right) = (peak(&frame.channels[0]), peak(&frame.channels[1]));
    assert!((left - 0.5).abs() < 0.01, "left peak {left}");
    assert!(right < 1e-4, "right peak {right}");

    let mut shown = Vec::new();
    for _ in 0..5 {
        frame = tap.next_after(frame.seq, LIMIT).await.expect("a capture");
        let (f, fired) = triggered(&frame.channels, 4096, TriggerMode::Rising { level: 0.0 });
        assert!(fired, "the trigger found a rising edge");
        shown.push(f[0].clone());
    }
    for f in &shown[1..] {
        let d = difference(&shown[0], f);
        assert!(d < 0.01, "successive frames differ by {:.2} %", d * 100.0);
    }
    // Gapless: 6144 frames span several reads, and the sine runs through them without a
    // jump (a step between samples never more than the sine's steepest).
    let steepest = std::f32::consts::TAU * 100.0 / frame.sample_rate as f32 * 0.5;
    let jump = frame.channels[0]
        .windows(2)
        .fold(0.0f32, |m, w| m.max((w[1] - w[0]).abs()));
    assert!(
        jump <= steepest * 1.01,
        "a jump of {jump} (steepest {steepest})"
    );

    // Time runs at the server's pace: a 100 Hz tone repeats every sample_rate / 100 frames
    // (a read lost or doubled would shorten or stretch it).
    let c = &frame.channels[0];
    let edges: Vec<usize> = (1..c.len())
        .filter(|&i| c[i - 1] < 0.0 && c[i] >= 0.0)
        .collect();
    let period = (edges[edges.len() - 1] - edges[0]) as f64 / (edges.len() - 1) as f64;
    let expected = frame.sample_rate / 100.0;
    assert!(
        (period - expected).abs() < 0.01 * expected,
        "a 100 Hz period of {period:.1} frames, not {expected}"
    );

    // The network cost: each read brings only what is new, so about the audio itself,
    // 4 bytes a sample and its type tag, whatever the frames shown.
    let stats = frame.stats;
    let audio = frame.sample_rate * 5.0;
    assert!(
        stats.bytes_per_sec_per_channel > 0.5 * audio
            && stats.bytes_per_sec_per_channel < 2.0 * audio,
        "the network cost is counted: {stats:?}"
    );
    tap.stop().await.expect("stop");
    server.quit(false).await.expect("quit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scope_comes_back_after_a_reset_and_leaves_nothing_behind() {
    let server = boot(options()).await;
    let buffers_before = server.buffers().ids();
    let tap = server
        .scope()
        .start(ScopeSpec::default())
        .await
        .expect("scope");
    let frame = tap.next_after(0, LIMIT).await.expect("a capture");
    let scope = server.nodes().own(Own::Scope).expect("logged in");
    assert!(server.with_tree(|t| t.get(scope).is_some()));

    // An owner's reset frees every node, the scope's too: it is put back.
    server.reset().await.expect("reset");
    let after = tap
        .next_after(frame.seq, LIMIT)
        .await
        .expect("captures again after the reset");
    assert!(after.stats.restarts >= 1, "{:?}", after.stats);

    tap.stop().await.expect("stop");
    server.sync().await.expect("sync");
    assert!(server.with_tree(|t| t.get(scope).is_none()), "synth freed");
    assert_eq!(server.buffers().ids(), buffers_before, "buffer freed");
    server.quit(false).await.expect("quit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_refuses_what_it_cannot_do_with_words_that_say_why() {
    let server = boot(options()).await;
    for (spec, words) in [
        (
            ScopeSpec {
                channels: 9,
                ..ScopeSpec::default()
            },
            "1 to 8 channels",
        ),
        (
            ScopeSpec {
                frames: 100_000,
                ..ScopeSpec::default()
            },
            "1 to 8192 frames",
        ),
        (
            ScopeSpec {
                bus: 100_000,
                ..ScopeSpec::default()
            },
            "audio buses",
        ),
    ] {
        let e = server.scope().start(spec).await.expect_err("refused");
        assert!(e.to_string().contains(words), "{e}");
    }
    server.quit(false).await.expect("quit");
}
