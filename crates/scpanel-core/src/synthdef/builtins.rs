//! The SynthDefs scpanel brings: SuperCollider's `default`, a plain sine, and the meter,
//! volume and recorder defs behind the musician features.

use super::format::{Rate, SynthDef};
use super::graph::{BinOp, Graph, Sig};

use crate::model::alloc::LAYOUT_REPLY;
use crate::model::levels::METER_REPLY;
use crate::model::scope::{MAX_CHANNELS, SCOPE_REPLY};

fn c(v: f32) -> Sig {
    Sig::Const(v)
}

/// SuperCollider's `default` SynthDef: three detuned `VarSaw`s through a sweeping `LPF`,
/// a `Linen` envelope, `Pan2` and `OffsetOut`. `out` is a scalar (`\ir`) control.
pub fn default() -> SynthDef {
    let mut g = Graph::new("default");
    let out = g.control("out", 0.0, Rate::Scalar);
    let freq = g.control("freq", 440.0, Rate::Control);
    let amp = g.control("amp", 0.1, Rate::Control);
    let pan = g.control("pan", 0.0, Rate::Control);
    let gate = g.control("gate", 1.0, Rate::Control);
    let (out, freq, amp, pan, gate) = (
        g.param(out),
        g.param(freq),
        g.param(amp),
        g.param(pan),
        g.param(gate),
    );
    let r0 = g.ugen("Rand", Rate::Scalar, &[c(-0.4), c(0.0)]);
    let r1 = g.ugen("Rand", Rate::Scalar, &[c(0.0), c(0.4)]);
    let freqs = [freq, g.add(freq, r0), g.add(freq, r1)];
    let saws: Vec<Sig> = freqs
        .iter()
        .map(|f| g.ugen("VarSaw", Rate::Audio, &[*f, c(0.0), c(0.3)]))
        .collect();
    let mix = g.ugen("Sum3", Rate::Audio, &saws);
    let mix = g.mul(mix, c(0.3));
    let start = g.ugen("Rand", Rate::Scalar, &[c(4000.0), c(5000.0)]);
    let end = g.ugen("Rand", Rate::Scalar, &[c(2500.0), c(3200.0)]);
    let sweep = g.ugen("XLine", Rate::Control, &[start, end, c(1.0), c(0.0)]);
    let filtered = g.ugen("LPF", Rate::Audio, &[mix, sweep]);
    let env = g.ugen(
        "Linen",
        Rate::Control,
        &[gate, c(0.01), c(0.7), c(0.3), c(2.0)],
    );
    let z = g.mul(filtered, env);
    let stereo = g.ugen_n("Pan2", Rate::Audio, &[z, pan, amp], 2, 0);
    g.sink("OffsetOut", Rate::Audio, &[out, stereo[0], stereo[1]]);
    g.build()
}

/// `Env.asr(attack, 1, release, -4)` as `EnvGen` reads it.
fn asr(attack: f32, release: f32) -> Vec<Sig> {
    // initial level, segments, release node, loop node (-99: none), then per segment:
    // level, time, shape (5 = curve), curve.
    [
        0.0, 2.0, 1.0, -99.0, 1.0, attack, 5.0, -4.0, 0.0, release, 5.0, -4.0,
    ]
    .into_iter()
    .map(c)
    .collect()
}

/// A plain sine with a release envelope: `freq amp pan out gate`.
pub fn sine() -> SynthDef {
    let mut g = Graph::new("scpanel-sine");
    let ids = [
        g.control("freq", 440.0, Rate::Control),
        g.control("amp", 0.1, Rate::Control),
        g.control("pan", 0.0, Rate::Control),
        g.control("out", 0.0, Rate::Control),
        g.control("gate", 1.0, Rate::Control),
    ];
    let [freq, amp, pan, out, gate] = ids.map(|i| g.param(i));
    let osc = g.ugen("SinOsc", Rate::Audio, &[freq, c(0.0)]);
    let mut env_inputs = vec![gate, c(1.0), c(0.0), c(1.0), c(2.0)];
    env_inputs.extend(asr(0.01, 0.3));
    let env = g.ugen("EnvGen", Rate::Control, &env_inputs);
    let shaped = g.mul(osc, env);
    let stereo = g.ugen_n("Pan2", Rate::Audio, &[shaped, pan, amp], 2, 0);
    g.sink("Out", Rate::Audio, &[out, stereo[0], stereo[1]]);
    g.build()
}

/// Peak and RMS of `channels` buses from `in`, sent 20 times a second to `reply`
/// (`SendPeakRMS`, as sclang's `s.meter` does).
pub(crate) fn level_meter(channels: usize, reply: &str) -> SynthDef {
    let mut g = Graph::new(format!("scpanel-meter-{channels}"));
    let input = g.control("in", 0.0, Rate::Control);
    let input = g.param(input);
    let signals = g.ugen_n("In", Rate::Audio, &[input], channels, 0);
    let mut inputs = vec![c(20.0), c(3.0), c(-1.0), c(channels as f32)];
    inputs.extend(signals);
    inputs.push(c(reply.len() as f32));
    inputs.extend(reply.bytes().map(|b| c(f32::from(b))));
    g.sink("SendPeakRMS", Rate::Control, &inputs);
    g.build()
}

/// The scope's tap: `channels` buses from `in` written without end into the interleaved
/// ring buffer `bufnum` (`BufWr` on a `Phasor`), and the write position sent `rate` times a
/// second to `SCOPE_REPLY`, so a client reads the frames just behind it with `/b_getn`.
/// The position is taken at the start of a block, after which that block is written: every
/// frame before it is complete when the reply leaves.
pub fn scope(channels: usize) -> SynthDef {
    let mut g = Graph::new(format!("scpanel-scope-{channels}"));
    let ids = [
        g.control("in", 0.0, Rate::Control),
        g.control("bufnum", 0.0, Rate::Control),
        g.control("rate", 25.0, Rate::Control),
    ];
    let [input, bufnum, rate] = ids.map(|i| g.param(i));
    let signals = g.ugen_n("In", Rate::Audio, &[input], channels, 0);
    let frames = g.ugen("BufFrames", Rate::Control, &[bufnum]);
    let phase = g.ugen(
        "Phasor",
        Rate::Audio,
        &[c(0.0), c(1.0), c(0.0), frames, c(0.0)],
    );
    let mut inputs = vec![bufnum, phase, c(1.0)];
    inputs.extend(signals);
    g.ugen("BufWr", Rate::Audio, &inputs);
    let tick = g.ugen("Impulse", Rate::Control, &[rate, c(0.0)]);
    let mut reply = vec![tick, c(0.0), c(SCOPE_REPLY.len() as f32)];
    reply.extend(SCOPE_REPLY.bytes().map(|b| c(f32::from(b))));
    reply.push(phase);
    g.sink("SendReply", Rate::Control, &reply);
    g.build()
}

/// The server's sizes, which no command reports: hardware outputs and inputs, audio and
/// control buses and buffers, sent once to `LAYOUT_REPLY` in the synth's first block, after
/// which it frees itself.
pub fn layout_probe() -> SynthDef {
    let mut g = Graph::new("scpanel-layout");
    let once = g.ugen("Impulse", Rate::Control, &[c(0.0), c(0.0)]);
    let mut reply = vec![once, c(0.0), c(LAYOUT_REPLY.len() as f32)];
    reply.extend(LAYOUT_REPLY.bytes().map(|b| c(f32::from(b))));
    for info in [
        "NumOutputBuses",
        "NumInputBuses",
        "NumAudioBuses",
        "NumControlBuses",
        "NumBuffers",
    ] {
        reply.push(g.ugen(info, Rate::Scalar, &[]));
    }
    g.sink("SendReply", Rate::Control, &reply);
    g.ugen("FreeSelf", Rate::Control, &[once]);
    g.build()
}

/// Whether the group it is placed in runs: it sends [`PROBE_REPLY`] in its first block and
/// frees itself; in a paused group (or below one) it never runs, and says nothing.
pub fn pause_probe() -> SynthDef {
    let mut g = Graph::new("scpanel-probe");
    let once = g.ugen("Impulse", Rate::Control, &[c(0.0), c(0.0)]);
    let mut reply = vec![once, c(0.0), c(PROBE_REPLY.len() as f32)];
    reply.extend(PROBE_REPLY.bytes().map(|b| c(f32::from(b))));
    g.sink("SendReply", Rate::Control, &reply);
    g.ugen("FreeSelf", Rate::Control, &[once]);
    g.build()
}

/// What [`pause_probe`] answers: `/scpanel/probe nodeID replyID`.
pub const PROBE_REPLY: &str = "/scpanel/probe";

/// Master volume: `ReplaceOut` of `channels` buses from `bus`, scaled by `amp` unless `mute`,
/// smoothed over `lag` seconds.
pub fn volume(channels: usize) -> SynthDef {
    let mut g = Graph::new(format!("scpanel-volume-{channels}"));
    let ids = [
        g.control("bus", 0.0, Rate::Control),
        g.control("amp", 1.0, Rate::Control),
        g.control("mute", 0.0, Rate::Control),
        g.control("lag", 0.1, Rate::Control),
    ];
    let [bus, amp, mute, lag] = ids.map(|i| g.param(i));
    let open = g.binop(BinOp::Sub, c(1.0), mute);
    let target = g.mul(amp, open);
    let gain = g.ugen("Lag", Rate::Control, &[target, lag]);
    let signals = g.ugen_n("In", Rate::Audio, &[bus], channels, 0);
    let mut outs = vec![bus];
    for s in signals {
        outs.push(g.mul(s, gain));
    }
    g.sink("ReplaceOut", Rate::Audio, &outs);
    g.build()
}

/// Writes `channels` buses from `in` into the disk buffer `bufnum` (`DiskOut`).
pub fn recorder(channels: usize) -> SynthDef {
    let mut g = Graph::new(format!("scpanel-recorder-{channels}"));
    let ids = [
        g.control("in", 0.0, Rate::Control),
        g.control("bufnum", 0.0, Rate::Control),
    ];
    let [input, bufnum] = ids.map(|i| g.param(i));
    let signals = g.ugen_n("In", Rate::Audio, &[input], channels, 0);
    let mut inputs = vec![bufnum];
    inputs.extend(signals);
    g.ugen("DiskOut", Rate::Audio, &inputs);
    g.build()
}

/// The standard set: default, sine, and stereo meter, volume and recorder.
pub fn all() -> Vec<SynthDef> {
    vec![
        default(),
        sine(),
        level_meter(2, METER_REPLY),
        volume(2),
        recorder(2),
    ]
}

/// A built-in by name; the meter, volume and recorder exist for 1 to 128 channels
/// (`scpanel-meter-8`…).
pub fn builtin(name: &str) -> Option<SynthDef> {
    match name {
        "default" => return Some(default()),
        "scpanel-sine" => return Some(sine()),
        "scpanel-layout" => return Some(layout_probe()),
        "scpanel-probe" => return Some(pause_probe()),
        _ => {}
    }
    let (kind, n) = name.strip_prefix("scpanel-")?.rsplit_once('-')?;
    let n: usize = n.parse().ok().filter(|n| (1..=128).contains(n))?;
    match kind {
        "meter" => Some(level_meter(n, METER_REPLY)),
        "volume" => Some(volume(n)),
        "recorder" => Some(recorder(n)),
        "scope" if n <= MAX_CHANNELS => Some(scope(n)),
        _ => None,
    }
}
