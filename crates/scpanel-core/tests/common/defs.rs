//! SynthDefs the doctor's tests play, as a musician writes them: a sine source and a
//! "reverb" that reads a bus.

use scpanel_core::synthdef::{Graph, Rate, Sig, SynthDef};

/// `Out.ar(out, SinOsc.ar(440, 0, amp) ! 2)`, `out` fixed at the synth's start (`\ir`).
pub fn source(name: &str) -> SynthDef {
    let mut g = Graph::new(name);
    let out = g.control("out", 0.0, Rate::Scalar);
    let amp = g.control("amp", 0.1, Rate::Control);
    let (out, amp) = (g.param(out), g.param(amp));
    let s = g.ugen("SinOsc", Rate::Audio, &[Sig::Const(440.0), Sig::Const(0.0)]);
    let s = g.mul(s, amp);
    g.sink("Out", Rate::Audio, &[out, s, s]);
    g.build()
}

/// `Out.ar(out, In.ar(in, 2))`: the effect that must run after what writes `in`.
pub fn reverb(name: &str) -> SynthDef {
    let mut g = Graph::new(name);
    let input = g.control("in", 16.0, Rate::Scalar);
    let out = g.control("out", 0.0, Rate::Scalar);
    let (input, out) = (g.param(input), g.param(out));
    let s = g.ugen_n("In", Rate::Audio, &[input], 2, 0);
    let mut outs = vec![out];
    outs.extend(s);
    g.sink("Out", Rate::Audio, &outs);
    g.build()
}

/// A fresh folder holding `defs` as `.scsyndef` files, one per def.
pub fn folder(tag: &str, defs: &[SynthDef]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scpanel-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for def in defs {
        std::fs::write(
            dir.join(format!("{}.scsyndef", def.name)),
            scpanel_core::synthdef::encode_file(std::slice::from_ref(def)),
        )
        .expect("write def");
    }
    dir
}
