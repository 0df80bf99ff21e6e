//! Files a user (or anyone) names. Reading: a named pipe, a socket, a device or a folder
//! where a file is expected is refused at once with a sentence, never opened in a way that
//! can wait for ever, and no file is read past a bound. Writing: whole or not at all.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;

use thiserror::Error;

/// Why a file named from outside was not read.
#[derive(Debug, Error)]
pub enum FileError {
    /// Nothing is there.
    #[error("{path} does not exist: give the path of an existing {what}")]
    Missing {
        /// The path as given.
        path: String,
        /// The kind of file wanted ("session file").
        what: String,
    },
    /// Something other than an ordinary file is there.
    #[error("{path} is {kind}, not a {what}: {advice}")]
    NotAFile {
        /// The path as given.
        path: String,
        /// The kind of file wanted.
        what: String,
        /// What is there instead ("a named pipe (FIFO)").
        kind: &'static str,
        /// What to do instead.
        advice: &'static str,
    },
    /// Something other than a folder is there.
    #[error("{path} is {kind}, not a folder: give the path of a folder for the {what}")]
    NotAFolder {
        /// The path as given.
        path: String,
        /// What the folder is for ("recordings").
        what: String,
        /// What is there instead.
        kind: &'static str,
    },
    /// Larger than any file of its kind.
    #[error("{path} is larger than any {what} (at most {}): is it the right file?", size(*.max))]
    TooLarge {
        /// The path as given.
        path: String,
        /// The kind of file wanted.
        what: String,
        /// The bound, in bytes.
        max: u64,
    },
    /// The system refused.
    #[error("cannot read {what} {path}: {source}")]
    Io {
        /// The path as given.
        path: String,
        /// The kind of file wanted.
        what: String,
        /// The system's reason.
        source: std::io::Error,
    },
}

impl FileError {
    /// Whether nothing is at the path (a caller may treat that as "not made yet").
    pub fn is_missing(&self) -> bool {
        matches!(self, FileError::Missing { .. })
    }
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// What a path holds, as a sentence's object ("a named pipe (FIFO)").
pub fn kind_of(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        "a file"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not an ordinary file"
    }
}

fn not_a_file(path: &Path, what: &str, meta: &Metadata) -> FileError {
    FileError::NotAFile {
        path: path.display().to_string(),
        what: what.to_string(),
        kind: kind_of(meta),
        advice: if meta.is_dir() {
            "give the path of a file in it"
        } else {
            "give the path of an ordinary file (reading this one could wait for ever)"
        },
    }
}

fn io(path: &Path, what: &str, e: std::io::Error) -> FileError {
    if e.kind() == std::io::ErrorKind::NotFound {
        return FileError::Missing {
            path: path.display().to_string(),
            what: what.to_string(),
        };
    }
    FileError::Io {
        path: path.display().to_string(),
        what: what.to_string(),
        source: e,
    }
}

/// Opens an ordinary file for reading. The look before opening spares a device the open; the
/// look at the opened handle is the one that counts (the path may change in between), and
/// O_NONBLOCK keeps the open itself from waiting for a pipe's writer.
pub fn open_file(path: &Path, what: &str) -> Result<File, FileError> {
    let before = std::fs::metadata(path).map_err(|e| io(path, what, e))?;
    if !before.is_file() {
        return Err(not_a_file(path, what, &before));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(|e| {
        // A socket swapped in after the look can't be opened at all (ENXIO): say what it is.
        match std::fs::metadata(path) {
            Ok(m) if !m.is_file() => not_a_file(path, what, &m),
            _ => io(path, what, e),
        }
    })?;
    let meta = file.metadata().map_err(|e| io(path, what, e))?;
    if !meta.is_file() {
        return Err(not_a_file(path, what, &meta));
    }
    Ok(file)
}

/// The whole of an ordinary file of at most `max_bytes`; `what` names its kind in errors
/// ("session file").
pub fn read_bounded(path: &Path, max_bytes: u64, what: &str) -> Result<Vec<u8>, FileError> {
    let file = open_file(path, what)?;
    let too_large = || FileError::TooLarge {
        path: path.display().to_string(),
        what: what.to_string(),
        max: max_bytes,
    };
    if file.metadata().is_ok_and(|m| m.len() > max_bytes) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    // The length can grow after the look, and /proc files say 0: the read is bounded too.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io(path, what, e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The first `max_bytes` of an ordinary file, for a caller that only looks at its start.
pub fn read_head(path: &Path, max_bytes: u64, what: &str) -> Result<Vec<u8>, FileError> {
    let file = open_file(path, what)?;
    let mut bytes = Vec::new();
    file.take(max_bytes)
        .read_to_end(&mut bytes)
        .map_err(|e| io(path, what, e))?;
    Ok(bytes)
}

/// Checks that `path` is a folder (following links); `what` says what it is for
/// ("recordings").
pub fn expect_folder(path: &Path, what: &str) -> Result<(), FileError> {
    let meta = std::fs::metadata(path).map_err(|e| io(path, what, e))?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(FileError::NotAFolder {
            path: path.display().to_string(),
            what: what.to_string(),
            kind: kind_of(&meta),
        })
    }
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, flushed to the
/// disk, then renamed over it, so a reader (or a crash) sees the old file or the new one,
/// never half of one. `private` keeps it readable by the user only (a profile may hold a
/// password). The folder is made when missing.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool, what: &str) -> Result<(), FileError> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, what, e))?;
    let mut temp = tempfile::Builder::new()
        .prefix(".scpanel-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| io(path, what, e))?;
    // tempfile makes it 0600 already; a shared file gets the usual 0644.
    #[cfg(unix)]
    if !private {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| io(path, what, e))?;
    }
    temp.write_all(bytes).map_err(|e| io(path, what, e))?;
    temp.as_file().sync_all().map_err(|e| io(path, what, e))?;
    // A dropped temporary file deletes itself: a failed rename leaves nothing behind.
    temp.persist(path).map_err(|e| io(path, what, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    pub(crate) fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("scpanel-files-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub(crate) fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    #[test]
    fn a_fifo_a_folder_a_socket_and_a_device_are_refused_at_once() {
        let dir = temp_dir("kinds");
        let fifo = dir.join("pipe");
        mkfifo(&fifo);
        let sock = dir.join("sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let started = Instant::now();
        for (path, kind) in [
            (fifo.as_path(), "a named pipe (FIFO)"),
            (dir.as_path(), "a folder"),
            (sock.as_path(), "a socket"),
            (Path::new("/dev/zero"), "a character device"),
        ] {
            let e = read_bounded(path, 1024, "session file").unwrap_err();
            let text = e.to_string();
            assert!(matches!(e, FileError::NotAFile { .. }), "{text}");
            assert!(text.contains(&path.display().to_string()), "{text}");
            assert!(
                text.contains(&format!("is {kind}, not a session file")),
                "{text}"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        let e = read_bounded(&dir.join("none"), 1024, "profile").unwrap_err();
        assert!(e.is_missing(), "{e}");
        assert!(e.to_string().contains("does not exist"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_is_read_up_to_its_bound_and_no_further() {
        let dir = temp_dir("bound");
        let path = dir.join("f");
        std::fs::write(&path, vec![b'x'; 2048]).unwrap();
        assert_eq!(read_bounded(&path, 2048, "profile").unwrap().len(), 2048);
        let e = read_bounded(&path, 2047, "profile").unwrap_err();
        assert!(matches!(e, FileError::TooLarge { .. }), "{e}");
        assert!(e.to_string().contains("at most 2047 bytes"), "{e}");
        assert_eq!(read_head(&path, 10, "library").unwrap().len(), 10);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_folder_is_expected_and_a_file_or_fifo_is_not_one() {
        let dir = temp_dir("folder");
        assert!(expect_folder(&dir, "recordings").is_ok());
        let fifo = dir.join("pipe");
        mkfifo(&fifo);
        let file = dir.join("f");
        std::fs::write(&file, b"x").unwrap();
        for (path, kind) in [(&fifo, "a named pipe (FIFO)"), (&file, "a file")] {
            let e = expect_folder(path, "recordings").unwrap_err().to_string();
            assert!(
                e.contains(&format!("{} is {kind}, not a folder", path.display())),
                "{e}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_is_written_whole_and_private_when_asked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("scpanel-atomic-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("deeper").join("profile.toml");
        write_atomic(&path, b"first", true, "profile").expect("written");
        write_atomic(&path, b"second", true, "profile").expect("written over");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let mode = std::fs::metadata(&path)
            .expect("there")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        write_atomic(&path, b"third", false, "roster").expect("written");
        let mode = std::fs::metadata(&path)
            .expect("there")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
        let left: Vec<_> = std::fs::read_dir(path.parent().expect("a folder"))
            .expect("listed")
            .collect();
        assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
        // A folder where the file should go: an error, and the folder untouched.
        assert!(write_atomic(&dir, b"x", false, "roster").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
