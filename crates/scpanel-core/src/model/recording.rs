//! A recording's format and its state while it runs; starting and stopping it is in
//! `ops::recorder`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The sound file type to record to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderFormat {
    /// WAVE (`.wav`).
    #[default]
    Wav,
    /// AIFF (`.aiff`).
    Aiff,
}

impl HeaderFormat {
    /// Every header format, for menus.
    pub const ALL: [HeaderFormat; 2] = [HeaderFormat::Wav, HeaderFormat::Aiff];
    /// scsynth's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderFormat::Wav => "wav",
            HeaderFormat::Aiff => "aiff",
        }
    }
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            HeaderFormat::Wav => "wav",
            HeaderFormat::Aiff => "aiff",
        }
    }
}

/// The sample format to record in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleFormat {
    /// 16-bit integer.
    Int16,
    /// 24-bit integer.
    #[default]
    Int24,
    /// 32-bit float (never clips).
    Float,
}

impl SampleFormat {
    /// Every sample format, for menus.
    pub const ALL: [SampleFormat; 3] = [
        SampleFormat::Int16,
        SampleFormat::Int24,
        SampleFormat::Float,
    ];
    /// scsynth's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            SampleFormat::Int16 => "int16",
            SampleFormat::Int24 => "int24",
            SampleFormat::Float => "float",
        }
    }
}

/// What to record, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOptions {
    /// The sound file to write.
    pub path: PathBuf,
    /// Its file type.
    pub header: HeaderFormat,
    /// Its sample format.
    pub sample: SampleFormat,
    /// How many outputs (from bus 0) to record.
    pub channels: u32,
}

/// A recording in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// What is being recorded, and where.
    pub options: RecordOptions,
    /// The recorder synth's node id.
    pub node: i32,
    /// The disk buffer (`DiskOut`'s) buffer number.
    pub buffer: i32,
    pub(crate) started: Instant,
    /// Time spent paused before the current pause (if any).
    pub(crate) paused_total: Duration,
    pub(crate) paused_since: Option<Instant>,
}

impl Recording {
    /// Whether the recording is paused (the recorder synth is off).
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

/// Where recordings go unless the user picks a place: the music folder, else where sclang
/// records (`Platform.recordingsDir`: `~/.local/share/SuperCollider/Recordings` on Linux), so
/// a machine without a music folder (a server, root) does not record into home itself.
pub fn default_folder() -> PathBuf {
    dirs::audio_dir()
        .or_else(|| dirs::data_dir().map(|d| d.join("SuperCollider").join("Recordings")))
        .unwrap_or_else(std::env::temp_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_never_default_to_home_itself() {
        // Root on Debian has no music folder: it was /root, a folder of dotfiles.
        assert_ne!(Some(default_folder()), dirs::home_dir());
    }
}
