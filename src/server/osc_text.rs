//! OSC as one line of text, for the console and `scpanel send`:
//! `/s_new default 1000 0 1 freq 440.0 "a string"`, and bundles as
//! `@0.5 /n_set 1000 freq 220 ; /n_set 1001 freq 330` (a time tag 0.5 s from now; `@0` is
//! "immediately").

use std::time::{Duration, SystemTime};

use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};

/// A parse error and the character column (0-based) it points at.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("column {}: {message}", .column + 1)]
pub struct ParseError {
    pub column: usize,
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

fn argument(token: &str, quoted: bool) -> OscType {
    if quoted {
        return OscType::String(token.to_string());
    }
    if let Ok(i) = token.parse::<i32>() {
        return OscType::Int(i);
    }
    if let Ok(f) = token.parse::<f32>()
        && (token.contains('.') || token.contains('e') || token.contains('E'))
    {
        return OscType::Float(f);
    }
    match token {
        "true" => OscType::Bool(true),
        "false" => OscType::Bool(false),
        "nil" => OscType::Nil,
        _ => OscType::String(token.to_string()),
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
        args: toks[1..].iter().map(|(_, t, q)| argument(t, *q)).collect(),
    })
}

/// Parses one console line into a message or a bundle.
pub fn parse(line: &str) -> Result<OscPacket, ParseError> {
    parse_at(line, SystemTime::now())
}

/// [`parse`] with "now" given, for tests.
pub fn parse_at(line: &str, now: SystemTime) -> Result<OscPacket, ParseError> {
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
    let delay: f64 = first[1..].parse().map_err(|_| {
        err(
            *col,
            format!("{first:?} is not a time: use @0.5 for half a second from now"),
        )
    })?;
    if !(delay.is_finite() && delay >= 0.0) {
        return Err(err(*col, "the time must be zero or more seconds"));
    }
    let timetag = if delay == 0.0 {
        OscTime {
            seconds: 0,
            fractional: 1,
        }
    } else {
        OscTime::try_from(now + Duration::from_secs_f64(delay))
            .map_err(|_| err(*col, "that time can't be written as an OSC time tag"))?
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
            line.len(),
            "a bundle needs at least one message after the time",
        ));
    }
    Ok(OscPacket::Bundle(OscBundle { timetag, content }))
}

/// Formats an argument so that [`parse`] reads it back the same.
pub fn format_arg(a: &OscType) -> String {
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
            if s.is_empty()
                || s.chars().any(|c| c.is_whitespace() || c == '"' || c == ';')
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

pub fn format_message(m: &OscMessage) -> String {
    let mut s = m.addr.clone();
    for a in &m.args {
        s.push(' ');
        s.push_str(&format_arg(a));
    }
    s
}

pub fn format_packet(p: &OscPacket) -> String {
    match p {
        OscPacket::Message(m) => format_message(m),
        OscPacket::Bundle(b) => {
            let inner: Vec<String> = b.content.iter().map(format_packet).collect();
            if (b.timetag.seconds, b.timetag.fractional) == (0, 1) {
                format!("[bundle now] {}", inner.join(" ; "))
            } else {
                let at: SystemTime = b.timetag.into();
                let secs = at
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs_f64();
                format!("[bundle at {secs:.3}] {}", inner.join(" ; "))
            }
        }
    }
}

/// scsynth's commands with their arguments, for completion and hints in the console.
pub static COMMANDS: &[(&str, &str)] = &[
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
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
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

    #[test]
    fn completes_commands() {
        let c = complete("/g_q");
        assert_eq!(c, vec![("/g_queryTree", "group flag")]);
        assert!(complete("/n_").len() > 5);
    }
}
