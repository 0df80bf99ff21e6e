//! SuperCollider's SynthDef file format (SCgf): version 2 written, versions 1 and 2 read.
//! Big-endian throughout; v1 uses int16 where v2 uses int32 for counts and indices.
//!
//! One file though it is long: the reader and the writer are the format twice, field by
//! field, and belong side by side so a change to one is seen against the other.

use std::fmt::Write;

use thiserror::Error;

/// How often a UGen computes: once, per control block, per sample, or on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rate {
    /// Once, when the synth starts (`ir`).
    Scalar = 0,
    /// Once per control block (`kr`).
    Control = 1,
    /// Once per sample (`ar`).
    Audio = 2,
    /// When asked by a demand UGen (`dr`).
    Demand = 3,
}

impl Rate {
    fn from_byte(b: i8) -> Option<Rate> {
        Some(match b {
            0 => Rate::Scalar,
            1 => Rate::Control,
            2 => Rate::Audio,
            3 => Rate::Demand,
            _ => return None,
        })
    }

    /// sclang's method name: `ir`, `kr`, `ar`, `dr`.
    pub fn suffix(self) -> &'static str {
        match self {
            Rate::Scalar => "ir",
            Rate::Control => "kr",
            Rate::Audio => "ar",
            Rate::Demand => "dr",
        }
    }
}

/// Where a UGen input comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Input {
    /// An output of an earlier UGen.
    UGen {
        /// The UGen's index in [`SynthDef::ugens`].
        ugen: u32,
        /// Which of its outputs.
        output: u32,
    },
    /// A constant, by its index in [`SynthDef::constants`].
    Constant(u32),
}

/// One unit generator of a SynthDef.
#[derive(Debug, Clone, PartialEq)]
pub struct UGen {
    /// Its class name, e.g. `SinOsc`.
    pub class: String,
    /// Its calculation rate.
    pub rate: Rate,
    /// Its inputs, in order.
    pub inputs: Vec<Input>,
    /// The rate of each output.
    pub outputs: Vec<Rate>,
    /// The special index (the operator of `BinaryOpUGen` and `UnaryOpUGen`).
    pub special: i16,
}

/// A named set of parameter values (sclang's `variants`), used as `defName.variantName`.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// The variant's name.
    pub name: String,
    /// A value for every parameter.
    pub values: Vec<f32>,
}

/// A SynthDef: the UGen graph a synth is made from, as scsynth reads it from a `.scsyndef`
/// file or `/d_recv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthDef {
    /// The name synths are made with (`/s_new name …`).
    pub name: String,
    /// The constants UGen inputs refer to.
    pub constants: Vec<f32>,
    /// Initial values of the parameters.
    pub params: Vec<f32>,
    /// `(name, index of its first value in params)`.
    pub param_names: Vec<(String, u32)>,
    /// The UGens, in calculation order.
    pub ugens: Vec<UGen>,
    /// Named parameter sets.
    pub variants: Vec<Variant>,
}

/// A named parameter, with the rate of the control UGen that owns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    /// The parameter's name.
    pub name: String,
    /// Its initial value.
    pub default: f32,
    /// Its index among the SynthDef's parameters.
    pub index: u32,
    /// `Control` for `kr` controls, `Audio`, or `Scalar` for `ir` controls.
    pub rate: Rate,
}

/// Larger than any real SynthDef file (sclang's largest run to hundreds of KiB). Decoded, a
/// file can take several times its size in memory: this keeps that bounded too.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Where and why a file could not be read.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("byte {offset}: {what}")]
pub struct DecodeError {
    /// The byte where reading stopped.
    pub offset: usize,
    /// What was wrong there.
    pub what: String,
}

pub(super) const CONTROL_CLASSES: [&str; 4] =
    ["Control", "TrigControl", "AudioControl", "LagControl"];

impl SynthDef {
    /// Named parameters with their defaults, in parameter order. A parameter's rate is that
    /// of the control UGen whose outputs cover its index.
    pub fn controls(&self) -> Vec<Control> {
        let mut names = self.param_names.clone();
        names.sort_by_key(|(_, i)| *i);
        names
            .into_iter()
            .map(|(name, index)| {
                let rate = self
                    .ugens
                    .iter()
                    .find(|u| {
                        CONTROL_CLASSES.contains(&u.class.as_str())
                            && (u.special as i64) <= index as i64
                            && (index as i64) < u.special as i64 + u.outputs.len() as i64
                    })
                    .map_or(Rate::Control, |u| u.rate);
                Control {
                    default: self.params.get(index as usize).copied().unwrap_or(0.0),
                    name,
                    index,
                    rate,
                }
            })
            .collect()
    }

    /// This one def as a file.
    pub fn encode(&self) -> Vec<u8> {
        encode_file(std::slice::from_ref(self))
    }
}

fn pstring(out: &mut Vec<u8>, s: &str) {
    let bytes = &s.as_bytes()[..s.len().min(255)];
    out.push(bytes.len() as u8);
    out.extend_from_slice(bytes);
}

fn i32be(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Writes SCgf version 2.
pub fn encode_file(defs: &[SynthDef]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(b"SCgf");
    i32be(&mut out, 2);
    out.extend_from_slice(&(defs.len() as i16).to_be_bytes());
    for d in defs {
        pstring(&mut out, &d.name);
        i32be(&mut out, d.constants.len() as i32);
        d.constants
            .iter()
            .for_each(|c| out.extend_from_slice(&c.to_be_bytes()));
        i32be(&mut out, d.params.len() as i32);
        d.params
            .iter()
            .for_each(|p| out.extend_from_slice(&p.to_be_bytes()));
        i32be(&mut out, d.param_names.len() as i32);
        for (name, index) in &d.param_names {
            pstring(&mut out, name);
            i32be(&mut out, *index as i32);
        }
        i32be(&mut out, d.ugens.len() as i32);
        for u in &d.ugens {
            pstring(&mut out, &u.class);
            out.push(u.rate as u8);
            i32be(&mut out, u.inputs.len() as i32);
            i32be(&mut out, u.outputs.len() as i32);
            out.extend_from_slice(&u.special.to_be_bytes());
            for i in &u.inputs {
                match i {
                    Input::UGen { ugen, output } => {
                        i32be(&mut out, *ugen as i32);
                        i32be(&mut out, *output as i32);
                    }
                    Input::Constant(c) => {
                        i32be(&mut out, -1);
                        i32be(&mut out, *c as i32);
                    }
                }
            }
            u.outputs.iter().for_each(|r| out.push(*r as u8));
        }
        out.extend_from_slice(&(d.variants.len() as i16).to_be_bytes());
        for v in &d.variants {
            pstring(&mut out, &v.name);
            v.values
                .iter()
                .for_each(|x| out.extend_from_slice(&x.to_be_bytes()));
        }
    }
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Version 1 files use int16 counts and indices.
    wide: bool,
}

impl Reader<'_> {
    fn err(&self, what: impl Into<String>) -> DecodeError {
        DecodeError {
            offset: self.at,
            what: what.into(),
        }
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => Err(self.err(format!(
                "{what}: the file ends {} byte(s) too soon",
                self.at + n - self.bytes.len()
            ))),
        }
    }

    fn i8(&mut self, what: &str) -> Result<i8, DecodeError> {
        Ok(self.take(1, what)?[0] as i8)
    }

    fn i16(&mut self, what: &str) -> Result<i16, DecodeError> {
        let b = self.take(2, what)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self, what: &str) -> Result<i32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A count or index: int32 in v2, int16 in v1.
    fn index(&mut self, what: &str) -> Result<i32, DecodeError> {
        if self.wide {
            self.i32(what)
        } else {
            self.i16(what).map(i32::from)
        }
    }

    /// The bytes of a count or index: 4 in v2, 2 in v1.
    fn index_size(&self) -> usize {
        if self.wide { 4 } else { 2 }
    }

    /// A count of items that each take at least `min_item` bytes. Checked against the bytes
    /// left before anyone allocates for it: a file that lies about a count would otherwise
    /// ask for gigabytes (a UGen takes far more room in memory than on disk).
    fn count(&mut self, what: &str, min_item: usize) -> Result<usize, DecodeError> {
        let at = self.at;
        let n = self.index(what)?;
        let n = usize::try_from(n).map_err(|_| DecodeError {
            offset: at,
            what: format!("{what}: negative count {n}"),
        })?;
        self.check_room(at, n, min_item, what)?;
        Ok(n)
    }

    /// Whether `n` items of at least `min_item` bytes each fit in what is left of the file.
    fn check_room(
        &self,
        at: usize,
        n: usize,
        min_item: usize,
        what: &str,
    ) -> Result<(), DecodeError> {
        let left = self.bytes.len() - self.at;
        if n.checked_mul(min_item.max(1))
            .is_none_or(|need| need > left)
        {
            return Err(DecodeError {
                offset: at,
                what: format!(
                    "{what}: {n} of at least {} byte(s) each do not fit in the {left} byte(s) \
                     left in the file (a broken or hostile file)",
                    min_item.max(1)
                ),
            });
        }
        Ok(())
    }

    fn f32(&mut self, what: &str) -> Result<f32, DecodeError> {
        let b = self.take(4, what)?;
        Ok(f32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn pstring(&mut self, what: &str) -> Result<String, DecodeError> {
        let len = self.take(1, what)?[0] as usize;
        let at = self.at;
        let b = self.take(len, what)?;
        match std::str::from_utf8(b) {
            Ok(s) if !s.chars().any(char::is_control) => Ok(s.to_string()),
            _ => Err(DecodeError {
                offset: at,
                what: format!("{what} is not text"),
            }),
        }
    }
}

/// Reads a SynthDef file (SCgf version 1 or 2).
pub fn decode_file(bytes: &[u8]) -> Result<Vec<SynthDef>, DecodeError> {
    let mut r = Reader {
        bytes,
        at: 0,
        wide: true,
    };
    if r.take(4, "the magic \"SCgf\"")? != b"SCgf" {
        return Err(DecodeError {
            offset: 0,
            what: "not a SynthDef file (it does not start with \"SCgf\")".into(),
        });
    }
    let version = r.i32("the version")?;
    r.wide = match version {
        2 => true,
        1 => false,
        v => return Err(r.err(format!("version {v} is not supported (only 1 and 2)"))),
    };
    let at = r.at;
    let count = r.i16("the number of SynthDefs")?;
    if count < 0 {
        return Err(r.err(format!("negative SynthDef count {count}")));
    }
    // The least a def can be: an empty name, four zero counts and no variants.
    r.check_room(
        at,
        count as usize,
        1 + 4 * r.index_size() + 2,
        "the number of SynthDefs",
    )?;
    let mut defs = Vec::with_capacity(count as usize);
    for d in 0..count {
        defs.push(decode_def(&mut r, d)?);
    }
    if r.at != bytes.len() {
        return Err(r.err(format!(
            "{} unexpected byte(s) after the last SynthDef",
            bytes.len() - r.at
        )));
    }
    Ok(defs)
}

fn decode_def(r: &mut Reader, d: i16) -> Result<SynthDef, DecodeError> {
    let name = r.pstring(&format!("SynthDef {d}'s name"))?;
    let n = r.count("the number of constants", 4)?;
    let constants = (0..n)
        .map(|_| r.f32("a constant"))
        .collect::<Result<Vec<_>, _>>()?;
    let n = r.count("the number of parameters", 4)?;
    let params = (0..n)
        .map(|_| r.f32("a parameter value"))
        .collect::<Result<Vec<_>, _>>()?;
    let n = r.count("the number of parameter names", 1 + r.index_size())?;
    let mut param_names = Vec::with_capacity(n);
    for i in 0..n {
        let pname = r.pstring(&format!("parameter name {i}"))?;
        let at = r.at;
        let index = r.index("a parameter index")?;
        if index < 0 || index as usize >= params.len() {
            return Err(DecodeError {
                offset: at,
                what: format!(
                    "parameter {pname:?}: index {index} is outside the {} parameters",
                    params.len()
                ),
            });
        }
        param_names.push((pname, index as u32));
    }
    // A class name's length, the rate, two counts and the special index.
    let n = r.count("the number of UGens", 1 + 1 + 2 * r.index_size() + 2)?;
    let mut ugens: Vec<UGen> = Vec::with_capacity(n);
    for u in 0..n {
        let class = r.pstring(&format!("UGen {u}'s class name"))?;
        let at = r.at;
        let rate = Rate::from_byte(r.i8("a UGen rate")?).ok_or_else(|| DecodeError {
            offset: at,
            what: format!("UGen {u} ({class}): rate must be 0-3"),
        })?;
        let inputs = r.count("the number of inputs", 2 * r.index_size())?;
        let outputs_at = r.at;
        let outputs = r.count("the number of outputs", 1)?;
        let special = r.i16("the special index")?;
        // Each count fit alone; both lists together must fit too.
        r.check_room(
            outputs_at,
            inputs * 2 * r.index_size() + outputs,
            1,
            &format!("UGen {u} ({class}): its inputs and outputs"),
        )?;
        let mut ins = Vec::with_capacity(inputs);
        for i in 0..inputs {
            let at = r.at;
            let src = r.index("an input's UGen index")?;
            let idx = r.index("an input's output or constant index")?;
            let bad = |what: String| DecodeError {
                offset: at,
                what: format!("UGen {u} ({class}) input {i}: {what}"),
            };
            if src == -1 {
                if idx < 0 || idx as usize >= constants.len() {
                    return Err(bad(format!(
                        "constant index {idx} past the {} constants",
                        constants.len()
                    )));
                }
                ins.push(Input::Constant(idx as u32));
            } else {
                let Some(from) = usize::try_from(src).ok().filter(|s| *s < u) else {
                    return Err(bad(format!("UGen index {src} is not an earlier UGen")));
                };
                if idx < 0 || idx as usize >= ugens[from].outputs.len() {
                    return Err(bad(format!(
                        "output {idx} of UGen {src}, which has {}",
                        ugens[from].outputs.len()
                    )));
                }
                ins.push(Input::UGen {
                    ugen: src as u32,
                    output: idx as u32,
                });
            }
        }
        let mut outs = Vec::with_capacity(outputs);
        for _ in 0..outputs {
            let at = r.at;
            outs.push(
                Rate::from_byte(r.i8("an output rate")?).ok_or_else(|| DecodeError {
                    offset: at,
                    what: format!("UGen {u} ({class}): output rate must be 0-3"),
                })?,
            );
        }
        ugens.push(UGen {
            class,
            rate,
            inputs: ins,
            outputs: outs,
            special,
        });
    }
    let at = r.at;
    let n = r.i16("the number of variants")?;
    if n < 0 {
        return Err(r.err(format!("negative variant count {n}")));
    }
    r.check_room(
        at,
        n as usize,
        1 + 4 * params.len(),
        "the number of variants",
    )?;
    let mut variants = Vec::with_capacity(n as usize);
    for v in 0..n {
        let vname = r.pstring(&format!("variant {v}'s name"))?;
        let values = (0..params.len())
            .map(|_| r.f32("a variant value"))
            .collect::<Result<Vec<_>, _>>()?;
        variants.push(Variant {
            name: vname,
            values,
        });
    }
    Ok(SynthDef {
        name,
        constants,
        params,
        param_names,
        ugens,
        variants,
    })
}

const BINARY_NAMES: &[&str] = &[
    "+",
    "-",
    "*",
    "div",
    "/",
    "mod",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "min",
    "max",
    "&",
    "|",
    "xor",
    "lcm",
    "gcd",
    "round",
    "roundUp",
    "trunc",
    "atan2",
    "hypot",
    "hypotApx",
    "pow",
    "<<",
    ">>",
    "unsignedRightShift",
    "fill",
    "ring1",
    "ring2",
    "ring3",
    "ring4",
    "difsqr",
    "sumsqr",
    "sqrsum",
    "sqrdif",
    "absdif",
    "thresh",
    "amclip",
    "scaleneg",
    "clip2",
    "excess",
    "fold2",
    "wrap2",
    "firstArg",
    "rrand",
    "exprand",
];

const UNARY_NAMES: &[&str] = &[
    "neg",
    "not",
    "isNil",
    "notNil",
    "bitNot",
    "abs",
    "asFloat",
    "asInteger",
    "ceil",
    "floor",
    "frac",
    "sign",
    "squared",
    "cubed",
    "sqrt",
    "exp",
    "reciprocal",
    "midicps",
    "cpsmidi",
    "midiratio",
    "ratiomidi",
    "dbamp",
    "ampdb",
    "octcps",
    "cpsoct",
    "log",
    "log2",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "rand",
    "rand2",
    "linrand",
    "bilinrand",
    "sum3rand",
    "distort",
    "softclip",
    "coin",
    "digitValue",
    "silence",
    "thru",
    "rectWindow",
    "hanWindow",
    "welWindow",
    "triWindow",
    "ramp",
    "scurve",
];

fn op_name(u: &UGen) -> Option<&'static str> {
    let table = match u.class.as_str() {
        "BinaryOpUGen" => BINARY_NAMES,
        "UnaryOpUGen" => UNARY_NAMES,
        _ => return None,
    };
    table.get(usize::try_from(u.special).ok()?).copied()
}

/// A readable dump, like sclang's `SynthDesc`: name, controls with defaults, then each UGen
/// with its rate and inputs.
pub fn describe(def: &SynthDef) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "SynthDef {}", def.name);
    let _ = writeln!(s, "Controls:");
    for c in def.controls() {
        let _ = writeln!(
            s,
            "    {} = {} ({}, index {})",
            c.name,
            c.default,
            c.rate.suffix(),
            c.index
        );
    }
    let _ = writeln!(s, "UGens:");
    for (i, u) in def.ugens.iter().enumerate() {
        let name = match op_name(u) {
            Some(op) => format!("{}({op})", u.class),
            None => u.class.clone(),
        };
        let inputs: Vec<String> = u
            .inputs
            .iter()
            .map(|inp| match inp {
                Input::Constant(c) => def
                    .constants
                    .get(*c as usize)
                    .map_or("?".into(), |v| format!("{v}")),
                Input::UGen { ugen, output } => {
                    let class = def
                        .ugens
                        .get(*ugen as usize)
                        .map_or("?", |x| x.class.as_str());
                    format!("{ugen}_{class}[{output}]")
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "    {i}_{name}.{} ({}){}",
            u.rate.suffix(),
            inputs.join(", "),
            if u.outputs.len() == 1 {
                String::new()
            } else {
                format!(" -> {} outputs", u.outputs.len())
            }
        );
    }
    if !def.variants.is_empty() {
        let _ = writeln!(s, "Variants:");
        for v in &def.variants {
            let _ = writeln!(s, "    {} {:?}", v.name, v.values);
        }
    }
    s
}
