//! A small graph builder that writes SynthDefs the way sclang (and supriya) do: control UGens
//! first, constants in first-use order, and sclang's topological sort.

use std::collections::BTreeSet;

use super::format::{Input, Rate, SynthDef, UGen};

/// A signal: one output of a UGen, or a constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sig {
    /// An output of a UGen in the graph.
    UGen {
        /// The UGen's index in the graph.
        index: usize,
        /// Which of its outputs.
        output: u32,
        /// The output's rate.
        rate: Rate,
    },
    /// A constant.
    Const(f32),
}

impl From<f32> for Sig {
    fn from(v: f32) -> Sig {
        Sig::Const(v)
    }
}

impl Sig {
    /// The signal's rate (`Scalar` for a constant).
    pub fn rate(self) -> Rate {
        match self {
            Sig::UGen { rate, .. } => rate,
            Sig::Const(_) => Rate::Scalar,
        }
    }
}

/// Binary operators with their special index in `BinaryOpUGen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add = 0,
    /// `-`
    Sub = 1,
    /// `*`
    Mul = 2,
    /// `/`
    Div = 4,
    /// `<`
    Lt = 8,
    /// `>`
    Gt = 9,
    /// `<=`
    Le = 10,
    /// `>=`
    Ge = 11,
    /// `min`
    Min = 12,
    /// `max`
    Max = 13,
    /// `pow`
    Pow = 25,
}

/// Unary operators with their special index in `UnaryOpUGen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `neg`
    Neg = 0,
    /// `abs`
    Abs = 5,
    /// `squared`
    Squared = 12,
    /// `sqrt`
    Sqrt = 14,
    /// `reciprocal`
    Reciprocal = 16,
    /// `midicps`: MIDI note number to frequency.
    MidiCps = 17,
    /// `dbamp`: decibels to amplitude.
    DbAmp = 21,
    /// `ampdb`: amplitude to decibels.
    AmpDb = 22,
}

struct Node {
    class: String,
    rate: Rate,
    inputs: Vec<Sig>,
    outputs: Vec<Rate>,
    special: i16,
}

struct Param {
    name: String,
    default: f32,
    rate: Rate,
}

/// Builds one SynthDef. Declare every control first, then make UGens.
pub struct Graph {
    name: String,
    params: Vec<Param>,
    nodes: Vec<Node>,
    /// Per parameter: the signal it reads from, once the control UGens exist.
    control_sigs: Vec<Sig>,
}

impl Graph {
    /// An empty graph for a SynthDef of this name.
    pub fn new(name: impl Into<String>) -> Self {
        Graph {
            name: name.into(),
            params: Vec::new(),
            nodes: Vec::new(),
            control_sigs: Vec::new(),
        }
    }

    /// Declares a control (`Rate::Scalar` for an `\ir` one, `Rate::Control` for `\kr`).
    pub fn control(&mut self, name: &str, default: f32, rate: Rate) -> usize {
        assert!(self.nodes.is_empty(), "declare controls before UGens");
        self.params.push(Param {
            name: name.to_string(),
            default,
            rate,
        });
        self.params.len() - 1
    }

    /// The signal of a declared control.
    pub fn param(&mut self, index: usize) -> Sig {
        self.make_controls();
        self.control_sigs[index]
    }

    /// As sclang's `buildControls`: one `Control.ir` for the scalar controls, then one
    /// `Control.kr` for the rest, each covering consecutive parameter indices.
    fn make_controls(&mut self) {
        if !self.control_sigs.is_empty() || self.params.is_empty() {
            return;
        }
        self.control_sigs = vec![Sig::Const(0.0); self.params.len()];
        let mut slot = 0;
        for rate in [Rate::Scalar, Rate::Control] {
            let members: Vec<usize> = (0..self.params.len())
                .filter(|i| self.params[*i].rate == rate)
                .collect();
            if members.is_empty() {
                continue;
            }
            let index = self.nodes.len();
            self.nodes.push(Node {
                class: "Control".into(),
                rate,
                inputs: Vec::new(),
                outputs: vec![rate; members.len()],
                // The first parameter slot it covers: scalar ones come first.
                special: slot as i16,
            });
            slot += members.len();
            for (o, p) in members.into_iter().enumerate() {
                self.control_sigs[p] = Sig::UGen {
                    index,
                    output: o as u32,
                    rate,
                };
            }
        }
    }

    /// Adds a UGen and returns its outputs.
    pub fn ugen_n(
        &mut self,
        class: &str,
        rate: Rate,
        inputs: &[Sig],
        outputs: usize,
        special: i16,
    ) -> Vec<Sig> {
        self.make_controls();
        let index = self.nodes.len();
        self.nodes.push(Node {
            class: class.to_string(),
            rate,
            inputs: inputs.to_vec(),
            outputs: vec![rate; outputs],
            special,
        });
        (0..outputs)
            .map(|o| Sig::UGen {
                index,
                output: o as u32,
                rate,
            })
            .collect()
    }

    /// A UGen with one output.
    pub fn ugen(&mut self, class: &str, rate: Rate, inputs: &[Sig]) -> Sig {
        self.ugen_n(class, rate, inputs, 1, 0)[0]
    }

    /// A UGen with no outputs (`Out`, `SendPeakRMS`, `DiskOut`…).
    pub fn sink(&mut self, class: &str, rate: Rate, inputs: &[Sig]) {
        self.ugen_n(class, rate, inputs, 0, 0);
    }

    /// `a op b` as sclang writes it, with its identities (`x * 1`, `x + 0`) folded away.
    pub fn binop(&mut self, op: BinOp, a: Sig, b: Sig) -> Sig {
        match (op, a, b) {
            (BinOp::Mul, x, Sig::Const(c)) | (BinOp::Mul, Sig::Const(c), x) if c == 1.0 => {
                return x;
            }
            (BinOp::Add, x, Sig::Const(c)) | (BinOp::Add, Sig::Const(c), x) if c == 0.0 => {
                return x;
            }
            (BinOp::Sub, x, Sig::Const(0.0)) => return x,
            _ => {}
        }
        let rate = a.rate().max(b.rate());
        self.ugen_n("BinaryOpUGen", rate, &[a, b], 1, op as i16)[0]
    }

    /// A `UnaryOpUGen` applying `op` to `a`.
    pub fn unop(&mut self, op: UnOp, a: Sig) -> Sig {
        self.ugen_n("UnaryOpUGen", a.rate(), &[a], 1, op as i16)[0]
    }

    /// `a * b`.
    pub fn mul(&mut self, a: Sig, b: Sig) -> Sig {
        self.binop(BinOp::Mul, a, b)
    }

    /// `a + b`.
    pub fn add(&mut self, a: Sig, b: Sig) -> Sig {
        self.binop(BinOp::Add, a, b)
    }

    /// Sorts, collects constants and writes the SynthDef.
    pub fn build(mut self) -> SynthDef {
        self.make_controls();
        let order = topological_order(&self.nodes);
        let mut position = vec![0usize; self.nodes.len()];
        for (p, &n) in order.iter().enumerate() {
            position[n] = p;
        }
        let mut constants: Vec<f32> = Vec::new();
        let mut ugens = Vec::with_capacity(order.len());
        for &n in &order {
            let node = &self.nodes[n];
            let inputs = node
                .inputs
                .iter()
                .map(|s| match *s {
                    Sig::UGen { index, output, .. } => Input::UGen {
                        ugen: position[index] as u32,
                        output,
                    },
                    Sig::Const(c) => {
                        let i = match constants.iter().position(|k| k.to_bits() == c.to_bits()) {
                            Some(i) => i,
                            None => {
                                constants.push(c);
                                constants.len() - 1
                            }
                        };
                        Input::Constant(i as u32)
                    }
                })
                .collect();
            ugens.push(UGen {
                class: node.class.clone(),
                rate: node.rate,
                inputs,
                outputs: node.outputs.clone(),
                special: node.special,
            });
        }
        // Parameter indices: scalar controls first, then the others, as the Control UGens own them.
        let mut param_order: Vec<usize> = (0..self.params.len())
            .filter(|i| self.params[*i].rate == Rate::Scalar)
            .collect();
        param_order.extend((0..self.params.len()).filter(|i| self.params[*i].rate != Rate::Scalar));
        let params = param_order
            .iter()
            .map(|&i| self.params[i].default)
            .collect();
        let param_names = param_order
            .iter()
            .enumerate()
            .map(|(slot, &i)| (self.params[i].name.clone(), slot as u32))
            .collect();
        SynthDef {
            name: self.name,
            constants,
            params,
            param_names,
            ugens,
            variants: Vec::new(),
        }
    }
}

/// sclang's `SynthDef:topologicalSort`: a stack of UGens whose inputs are all placed, filled
/// in reverse creation order; placing a UGen releases its descendants, latest first.
fn topological_order(nodes: &[Node]) -> Vec<usize> {
    let n = nodes.len();
    let mut antecedents: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    let mut descendants: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        for s in &node.inputs {
            if let Sig::UGen { index, .. } = *s {
                antecedents[i].insert(index);
                descendants[index].insert(i);
            }
        }
    }
    let mut available: Vec<usize> = (0..n)
        .rev()
        .filter(|i| antecedents[*i].is_empty())
        .collect();
    let mut out = Vec::with_capacity(n);
    while let Some(u) = available.pop() {
        out.push(u);
        for &d in descendants[u].iter().rev() {
            antecedents[d].remove(&u);
            if antecedents[d].is_empty() {
                available.push(d);
            }
        }
    }
    out
}
