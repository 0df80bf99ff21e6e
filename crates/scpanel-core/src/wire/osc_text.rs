//! OSC as one line of text, for the console and `scpanel send`:
//! `/s_new default 1000 0 1 freq 440.0 "a string"`, and bundles as
//! `@0.5 /n_set 1000 freq 220 ; /n_set 1001 freq 330` (a time tag 0.5 s from now; `@0` is
//! "immediately").

use std::time::SystemTime;

use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

use crate::wire::seconds::BUNDLE_DELAY;

/// A parse error and the character column (0-based) it points at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("column {}: {message}", .column + 1)]
pub struct ParseError {
    /// Where (0-based character column).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

fn err(column: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        column,
        message: message.into(),
    }
}

/// Splits a line into (column, token, was_quoted).
fn tokens(line: &str) -> Result<Vec<(usize, String, bool)>, ParseError> {
    let mut out = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    // OSC ends an address or a string at a NUL: the rest would reach the server as other
    // arguments than those typed (or as a packet no one can read).
    if let Some(column) = chars.iter().position(|c| *c == '\0') {
        return Err(err(
            column,
            "a NUL character can't be sent in OSC (it would end the word early)",
        ));
    }
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == ';' {
            out.push((i, ";".to_string(), false));
            i += 1;
        } else if c == '"' || c == '\'' {
            let start = i;
            i += 1;
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(err(start, "this quote is never closed")),
                    Some('\\') if i + 1 < chars.len() => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push((start, s, true));
        } else {
            let start = i;
            let mut s = String::new();
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ';' {
                s.push(chars[i]);
                i += 1;
            }
            out.push((start, s, false));
        }
    }
    Ok(out)
}

fn argument(column: usize, token: &str, quoted: bool) -> Result<OscType, ParseError> {
    if quoted {
        return Ok(OscType::String(token.to_string()));
    }
    let digits = token.strip_prefix(['-', '+']).unwrap_or(token);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // Sent as a string, an integer too big for OSC would reach the server as a name.
        return token.parse::<i32>().map(OscType::Int).map_err(|_| {
            err(
                column,
                format!(
                    "{} does not fit a 32-bit integer ({} to {}): write {}.0 for a float, \
                     or quote it for a string",
                    shorten(token),
                    i32::MIN,
                    i32::MAX,
                    shorten(token)
                ),
            )
        });
    }
    if let Ok(f) = token.parse::<f32>()
        && (token.contains('.') || token.contains('e') || token.contains('E'))
    {
        if !f.is_finite() {
            return Err(err(
                column,
                format!(
                    "{} is too large for a 32-bit float (at most {:e} either way)",
                    shorten(token),
                    f32::MAX
                ),
            ));
        }
        return Ok(OscType::Float(f));
    }
    Ok(match token {
        "true" => OscType::Bool(true),
        "false" => OscType::Bool(false),
        "nil" => OscType::Nil,
        _ => OscType::String(token.to_string()),
    })
}

/// At most 40 characters of a token, for error messages.
fn shorten(token: &str) -> &str {
    match token.char_indices().nth(40) {
        Some((i, _)) => &token[..i],
        None => token,
    }
}

fn message(toks: &[(usize, String, bool)]) -> Result<OscMessage, ParseError> {
    let Some((col, addr, quoted)) = toks.first() else {
        return Err(err(0, "expected an address such as /status"));
    };
    if *quoted || !addr.starts_with('/') {
        return Err(err(
            *col,
            format!("an OSC address starts with '/', not {addr:?}"),
        ));
    }
    if addr.len() == 1 {
        return Err(err(*col, "the address is empty after '/'"));
    }
    Ok(OscMessage {
        addr: addr.clone(),
        args: toks[1..]
            .iter()
            .map(|(c, t, q)| argument(*c, t, *q))
            .collect::<Result<_, _>>()?,
    })
}

/// Parses one console line into a message or a bundle.
pub fn parse(line: &str) -> Result<OscPacket, ParseError> {
    parse_at(line, SystemTime::now())
}

/// [`parse`] with "now" given, for tests.
pub(crate) fn parse_at(line: &str, now: SystemTime) -> Result<OscPacket, ParseError> {
    let toks = tokens(line)?;
    let Some((col, first, quoted)) = toks.first() else {
        return Err(err(0, "type a command such as /status"));
    };
    if *quoted || !first.starts_with('@') {
        if let Some((c, _, _)) = toks.iter().find(|(_, t, q)| t == ";" && !q) {
            return Err(err(
                *c,
                "';' separates the messages of a bundle: start the line with @time",
            ));
        }
        return message(&toks).map(OscPacket::Message);
    }
    let delay = BUNDLE_DELAY
        .parse("the time after @", &first[1..])
        .map_err(|e| err(*col, format!("{e} (e.g. @0.5 for half a second from now)")))?;
    let timetag = if delay.is_zero() {
        OscTime {
            seconds: 0,
            fractional: 1,
        }
    } else {
        now.checked_add(delay)
            .and_then(|at| OscTime::try_from(at).ok())
            .ok_or_else(|| err(*col, "that time can't be written as an OSC time tag"))?
    };
    let mut content = Vec::new();
    for part in toks[1..].split(|(_, t, q)| t == ";" && !q) {
        if part.is_empty() {
            continue;
        }
        content.push(OscPacket::Message(message(part)?));
    }
    if content.is_empty() {
        return Err(err(
            line.chars().count(),
            "a bundle needs at least one message after the time",
        ));
    }
    Ok(OscPacket::Bundle(OscBundle { timetag, content }))
}

/// Formats an argument so that [`parse`] reads it back the same.
pub(crate) fn format_arg(a: &OscType) -> String {
    match a {
        OscType::Int(i) => i.to_string(),
        OscType::Long(i) => i.to_string(),
        OscType::Float(f) => {
            let s = format!("{f:?}");
            if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
                s
            } else {
                format!("{s}.0")
            }
        }
        OscType::Double(f) => format!("{f:?}"),
        OscType::String(s) => {
            // Quoted whenever the bare word would read back as something else.
            if s.is_empty()
                || s.starts_with('\'')
                || s.chars().any(|c| c.is_whitespace() || c == '"' || c == ';')
                || matches!(s.as_str(), "true" | "false" | "nil")
                || s.parse::<f64>().is_ok()
            {
                format!("{s:?}")
            } else {
                s.clone()
            }
        }
        OscType::Blob(b) => format!("<{} bytes>", b.len()),
        OscType::Bool(b) => b.to_string(),
        OscType::Nil => "nil".into(),
        OscType::Inf => "inf".into(),
        OscType::Char(c) => format!("'{c}'"),
        OscType::Time(t) => format!("<time {}.{}>", t.seconds, t.fractional),
        other => format!("{other:?}"),
    }
}

pub(crate) fn format_message(m: &OscMessage) -> String {
    let mut s = m.addr.clone();
    for a in &m.args {
        s.push(' ');
        s.push_str(&format_arg(a));
    }
    s
}

/// How deep [`format_packet`] follows bundles inside bundles. scsynth never nests; a peer that
/// does must not make formatting recurse without end.
const MAX_FORMAT_DEPTH: usize = 8;

/// Seconds from 1900 (OSC time tags) to 1970 (Unix time), RFC 5905.
const NTP_UNIX_OFFSET: f64 = 2_208_988_800.0;

/// A packet as text, in the form [`parse`] reads.
pub fn format_packet(p: &OscPacket) -> String {
    format_at_depth(p, 0)
}

fn format_at_depth(p: &OscPacket, depth: usize) -> String {
    match p {
        OscPacket::Message(m) => format_message(m),
        OscPacket::Bundle(_) if depth >= MAX_FORMAT_DEPTH => {
            format!("[bundles nested deeper than {MAX_FORMAT_DEPTH}]")
        }
        OscPacket::Bundle(b) => {
            let inner: Vec<String> = b
                .content
                .iter()
                .map(|p| format_at_depth(p, depth + 1))
                .collect();
            if (b.timetag.seconds, b.timetag.fractional) == (0, 1) {
                format!("[bundle now] {}", inner.join(" ; "))
            } else {
                // Not through SystemTime: rosc's conversion panics on a tag before 1970.
                let secs = f64::from(b.timetag.seconds) - NTP_UNIX_OFFSET
                    + f64::from(b.timetag.fractional) / 4_294_967_296.0;
                format!("[bundle at {secs:.3}] {}", inner.join(" ; "))
            }
        }
    }
}

/// scsynth's commands with their arguments, for completion and hints in the console.
pub(crate) static COMMANDS: &[(&str, &str)] = &[
    ("/status", ""),
    ("/version", ""),
    ("/sync", "id"),
    ("/notify", "on(0|1) [clientID]"),
    ("/dumpOSC", "mode(0-3)"),
    ("/clearSched", ""),
    ("/quit", ""),
    ("/error", "mode(-1|0|1)"),
    ("/d_recv", "bytes [completion]"),
    ("/d_load", "path [completion]"),
    ("/d_loadDir", "dir [completion]"),
    ("/d_free", "name…"),
    ("/s_new", "def id addAction target [control value]…"),
    ("/s_get", "id control…"),
    ("/s_getn", "id control count…"),
    ("/s_noid", "id…"),
    ("/g_new", "id addAction target"),
    ("/p_new", "id addAction target"),
    ("/g_head", "group node…"),
    ("/g_tail", "group node…"),
    ("/g_freeAll", "group…"),
    ("/g_deepFree", "group…"),
    ("/g_dumpTree", "group flag"),
    ("/g_queryTree", "group flag"),
    ("/n_free", "node…"),
    ("/n_run", "node flag…"),
    ("/n_set", "node [control value]…"),
    ("/n_setn", "node control count value…"),
    ("/n_fill", "node control count value"),
    ("/n_map", "node control bus…"),
    ("/n_mapa", "node control bus…"),
    ("/n_before", "node target…"),
    ("/n_after", "node target…"),
    ("/n_query", "node…"),
    ("/n_trace", "node…"),
    ("/n_order", "addAction target node…"),
    ("/b_alloc", "buffer frames [channels]"),
    ("/b_allocRead", "buffer path [start] [frames]"),
    ("/b_allocReadChannel", "buffer path start frames channel…"),
    (
        "/b_read",
        "buffer path [start] [frames] [bufStart] [leaveOpen]",
    ),
    (
        "/b_write",
        "buffer path header sample [frames] [start] [leaveOpen]",
    ),
    ("/b_free", "buffer"),
    ("/b_zero", "buffer"),
    ("/b_set", "buffer [index value]…"),
    ("/b_setn", "buffer index count value…"),
    ("/b_fill", "buffer index count value"),
    ("/b_gen", "buffer command args…"),
    ("/b_close", "buffer"),
    ("/b_query", "buffer…"),
    ("/b_get", "buffer index…"),
    ("/b_getn", "buffer index count…"),
    ("/c_set", "bus value…"),
    ("/c_setn", "bus count value…"),
    ("/c_fill", "bus count value"),
    ("/c_get", "bus…"),
    ("/c_getn", "bus count…"),
    ("/u_cmd", "node ugenIndex command args…"),
    ("/cmd", "name args…"),
];

/// Commands starting with what was typed so far.
pub fn complete(prefix: &str) -> Vec<(&'static str, &'static str)> {
    COMMANDS
        .iter()
        .filter(|(name, _)| name.starts_with(prefix))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        let p = parse("/s_new default 1000 0 1 freq 440.5 name \"two words\" amp -3").unwrap();
        let OscPacket::Message(m) = p else { panic!() };
        assert_eq!(m.addr, "/s_new");
        assert_eq!(
            m.args,
            vec![
                OscType::String("default".into()),
                OscType::Int(1000),
                OscType::Int(0),
                OscType::Int(1),
                OscType::String("freq".into()),
                OscType::Float(440.5),
                OscType::String("name".into()),
                OscType::String("two words".into()),
                OscType::String("amp".into()),
                OscType::Int(-3),
            ]
        );
        assert_eq!(
            format_message(&m),
            "/s_new default 1000 0 1 freq 440.5 name \"two words\" amp -3"
        );
    }

    #[test]
    fn bundles_have_time_tags() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let OscPacket::Bundle(b) =
            parse_at("@0.5 /n_set 1000 freq 220 ; /n_free 1001", now).unwrap()
        else {
            panic!()
        };
        assert_eq!(b.content.len(), 2);
        let t: SystemTime = b.timetag.into();
        let d = t.duration_since(now).unwrap().as_secs_f64();
        assert!((d - 0.5).abs() < 1e-3, "{d}");
        let OscPacket::Bundle(b) = parse("@0 /status").unwrap() else {
            panic!()
        };
        assert_eq!((b.timetag.seconds, b.timetag.fractional), (0, 1));
    }

    #[test]
    fn errors_point_at_the_column() {
        assert_eq!(parse("status").unwrap_err().column, 0);
        assert_eq!(parse("/s_new \"open").unwrap_err().column, 7);
        assert_eq!(parse("@soon /status").unwrap_err().column, 0);
        assert_eq!(parse("/a 1 ; /b").unwrap_err().column, 5);
        assert!(parse("   ").is_err());
        assert!(parse("@1").is_err());
    }

    /// Found by the fuzz target `osc_text`: a NUL ended the address when encoded, and the
    /// rest of the line reached the packet guard as a type tag ("a is not implemented").
    #[test]
    fn nul_characters_are_errors_at_their_column() {
        let line = "/ststa\0/status\0\0\0\0\0\0\0\0\0\0\0\0\0@\0\0\0\0%";
        let e = parse(line).unwrap_err();
        assert_eq!(e.column, 6, "{e}");
        assert!(e.message.contains("NUL"), "{e}");
        assert_eq!(parse("/s_new \"a\0b\"").unwrap_err().column, 9);
    }

    #[test]
    fn times_out_of_range_are_errors_naming_the_range() {
        for line in [
            "@1e300 /status",
            "@1e19 /status",
            "@-1 /status",
            "@NaN /status",
            "@inf /status",
            "@31536001 /status",
        ] {
            let e = parse(line).unwrap_err();
            assert_eq!(e.column, 0, "{line}: {e}");
            assert!(
                e.message
                    .starts_with("the time after @ must be from 0 to 31536000 seconds"),
                "{line}: {e}"
            );
        }
        assert!(parse("@31536000 /status").is_ok());
        let e = parse("@soon /status").unwrap_err();
        assert!(e.message.contains("must be a number of seconds"), "{e}");
    }

    #[test]
    fn numbers_that_do_not_fit_osc_are_errors_at_their_column() {
        let e = parse("/n_set 1000 freq 1e300").unwrap_err();
        assert_eq!(e.column, 17);
        assert!(e.message.contains("too large for a 32-bit float"), "{e}");
        let e = parse("/n_free 3000000000").unwrap_err();
        assert_eq!(e.column, 8);
        assert!(e.message.contains("-2147483648 to 2147483647"), "{e}");
        assert!(e.message.contains("3000000000.0"), "{e}");
        let OscPacket::Message(m) =
            parse("/n_free 3000000000.0 \"3000000000\" -2147483648").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            m.args,
            vec![
                OscType::Float(3e9),
                OscType::String("3000000000".into()),
                OscType::Int(i32::MIN)
            ]
        );
        let e = parse(&format!("/a {}", "9".repeat(10_000))).unwrap_err();
        assert!(e.message.len() < 200, "the message echoes a short prefix");
    }

    #[test]
    fn received_bundles_format_whatever_their_time_tag_and_depth() {
        let at_1900 = OscPacket::Bundle(OscBundle {
            timetag: OscTime {
                seconds: 5,
                fractional: 0,
            },
            content: vec![],
        });
        assert!(format_packet(&at_1900).starts_with("[bundle at -2208988795.000]"));
        let mut p = OscPacket::Message(OscMessage {
            addr: "/deep".into(),
            args: vec![],
        });
        for _ in 0..50 {
            p = OscPacket::Bundle(OscBundle {
                timetag: OscTime {
                    seconds: 0,
                    fractional: 1,
                },
                content: vec![p],
            });
        }
        let text = format_packet(&p);
        assert!(text.ends_with("[bundles nested deeper than 8]"), "{text}");
        assert!(!text.contains("/deep"));
    }

    #[test]
    fn strings_that_look_like_other_things_are_quoted() {
        for s in ["true", "nil", "'x", "12", "1e400", "a;b", "", "x\"y"] {
            let m = OscMessage {
                addr: "/a".into(),
                args: vec![OscType::String(s.into())],
            };
            let back = parse(&format_message(&m)).unwrap();
            assert_eq!(back, OscPacket::Message(m), "{s:?}");
        }
    }

    #[test]
    fn completes_commands() {
        let c = complete("/g_q");
        assert_eq!(c, vec![("/g_queryTree", "group flag")]);
        assert!(complete("/n_").len() > 5);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Pieces a person (or a fuzzer) would type, so random lines reach deep into the parser.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("@".to_string()),
            Just("@1e300".to_string()),
            Just("@1e19".to_string()),
            Just("@-0".to_string()),
            Just("/s_new".to_string()),
            Just("/".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just(";".to_string()),
            Just("\\".to_string()),
            Just(" ".to_string()),
            Just("1e300".to_string()),
            Just("3000000000".to_string()),
            Just("nan".to_string()),
            Just("\u{301}é".to_string()),
            "[0-9.eE+-]{1,8}",
            "[ -~]{0,6}",
            "\\PC{0,4}",
        ]
    }

    fn arg() -> impl Strategy<Value = OscType> {
        prop_oneof![
            any::<i32>().prop_map(OscType::Int),
            any::<f32>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(OscType::Float),
            "[ -~]{0,12}".prop_map(OscType::String),
            any::<bool>().prop_map(OscType::Bool),
            Just(OscType::Nil),
        ]
    }

    fn check_parse(line: &str) -> Result<(), TestCaseError> {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
        match parse_at(line, now) {
            Err(e) => {
                prop_assert!(e.column <= line.chars().count(), "{e} for {line:?}");
                prop_assert!(!e.message.is_empty());
            }
            Ok(packet) => {
                let messages = match &packet {
                    OscPacket::Message(m) => vec![m.clone()],
                    OscPacket::Bundle(b) => {
                        prop_assert!(!b.content.is_empty());
                        b.content
                            .iter()
                            .filter_map(|p| match p {
                                OscPacket::Message(m) => Some(m.clone()),
                                OscPacket::Bundle(_) => None,
                            })
                            .collect()
                    }
                };
                for m in messages {
                    prop_assert!(m.addr.starts_with('/') && m.addr.len() > 1);
                    for a in &m.args {
                        if let OscType::Float(f) = a {
                            prop_assert!(f.is_finite(), "{line:?} gave {f}");
                        }
                    }
                }
                let _ = format_packet(&packet);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x05c9_a4e1),
            ..ProptestConfig::default()
        })]

        #[test]
        fn any_string_parses_or_errors_without_panic(line in "\\PC{0,40}") {
            check_parse(&line)?;
        }

        #[test]
        fn typed_looking_lines_parse_or_error_without_panic(
            pieces in prop::collection::vec(piece(), 0..12),
            spaced in any::<bool>(),
        ) {
            let line = pieces.join(if spaced { " " } else { "" });
            check_parse(&line)?;
        }

        #[test]
        fn formatted_messages_read_back_the_same(
            addr in "/[a-z_]{1,10}",
            args in prop::collection::vec(arg(), 0..8),
        ) {
            let m = OscMessage { addr, args };
            let text = format_message(&m);
            prop_assert_eq!(parse(&text), Ok(OscPacket::Message(m)), "{}", text);
        }
    }
}
