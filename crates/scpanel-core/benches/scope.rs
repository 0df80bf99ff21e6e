//! How to carry audio from scsynth to the scope, measured on a real server (run:
//! `scripts/bench.sh --bench scope`): scpanel's ring (`BufWr` into a buffer, the position
//! reported 25 times a second, the new frames read with `/b_getn`) against `SendReply`
//! blocks (every sample sent as it is made: 128 `BufRd` taps per channel behind the write
//! head, one reply every other control block). For each, 2 channels of a sine on the
//! outputs: scsynth's average CPU (its `/status`, over 5 s) beside an idle baseline, bytes
//! per second per channel arriving here, and for `SendReply` the replies that never came.

use std::time::{Duration, Instant};

use rosc::{OscPacket, OscType};
use scpanel_core::DefSource;
use scpanel_core::Direction;
use scpanel_core::ScopeSpec;
use scpanel_core::machine as transport;
use scpanel_core::synthdef::{Graph, Rate, Sig};
use scpanel_core::{AddAction, Options, Server};

const WINDOW: Duration = Duration::from_secs(5);
const TAPS: usize = 128;
const STREAM_REPLY: &str = "/bench/stream";

fn options() -> Options {
    Options {
        port: transport::find_free_port().expect("free port"),
        input_channels: 2,
        output_channels: 2,
        max_logins: 4,
        load_synthdefs: false,
        ..Options::default()
    }
}

/// Average CPU over the window, from `/status` five times a second.
async fn cpu(server: &Server) -> f64 {
    let mut samples = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let end = Instant::now() + WINDOW;
    while Instant::now() < end {
        tick.tick().await;
        if let Ok(s) = server.status().await {
            samples.push(f64::from(s.average_cpu));
        }
    }
    samples.iter().sum::<f64>() / samples.len().max(1) as f64
}

/// `SendReply` blocks: the buses written into a ring, and every other block the last 128
/// frames read back with `BufRd` at control rate and sent in one reply.
fn stream_def(channels: usize) -> scpanel_core::synthdef::SynthDef {
    let c = Sig::Const;
    let mut g = Graph::new("bench-stream");
    let buf = g.control("bufnum", 0.0, Rate::Control);
    let buf = g.param(buf);
    let signals = g.ugen_n("In", Rate::Audio, &[c(0.0)], channels, 0);
    let frames = g.ugen("BufFrames", Rate::Control, &[buf]);
    let phase = g.ugen(
        "Phasor",
        Rate::Audio,
        &[c(0.0), c(1.0), c(0.0), frames, c(0.0)],
    );
    let mut inputs = vec![buf, phase, c(1.0)];
    inputs.extend(signals);
    g.ugen("BufWr", Rate::Audio, &inputs);
    let mut values = Vec::new();
    for k in 0..TAPS {
        // This block and the one before: the head's block start, back 64, on by k.
        let at = g.add(phase, c(k as f32 - 64.0));
        values.extend(g.ugen_n(
            "BufRd",
            Rate::Control,
            &[buf, at, c(1.0), c(1.0)],
            channels,
            0,
        ));
    }
    let rate = g.ugen("ControlRate", Rate::Scalar, &[]);
    let half = g.mul(rate, c(0.5));
    let trig = g.ugen("Impulse", Rate::Control, &[half, c(0.0)]);
    let mut reply = vec![trig, c(0.0), c(STREAM_REPLY.len() as f32)];
    reply.extend(STREAM_REPLY.bytes().map(|b| c(f32::from(b))));
    reply.extend(values);
    g.sink("SendReply", Rate::Control, &reply);
    g.build()
}

fn bytes_of(p: &OscPacket) -> usize {
    rosc::encoder::encode(p).map_or(0, |b| b.len())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let server = Server::new();
    server.boot(options()).await.expect("boot");
    server
        .synthdefs()
        .send_builtin("scpanel-sine")
        .await
        .expect("def");
    for pan in [-0.5, 0.5] {
        server
            .add_synth(
                "scpanel-sine",
                1,
                AddAction::AddToHead,
                &[("freq", 440.0), ("amp", 0.2), ("pan", pan)],
            )
            .await
            .expect("sine");
    }
    let idle = cpu(&server).await;
    println!("scsynth average CPU, two sines, nothing watching: {idle:5.2} %");

    // The ring, as the Scope tab runs it: 2 channels, 25 reads a second.
    let tap = server
        .scope()
        .start(ScopeSpec::default())
        .await
        .expect("scope");
    let ring_cpu = cpu(&server).await;
    let stats = tap.latest().map(|f| f.stats).unwrap_or_default();
    println!(
        "ring + /b_getn:  scsynth {ring_cpu:5.2} % (+{:.2}), {:6.1} KB/s per channel, {:.1} reads/s, {} lost, {} reports passed over",
        ring_cpu - idle,
        stats.bytes_per_sec_per_channel / 1000.0,
        stats.updates_per_sec,
        stats.lost,
        stats.skipped
    );
    tap.stop().await.expect("stop");

    // SendReply blocks.
    let def = stream_def(2);
    server
        .synthdefs()
        .send(&[def], DefSource::BuiltIn)
        .await
        .expect("def");
    let buffer = server.add_buffer(4096, 2).await.expect("buffer");
    let mut osc = server.subscribe_osc();
    let node = server
        .add_synth(
            "bench-stream",
            0,
            AddAction::AddToTail,
            &[("bufnum", buffer as f32)],
        )
        .await
        .expect("stream synth");
    let counting = tokio::spawn(async move {
        let (mut replies, mut bytes) = (0usize, 0usize);
        let end = Instant::now() + WINDOW;
        loop {
            let t = match tokio::time::timeout_at(end.into(), osc.recv()).await {
                Ok(Ok(t)) => t,
                // Fell behind the tap: those replies came, uncounted here.
                Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(n))) => {
                    replies += n as usize;
                    continue;
                }
                _ => break,
            };
            if let (Direction::Received, OscPacket::Message(m)) = (&t.direction, &t.packet)
                && m.addr == STREAM_REPLY
            {
                replies += 1;
                bytes += bytes_of(&t.packet);
                debug_assert!(
                    m.args
                        .iter()
                        .skip(2)
                        .all(|a| matches!(a, OscType::Float(_)))
                );
            }
        }
        (replies, bytes)
    });
    let stream_cpu = cpu(&server).await;
    let (replies, bytes) = counting.await.unwrap_or((0, 0));
    let sr = server
        .latest_status()
        .map_or(48_000.0, |s| s.nominal_sample_rate);
    let expected = (sr / (2.0 * 64.0) * WINDOW.as_secs_f64()) as usize;
    println!(
        "SendReply blocks: scsynth {stream_cpu:5.2} % (+{:.2}), {:6.1} KB/s per channel, {replies} replies of {expected} expected ({} UGens per channel)",
        stream_cpu - idle,
        bytes as f64 / WINDOW.as_secs_f64() / 2.0 / 1000.0,
        TAPS * 2 + 1
    );
    let _ = server.nodes().free(node).await;
    let _ = server.buffers().free(buffer).await;
    server.quit(false).await.expect("quit");
}
