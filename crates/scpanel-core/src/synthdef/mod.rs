//! SCgf SynthDef files: encode, decode, build, and the built-in SynthDefs.

/// The SynthDefs scpanel brings: `default`, a sine, and the meter, volume and recorder defs.
pub mod builtins;
mod format;
pub(crate) mod graph;

pub use format::{
    Control, DecodeError, Input, Rate, SynthDef, UGen, Variant, decode_file, describe, encode_file,
};
pub use graph::{BinOp, Graph, Sig, UnOp};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_round_trip_byte_for_byte() {
        for def in builtins::all() {
            let bytes = def.encode();
            let back = decode_file(&bytes).unwrap();
            assert_eq!(back, vec![def.clone()], "{}", def.name);
            assert_eq!(encode_file(&back), bytes);
        }
    }

    #[test]
    fn default_has_sclangs_controls_in_order() {
        let d = builtins::default();
        let controls: Vec<(String, f32, Rate)> = d
            .controls()
            .into_iter()
            .map(|c| (c.name, c.default, c.rate))
            .collect();
        assert_eq!(
            controls,
            vec![
                ("out".into(), 0.0, Rate::Scalar),
                ("freq".into(), 440.0, Rate::Control),
                ("amp".into(), 0.1, Rate::Control),
                ("pan".into(), 0.0, Rate::Control),
                ("gate".into(), 1.0, Rate::Control),
            ]
        );
        let classes: Vec<&str> = d.ugens.iter().map(|u| u.class.as_str()).collect();
        assert_eq!(
            classes[..2],
            ["Control", "Control"],
            "control UGens come first"
        );
        assert_eq!(classes.last(), Some(&"OffsetOut"));
        assert_eq!(classes.iter().filter(|c| **c == "VarSaw").count(), 3);
    }

    #[test]
    fn every_truncation_and_many_flips_fail_cleanly() {
        let bytes = builtins::default().encode();
        for n in 0..bytes.len() {
            assert!(decode_file(&bytes[..n]).is_err(), "truncated at {n}");
        }
        // A small deterministic generator: no dependency, same cases every run.
        let mut seed: u64 = 0x5eed;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut b = bytes.clone();
            let i = (seed as usize) % b.len();
            b[i] ^= (seed >> 32) as u8 | 1;
            let _ = decode_file(&b);
        }
    }

    #[test]
    fn errors_say_where() {
        let e = decode_file(b"SCgx\0\0\0\x02\0\x01").unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.to_string().contains("SCgf"));
        let e = decode_file(b"SCgf\0\0\0\x07\0\x01").unwrap_err();
        assert!(e.to_string().contains("version 7"), "{e}");
        let mut b = builtins::sine().encode();
        // The first UGen input of the file points at constant 200.
        let name_end = 10 + 1 + "scpanel-sine".len();
        let consts = i32::from_be_bytes(b[name_end..name_end + 4].try_into().unwrap()) as usize;
        assert!(consts > 0);
        let s = describe(&decode_file(&b).unwrap()[0]);
        assert!(s.contains("SinOsc.ar"), "{s}");
        let e = decode_file(&[b"SCgf\0\0\0\x02\0\x01\x02\xffa".as_slice()].concat()).unwrap_err();
        assert!(e.to_string().contains("not text"), "{e}");
        b.push(0);
        assert!(
            decode_file(&b)
                .unwrap_err()
                .to_string()
                .contains("after the last")
        );
    }

    /// Version 1 (int16 counts), written by hand from the format's description.
    #[test]
    fn reads_version_1() {
        let mut b = Vec::new();
        b.extend_from_slice(b"SCgf");
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&1i16.to_be_bytes());
        b.push(3);
        b.extend_from_slice(b"old");
        b.extend_from_slice(&1i16.to_be_bytes()); // constants
        b.extend_from_slice(&0.5f32.to_be_bytes());
        b.extend_from_slice(&1i16.to_be_bytes()); // params
        b.extend_from_slice(&440f32.to_be_bytes());
        b.extend_from_slice(&1i16.to_be_bytes()); // param names
        b.push(4);
        b.extend_from_slice(b"freq");
        b.extend_from_slice(&0i16.to_be_bytes());
        b.extend_from_slice(&2i16.to_be_bytes()); // ugens
        b.push(7);
        b.extend_from_slice(b"Control");
        b.push(1);
        b.extend_from_slice(&0i16.to_be_bytes());
        b.extend_from_slice(&1i16.to_be_bytes());
        b.extend_from_slice(&0i16.to_be_bytes());
        b.push(1);
        b.push(6);
        b.extend_from_slice(b"SinOsc");
        b.push(2);
        b.extend_from_slice(&2i16.to_be_bytes());
        b.extend_from_slice(&1i16.to_be_bytes());
        b.extend_from_slice(&0i16.to_be_bytes());
        for v in [0i16, 0, -1, 0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.push(2);
        b.extend_from_slice(&0i16.to_be_bytes()); // variants
        let defs = decode_file(&b).unwrap();
        assert_eq!(defs[0].name, "old");
        assert_eq!(
            defs[0].ugens[1].inputs,
            vec![Input::UGen { ugen: 0, output: 0 }, Input::Constant(0)]
        );
        assert_eq!(defs[0].controls()[0].default, 440.0);
        // Written back as version 2, it reads the same.
        assert_eq!(decode_file(&defs[0].encode()).unwrap(), defs);
    }

    /// Found with the fuzz target `synthdef` and its 256 MB limit: a count whose items can't
    /// fit in the bytes left is refused before anything is allocated for it.
    #[test]
    fn counts_past_what_the_file_holds_are_refused_before_allocating() {
        // Version 2, one def "a", no constants or parameters, then `count` UGens (at least 12
        // bytes each) in `count` bytes: it was 4 million in the finding (320 MB asked for).
        let count = 4096usize;
        let mut b = b"SCgf\0\0\0\x02\0\x01\x01a".to_vec();
        b.extend_from_slice(&[0; 12]);
        let at = b.len();
        b.extend_from_slice(&(count as i32).to_be_bytes());
        b.resize(b.len() + count, 0);
        let e = decode_file(&b).unwrap_err();
        assert_eq!(e.offset, at, "{e}");
        assert!(e.what.contains("the number of UGens"), "{e}");
        // The same for parameter names (at least 5 bytes each), after one parameter.
        let mut b = b"SCgf\0\0\0\x02\0\x01\x01a".to_vec();
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&1i32.to_be_bytes());
        b.extend_from_slice(&0f32.to_be_bytes());
        let at = b.len();
        b.extend_from_slice(&(count as i32).to_be_bytes());
        b.resize(b.len() + count, 0);
        let e = decode_file(&b).unwrap_err();
        assert_eq!(e.offset, at, "{e}");
        assert!(e.what.contains("parameter names"), "{e}");
    }

    #[test]
    fn builtin_lookup_knows_channel_counts() {
        assert_eq!(
            builtins::builtin("scpanel-meter-8").unwrap().name,
            "scpanel-meter-8"
        );
        assert_eq!(
            builtins::builtin("scpanel-volume-1")
                .unwrap()
                .ugens
                .iter()
                .filter(|u| u.class == "In")
                .count(),
            1
        );
        assert!(builtins::builtin("scpanel-meter-0").is_none());
        assert!(builtins::builtin("scpanel-meter-999").is_none());
        assert!(builtins::builtin("nope").is_none());
    }
}
