//! A mark from another process (`scpanel mark TEXT` in a performer's script) into the show
//! being written now: the running app's writer and this one take turns on the file (SQLite's
//! WAL lets one write at a time; this one waits a little for its turn).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, params};

use super::error::JournalError;
use super::show_files::{is_locked, lock_path, show_files};
use super::{Event, Show, micros};

/// How long a mark waits for the running writer's batch to end.
const WAIT_FOR_WRITER: Duration = Duration::from_secs(2);

/// Adds a mark with `text` now to the show being recorded in `folder` (the newest live one);
/// returns its file.
pub fn mark_live(folder: &Path, text: &str) -> Result<PathBuf, JournalError> {
    // Only the shows a writer holds are opened: a folder may keep a month of shows.
    let live = show_files(folder)?
        .iter()
        .filter(|p| is_locked(&lock_path(p)))
        .filter_map(|p| Show::open(p).ok())
        .map(|s| s.info().clone())
        .max_by_key(|s| s.started)
        .ok_or_else(|| JournalError::NoSuchShow {
            folder: folder.to_path_buf(),
            id: "(a show being recorded now: is the window or `scpanel watch` running?)".into(),
        })?;
    let write = |e: rusqlite::Error| JournalError::Write {
        path: live.path.clone(),
        detail: e.to_string(),
    };
    let conn = Connection::open_with_flags(&live.path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(write)?;
    conn.busy_timeout(WAIT_FOR_WRITER).map_err(write)?;
    let event = Event::Mark {
        text: text.chars().take(1024).collect(),
    };
    let (count, value, text, detail) = event.columns();
    conn.execute(
        "INSERT INTO events (t, server, kind, count, value, text, detail)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
        params![
            micros(SystemTime::now()),
            event.kind(),
            count,
            value,
            text,
            detail
        ],
    )
    .map_err(write)?;
    Ok(live.path)
}
