//! The server's output, kept as a bounded log for the GUI and the CLI.

use std::collections::VecDeque;
use std::time::SystemTime;

/// What a line of server output means for boot and for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The server says it is ready (`… server ready.`): boot is done.
    Ready,
    /// The port to listen on is taken.
    PortInUse,
    /// No audio device (JACK not running, device not found).
    NoAudio,
    /// An error the server reports.
    Error,
    /// A warning the server prints.
    Warning,
    /// A `late` line: a bundle came after its time stamp.
    Late,
    /// Anything else.
    Normal,
}

/// How late the bundle of a `late 0.012` line came, in seconds: the one reader of those
/// lines (the doctor, the flight recorder).
pub fn late_seconds(kind: LineKind, text: &str) -> Option<f64> {
    if kind != LineKind::Late {
        return None;
    }
    text.trim()
        .strip_prefix("late ")
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The server's standard output.
    Stdout,
    /// The server's standard error.
    Stderr,
    /// Written by scpanel itself (boot command line, lifecycle notes).
    App,
}

/// Lines the reader should find at a glance, beyond what the server's own words say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mark {
    /// An ordinary line.
    #[default]
    None,
    /// The first line of a server run: when, which pid, which program.
    RunStart,
    /// The server ended without being asked to.
    Crash,
}

/// One line of the server log.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// When it was read.
    pub at: SystemTime,
    /// Where it came from.
    pub stream: Stream,
    /// What it means.
    pub kind: LineKind,
    /// Whether to make it stand out.
    pub mark: Mark,
    /// The line, as printed.
    pub text: String,
}

impl LogLine {
    /// A line read now, unmarked.
    pub fn new(stream: Stream, kind: LineKind, text: String) -> Self {
        LogLine {
            at: SystemTime::now(),
            stream,
            kind,
            mark: Mark::None,
            text,
        }
    }

    /// How late a `late 0.012` line's bundle came, in seconds (finite, not negative).
    pub fn late_seconds(&self) -> Option<f64> {
        late_seconds(self.kind, &self.text)
    }

    /// Whether the line reports a failure (an error, a taken port, no audio, a crash).
    pub fn is_error(&self) -> bool {
        self.mark == Mark::Crash
            || matches!(
                self.kind,
                LineKind::Error | LineKind::PortInUse | LineKind::NoAudio
            )
    }
}

/// The most lines [`ServerLog::trace_of`] gathers for one trace (a synth of a few hundred
/// UGens prints three lines each).
pub const TRACE_LINES: usize = 2000;

/// A ring of the latest lines, with counters that survive the ring's turnover.
#[derive(Debug)]
pub struct ServerLog {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Lines ever pushed: lets a reader fetch only what is new.
    pub total: u64,
    /// Late-bundle lines ever pushed.
    pub late: u64,
    /// Error lines ever pushed.
    pub errors: u64,
}

impl Default for ServerLog {
    fn default() -> Self {
        ServerLog::with_capacity(10_000)
    }
}

impl ServerLog {
    /// An empty log keeping the latest `capacity` lines.
    pub fn with_capacity(capacity: usize) -> Self {
        ServerLog {
            lines: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            total: 0,
            late: 0,
            errors: 0,
        }
    }

    /// Adds a line, dropping the oldest when full, and counts late and error lines.
    pub fn push(&mut self, line: LogLine) {
        if line.is_error() {
            self.errors += 1;
        } else if line.kind == LineKind::Late {
            self.late += 1;
        }
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.total += 1;
    }

    /// Adds a line of our own ([`Stream::App`]).
    pub fn note(&mut self, text: impl Into<String>) {
        self.push(LogLine::new(Stream::App, LineKind::Normal, text.into()));
    }

    /// Separates one server run from the next: when it started, its pid and its program.
    pub(crate) fn run_started(&mut self, pid: u32, program: &str) {
        let mut line = LogLine::new(Stream::App, LineKind::Normal, String::new());
        line.text = format!(
            "server run started {} \u{B7} pid {pid} \u{B7} {program}",
            crate::model::clock::utc_millis(line.at)
        );
        line.mark = Mark::RunStart;
        self.push(line);
    }

    /// The server ended by itself: said in the colour of an error, counted as one.
    pub fn crash(&mut self, text: impl Into<String>) {
        let mut line = LogLine::new(Stream::App, LineKind::Error, text.into());
        line.mark = Mark::Crash;
        self.push(line);
    }

    /// What the server printed for the latest `/n_trace` of `node`: its header (`TRACE 1001
    /// default #units: 7`, `TRACE Group 1000`) and the indented lines under it, at most
    /// [`TRACE_LINES`]. `None` while the log holds no trace of that node.
    pub fn trace_of(&self, node: i32) -> Option<Vec<String>> {
        let synth = format!("TRACE {node} ");
        let group = format!("TRACE Group {node}");
        let start = self.lines.iter().rposition(|l| {
            l.stream == Stream::Stdout && (l.text.starts_with(&synth) || l.text.trim_end() == group)
        })?;
        let mut out = vec![self.lines[start].text.clone()];
        for l in self.lines.iter().skip(start + 1) {
            // The trace ends at a line that is not indented (or blank), or at our own notes.
            if l.stream != Stream::Stdout
                || !l.text.starts_with(char::is_whitespace)
                || l.text.trim().is_empty()
                || out.len() >= TRACE_LINES
            {
                break;
            }
            out.push(l.text.clone());
        }
        Some(out)
    }

    /// The lines kept, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = &LogLine> {
        self.lines.iter()
    }

    /// Lines pushed after the `seen`-th one (as many as the ring still holds).
    pub fn since(&self, seen: u64) -> impl Iterator<Item = &LogLine> {
        let new = self.total.saturating_sub(seen).min(self.lines.len() as u64) as usize;
        self.lines.iter().skip(self.lines.len() - new)
    }

    /// The last `n` lines of the server's own output, for error messages.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let mut v: Vec<String> = self
            .lines
            .iter()
            .rev()
            .filter(|l| l.stream != Stream::App)
            .take(n)
            .map(|l| l.text.clone())
            .collect();
        v.reverse();
        v
    }

    /// How many lines are kept.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// Whether no line is kept.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_trace_is_gathered_under_its_node_and_ends_where_the_printout_does() {
        let mut log = ServerLog::default();
        let out = |log: &mut ServerLog, t: &str| {
            log.push(LogLine::new(
                Stream::Stdout,
                LineKind::Normal,
                t.to_string(),
            ))
        };
        assert_eq!(log.trace_of(1001), None);
        for t in [
            "TRACE Group 1000",
            "   1001 scpanel-sine",
            "",
            "TRACE 1001  scpanel-sine    #units: 2",
            "  unit 0 Control",
            "    in ",
            "    out 440 0",
            "  unit 1 Out",
            "    in  0 0",
            "    out ",
            "late 0.1",
        ] {
            out(&mut log, t);
        }
        assert_eq!(
            log.trace_of(1000),
            Some(vec![
                "TRACE Group 1000".into(),
                "   1001 scpanel-sine".into()
            ])
        );
        let synth = log.trace_of(1001).expect("the synth's trace");
        assert_eq!(synth.len(), 7, "{synth:?}");
        assert_eq!(synth[1], "  unit 0 Control");
        // 100 is not 1001's prefix: no trace of it.
        assert_eq!(log.trace_of(100), None);
        // A later trace of the same node replaces the first.
        out(&mut log, "TRACE 1001  scpanel-sine    #units: 2");
        log.note("ours");
        assert_eq!(log.trace_of(1001).map(|t| t.len()), Some(1));
    }

    use super::*;

    #[test]
    fn ring_is_bounded_and_since_reads_only_new_lines() {
        let mut log = ServerLog::with_capacity(3);
        for i in 0..5 {
            log.push(LogLine::new(
                Stream::Stdout,
                LineKind::Normal,
                format!("l{i}"),
            ));
        }
        log.push(LogLine::new(
            Stream::Stdout,
            LineKind::Late,
            "late 0.1".into(),
        ));
        assert_eq!(log.len(), 3);
        assert_eq!(log.total, 6);
        assert_eq!(log.late, 1);
        let new: Vec<_> = log.since(4).map(|l| l.text.as_str()).collect();
        assert_eq!(new, ["l4", "late 0.1"]);
        assert_eq!(log.since(0).count(), 3);
        assert_eq!(log.tail(2), ["l4", "late 0.1"]);
    }

    #[test]
    fn a_run_separator_names_the_pid_and_program_and_a_crash_counts_as_an_error() {
        let mut log = ServerLog::default();
        log.run_started(4242, "/usr/bin/scsynth");
        log.crash("the server process ended by itself (signal 11)");
        let lines: Vec<_> = log.lines().collect();
        assert_eq!(lines[0].mark, Mark::RunStart);
        assert!(lines[0].text.contains("pid 4242"), "{}", lines[0].text);
        assert!(lines[0].text.contains("/usr/bin/scsynth"));
        assert!(
            lines[0].text.contains(" UTC"),
            "the start time: {}",
            lines[0].text
        );
        assert!(!lines[0].is_error());
        assert_eq!(lines[1].mark, Mark::Crash);
        assert!(lines[1].is_error());
        assert_eq!(log.errors, 1);
    }
}
