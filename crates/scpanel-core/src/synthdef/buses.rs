//! Which buses a synth reads and writes, from its SynthDef graph: the groundwork of the "why
//! is there no sound?" doctor, which compares what each synth writes with what the others
//! read and with the hardware outputs.
//!
//! Pure: no I/O. A def may come from a file or a peer, so every index is checked and every
//! walk is bounded by the def's own sizes or a small constant.

use super::format::{CONTROL_CLASSES, Input, Rate, SynthDef, UGen};
use crate::wire::protocol::BusRate;

/// Whether a UGen takes from a bus or puts on one: a silent output is a writer whose bus no
/// reader and no hardware output takes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// `In`, `InFeedback`, `InTrig`, `LagIn`.
    Reads,
    /// `Out`, `ReplaceOut`, `XOut`, `OffsetOut`.
    Writes,
}

/// Where a UGen's bus number comes from, so the doctor knows whether it needs the synth's
/// live control values to name the bus.
#[derive(Debug, Clone, PartialEq)]
pub enum BusFrom {
    /// Fixed in the def: the same bus for every synth made from it.
    Constant(u32),
    /// A parameter's live value plus `offset` (`Out.ar(out)`, `Out.ar(out + 1)`): differs per
    /// synth, and the node tree has the value.
    Control {
        /// The parameter's name.
        name: String,
        /// Added to the parameter's value.
        offset: u32,
    },
    /// Anything else (other arithmetic, an array parameter's later element, a malformed
    /// def): which bus is not known without running the graph, so no finding may rest on it.
    Computed,
}

/// One bus-reading or bus-writing UGen of a def.
#[derive(Debug, Clone, PartialEq)]
pub struct BusEntry {
    /// Reads or writes.
    pub dir: Dir,
    /// Audio and control buses are separate numberings: bus 0 of one is not bus 0 of the
    /// other.
    pub rate: BusRate,
    /// Consecutive buses from the first; `None` when guessed from a control name (a def
    /// without a graph says nothing about its width).
    pub channels: Option<u32>,
    /// The first bus.
    pub from: BusFrom,
    /// The UGen's class (`Out`, `In`…), for the finding's wording; empty when guessed.
    pub ugen: String,
    /// Inferred from a control's name, not read from a graph: a finding resting on it must
    /// say so.
    pub guessed: bool,
}

/// What one def reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct BusUse {
    /// One entry per bus UGen (or per guessed control), in UGen order.
    pub entries: Vec<BusEntry>,
    /// Guessed from control names because there was no graph (a def another client sent with
    /// `.add`): every entry is then guessed.
    pub guessed: bool,
}

/// An entry with the bus it names for one synth: what the doctor matches writers against
/// readers with.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedBus {
    /// What the def says.
    pub entry: BusEntry,
    /// The first bus, when the def fixes it or the synth's control gives a whole,
    /// non-negative value; `None` when neither does.
    pub bus: Option<u32>,
}

/// How far `Out.ar(out + 1 + 2)` is followed through `+`: real defs add one offset; a peer's
/// def may chain forever (or loop, if built by hand).
const MAX_ADD_DEPTH: usize = 4;

/// `BinaryOpUGen`'s special index for `+`.
const ADD: i16 = 0;

/// The bus UGens a client can meet, with what they do, how many inputs come before the
/// signals (`XOut`'s crossfade is one; the readers' channels are their outputs), and which
/// buses they use at the rate they run, as scsynth's constructors pick (`IOUGens.cpp`):
/// `InFeedback` and `OffsetOut` always audio, `LagIn` always control, `InTrig` control (at
/// audio rate it only outputs silence), the others audio at audio rate and control otherwise.
fn bus_ugen(class: &str, rate: Rate) -> Option<(Dir, usize, BusRate)> {
    let by_rate = if rate == Rate::Audio {
        BusRate::Audio
    } else {
        BusRate::Control
    };
    Some(match class {
        "In" => (Dir::Reads, 0, by_rate),
        "InFeedback" => (Dir::Reads, 0, BusRate::Audio),
        "LagIn" => (Dir::Reads, 0, BusRate::Control),
        "InTrig" if rate != Rate::Audio => (Dir::Reads, 0, BusRate::Control),
        "Out" | "ReplaceOut" => (Dir::Writes, 1, by_rate),
        "OffsetOut" => (Dir::Writes, 1, BusRate::Audio),
        "XOut" => (Dir::Writes, 2, by_rate),
        _ => return None,
    })
}

/// Every bus a def's graph reads and writes. `LocalIn`/`LocalOut` are left out: their buses
/// are the synth's own. A UGen without a bus input (a malformed def) is left out too.
pub fn bus_use(def: &SynthDef) -> BusUse {
    let entries = def
        .ugens
        .iter()
        .filter_map(|u| {
            let (dir, before, rate) = bus_ugen(&u.class, u.rate)?;
            let bus = *u.inputs.first()?;
            let channels = match dir {
                Dir::Reads => u.outputs.len(),
                Dir::Writes => u.inputs.len().saturating_sub(before),
            };
            Some(BusEntry {
                dir,
                rate,
                channels: Some(u32::try_from(channels).unwrap_or(u32::MAX)),
                from: bus_from(def, bus),
                ugen: u.class.clone(),
                guessed: false,
            })
        })
        .collect();
    BusUse {
        entries,
        guessed: false,
    }
}

/// Follows a bus input back to a constant or a parameter, through at most
/// [`MAX_ADD_DEPTH`] additions of a constant.
fn bus_from(def: &SynthDef, mut input: Input) -> BusFrom {
    let mut offset: u32 = 0;
    for _ in 0..=MAX_ADD_DEPTH {
        let (ugen, output) = match input {
            Input::Constant(c) => {
                return def
                    .constants
                    .get(c as usize)
                    .and_then(|v| whole(*v))
                    .and_then(|v| v.checked_add(offset))
                    .map_or(BusFrom::Computed, BusFrom::Constant);
            }
            Input::UGen { ugen, output } => (ugen, output),
        };
        let Some(u) = def.ugens.get(ugen as usize) else {
            return BusFrom::Computed;
        };
        if CONTROL_CLASSES.contains(&u.class.as_str()) {
            return param_name(def, u, output).map_or(BusFrom::Computed, |name| BusFrom::Control {
                name: name.to_string(),
                offset,
            });
        }
        let Some((next, added)) = plus_constant(def, u) else {
            return BusFrom::Computed;
        };
        let Some(sum) = offset.checked_add(added) else {
            return BusFrom::Computed;
        };
        offset = sum;
        input = next;
    }
    BusFrom::Computed
}

/// `x + c` or `c + x` with `c` a whole, non-negative constant: `x` and `c`.
fn plus_constant(def: &SynthDef, u: &UGen) -> Option<(Input, u32)> {
    if u.class != "BinaryOpUGen" || u.special != ADD || u.inputs.len() != 2 {
        return None;
    }
    let constant = |i: &Input| match *i {
        Input::Constant(c) => def.constants.get(c as usize).and_then(|v| whole(*v)),
        Input::UGen { .. } => None,
    };
    let (a, b) = (u.inputs[0], u.inputs[1]);
    match (constant(&a), constant(&b)) {
        (_, Some(c)) => Some((a, c)),
        (Some(c), None) => Some((b, c)),
        (None, None) => None,
    }
}

/// The parameter a control UGen's output carries: control UGens' outputs are consecutive
/// parameters from their special index (scsynth's `mSpecialIndex`). Only a parameter's first
/// slot has a name; a later element of an array parameter gets `None`, as does anything out
/// of range.
fn param_name<'a>(def: &'a SynthDef, control: &UGen, output: u32) -> Option<&'a str> {
    if output as usize >= control.outputs.len() {
        return None;
    }
    let first = u32::try_from(control.special).ok()?;
    let index = first.checked_add(output)?;
    if index as usize >= def.params.len() {
        return None;
    }
    def.param_names
        .iter()
        .find(|(_, i)| *i == index)
        .map(|(name, _)| name.as_str())
}

/// A float that names a bus: whole, non-negative and within `u32`.
fn whole(v: f32) -> Option<u32> {
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f32).then_some(v as u32)
}

/// Control names that, by the convention of SuperCollider's examples and libraries, carry
/// the bus a synth writes.
const WRITE_NAMES: [&str; 4] = ["out", "outBus", "out_bus", "bus"];
/// … and the bus it reads.
const READ_NAMES: [&str; 3] = ["in", "inBus", "in_bus"];

/// A def's buses guessed from its control names, for a def we have no graph of (another
/// client sent it): `out`, `outBus`, `out_bus`, `bus` write and `in`, `inBus`, `in_bus` read,
/// taken as audio buses (by far the common case) of unknown width.
pub fn guessed_from_controls(names: &[&str]) -> BusUse {
    let entries = names
        .iter()
        .filter_map(|name| {
            let dir = if WRITE_NAMES.contains(name) {
                Dir::Writes
            } else if READ_NAMES.contains(name) {
                Dir::Reads
            } else {
                return None;
            };
            Some(BusEntry {
                dir,
                rate: BusRate::Audio,
                channels: None,
                from: BusFrom::Control {
                    name: (*name).to_string(),
                    offset: 0,
                },
                ugen: String::new(),
                guessed: true,
            })
        })
        .collect();
    BusUse {
        entries,
        guessed: true,
    }
}

/// Each entry's first bus for one synth, from its live control values (the node tree's,
/// bus-mapped controls left out by the caller). A control that is missing, or whose value is
/// not a whole non-negative number, names no bus: scsynth would truncate it, but a fractional
/// bus is a mistake the doctor should show rather than paper over.
pub fn resolve(bus_use: &BusUse, controls: &[(String, f32)]) -> Vec<ResolvedBus> {
    bus_use
        .entries
        .iter()
        .map(|entry| {
            let bus = match &entry.from {
                BusFrom::Constant(n) => Some(*n),
                BusFrom::Control { name, offset } => controls
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| whole(*v))
                    .and_then(|v| v.checked_add(*offset)),
                BusFrom::Computed => None,
            };
            ResolvedBus {
                entry: entry.clone(),
                bus,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthdef::builtins;
    use crate::synthdef::format::decode_file;
    use crate::synthdef::graph::{BinOp, Graph, Sig};

    fn reads(rate: BusRate, channels: u32, from: BusFrom, ugen: &str) -> BusEntry {
        entry(Dir::Reads, rate, channels, from, ugen)
    }

    fn writes(rate: BusRate, channels: u32, from: BusFrom, ugen: &str) -> BusEntry {
        entry(Dir::Writes, rate, channels, from, ugen)
    }

    fn entry(dir: Dir, rate: BusRate, channels: u32, from: BusFrom, ugen: &str) -> BusEntry {
        BusEntry {
            dir,
            rate,
            channels: Some(channels),
            from,
            ugen: ugen.into(),
            guessed: false,
        }
    }

    fn control(name: &str, offset: u32) -> BusFrom {
        BusFrom::Control {
            name: name.into(),
            offset,
        }
    }

    fn entries(def: &SynthDef) -> Vec<BusEntry> {
        let u = bus_use(def);
        assert!(!u.guessed);
        u.entries
    }

    fn ugen(class: &str, rate: Rate, inputs: Vec<Input>, outputs: usize, special: i16) -> UGen {
        UGen {
            class: class.into(),
            rate,
            inputs,
            outputs: vec![rate; outputs],
            special,
        }
    }

    fn k(i: u32) -> Input {
        Input::Constant(i)
    }

    fn from(ugen: u32, output: u32) -> Input {
        Input::UGen { ugen, output }
    }

    /// Decoded from the bytes, as a def from a file or a peer arrives.
    fn through_bytes(def: SynthDef) -> SynthDef {
        decode_file(&def.encode()).unwrap().remove(0)
    }

    #[test]
    fn builtins_write_and_read_the_buses_their_controls_name() {
        use BusRate::Audio;
        assert_eq!(
            entries(&through_bytes(builtins::sine())),
            [writes(Audio, 2, control("out", 0), "Out")]
        );
        assert_eq!(
            entries(&through_bytes(builtins::default())),
            [writes(Audio, 2, control("out", 0), "OffsetOut")]
        );
        assert_eq!(
            entries(&through_bytes(
                builtins::builtin("scpanel-meter-8").unwrap()
            )),
            [reads(Audio, 8, control("in", 0), "In")]
        );
        assert_eq!(
            entries(&through_bytes(builtins::scope(2))),
            [reads(Audio, 2, control("in", 0), "In")]
        );
        assert_eq!(
            entries(&through_bytes(builtins::volume(2))),
            [
                reads(Audio, 2, control("bus", 0), "In"),
                writes(Audio, 2, control("bus", 0), "ReplaceOut"),
            ]
        );
        // DiskOut writes a buffer, not a bus.
        assert_eq!(
            entries(&through_bytes(builtins::recorder(2))),
            [reads(Audio, 2, control("in", 0), "In")]
        );
        assert_eq!(entries(&builtins::layout_probe()), []);
    }

    fn fixture(name: &str) -> SynthDef {
        let path = format!(
            "{}/tests/fixtures/synthdefs/{name}.scsyndef",
            env!("CARGO_MANIFEST_DIR")
        );
        decode_file(&std::fs::read(path).unwrap())
            .unwrap()
            .remove(0)
    }

    /// Written by supriya, an independent compiler: scalar controls in their own `Control`
    /// UGen, whose special index is not 0 for the `kr` one.
    #[test]
    fn fixtures_from_another_compiler() {
        use BusRate::Audio;
        assert_eq!(
            entries(&fixture("fixture-mixed-rates")),
            [
                reads(Audio, 2, control("bus", 0), "In"),
                writes(Audio, 2, control("chans", 0), "Out"),
            ]
        );
        assert_eq!(
            entries(&fixture("fixture-operators")),
            [writes(Audio, 3, BusFrom::Constant(0), "Out")]
        );
        assert_eq!(
            entries(&fixture("fixture-sine")),
            [writes(Audio, 2, control("out", 0), "Out")]
        );
        assert_eq!(
            entries(&fixture("supriya-default")),
            [writes(Audio, 2, control("out", 0), "OffsetOut")]
        );
    }

    /// `In.ar(16, 2)` through a `FreeVerb2` to `Out.ar(0, …)`, and a control-rate
    /// `In.kr(lfo, 1)` / `Out.kr(5, …)`: the rate picks the bus numbering.
    #[test]
    fn a_reverb_written_by_hand() {
        let def = SynthDef {
            name: "reverb".into(),
            constants: vec![16.0, 0.0, 5.0],
            params: vec![3.0],
            param_names: vec![("lfo".into(), 0)],
            ugens: vec![
                ugen("Control", Rate::Control, vec![], 1, 0),
                ugen("In", Rate::Audio, vec![k(0)], 2, 0),
                ugen("In", Rate::Control, vec![from(0, 0)], 1, 0),
                ugen(
                    "FreeVerb2",
                    Rate::Audio,
                    vec![from(1, 0), from(1, 1), from(2, 0)],
                    2,
                    0,
                ),
                ugen("Out", Rate::Audio, vec![k(1), from(3, 0), from(3, 1)], 0, 0),
                ugen("Out", Rate::Control, vec![k(2), from(2, 0)], 0, 0),
            ],
            variants: vec![],
        };
        let def = through_bytes(def);
        assert_eq!(
            entries(&def),
            [
                reads(BusRate::Audio, 2, BusFrom::Constant(16), "In"),
                reads(BusRate::Control, 1, control("lfo", 0), "In"),
                writes(BusRate::Audio, 2, BusFrom::Constant(0), "Out"),
                writes(BusRate::Control, 1, BusFrom::Constant(5), "Out"),
            ]
        );
    }

    /// `XOut`'s crossfade is not a channel; `LocalIn`/`LocalOut` never show; `InFeedback`
    /// reads audio buses.
    #[test]
    fn xout_localin_and_infeedback() {
        let mut g = Graph::new("fx");
        let ids = [
            g.control("out", 0.0, Rate::Control),
            g.control("mix", 0.5, Rate::Control),
        ];
        let [out, mix] = ids.map(|i| g.param(i));
        let fb = g.ugen_n("LocalIn", Rate::Audio, &[Sig::Const(0.0)], 2, 0);
        let back = g.ugen_n("InFeedback", Rate::Audio, &[out], 2, 0);
        let l = g.add(fb[0], back[0]);
        let r = g.add(fb[1], back[1]);
        g.sink("LocalOut", Rate::Audio, &[l, r]);
        g.sink("XOut", Rate::Audio, &[out, mix, l, r]);
        let def = through_bytes(g.build());
        assert_eq!(
            entries(&def),
            [
                reads(BusRate::Audio, 2, control("out", 0), "InFeedback"),
                writes(BusRate::Audio, 2, control("out", 0), "XOut"),
            ]
        );
    }

    /// The bus numbering each UGen uses at each rate, as scsynth's constructors pick it.
    #[test]
    fn which_numbering_each_ugen_uses() {
        let one = |class: &str, rate: Rate, outputs: usize| {
            let inputs = if outputs == 0 {
                vec![k(0), k(0)]
            } else {
                vec![k(0)]
            };
            let def = SynthDef {
                name: "rates".into(),
                constants: vec![3.0],
                params: vec![],
                param_names: vec![],
                ugens: vec![ugen(class, rate, inputs, outputs, 0)],
                variants: vec![],
            };
            entries(&def)
                .into_iter()
                .map(|e| (e.dir, e.rate))
                .collect::<Vec<_>>()
        };
        use BusRate::{Audio, Control};
        use Dir::{Reads, Writes};
        assert_eq!(one("In", Rate::Audio, 1), [(Reads, Audio)]);
        assert_eq!(one("In", Rate::Control, 1), [(Reads, Control)]);
        assert_eq!(one("InFeedback", Rate::Control, 1), [(Reads, Audio)]);
        assert_eq!(one("LagIn", Rate::Control, 1), [(Reads, Control)]);
        assert_eq!(one("InTrig", Rate::Control, 1), [(Reads, Control)]);
        assert_eq!(one("InTrig", Rate::Audio, 1), [], "silent at audio rate");
        assert_eq!(one("Out", Rate::Control, 0), [(Writes, Control)]);
        assert_eq!(one("ReplaceOut", Rate::Audio, 0), [(Writes, Audio)]);
        assert_eq!(one("ReplaceOut", Rate::Control, 0), [(Writes, Control)]);
        assert_eq!(one("OffsetOut", Rate::Control, 0), [(Writes, Audio)]);
        assert_eq!(one("LocalOut", Rate::Audio, 0), []);
        assert_eq!(one("LocalIn", Rate::Audio, 1), []);
        assert_eq!(one("SharedOut", Rate::Control, 0), [], "not a bus");
    }

    /// `Out.ar(out + 1)` and `Out.ar(2 + (out + 1))` name `out` with an offset; other
    /// arithmetic is `Computed`.
    #[test]
    fn arithmetic_on_the_bus() {
        let mut g = Graph::new("offsets");
        let out = g.control("out", 0.0, Rate::Control);
        let out = g.param(out);
        let sig = g.ugen("SinOsc", Rate::Audio, &[Sig::Const(440.0), Sig::Const(0.0)]);
        let plus_one = g.add(out, Sig::Const(1.0));
        g.sink("Out", Rate::Audio, &[plus_one, sig]);
        let plus_three = g.add(Sig::Const(2.0), plus_one);
        g.sink("Out", Rate::Audio, &[plus_three, sig]);
        let times_two = g.mul(out, Sig::Const(2.0));
        g.sink("Out", Rate::Audio, &[times_two, sig]);
        let minus_one = g.binop(BinOp::Sub, out, Sig::Const(1.0));
        g.sink("Out", Rate::Audio, &[minus_one, sig]);
        let half = g.add(out, Sig::Const(0.5));
        g.sink("Out", Rate::Audio, &[half, sig]);
        let mut deep = out;
        for _ in 0..MAX_ADD_DEPTH + 1 {
            deep = g.add(deep, Sig::Const(1.0));
        }
        g.sink("Out", Rate::Audio, &[deep, sig]);
        let def = through_bytes(g.build());
        let froms: Vec<BusFrom> = entries(&def).into_iter().map(|e| e.from).collect();
        assert_eq!(
            froms,
            [
                control("out", 1),
                control("out", 3),
                BusFrom::Computed,
                BusFrom::Computed,
                BusFrom::Computed,
                BusFrom::Computed,
            ]
        );
    }

    /// An array parameter's later elements have no name of their own.
    #[test]
    fn an_array_parameters_later_element_is_computed() {
        let def = SynthDef {
            name: "array".into(),
            constants: vec![],
            params: vec![0.0, 2.0],
            param_names: vec![("outs".into(), 0)],
            ugens: vec![
                ugen("Control", Rate::Control, vec![], 2, 0),
                ugen("Out", Rate::Audio, vec![from(0, 0), from(0, 0)], 0, 0),
                ugen("Out", Rate::Audio, vec![from(0, 1), from(0, 0)], 0, 0),
            ],
            variants: vec![],
        };
        let froms: Vec<BusFrom> = entries(&def).into_iter().map(|e| e.from).collect();
        assert_eq!(froms, [control("outs", 0), BusFrom::Computed]);
    }

    /// Built by hand as no decoder would let through: every index wrong in turn. Nothing
    /// panics, and nothing names a bus it cannot know.
    #[test]
    fn malformed_defs_do_not_panic() {
        let base = |ugens: Vec<UGen>| SynthDef {
            name: "bad".into(),
            constants: vec![0.0, -1.0, f32::NAN, 1e20],
            params: vec![0.0],
            param_names: vec![("out".into(), 0), ("ghost".into(), 7)],
            ugens,
            variants: vec![],
        };
        let out = |bus: Input| ugen("Out", Rate::Audio, vec![bus, k(0)], 0, 0);
        let cases = [
            base(vec![out(from(99, 0))]),
            base(vec![out(from(u32::MAX, u32::MAX))]),
            base(vec![out(k(99))]),
            base(vec![out(k(1))]),
            base(vec![out(k(2))]),
            base(vec![out(k(3))]),
            // A Control whose special index is past the parameters, or negative, or whose
            // output is past its outputs.
            base(vec![
                ugen("Control", Rate::Control, vec![], 1, 7),
                out(from(0, 0)),
            ]),
            base(vec![
                ugen("Control", Rate::Control, vec![], 1, -1),
                out(from(0, 0)),
            ]),
            base(vec![
                ugen("Control", Rate::Control, vec![], 1, i16::MAX),
                out(from(0, 0)),
            ]),
            base(vec![
                ugen("Control", Rate::Control, vec![], 1, 0),
                out(from(0, 5)),
            ]),
            // An addition that is its own input, and one with a bad constant.
            base(vec![
                ugen(
                    "BinaryOpUGen",
                    Rate::Control,
                    vec![from(0, 0), k(0)],
                    1,
                    ADD,
                ),
                out(from(0, 0)),
            ]),
            base(vec![
                ugen(
                    "BinaryOpUGen",
                    Rate::Control,
                    vec![from(0, 0), k(42)],
                    1,
                    ADD,
                ),
                out(from(0, 0)),
            ]),
        ];
        for (i, def) in cases.iter().enumerate() {
            let e = entries(def);
            assert_eq!(e.len(), 1, "case {i}");
            assert_eq!(e[0].from, BusFrom::Computed, "case {i}");
            assert_eq!(e[0].channels, Some(1), "case {i}");
        }
        // Bus UGens without a bus input are left out; an XOut without its crossfade writes
        // nothing.
        let def = base(vec![
            ugen("Out", Rate::Audio, vec![], 0, 0),
            ugen("In", Rate::Audio, vec![], 2, 0),
            ugen("XOut", Rate::Audio, vec![k(0)], 0, 0),
        ]);
        assert_eq!(
            entries(&def),
            [writes(BusRate::Audio, 0, BusFrom::Constant(0), "XOut")]
        );
        // An offset that would overflow.
        let big = SynthDef {
            constants: vec![4e9, 4e9],
            ..base(vec![
                ugen("BinaryOpUGen", Rate::Control, vec![k(0), k(1)], 1, ADD),
                out(from(0, 0)),
            ])
        };
        assert_eq!(entries(&big)[0].from, BusFrom::Computed);
    }

    /// Every input of the default def pointed at random places: no panic.
    #[test]
    fn scrambled_inputs_never_panic() {
        let def = builtins::default();
        let mut seed: u64 = 0xb05;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2_000 {
            let mut d = def.clone();
            for u in &mut d.ugens {
                for input in &mut u.inputs {
                    let r = next();
                    *input = match r % 3 {
                        0 => Input::Constant((r >> 8) as u32 % 40),
                        _ => Input::UGen {
                            ugen: (r >> 8) as u32 % 40,
                            output: (r >> 40) as u32 % 4,
                        },
                    };
                }
                if next() % 4 == 0 {
                    u.special = next() as i16;
                }
            }
            let _ = resolve(&bus_use(&d), &[("out".into(), 0.0)]);
        }
    }

    #[test]
    fn guessed_from_control_names() {
        let u = guessed_from_controls(&["freq", "out", "inBus", "amp", "bus", "in_bus", "OUT"]);
        assert!(u.guessed);
        let dirs: Vec<(Dir, &str)> = u
            .entries
            .iter()
            .map(|e| {
                assert!(e.guessed);
                assert_eq!(e.channels, None);
                assert_eq!(e.rate, BusRate::Audio);
                let BusFrom::Control { name, offset: 0 } = &e.from else {
                    panic!("{e:?}")
                };
                (e.dir, name.as_str())
            })
            .collect();
        assert_eq!(
            dirs,
            [
                (Dir::Writes, "out"),
                (Dir::Reads, "inBus"),
                (Dir::Writes, "bus"),
                (Dir::Reads, "in_bus"),
            ]
        );
        assert_eq!(guessed_from_controls(&[]).entries, []);
    }

    #[test]
    fn resolving_with_live_values() {
        let mut g = Graph::new("resolve");
        let ids = [
            g.control("out", 0.0, Rate::Control),
            g.control("in", 0.0, Rate::Control),
        ];
        let [out, input] = ids.map(|i| g.param(i));
        let sig = g.ugen_n("In", Rate::Audio, &[input], 2, 0);
        let right = g.add(out, Sig::Const(1.0));
        g.sink("Out", Rate::Audio, &[out, sig[0]]);
        g.sink("Out", Rate::Audio, &[right, sig[1]]);
        g.sink("Out", Rate::Audio, &[Sig::Const(8.0), sig[1]]);
        let u = bus_use(&g.build());
        let buses = |controls: &[(&str, f32)]| -> Vec<Option<u32>> {
            let controls: Vec<(String, f32)> =
                controls.iter().map(|(n, v)| (n.to_string(), *v)).collect();
            resolve(&u, &controls).into_iter().map(|r| r.bus).collect()
        };
        // In UGen order: sclang's sort puts `Out.ar(8, …)` before the addition for `out + 1`.
        assert_eq!(
            buses(&[("in", 4.0), ("out", 2.0)]),
            [Some(4), Some(2), Some(8), Some(3)]
        );
        // Missing, fractional, negative, not a number, too large.
        assert_eq!(buses(&[]), [None, None, Some(8), None]);
        assert_eq!(
            buses(&[("in", 4.5), ("out", -2.0)]),
            [None, None, Some(8), None]
        );
        assert_eq!(
            buses(&[("in", f32::NAN), ("out", 1e10)]),
            [None, None, Some(8), None]
        );
        // The largest whole f32 within u32: `out + 1` still fits.
        assert_eq!(
            buses(&[("out", 4_294_967_040.0)])[1..],
            [Some(4_294_967_040), Some(8), Some(4_294_967_041)]
        );
        let r = resolve(&u, &[("out".into(), 0.0)]);
        assert_eq!(r[3].entry, u.entries[3], "each result carries its entry");
        let guessed = resolve(&guessed_from_controls(&["out"]), &[("out".into(), 6.0)]);
        assert_eq!(guessed[0].bus, Some(6));
        assert!(guessed[0].entry.guessed);
    }
}
