//! What the server holds of each SynthDef scpanel sent or loaded, as readers show it.

use std::path::PathBuf;

use crate::synthdef::SynthDef;

/// Where a known SynthDef came from.
#[derive(Debug, Clone, PartialEq)]
pub enum DefSource {
    /// One of scpanel's own ([`crate::synthdef::builtins`]).
    BuiltIn,
    /// Loaded from a `.scsyndef` file.
    File(PathBuf),
}

/// A SynthDef the server has from us, with what a GUI needs to play it.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthDefInfo {
    /// The SynthDef's name.
    pub name: String,
    /// `(name, default)` in parameter order.
    pub controls: Vec<(String, f32)>,
    /// How many UGens it has.
    pub ugens: usize,
    /// Where it came from.
    pub source: DefSource,
}

impl SynthDefInfo {
    /// What readers need of a SynthDef.
    pub fn of(def: &SynthDef, source: DefSource) -> Self {
        SynthDefInfo {
            name: def.name.clone(),
            controls: def
                .controls()
                .into_iter()
                .map(|c| (c.name, c.default))
                .collect(),
            ugens: def.ugens.len(),
            source,
        }
    }
}
