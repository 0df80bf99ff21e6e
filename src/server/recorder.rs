//! Recording the server's outputs to a sound file, as sclang's `Recorder` does: a buffer
//! opened for writing (`/b_write … leaveOpen`) fed by a `DiskOut` synth after the volume.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rosc::{OscPacket, OscType};

use super::Server;
use super::connection::SYNC_TIMEOUT;
use super::error::{Result, ServerError};
use super::own_nodes::Own;
use super::protocol::{Expect, msg};

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
    started: Instant,
    /// Time spent paused before the current pause (if any).
    paused_total: Duration,
    paused_since: Option<Instant>,
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

/// Frames in the disk buffer: a power of two, as `DiskOut` needs, about a second of audio.
const DISK_BUFFER_FRAMES: i32 = 65536;

impl Server {
    pub fn recording(&self) -> Option<Recording> {
        self.shared().recording.lock().ok()?.clone()
    }

    /// Starts recording the first `channels` outputs to a file.
    pub async fn start_recording(&self, options: RecordOptions) -> Result<()> {
        if self.recording().is_some() {
            return Err(ServerError::Fail {
                command: "record".into(),
                message: "already recording: stop first".into(),
            });
        }
        if options.channels == 0 || options.channels > 128 {
            return Err(ServerError::Fail {
                command: "record".into(),
                message: "record between 1 and 128 channels".into(),
            });
        }
        check_folder(&options.path)?;
        let conn = self.online()?.conn.clone();
        let buffer = self
            .add_buffer(DISK_BUFFER_FRAMES, options.channels as i32)
            .await?;
        let write = conn
            .request(
                OscPacket::Message(msg(
                    "/b_write",
                    [
                        OscType::Int(buffer),
                        OscType::String(options.path.display().to_string()),
                        OscType::String(options.header.as_str().into()),
                        OscType::String(options.sample.as_str().into()),
                        OscType::Int(0),
                        OscType::Int(0),
                        OscType::Int(1),
                    ],
                )),
                Expect::Done {
                    command: "/b_write".into(),
                    id: Some(buffer),
                },
                SYNC_TIMEOUT,
            )
            .await;
        if let Err(e) = write {
            let _ = self.free_buffer(buffer).await;
            return Err(e);
        }
        // Last in scpanel's own group, after the volume: the file has what the speakers get.
        let def = format!("scpanel-recorder-{}", options.channels);
        let node = match self
            .add_own_synth(
                Own::Recorder,
                &def,
                &[("in", 0.0), ("bufnum", buffer as f32)],
            )
            .await
        {
            Ok(n) => n,
            Err(e) => {
                let _ = self.close_buffer(buffer).await;
                let _ = self.free_buffer(buffer).await;
                return Err(e);
            }
        };
        if let Ok(mut r) = self.shared().recording.lock() {
            *r = Some(Recording {
                options,
                node,
                buffer,
                started: Instant::now(),
                paused_total: Duration::ZERO,
                paused_since: None,
            });
        }
        self.shared().changed();
        Ok(())
    }

    pub async fn pause_recording(&self) -> Result<()> {
        let rec = self.recording().ok_or_else(not_recording)?;
        if rec.is_paused() {
            return Ok(());
        }
        self.pause_node(rec.node).await?;
        self.update_recording(|r| r.paused_since = Some(Instant::now()));
        Ok(())
    }

    pub async fn resume_recording(&self) -> Result<()> {
        let rec = self.recording().ok_or_else(not_recording)?;
        if !rec.is_paused() {
            return Ok(());
        }
        self.run_node(rec.node).await?;
        self.update_recording(|r| {
            if let Some(p) = r.paused_since.take() {
                r.paused_total += p.elapsed();
            }
        });
        Ok(())
    }

    /// Stops, closes the file (complete and readable once this returns) and frees the buffer.
    pub async fn stop_recording(&self) -> Result<PathBuf> {
        let rec = self.recording().ok_or_else(not_recording)?;
        let result = async {
            self.free_node(rec.node).await?;
            self.close_buffer(rec.buffer).await?;
            self.free_buffer(rec.buffer).await
        }
        .await;
        if let Ok(mut r) = self.shared().recording.lock() {
            r.take();
        }
        self.shared().changed();
        result.map(|_| rec.options.path)
    }

    fn update_recording(&self, f: impl FnOnce(&mut Recording)) {
        if let Ok(mut r) = self.shared().recording.lock()
            && let Some(r) = r.as_mut()
        {
            f(r);
        }
        self.shared().changed();
    }

    async fn close_buffer(&self, buffer: i32) -> Result<()> {
        let conn = self.online()?.conn.clone();
        conn.request(
            OscPacket::Message(msg("/b_close", [OscType::Int(buffer)])),
            Expect::Done {
                command: "/b_close".into(),
                id: Some(buffer),
            },
            SYNC_TIMEOUT,
        )
        .await
        .map(|_| ())
    }
}

fn not_recording() -> ServerError {
    ServerError::Fail {
        command: "record".into(),
        message: "not recording".into(),
    }
}

fn check_folder(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(ServerError::Io(format!(
            "cannot record to {}: the folder {} does not exist",
            path.display(),
            dir.display()
        )));
    }
    if !path.is_absolute() {
        return Err(ServerError::Io(format!(
            "record to a full path (the server's folder is not this one): {}",
            path.display()
        )));
    }
    Ok(())
}
