//! A show's files on disk: the `show-*.sqlite` file, its `-wal` and `-shm`, and the
//! `.lock` its writer holds. What the reader, the writer and retention all need.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use super::error::JournalError;

/// The `show-*.sqlite` files in `folder`.
pub(super) fn show_files(folder: &Path) -> Result<Vec<PathBuf>, JournalError> {
    let entries = match fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(JournalError::Read {
                path: folder.to_path_buf(),
                detail: e.to_string(),
            });
        }
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("show-") && n.ends_with(".sqlite"))
                && p.is_file()
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The file's bytes with its `-wal` and `-shm`.
pub(super) fn show_bytes(path: &Path) -> u64 {
    [path.to_path_buf(), side(path, "-wal"), side(path, "-shm")]
        .iter()
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

pub(super) fn side(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// `<show>.lock`: held (flock) by the writer while it writes.
pub(super) fn lock_path(path: &Path) -> PathBuf {
    side(path, ".lock")
}

/// Removes a show's file, `-wal` and `-shm` (what isn't there is no error).
pub(super) fn remove_show_files(path: &Path) {
    for p in [path.to_path_buf(), side(path, "-wal"), side(path, "-shm")] {
        let _ = fs::remove_file(p);
    }
}

/// Creates `path` and holds an exclusive lock on it while the file stays open.
pub(super) fn hold_lock(path: &Path) -> io::Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid descriptor, owned by `file` for the call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(file)
}

/// Whether a writer (in any process) holds `path`'s lock.
pub(super) fn is_locked(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid descriptor, owned by `file` for the call. The lock, if taken,
        // goes with the descriptor when `file` is dropped.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
    }
    #[cfg(not(unix))]
    {
        drop(file);
        false
    }
}
