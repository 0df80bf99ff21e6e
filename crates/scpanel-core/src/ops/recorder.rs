//! Recording the server's outputs to a sound file, as sclang's `Recorder` does: a buffer
//! opened for writing (`/b_write … leaveOpen`) fed by a `DiskOut` synth after the volume.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rosc::{OscPacket, OscType};

use std::sync::{Arc, Mutex};

use crate::error::{Result, ServerError};
use crate::link::Link;
use crate::ops::own_nodes::{Own, OwnGroup};
use crate::ops::synthdefs::SynthDefs;
use crate::ops::{buffers, nodes};
use crate::wire::connection::SYNC_TIMEOUT;
use crate::wire::protocol::{Expect, msg};

pub use crate::model::recording::*;

/// Frames in the disk buffer: a power of two, as `DiskOut` needs, about a second of audio.
const DISK_BUFFER_FRAMES: i32 = 65536;

/// What the recorder keeps between calls, one per handle.
#[derive(Default)]
pub(crate) struct State {
    recording: Mutex<Option<Recording>>,
    /// One task at a time starts, pauses or stops the recorder.
    one_at_a_time: tokio::sync::Mutex<()>,
}

impl State {
    /// The server went away, and the recording with it.
    pub fn forget(&self) {
        if let Ok(mut r) = self.recording.lock() {
            r.take();
        }
    }
}

/// Recording the server's outputs to a sound file ([`Server::recorder`](crate::Server::recorder)).
#[derive(Clone)]
pub struct Recorder {
    pub(crate) link: Arc<Link>,
    pub(crate) state: Arc<State>,
    pub(crate) own: Arc<OwnGroup>,
    pub(crate) defs: SynthDefs,
}

impl Recorder {
    /// The recording in progress, if any.
    pub fn recording(&self) -> Option<Recording> {
        self.state.recording.lock().ok()?.clone()
    }

    /// Starts recording the first `channels` outputs to a file. A folder (or an empty path)
    /// gets a timestamped name inside it; a file that exists is never overwritten (`-2`,
    /// `-3`… is added). The file actually written is in [`Recorder::recording`].
    pub async fn start(&self, mut options: RecordOptions) -> Result<()> {
        // One start at a time: a double click waits here, then finds the first recording.
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
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
        let conn = self.link.online()?.conn.clone();
        let wanted = resolve_path(&options.path, options.header);
        check_folder(&wanted)?;
        options.path = claim_file(&wanted)?;
        let started = self.start_recorder(&conn, &options).await;
        match started {
            Ok((node, buffer)) => {
                if let Ok(mut r) = self.state.recording.lock() {
                    *r = Some(Recording {
                        options,
                        node,
                        buffer,
                        started: Instant::now(),
                        paused_total: Duration::ZERO,
                        paused_since: None,
                    });
                }
                self.link.shared.changed();
                Ok(())
            }
            Err(e) => {
                // Only the empty file we claimed: never anything the server wrote.
                if std::fs::metadata(&options.path).is_ok_and(|m| m.len() == 0) {
                    let _ = std::fs::remove_file(&options.path);
                }
                Err(e)
            }
        }
    }

    async fn start_recorder(
        &self,
        conn: &crate::wire::connection::Connection,
        options: &RecordOptions,
    ) -> Result<(i32, i32)> {
        let buffer = buffers::add(&self.link, DISK_BUFFER_FRAMES, options.channels as i32).await?;
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
            let _ = buffers::free(&self.link, buffer).await;
            return Err(e);
        }
        // Last in scpanel's own group, after the volume: the file has what the speakers get.
        let def = format!("scpanel-recorder-{}", options.channels);
        match self
            .own
            .add_synth(
                &self.link,
                &self.defs,
                Own::Recorder,
                &def,
                &[("in", 0.0), ("bufnum", buffer as f32)],
            )
            .await
        {
            Ok(node) => Ok((node, buffer)),
            Err(e) => {
                let _ = self.close_buffer(buffer).await;
                let _ = buffers::free(&self.link, buffer).await;
                Err(e)
            }
        }
    }

    /// Pauses the recording (the recorder synth stops writing).
    pub async fn pause(&self) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        let rec = self.recording().ok_or_else(not_recording)?;
        if rec.is_paused() {
            return Ok(());
        }
        nodes::run(&self.link, rec.node, false).await?;
        self.update_recording(|r| r.paused_since = Some(Instant::now()));
        Ok(())
    }

    /// Resumes a paused recording.
    pub async fn resume(&self) -> Result<()> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        let rec = self.recording().ok_or_else(not_recording)?;
        if !rec.is_paused() {
            return Ok(());
        }
        nodes::run(&self.link, rec.node, true).await?;
        self.update_recording(|r| {
            if let Some(p) = r.paused_since.take() {
                r.paused_total += p.elapsed();
            }
        });
        Ok(())
    }

    /// Stops, closes the file (complete and readable once this returns) and frees the buffer.
    /// The file is closed even when freeing the recorder synth fails; if closing fails, the
    /// recording stays in place so that stopping can be tried again.
    pub async fn stop(&self) -> Result<PathBuf> {
        let _one_at_a_time = self.state.one_at_a_time.lock().await;
        let rec = self.recording().ok_or_else(not_recording)?;
        // A synth already gone (freed by someone else) leaves a file still to close.
        if let Err(e) = nodes::free(&self.link, rec.node).await {
            self.link
                .shared
                .note(format!("stopping the recorder synth {}: {e}", rec.node));
        }
        self.close_buffer(rec.buffer).await?;
        if let Err(e) = buffers::free(&self.link, rec.buffer).await {
            self.link
                .shared
                .note(format!("freeing the recording buffer {}: {e}", rec.buffer));
        }
        if let Ok(mut r) = self.state.recording.lock() {
            r.take();
        }
        self.link.shared.changed();
        Ok(rec.options.path)
    }

    fn update_recording(&self, f: impl FnOnce(&mut Recording)) {
        if let Ok(mut r) = self.state.recording.lock()
            && let Some(r) = r.as_mut()
        {
            f(r);
        }
        self.link.shared.changed();
    }

    async fn close_buffer(&self, buffer: i32) -> Result<()> {
        let conn = self.link.online()?.conn.clone();
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

/// `scpanel-2026-11-30-192311.wav`, in local time.
pub(crate) fn timestamped_name(header: HeaderFormat) -> String {
    format!(
        "scpanel-{}.{}",
        crate::model::clock::file_stamp(std::time::SystemTime::now()),
        header.extension()
    )
}

/// A folder (or nothing) becomes a timestamped file in it; a file path stays as it is. The
/// default folder is made when it is not there yet (sclang's is, on its first recording).
fn resolve_path(path: &Path, header: HeaderFormat) -> PathBuf {
    let default = default_folder();
    if path.as_os_str().is_empty() || path == default {
        // When it can't be made, the check of the folder says why.
        let _ = std::fs::create_dir_all(&default);
        default.join(timestamped_name(header))
    } else if path.is_dir() {
        path.join(timestamped_name(header))
    } else {
        path.to_path_buf()
    }
}

/// How many `-N` names are tried before giving up.
const MAX_SUFFIX: u32 = 999;

/// Creates `path`, or `name-2.ext`, `name-3.ext`… if it exists, and returns the one made.
/// Creating it (exclusively) claims the name, so two recordings can't pick the same one.
pub(crate) fn claim_file(path: &Path) -> Result<PathBuf> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    for n in 1..=MAX_SUFFIX {
        let candidate = if n == 1 {
            path.to_path_buf()
        } else {
            let name = match &ext {
                Some(ext) => format!("{stem}-{n}.{ext}"),
                None => format!("{stem}-{n}"),
            };
            path.with_file_name(name)
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(_) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(ServerError::Io(format!(
                    "cannot record to {}: {e}",
                    candidate.display()
                )));
            }
        }
    }
    Err(ServerError::Io(format!(
        "cannot record to {}: it and {MAX_SUFFIX} numbered names beside it exist; pick another name",
        path.display()
    )))
}

fn check_folder(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match crate::files::expect_folder(dir, "recordings") {
        Ok(()) => {}
        Err(e) if e.is_missing() => {
            return Err(ServerError::Io(format!(
                "cannot record to {}: the folder {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        Err(e) => {
            return Err(ServerError::Io(format!(
                "cannot record to {}: {e}",
                path.display()
            )));
        }
    }
    // The server would open a pipe or device there and wait on it, or write into it.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(ServerError::Io(format!(
            "cannot record to {}: it is {}; give a new file's name or a folder",
            path.display(),
            crate::files::kind_of(&meta)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_overwrites_a_file() {
        let dir = std::env::temp_dir().join(format!("scpanel-claim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("take.wav");
        std::fs::write(&path, b"precious").unwrap();
        assert_eq!(claim_file(&path).unwrap(), dir.join("take-2.wav"));
        assert_eq!(claim_file(&path).unwrap(), dir.join("take-3.wav"));
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        let named = resolve_path(&dir, HeaderFormat::Aiff);
        assert_eq!(named.parent(), Some(dir.as_path()));
        let name = named.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("scpanel-20") && name.ends_with(".aiff") && name.len() == 30,
            "{name}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_fifo_or_file_where_the_folder_should_be_is_refused() {
        let dir = std::env::temp_dir().join(format!("scpanel-rec-fifo-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let file = dir.join("file");
        std::fs::write(&file, b"x").unwrap();
        for (parent, kind) in [(&fifo, "a named pipe (FIFO)"), (&file, "a file")] {
            let e = check_folder(&parent.join("take.wav"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!("{} is {kind}, not a folder", parent.display())),
                "{e}"
            );
        }
        // A pipe given as the recording itself: the server would wait on it for ever.
        let e = check_folder(&fifo).unwrap_err().to_string();
        assert!(e.contains("it is a named pipe (FIFO)"), "{e}");
        // A folder named as the recording becomes a timestamped file in it.
        assert!(check_folder(&resolve_path(&dir, HeaderFormat::Wav)).is_ok());
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[cfg(test)]
mod scripted_tests {
    use super::*;
    use crate::link::scripted;

    fn recorder(link: &Arc<Link>) -> Recorder {
        Recorder {
            link: link.clone(),
            state: Arc::new(State::default()),
            own: Arc::new(OwnGroup::default()),
            defs: crate::ops::no_synthdefs(link),
        }
    }

    #[tokio::test]
    async fn a_channel_count_out_of_range_sends_nothing() {
        let (link, script) = scripted::link().await;
        let options = RecordOptions {
            path: std::env::temp_dir(),
            header: HeaderFormat::Wav,
            sample: SampleFormat::Int24,
            channels: 0,
        };
        assert!(recorder(&link).start(options).await.is_err());
        assert!(script.received.lock().expect("script").is_empty());
    }

    #[tokio::test]
    async fn a_refused_file_frees_the_disk_buffer_and_the_empty_file() {
        let (link, script) = scripted::link().await;
        script.refuse("/b_write");
        let dir = std::env::temp_dir().join(format!("scpanel-rec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let path = dir.join("take.wav");
        let options = RecordOptions {
            path: path.clone(),
            header: HeaderFormat::Wav,
            sample: SampleFormat::Int24,
            channels: 2,
        };
        let recorder = recorder(&link);
        assert!(recorder.start(options).await.is_err());
        assert_eq!(script.sent("/b_free").len(), 1, "the buffer went back");
        assert!(!path.exists(), "the empty file claimed is gone");
        assert!(recorder.recording().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn stopping_with_nothing_recording_says_so() {
        let (link, script) = scripted::link().await;
        assert!(recorder(&link).stop().await.is_err());
        assert!(script.received.lock().expect("script").is_empty());
    }
}
