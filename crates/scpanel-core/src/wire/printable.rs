//! Server strings (SynthDef and node names, `/fail` texts, log lines) come from a peer: shown
//! raw, an escape sequence in one could drive the user's terminal, and a bidi override could
//! make one name read as another. Everything that shows such a string goes through here.

use std::borrow::Cow;
use std::fmt::Write;

/// `s` with every control character written as a visible escape (`\n`, `\e`, `\x7f`,
/// `\u{202e}`), and `\` doubled so an escape can't be faked. For one-line fields.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// As [`printable`], but line breaks stay line breaks: for text shown as lines (a log, a
/// multi-line error). Carriage returns are escaped, so a line can't overwrite itself.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    c == '\\' || (is_hidden(c) && !(keep_newlines && c == '\n'))
}

/// Characters a terminal or a text view acts on instead of showing.
fn is_hidden(c: char) -> bool {
    c.is_control()
        // Bidirectional overrides and isolates: reorder what follows them on screen.
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_escape(c, keep_newlines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c, keep_newlines) {
            out.push(c);
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{1b}' => out.push_str("\\e"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(printable("default ünïcode 音"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_become_visible() {
        assert_eq!(printable("a\x1b[2Jb"), "a\\e[2Jb");
        assert_eq!(
            printable("x\ny\rz\t\0\x7f\u{9b}"),
            "x\\ny\\rz\\t\\0\\x7f\\x9b"
        );
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("a\\eb"), "a\\\\eb");
        assert_eq!(printable_lines("one\ntwo\r\x1b"), "one\ntwo\\r\\e");
    }

    #[test]
    fn nothing_hidden_survives() {
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            let out = printable(&s);
            assert!(
                !out.chars().any(is_hidden),
                "U+{:04X} survived as {out:?}",
                c as u32
            );
        }
    }
}
