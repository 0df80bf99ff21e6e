//! Keeping the shows' folder bounded: by age and total size, oldest first, never a show
//! being written.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::error::JournalError;
use super::micros;
use super::reader::Show;
use super::show_files::{is_locked, lock_path, remove_show_files, show_bytes, show_files, side};

/// How much of the past is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Shows that ended longer ago than this go (default 30 days).
    pub max_age: Duration,
    /// The folder's shows together stay under this many bytes (default 1 GB).
    pub max_bytes: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_age: Duration::from_secs(30 * 24 * 3600),
            max_bytes: 1_000_000_000,
        }
    }
}

/// What [`prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pruned {
    /// The show files removed, oldest first.
    pub removed: Vec<PathBuf>,
    /// The bytes they took.
    pub freed: u64,
    /// The shows left, and their bytes.
    pub kept: usize,
    /// The bytes the shows left take.
    pub bytes: u64,
}

/// Removes shows from `folder` that ended more than `max_age` ago, then the oldest until
/// the rest take at most `max_bytes`. Never `current`, nor a show another writer holds
/// (its `.lock`). Run it at start and hourly. A missing folder is nothing to do. A show
/// kept that a killed writer left with a `-wal` beside it is folded into one file (so it
/// can be sent as one).
pub fn prune(
    folder: &Path,
    retention: &Retention,
    current: Option<&Path>,
) -> Result<Pruned, JournalError> {
    let current = current.map(|c| fs::canonicalize(c).unwrap_or_else(|_| c.to_path_buf()));
    let mut shows = Vec::new();
    for path in show_files(folder)? {
        let bytes = show_bytes(&path);
        // A file that can't be read as a show still takes room: its age is its mtime.
        let (started, last) = match Show::open(&path) {
            Ok(show) => {
                let info = show.info();
                (
                    micros(info.started),
                    micros(info.ended.unwrap_or(info.last)),
                )
            }
            Err(_) => {
                let m = fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .map_or(0, micros);
                (m, m)
            }
        };
        let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        let spared = current.as_ref() == Some(&canonical) || is_locked(&lock_path(&path));
        shows.push((started, last, bytes, path, spared));
    }
    shows.sort_by_key(|s| (s.0, s.3.clone()));
    let mut total: u64 = shows.iter().map(|s| s.2).sum();
    let oldest_kept = micros(SystemTime::now())
        .saturating_sub(i64::try_from(retention.max_age.as_micros()).unwrap_or(i64::MAX));
    let mut pruned = Pruned::default();
    for (_, last, bytes, path, spared) in shows {
        let too_old = last < oldest_kept;
        if !spared && (too_old || total > retention.max_bytes) {
            remove_show_files(&path);
            let _ = fs::remove_file(lock_path(&path));
            if !path.exists() {
                total = total.saturating_sub(bytes);
                pruned.freed += bytes;
                pruned.removed.push(path);
                continue;
            }
        }
        pruned.kept += 1;
        if !spared && side(&path, "-wal").exists() {
            settle(&path);
        }
    }
    pruned.bytes = total;
    Ok(pruned)
}

/// Folds what a killed writer left in `-wal` into the file and leaves it one file in
/// rollback-journal mode, as a closed show is (its `ended` stays empty: it was cut short).
/// Only for a show no writer holds; failures leave it as it was (still readable).
fn settle(path: &Path) {
    let Ok(conn) = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return;
    };
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    let _ = conn.query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()));
}
