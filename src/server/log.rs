//! The server's output, kept as a bounded log for the GUI and the CLI.

use std::collections::VecDeque;
use std::time::SystemTime;

use super::process::LineKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
    /// Written by scpanel itself (boot command line, lifecycle notes).
    App,
}

#[derive(Debug, Clone)]
pub struct LogLine {
    pub at: SystemTime,
    pub stream: Stream,
    pub kind: LineKind,
    pub text: String,
}

impl LogLine {
    pub fn new(stream: Stream, kind: LineKind, text: String) -> Self {
        LogLine {
            at: SystemTime::now(),
            stream,
            kind,
            text,
        }
    }
}

/// A ring of the latest lines, with counters that survive the ring's turnover.
#[derive(Debug)]
pub struct ServerLog {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Lines ever pushed: lets a reader fetch only what is new.
    pub total: u64,
    pub late: u64,
    pub errors: u64,
}

impl Default for ServerLog {
    fn default() -> Self {
        ServerLog::with_capacity(10_000)
    }
}

impl ServerLog {
    pub fn with_capacity(capacity: usize) -> Self {
        ServerLog {
            lines: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            total: 0,
            late: 0,
            errors: 0,
        }
    }

    pub fn push(&mut self, line: LogLine) {
        match line.kind {
            LineKind::Late => self.late += 1,
            LineKind::Error | LineKind::PortInUse | LineKind::NoAudio => self.errors += 1,
            _ => {}
        }
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
        self.total += 1;
    }

    pub fn note(&mut self, text: impl Into<String>) {
        self.push(LogLine::new(Stream::App, LineKind::Normal, text.into()));
    }

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

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

#[cfg(test)]
mod tests {
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
}
