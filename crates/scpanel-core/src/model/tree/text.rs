//! The tree as text, the way supriya and sclang print it.

use std::fmt::Write;

use super::*;

impl NodeTree {
    /// Text as supriya's `print(server.query_tree())` and sclang's `queryAllNodes` give it.
    /// Server strings are escaped; rows deeper than `MAX_INDENT` levels keep that indent
    /// and say their depth.
    pub fn to_text(&self, with_controls: bool) -> String {
        let mut out = String::with_capacity(self.nodes.len() * 24);
        let _ = writeln!(out, "NODE TREE {} group", self.root);
        self.walk(|depth, n| {
            indent(&mut out, depth);
            match &n.kind {
                NodeKind::Group => {
                    let _ = writeln!(out, "{} group", n.id);
                }
                NodeKind::Synth { def } => {
                    let def = def.as_deref().map_or(Cow::Borrowed("?"), printable);
                    let _ = writeln!(out, "{} {def}", n.id);
                    if with_controls && !n.controls.is_empty() {
                        indent(&mut out, depth + 1);
                        for (i, (k, v)) in n.controls.iter().enumerate() {
                            let sep = if i == 0 { "" } else { ", " };
                            let v = match v {
                                ControlValue::Value(x) => python_round6(*x),
                                ControlValue::Bus(b) => b.clone(),
                            };
                            let _ = write!(out, "{sep}{}: {}", printable(k), printable(&v));
                        }
                        out.push('\n');
                    }
                }
            }
        });
        out
    }
}

/// A control value as supriya prints it: Python's `str(round(value, 6))` of the f32 read as
/// a double (`0.1`, `123456.789062`, `1e-06`, `1.0000000200408773e+20`).
fn python_round6(v: f32) -> String {
    let v = f64::from(v);
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's fixed-point formatting rounds exactly, as Python's round() does.
    let rounded: f64 = format!("{v:.6}").parse().unwrap_or(v);
    // Debug is the shortest text that reads back, switching to an exponent where Python's
    // repr does (below 1e-4, from 1e16); Python writes the exponent signed, two digits at least.
    let text = format!("{rounded:?}");
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth.min(MAX_INDENT) {
        out.push_str("    ");
    }
    if depth > MAX_INDENT {
        let _ = write!(out, "[depth {depth}] ");
    }
}
