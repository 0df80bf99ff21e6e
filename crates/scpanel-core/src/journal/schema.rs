//! The show file's tables (written down in the module's doc) and opening one to write.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

/// `PRAGMA application_id`: "scps".
pub(super) const APPLICATION_ID: i32 = 0x7363_7073;
/// `PRAGMA user_version`.
pub(super) const VERSION: i32 = 1;

const TABLES: &str = "
CREATE TABLE show (
  id TEXT NOT NULL, started INTEGER NOT NULL, ended INTEGER, last INTEGER NOT NULL,
  app_version TEXT NOT NULL, host TEXT NOT NULL,
  peak_cpu REAL, peak_cpu_at INTEGER, peak_cpu_server INTEGER,
  xruns INTEGER NOT NULL DEFAULT 0, crashes INTEGER NOT NULL DEFAULT 0,
  samples INTEGER NOT NULL DEFAULT 0, events INTEGER NOT NULL DEFAULT 0,
  packets INTEGER NOT NULL DEFAULT 0);
CREATE TABLE servers (
  id INTEGER PRIMARY KEY, address TEXT NOT NULL, name TEXT NOT NULL,
  protocol TEXT NOT NULL, owned INTEGER NOT NULL, added INTEGER NOT NULL);
CREATE TABLE samples (
  t INTEGER NOT NULL, server INTEGER NOT NULL,
  avg_cpu REAL NOT NULL, peak_cpu REAL NOT NULL,
  ugens INTEGER NOT NULL, synths INTEGER NOT NULL, groups INTEGER NOT NULL,
  synthdefs INTEGER NOT NULL, nominal_rate REAL NOT NULL, actual_rate REAL NOT NULL);
CREATE INDEX samples_by_time ON samples(t);
CREATE TABLE events (
  t INTEGER NOT NULL, server INTEGER, kind TEXT NOT NULL,
  count INTEGER, value REAL, text TEXT, detail TEXT);
CREATE INDEX events_by_time ON events(t);
CREATE INDEX events_by_kind ON events(kind, t);
CREATE TABLE traffic (
  t INTEGER NOT NULL, server INTEGER NOT NULL, direction TEXT NOT NULL, packet BLOB NOT NULL);
CREATE INDEX traffic_by_time ON traffic(t);
";

/// The show's first row.
pub(super) struct Meta<'a> {
    pub id: &'a str,
    pub started: i64,
    pub app_version: &'a str,
    pub host: &'a str,
}

/// Creates the show file at `path` (it must not exist) in WAL mode, with its tables and
/// its row.
pub(super) fn create(path: &Path, meta: &Meta<'_>) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // WAL: readers (the Shows tab on the show being written) never wait for the writer,
    // and a killed writer leaves every committed batch. NORMAL: commits are not fsynced
    // (a killed process loses nothing the OS has; a power cut may lose the last batches
    // but never corrupts the file).
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidQuery);
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous=NORMAL;
         PRAGMA application_id={APPLICATION_ID};
         PRAGMA user_version={VERSION};
         BEGIN;
         {TABLES}"
    ))?;
    conn.execute(
        "INSERT INTO show (id, started, last, app_version, host) VALUES (?1, ?2, ?2, ?3, ?4)",
        params![meta.id, meta.started, meta.app_version, meta.host],
    )?;
    conn.execute_batch("COMMIT")?;
    Ok(conn)
}
