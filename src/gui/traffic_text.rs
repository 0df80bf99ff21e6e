//! The console's log as text: one line per packet as the console prints it, and the export
//! of the whole log to a file (the console draws the lines; the runtime writes the file).

use scpanel_core::Direction;
use scpanel_core::osc::printable;

use crate::gui::bridge::TrafficLine;

/// A log line as the console prints it: `out /s_new …` or ` in /n_go …`.
pub(crate) fn line_text(t: &TrafficLine) -> String {
    let arrow = match t.direction {
        Direction::Sent => "out",
        Direction::Received => " in",
    };
    format!("{arrow} {}", printable(&t.text))
}

/// Writes the console's log to `path` as text, one line per packet: its time (UTC, to the
/// millisecond), then the line as the console prints it; first a note of the lines that fell
/// off the front of the log. Returns how many packets were written.
pub fn export_text(
    lines: &[TrafficLine],
    dropped: u64,
    path: &std::path::Path,
) -> Result<usize, String> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        if dropped > 0 {
            writeln!(
                out,
                "# {dropped} older packet{} fell off the console's log before this",
                if dropped == 1 { "" } else { "s" }
            )?;
        }
        for t in lines {
            writeln!(
                out,
                "{} {}",
                scpanel_core::clock::utc_millis(t.at),
                line_text(t)
            )?;
        }
        out.flush()
    };
    write()
        .map(|()| lines.len())
        .map_err(|e| format!("can't write {}: {e}", path.display()))
}

/// A log line at 01:02:03.045 UTC, for the tests of what reads the log.
#[cfg(test)]
pub(crate) fn line(direction: Direction, text: &str) -> TrafficLine {
    TrafficLine {
        at: std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(3_723_045),
        direction,
        text: text.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_writes_each_line_with_its_time_as_the_console_prints_it() {
        let dir =
            std::env::temp_dir().join(format!("scpanel-console-export-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder");
        let path = dir.join("traffic.txt");
        let lines = [
            line(Direction::Sent, "/s_new \"default\" 1000 0 1"),
            line(Direction::Received, "/fail /s_new \"bad\\n\u{1b}\""),
        ];
        assert_eq!(export_text(&lines, 3, &path), Ok(2));
        let text = std::fs::read_to_string(&path).expect("written");
        let expect: Vec<String> =
            std::iter::once("# 3 older packets fell off the console's log before this".to_string())
                .chain(
                    lines
                        .iter()
                        .map(|t| format!("01:02:03.045 UTC {}", line_text(t))),
                )
                .collect();
        assert_eq!(text.lines().collect::<Vec<_>>(), expect);
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|l| l.ends_with("out /s_new \"default\" 1000 0 1"))
        );
        assert!(
            !text.contains('\u{1b}'),
            "escapes are printed as the console shows them"
        );
        let e = export_text(&lines, 0, &dir.join("no/such/folder/x.txt")).unwrap_err();
        assert!(e.starts_with("can't write"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
