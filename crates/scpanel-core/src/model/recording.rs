//! A recording's format and its state while it runs; starting and stopping it is in
//! `ops::recorder`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderFormat {
    #[default]
    Wav,
    Aiff,
}

impl HeaderFormat {
    pub const ALL: [HeaderFormat; 2] = [HeaderFormat::Wav, HeaderFormat::Aiff];
    /// scsynth's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderFormat::Wav => "wav",
            HeaderFormat::Aiff => "aiff",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            HeaderFormat::Wav => "wav",
            HeaderFormat::Aiff => "aiff",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleFormat {
    Int16,
    #[default]
    Int24,
    Float,
}

impl SampleFormat {
    pub const ALL: [SampleFormat; 3] = [
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Float,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SampleFormat::Int16 => "int16",
            SampleFormat::Int24 => "int24",
            SampleFormat::Float => "float",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecordOptions {
    pub path: PathBuf,
    pub header: HeaderFormat,
    pub sample: SampleFormat,
    /// How many outputs (from bus 0) to record.
    pub channels: u32,
}

/// A recording in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub options: RecordOptions,
    pub node: i32,
    pub buffer: i32,
    pub(crate) started: Instant,
    /// Time spent paused before the current pause (if any).
    pub(crate) paused_total: Duration,
    pub(crate) paused_since: Option<Instant>,
}

impl Recording {
    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// Recorded time, pauses left out.
    pub fn elapsed(&self) -> Duration {
        let now = Instant::now();
        let paused = self.paused_total + self.paused_since.map_or(Duration::ZERO, |p| now - p);
        now.duration_since(self.started).saturating_sub(paused)
    }

    /// The file's size so far (the server writes it; we only look).
    pub fn file_size(&self) -> u64 {
        std::fs::metadata(&self.options.path).map_or(0, |m| m.len())
    }
}
