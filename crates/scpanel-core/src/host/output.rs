//! What the server prints: each line classified for boot and the log, and the lines of a
//! node-tree printout (`/g_dumpTree`) told apart from the rest.

pub use crate::model::log::LineKind;

pub(crate) fn classify(line: &str) -> LineKind {
    let l = line.trim();
    let lower = l.to_ascii_lowercase();
    if (lower.starts_with("supercollider 3 server") && lower.contains("ready"))
        || lower.starts_with("supernova ready")
    {
        LineKind::Ready
    } else if lower.contains("address in use") || lower.contains("address already in use") {
        LineKind::PortInUse
    } else if lower.contains("could not initialize audio")
        || lower.contains("jack server is not running")
        || lower.contains("cannot connect to server")
    {
        LineKind::NoAudio
    } else if lower.starts_with("late ") {
        LineKind::Late
    } else if lower.contains("open directory failed") {
        // A missing user synthdefs folder: harmless, the server boots.
        LineKind::Warning
    } else if lower.contains("error")
        || lower.starts_with("failure")
        || lower.contains("exception")
        || lower.contains("killed by jack")
    {
        LineKind::Error
    } else if lower.starts_with("warning") {
        LineKind::Warning
    } else {
        LineKind::Normal
    }
}

/// One line of a `/g_dumpTree` printout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DumpLine {
    /// `NODE TREE Group <id>`: a printout begins.
    Header(i32),
    /// `<3·depth spaces><id> <word>`: `word` is `group` for a group (or a synth whose SynthDef
    /// is called `group`: only the caller, who knows which ids are synths, can tell).
    Node { depth: usize, id: i32, word: String },
    /// `<3·depth+2 spaces>name: value …`: the controls of the synth on the line above, in a
    /// printout with controls (`/g_dumpTree G 1`). An array control's later values come
    /// without a name. Only the shape is checked here; `model::tree::dump` reads the values.
    Controls { depth: usize },
}

/// A SynthDef name is a pstring: 255 bytes at most. Longer lines are nobody's node line.
const MAX_NAME: usize = 255;
/// Deeper than any tree scsynth can hold (its `-n` tops out far lower).
const MAX_INDENT: usize = 3 * (1 << 22);

/// Parses one line of scsynth's output; `None` for anything that isn't a tree printout line.
pub(crate) fn parse_line(line: &str) -> Option<DumpLine> {
    if line.len() > MAX_INDENT + 12 + MAX_NAME {
        return None;
    }
    if let Some(rest) = line.strip_prefix("NODE TREE Group ") {
        return rest.trim_end().parse::<i32>().ok().map(DumpLine::Header);
    }
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent % 3 == 2 && indent >= 5 {
        return controls_line(indent, &line[indent..]);
    }
    if indent == 0 || !indent.is_multiple_of(3) {
        return None;
    }
    let rest = &line[indent..];
    let (id, word) = rest.split_once(' ')?;
    let digits = id.strip_prefix('-').unwrap_or(id);
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = id.parse::<i32>().ok()?;
    let word = word.trim_end();
    if word.is_empty() || word.len() > MAX_NAME || word.chars().any(char::is_control) {
        return None;
    }
    Some(DumpLine::Node {
        depth: indent / 3,
        id,
        word: word.to_string(),
    })
}

/// A controls line's body: its first word a name (`freq:`) or, for a control with no name,
/// a value (`0.5`, `c3`, `a20`, `nan`); nothing unprintable.
fn controls_line(indent: usize, body: &str) -> Option<DumpLine> {
    let first = body.split(' ').next().unwrap_or_default();
    let named = first.len() > 1 && first.ends_with(':');
    let bus = matches!(first.as_bytes().first(), Some(b'c' | b'a'))
        && first.len() > 1
        && first.bytes().skip(1).all(|b| b.is_ascii_digit());
    let value = bus || first.parse::<f32>().is_ok();
    if !(named || value) || body.chars().any(char::is_control) {
        return None;
    }
    Some(DumpLine::Controls {
        depth: (indent - 2) / 3,
    })
}

/// Whether a line of output belongs to a tree printout (the server log keeps those out while
/// a printout is read: see `ServerProcess::capture_printout`).
pub fn is_printout_line(line: &str) -> bool {
    parse_line(line).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_documented_lines() {
        assert_eq!(classify("SuperCollider 3 server ready."), LineKind::Ready);
        assert_eq!(
            classify("SuperCollider 3 server (scsynth) ready."),
            LineKind::Ready
        );
        assert_eq!(classify("Supernova ready"), LineKind::Ready);
        assert_eq!(
            classify("*** ERROR: failed to open UDP socket: address in use."),
            LineKind::PortInUse
        );
        assert_eq!(
            classify("Exception in World_OpenUDP: bind: Address already in use"),
            LineKind::PortInUse
        );
        assert_eq!(classify("could not initialize audio."), LineKind::NoAudio);
        assert_eq!(
            classify(
                "*** ERROR: open directory failed '/root/.local/share/SuperCollider/synthdefs'"
            ),
            LineKind::Warning
        );
        assert_eq!(classify("late 0.012345"), LineKind::Late);
        assert_eq!(
            classify("FAILURE IN SERVER /s_new SynthDef not found"),
            LineKind::Error
        );
        assert_eq!(
            classify("JackDriver: client name is 'SuperCollider'"),
            LineKind::Normal
        );
    }

    fn node(depth: usize, id: i32, word: &str) -> Option<DumpLine> {
        Some(DumpLine::Node {
            depth,
            id,
            word: word.into(),
        })
    }

    #[test]
    fn parses_the_printout_of_scsynth_3_13() {
        assert_eq!(parse_line("NODE TREE Group 0"), Some(DumpLine::Header(0)));
        assert_eq!(parse_line("   1 group"), node(1, 1, "group"));
        assert_eq!(
            parse_line("      1000 scpanel-meter-2"),
            node(2, 1000, "scpanel-meter-2")
        );
        // Ids scsynth gives itself (`/s_new … -1`) are negative.
        assert_eq!(parse_line("   -12 tone"), node(1, -12, "tone"));
        // A SynthDef name may hold spaces; trailing ones are the pipe reader's to trim.
        assert_eq!(parse_line("   7 my def  "), node(1, 7, "my def"));
    }
    #[test]
    fn controls_lines_are_printout_lines_two_spaces_deeper_than_their_synth() {
        let controls = |depth| Some(DumpLine::Controls { depth });
        assert_eq!(
            parse_line("     freq: 440 amp: 0.10000000149012 pan: c5"),
            controls(1)
        );
        assert_eq!(parse_line("        out: a20 gate: 1"), controls(2));
        // A SynthDef whose first control has no name prints its value alone.
        assert_eq!(parse_line("     0.5 1 2"), controls(1));
        assert_eq!(parse_line("     c12 amp: 1"), controls(1));
        assert_eq!(parse_line("     -inf"), controls(1));
    }

    #[test]
    fn odd_lines_are_no_printout_lines() {
        for line in [
            "",
            "NODE TREE Group",
            "NODE TREE Group x",
            "NODE TREE Group 99999999999",
            "1000 default",
            "  1000 default",
            "    1000 default",
            "   1000",
            "   1000 ",
            "   x1000 default",
            "   - default",
            "   99999999999 default",
            "   1000 bell\u{7}",
            "late 0.012",
            "FAILURE IN SERVER /g_dumpTree Group 99 not found",
            "SuperCollider 3 server ready.",
            "      freq: 440 amp: 0.1",
            "     ",
            "     freq",
            "     : 1",
            "     freq: 1\u{7}",
            "    freq: 1",
            "  freq: 1",
        ] {
            assert_eq!(parse_line(line), None, "{line:?}");
        }
        let long = format!("   1 {}", "x".repeat(MAX_NAME + 1));
        assert_eq!(parse_line(&long), None);
        let huge = " ".repeat(MAX_INDENT + 3) + "1 x" + &"y".repeat(400);
        assert_eq!(parse_line(&huge), None);
        assert!(matches!(
            parse_line(&format!("   1 {}", "é".repeat(100))),
            Some(DumpLine::Node { .. })
        ));
    }
}
