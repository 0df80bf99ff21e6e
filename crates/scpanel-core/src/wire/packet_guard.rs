//! Checks every packet from the network before it is decoded or routed.
//!
//! rosc's decoder recurses once per nested bundle, and a nested OSC array becomes a nested
//! value whose drop, clone and `Debug` recurse once per level: one 64 KiB datagram can nest
//! thousands of levels and overflow the stack (an abort that skips every `Drop`, so an owned
//! scsynth is killed and a recording left unfinished). scsynth itself never nests more than
//! a couple of levels, so the structure is scanned here, without recursion, and anything
//! deeper than [`MAX_DEPTH`] is refused before rosc sees it. Then the replies scpanel reads
//! are checked for the argument types it expects, so no layout mistake reaches a parser.

use rosc::{OscMessage, OscPacket, OscType};

/// Deepest nesting of bundles, and separately of arrays, that a packet may have.
pub const MAX_DEPTH: usize = 8;

/// scsynth builds every reply in a 64 KiB buffer; a TCP frame may carry a little framing
/// on top of that. A longer frame is refused without reading it into memory.
pub const MAX_FRAME: usize = 65536 + 1024;

/// Why a packet was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(what: impl Into<String>) -> Malformed {
    Malformed(what.into())
}

/// Checks `bytes` (one UDP datagram or one TCP frame) and decodes it.
pub fn decode(bytes: &[u8]) -> Result<OscPacket, Malformed> {
    decode_within(bytes, MAX_FRAME)
}

/// [`decode`] for a packet up to `max_len` bytes (a stored one: a TCP frame that carried a
/// big `/d_recv` is larger than a datagram); the nesting is checked all the same.
pub fn decode_within(bytes: &[u8], max_len: usize) -> Result<OscPacket, Malformed> {
    check_structure_within(bytes, max_len)?;
    match rosc::decoder::decode_udp(bytes) {
        Ok((_, packet)) => Ok(packet),
        Err(e) => Err(bad(format!("{} bytes that are not OSC: {e}", bytes.len()))),
    }
}

/// Walks the packet's bundles and type tags iteratively: sizes must add up, and neither
/// bundles nor arrays may nest deeper than [`MAX_DEPTH`].
fn check_structure_within(bytes: &[u8], max_len: usize) -> Result<(), Malformed> {
    if bytes.len() > max_len {
        return Err(bad(format!(
            "a {}-byte packet (the limit is {max_len})",
            bytes.len()
        )));
    }
    // Packets still to look at: (start, end, bundle depth). Each entry covers at least the
    // four bytes of its size field, so the list is bounded by the packet's length.
    let mut todo: Vec<(usize, usize, usize)> = vec![(0, bytes.len(), 0)];
    while let Some((start, end, depth)) = todo.pop() {
        let Some(packet) = bytes.get(start..end) else {
            return Err(bad("a bundle element runs past the packet's end"));
        };
        if packet.is_empty() {
            return Err(bad("an empty packet"));
        }
        if packet.starts_with(b"#bundle\0") {
            if depth + 1 > MAX_DEPTH {
                return Err(bad(format!("bundles nested deeper than {MAX_DEPTH}")));
            }
            // "#bundle\0" and the 8-byte time tag.
            let mut at = start + 16;
            if at > end {
                return Err(bad("a bundle without its time tag"));
            }
            while at < end {
                let size = read_u32(bytes, at, end)
                    .ok_or_else(|| bad("a bundle element's size is cut off"))?;
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                let elem_start = at + 4;
                let elem_end = elem_start
                    .checked_add(size)
                    .filter(|e| *e <= end)
                    .ok_or_else(|| bad("a bundle element is longer than its bundle"))?;
                if !size.is_multiple_of(4) {
                    return Err(bad("a bundle element whose size is not a multiple of 4"));
                }
                todo.push((elem_start, elem_end, depth + 1));
                at = elem_end;
            }
            continue;
        }
        if packet.first() != Some(&b'/') {
            return Err(bad("a packet that is neither a message nor a bundle"));
        }
        let addr_end = string_end(bytes, start, end)
            .ok_or_else(|| bad("a message address without its terminating zero"))?;
        let Some(tags_start) = addr_end.filter(|t| *t < end) else {
            // A message without a type tag string: rosc decides whether it takes it.
            continue;
        };
        check_type_tags(&bytes[tags_start..end])?;
    }
    Ok(())
}

/// The nesting of `[` and `]` in a type tag string (the bytes from its leading `,`).
fn check_type_tags(rest: &[u8]) -> Result<(), Malformed> {
    if rest.first() != Some(&b',') {
        return Ok(());
    }
    let mut depth = 0usize;
    for &tag in rest.iter().skip(1).take_while(|b| **b != 0) {
        match tag {
            b'[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(bad(format!("arrays nested deeper than {MAX_DEPTH}")));
                }
            }
            b']' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| bad("a type tag `]` without its `[`"))?;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(bad("a type tag `[` without its `]`"));
    }
    Ok(())
}

fn read_u32(bytes: &[u8], at: usize, end: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?.min(end))?;
    Some(u32::from_be_bytes(b.try_into().ok()?))
}

/// Where the 4-byte-padded string starting at `start` ends: `Some(Some(next))`, or
/// `Some(None)` when the padding runs to the packet's end. `None`: no terminating zero.
fn string_end(bytes: &[u8], start: usize, end: usize) -> Option<Option<usize>> {
    let zero = bytes.get(start..end)?.iter().position(|b| *b == 0)?;
    let next = (start + zero + 4) & !3;
    Some((next < end).then_some(next))
}

/// Checks that a message scpanel reads has the argument types its parser expects. Messages
/// scpanel only shows (or passes on) are not checked.
pub(crate) fn check_reply(m: &OscMessage) -> Result<(), Malformed> {
    let ints = |n: usize| -> Result<(), Malformed> {
        for i in 0..n {
            if !matches!(m.args.get(i), Some(OscType::Int(_))) {
                return Err(bad(format!(
                    "{} whose argument {} is {} (expected an int)",
                    m.addr,
                    i + 1,
                    type_name(m.args.get(i))
                )));
            }
        }
        Ok(())
    };
    let string_first = || -> Result<(), Malformed> {
        match m.args.first() {
            Some(OscType::String(_)) => Ok(()),
            other => Err(bad(format!(
                "{} whose first argument is {} (expected the command's name)",
                m.addr,
                type_name(other)
            ))),
        }
    };
    match m.addr.as_str() {
        "/n_go" | "/n_end" | "/n_on" | "/n_off" | "/n_move" | "/n_info" => {
            ints(5)?;
            // A group adds its head and tail; the parser reads them as -1 when absent.
            for i in 5..m.args.len().min(7) {
                if !matches!(m.args.get(i), Some(OscType::Int(_))) {
                    return Err(bad(format!(
                        "{} whose argument {} is {} (expected an int)",
                        m.addr,
                        i + 1,
                        type_name(m.args.get(i))
                    )));
                }
            }
            Ok(())
        }
        "/status.reply" => {
            ints(5)?;
            for i in 5..9 {
                if !matches!(
                    m.args.get(i),
                    Some(OscType::Float(_) | OscType::Double(_) | OscType::Int(_))
                ) {
                    return Err(bad(format!(
                        "/status.reply whose argument {} is {} (expected a number)",
                        i + 1,
                        type_name(m.args.get(i))
                    )));
                }
            }
            Ok(())
        }
        "/synced" => ints(1),
        "/g_queryTree.reply" => ints(3),
        "/done" | "/fail" => string_first(),
        _ => Ok(()),
    }
}

fn type_name(arg: Option<&OscType>) -> &'static str {
    match arg {
        None => "missing",
        Some(OscType::Int(_)) => "an int",
        Some(OscType::Float(_)) => "a float",
        Some(OscType::String(_)) => "a string",
        Some(OscType::Blob(_)) => "a blob",
        Some(OscType::Time(_)) => "a time tag",
        Some(OscType::Long(_)) => "a 64-bit int",
        Some(OscType::Double(_)) => "a double",
        Some(OscType::Char(_)) => "a char",
        Some(OscType::Color(_)) => "a colour",
        Some(OscType::Midi(_)) => "a MIDI message",
        Some(OscType::Bool(_)) => "a boolean",
        Some(OscType::Array(_)) => "an array",
        Some(OscType::Nil) => "nil",
        Some(OscType::Inf) => "infinitum",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rosc::{OscArray, OscBundle, OscTime};

    fn nested_bundle(depth: usize) -> Vec<u8> {
        let mut p = OscPacket::Message(OscMessage {
            addr: "/synced".into(),
            args: vec![OscType::Int(1)],
        });
        for _ in 0..depth {
            p = OscPacket::Bundle(OscBundle {
                timetag: OscTime::from((0, 1)),
                content: vec![p],
            });
        }
        rosc::encoder::encode(&p).unwrap()
    }

    /// Encodes `depth` nested arrays by hand (rosc's encoder recurses as well).
    fn nested_array(depth: usize) -> Vec<u8> {
        let mut tags = String::from(",");
        tags.push_str(&"[".repeat(depth));
        tags.push('i');
        tags.push_str(&"]".repeat(depth));
        let mut out = Vec::new();
        for s in ["/x", tags.as_str()] {
            out.extend_from_slice(s.as_bytes());
            out.push(0);
            while !out.len().is_multiple_of(4) {
                out.push(0);
            }
        }
        out.extend_from_slice(&7i32.to_be_bytes());
        out
    }

    #[test]
    fn bundles_up_to_the_limit_decode_and_deeper_ones_are_refused() {
        let ok = decode(&nested_bundle(MAX_DEPTH)).unwrap();
        let mut flat = Vec::new();
        crate::wire::protocol::flatten(ok, &mut flat);
        assert_eq!(flat.len(), 1);
        let e = decode(&nested_bundle(MAX_DEPTH + 1)).unwrap_err();
        assert!(e.0.contains("nested deeper"), "{e}");
    }

    #[test]
    fn thousands_of_nested_bundles_are_refused_without_recursing() {
        // Built by hand: rosc's encoder would recurse on a value this deep.
        let depth = 4000;
        let mut p = nested_bundle(0);
        for _ in 0..depth {
            let mut outer = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
            outer.extend_from_slice(&(p.len() as u32).to_be_bytes());
            outer.extend_from_slice(&p);
            p = outer;
            if p.len() > MAX_FRAME - 32 {
                break;
            }
        }
        assert!(decode(&p).is_err());
    }

    #[test]
    fn arrays_up_to_the_limit_decode_and_deeper_ones_are_refused() {
        let ok = decode(&nested_array(MAX_DEPTH)).unwrap();
        assert!(
            matches!(ok, OscPacket::Message(m) if matches!(m.args.first(), Some(OscType::Array(OscArray { .. }))))
        );
        assert!(decode(&nested_array(MAX_DEPTH + 1)).is_err());
        assert!(decode(&nested_array(30_000)).is_err());
    }

    #[test]
    fn unbalanced_brackets_and_bad_sizes_are_refused() {
        let mut b = nested_array(1);
        // Turn the closing `]` into a second `[`.
        let pos = b.iter().position(|c| *c == b']').unwrap();
        b[pos] = b'[';
        assert!(decode(&b).is_err());
        let mut bundle = nested_bundle(1);
        // Claim a longer element than the bundle holds.
        bundle[19] = 0xff;
        assert!(decode(&bundle).is_err());
        assert!(decode(&[]).is_err());
        assert!(decode(&vec![0u8; MAX_FRAME + 1]).is_err());
    }

    #[test]
    fn replies_with_the_wrong_argument_types_are_refused() {
        let m = |addr: &str, args: Vec<OscType>| OscMessage {
            addr: addr.into(),
            args,
        };
        let i = OscType::Int;
        assert!(check_reply(&m("/n_go", vec![i(5), i(1), i(-1), i(-1), i(0)])).is_ok());
        assert!(
            check_reply(&m(
                "/n_go",
                vec![i(5), i(1), i(-1), i(-1), i(1), i(-1), i(-1)]
            ))
            .is_ok()
        );
        assert!(check_reply(&m("/n_go", vec![i(5), i(1), i(-1), i(-1), i(1)])).is_ok());
        let s = || OscType::String("x".into());
        assert!(
            check_reply(&m(
                "/n_go",
                vec![i(5), i(1), i(-1), i(-1), i(1), s(), i(-1)]
            ))
            .is_err()
        );
        assert!(
            check_reply(&m(
                "/n_end",
                vec![i(5), OscType::String("x".into()), i(-1), i(-1), i(0)]
            ))
            .is_err()
        );
        assert!(check_reply(&m("/synced", vec![OscType::Float(1.0)])).is_err());
        assert!(check_reply(&m("/done", vec![i(1)])).is_err());
        assert!(check_reply(&m("/status.reply", vec![i(1); 5])).is_err());
        assert!(check_reply(&m("/anything", vec![])).is_ok());
    }

    /// A small deterministic generator, so the property tests need no extra crate and
    /// every failure replays from its seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// Everything the core does with a received packet: route, parse, clone, print, drop.
    fn use_everything(packet: OscPacket) {
        use crate::wire::protocol::{
            BufferInfo, Expect, NodeInfo, StatusInfo, VersionInfo, check_fail, fail_for, flatten,
        };
        let _ = format!("{packet:?}");
        let copy = packet.clone();
        let mut messages = Vec::new();
        flatten(copy, &mut messages);
        let expects = [
            Expect::Address("/n_info"),
            Expect::AddressWithId("/synced", 3),
            Expect::Done {
                command: "/b_alloc".into(),
                id: Some(1),
            },
            Expect::ReplyOrFail {
                reply: "/g_queryTree.reply",
                id: Some(0),
                command: "/g_queryTree",
            },
        ];
        for m in messages {
            // As the console shows it: received bundles are flattened first.
            let _ = crate::wire::osc_text::format_packet(&OscPacket::Message(m.clone()));
            let typed_ok = check_reply(&m).is_ok();
            let _ = StatusInfo::from_msg(&m);
            let node = NodeInfo::from_msg(&m);
            if typed_ok && m.addr == "/n_go" {
                assert!(node.is_some(), "a checked /n_go parses: {m:?}");
            }
            let _ = VersionInfo::from_msg(&m);
            let _ = BufferInfo::from_msg(&m);
            let _ = fail_for(&m, "/g_queryTree");
            let _ = crate::model::tree::NodeTree::from_query_reply(&m);
            let _ = crate::ops::mixer::is_meter_reply(&m);
            let _ = crate::ops::mixer::Meters::default().apply(&m);
            for e in &expects {
                let _ = e.matches(&m);
            }
            let _ = check_fail(m);
        }
    }

    fn samples() -> Vec<Vec<u8>> {
        let i = OscType::Int;
        let msgs = [
            OscMessage {
                addr: "/n_go".into(),
                args: vec![i(1000), i(1), i(-1), i(-1), i(1), i(-1), i(-1)],
            },
            OscMessage {
                addr: "/g_queryTree.reply".into(),
                args: vec![
                    i(1),
                    i(0),
                    i(1),
                    i(1000),
                    i(-1),
                    OscType::String("default".into()),
                    i(1),
                    OscType::String("freq".into()),
                    OscType::Float(440.0),
                ],
            },
            OscMessage {
                addr: "/status.reply".into(),
                args: vec![
                    i(1),
                    i(0),
                    i(0),
                    i(1),
                    i(0),
                    OscType::Float(0.1),
                    OscType::Float(0.2),
                    OscType::Double(48000.0),
                    OscType::Double(48000.0),
                ],
            },
            OscMessage {
                addr: "/fail".into(),
                args: vec![
                    OscType::String("/b_alloc".into()),
                    OscType::String("alloc failed\n".into()),
                    i(1),
                ],
            },
        ];
        let mut out: Vec<Vec<u8>> = msgs
            .iter()
            .map(|m| rosc::encoder::encode(&OscPacket::Message(m.clone())).unwrap())
            .collect();
        out.push(
            rosc::encoder::encode(&OscPacket::Bundle(OscBundle {
                timetag: OscTime::from((0, 1)),
                content: msgs.iter().cloned().map(OscPacket::Message).collect(),
            }))
            .unwrap(),
        );
        out.push(nested_bundle(MAX_DEPTH));
        out.push(nested_array(MAX_DEPTH));
        out
    }

    #[test]
    fn random_bytes_never_panic_the_guard_or_any_reply_parser() {
        let mut rng = Rng(0x5ca1_ab1e);
        for _ in 0..20_000 {
            let len = rng.below(600);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if let Ok(p) = decode(&bytes) {
                use_everything(p);
            }
            // Random bytes behind a valid-looking head reach the argument decoders.
            let mut headed = b"/n_go\0\0\0,".to_vec();
            headed.extend(
                bytes
                    .iter()
                    .take(40)
                    .map(|b| b"ifsbhdtcmrTFNI[]"[*b as usize % 16]),
            );
            headed.push(0);
            while !headed.len().is_multiple_of(4) {
                headed.push(0);
            }
            headed.extend_from_slice(&bytes);
            if let Ok(p) = decode(&headed) {
                use_everything(p);
            }
        }
    }

    #[test]
    fn mutated_replies_never_panic_and_stay_within_the_depth_limit() {
        let mut rng = Rng(0xdec0_de00_1234);
        let samples = samples();
        for _ in 0..30_000 {
            let mut b = samples[rng.below(samples.len())].clone();
            for _ in 0..1 + rng.below(4) {
                match rng.below(4) {
                    0 if !b.is_empty() => {
                        let at = rng.below(b.len());
                        b[at] ^= 1 << rng.below(8);
                    }
                    1 => b.truncate(rng.below(b.len() + 1)),
                    2 if !b.is_empty() => {
                        let at = rng.below(b.len());
                        b[at] = [b'[', b']', b'#', 0, 0xff][rng.below(5)];
                    }
                    _ => {
                        let at = rng.below(b.len() + 1);
                        b.insert(at, rng.next() as u8);
                    }
                }
            }
            if let Ok(p) = decode(&b) {
                assert!(depths(&p) <= (MAX_DEPTH, MAX_DEPTH), "{:?}", depths(&p));
                use_everything(p);
            }
        }
    }

    /// (bundle depth, array depth) of a decoded packet, iteratively.
    fn depths(p: &OscPacket) -> (usize, usize) {
        let mut most = (0, 0);
        let mut todo = vec![(p, 0usize)];
        while let Some((p, d)) = todo.pop() {
            match p {
                OscPacket::Message(m) => {
                    let mut args: Vec<(&OscType, usize)> = m.args.iter().map(|a| (a, 0)).collect();
                    while let Some((a, ad)) = args.pop() {
                        if let OscType::Array(arr) = a {
                            most.1 = most.1.max(ad + 1);
                            args.extend(arr.content.iter().map(|a| (a, ad + 1)));
                        }
                    }
                    most.0 = most.0.max(d);
                }
                OscPacket::Bundle(b) => todo.extend(b.content.iter().map(|c| (c, d + 1))),
            }
        }
        most
    }

    /// A random packet of bundles and arrays with nesting up to `max` levels.
    fn random_packet(rng: &mut Rng, max: usize, depth: usize) -> OscPacket {
        if depth < max && rng.below(3) == 0 {
            let n = 1 + rng.below(3);
            return OscPacket::Bundle(OscBundle {
                timetag: OscTime::from((0, 1)),
                content: (0..n).map(|_| random_packet(rng, max, depth + 1)).collect(),
            });
        }
        let mut arg = OscType::Int(rng.next() as i32);
        for _ in 0..rng.below(max + 1) {
            arg = OscType::Array(OscArray {
                content: vec![arg, OscType::String("x".into())],
            });
        }
        OscPacket::Message(OscMessage {
            addr: "/n_go".into(),
            args: vec![arg, OscType::Float(1.5)],
        })
    }

    #[test]
    fn generated_packets_decode_exactly_when_within_the_limit() {
        let mut rng = Rng(42);
        let mut accepted = 0;
        let mut refused = 0;
        for _ in 0..3_000 {
            let p = random_packet(&mut rng, MAX_DEPTH + 3, 0);
            let bytes = rosc::encoder::encode(&p).unwrap();
            let (b, a) = depths(&p);
            match decode(&bytes) {
                Ok(back) => {
                    assert!(b <= MAX_DEPTH && a <= MAX_DEPTH, "accepted depth {b}/{a}");
                    assert_eq!(back, p);
                    accepted += 1;
                }
                Err(_) => {
                    assert!(b > MAX_DEPTH || a > MAX_DEPTH, "refused depth {b}/{a}");
                    refused += 1;
                }
            }
        }
        assert!(accepted > 100 && refused > 100, "{accepted} / {refused}");
    }
}
