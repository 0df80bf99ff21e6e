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
    /// How many audio channels its widest `Out` writes (see [`audio_out_channels`]).
    pub out_channels: Option<usize>,
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
            out_channels: audio_out_channels(def),
            source,
        }
    }
}

/// How many channels a SynthDef writes to audio buses: the widest of its audio-rate `Out`,
/// `OffsetOut`, `ReplaceOut` (the bus, then one input a channel) and `XOut` (the bus and
/// the crossfade first). `None` when it writes to no audio bus.
pub fn audio_out_channels(def: &SynthDef) -> Option<usize> {
    def.ugens
        .iter()
        .filter(|u| u.rate == crate::synthdef::Rate::Audio)
        .filter_map(|u| match u.class.as_str() {
            "Out" | "OffsetOut" | "ReplaceOut" => u.inputs.len().checked_sub(1),
            "XOut" => u.inputs.len().checked_sub(2),
            _ => None,
        })
        .filter(|n| *n > 0)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthdef::builtins;

    #[test]
    fn the_channels_a_def_writes_come_from_its_out() {
        assert_eq!(audio_out_channels(&builtins::sine()), Some(2));
        assert_eq!(audio_out_channels(&builtins::default()), Some(2));
        assert_eq!(audio_out_channels(&builtins::volume(4)), Some(4));
        assert_eq!(audio_out_channels(&builtins::recorder(2)), None, "DiskOut");
    }
}
