//! SCgf SynthDef files: encode, decode, build, and the built-in SynthDefs.

/// The SynthDefs scpanel brings: `default`, a sine, and the meter, volume and recorder defs.
pub mod builtins;
/// Which buses a def reads and writes, from its graph or guessed from its control names.
mod buses;
/// The signal flow of a server: synths in order, buses, and who feeds whom.
pub mod flow;
mod format;
pub(crate) mod graph;
/// What a SynthDef sent or loaded means to a client: its controls and outputs.
mod info;

pub use buses::{
    BusEntry, BusFrom, BusUse, Dir, ResolvedBus, bus_use, guessed_from_controls, resolve,
};
pub use format::{
    Control, DecodeError, Input, MAX_FILE_BYTES, Rate, SynthDef, UGen, Variant, decode_file,
    describe, encode_file,
};
pub use graph::{BinOp, Graph, Sig, UnOp};
pub use info::{DefSource, SynthDefInfo, audio_out_channels};

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
        // Room for a whole (empty) def after the name, so the name is what fails.
        let e = decode_file(&[b"SCgf\0\0\0\x02\0\x01\x02\xffa".as_slice(), &[0; 18]].concat())
            .unwrap_err();
        assert!(e.to_string().contains("not text"), "{e}");
        b.push(0);
        assert!(
            decode_file(&b)
                .unwrap_err()
                .to_string()
                .contains("after the last")
        );
    }

    /// Every count claims as many items as there are bytes left (each item would then be one
    /// byte, but none is that small): refused before anything is allocated for it. Zeros after
    /// the count would otherwise decode as thousands of empty UGens, and a 60 MB file as a
    /// request for gigabytes.
    #[test]
    fn counts_that_claim_every_byte_left_are_refused() {
        const PAD: usize = 1 << 16;
        let be = |v: i32| v.to_be_bytes().to_vec();
        let header = [b"SCgf".as_slice(), &be(2), &1i16.to_be_bytes()].concat();
        let name = [1u8, b'x'];
        // One UGen ("A", audio rate) with the input and output counts to fill in.
        let ugen = |inputs: i32, outputs: i32| {
            [
                &[1u8, b'A', 2][..],
                &be(inputs),
                &be(outputs),
                &0i16.to_be_bytes(),
            ]
            .concat()
        };
        let no_ugens_yet = [&name[..], &be(0), &be(1), &0f32.to_be_bytes(), &be(0)].concat();
        let lying = |prefix: Vec<u8>, count: Vec<u8>| {
            let mut b = [prefix, count].concat();
            b.resize(b.len() + PAD, 0);
            b
        };
        let pad = PAD as i32;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "the number of SynthDefs",
                lying(
                    [b"SCgf".as_slice(), &be(2)].concat(),
                    i16::MAX.to_be_bytes().to_vec(),
                ),
            ),
            (
                "the number of constants",
                lying([header.clone(), name.to_vec()].concat(), be(pad)),
            ),
            (
                "the number of parameters",
                lying([header.clone(), name.to_vec(), be(0)].concat(), be(pad)),
            ),
            (
                "the number of parameter names",
                lying(
                    [header.clone(), name.to_vec(), be(0), be(0)].concat(),
                    be(pad),
                ),
            ),
            (
                "the number of UGens",
                lying([header.clone(), no_ugens_yet.clone()].concat(), be(pad)),
            ),
            (
                "the number of inputs",
                lying(
                    [
                        header.clone(),
                        no_ugens_yet.clone(),
                        be(1),
                        vec![1, b'A', 2],
                    ]
                    .concat(),
                    be(pad),
                ),
            ),
            (
                // Each output is one byte, so the count alone fits; with the special index
                // after it, it does not.
                "inputs and outputs",
                lying(
                    [
                        header.clone(),
                        no_ugens_yet.clone(),
                        be(1),
                        vec![1, b'A', 2],
                        be(0),
                    ]
                    .concat(),
                    be(pad),
                ),
            ),
            (
                "the number of variants",
                lying(
                    [
                        header.clone(),
                        no_ugens_yet.clone(),
                        be(1),
                        ugen(0, 1),
                        vec![2],
                    ]
                    .concat(),
                    i16::MAX.to_be_bytes().to_vec(),
                ),
            ),
        ];
        for (what, bytes) in cases {
            let e = decode_file(&bytes).unwrap_err().to_string();
            assert!(e.contains(what) && e.contains("do not fit"), "{what}: {e}");
        }
        // Version 1 counts are int16: a UGen there is at least 8 bytes, not 12.
        let mut v1 = [
            b"SCgf".as_slice(),
            &be(1),
            &1i16.to_be_bytes(),
            &name,
            &[0u8; 6],
            &((PAD / 8 + 1) as i16).to_be_bytes(),
        ]
        .concat();
        v1.resize(v1.len() + PAD, 0);
        let e = decode_file(&v1).unwrap_err().to_string();
        assert!(
            e.contains("the number of UGens") && e.contains("do not fit"),
            "{e}"
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
