//! The flight recorder's storage: what every server did during a show, kept on disk.
//!
//! A **show** is one run of the app or of `scpanel watch`. Each show is one SQLite file
//! (SQLite's own copy, built in by `rusqlite`'s `bundled` feature) in a folder the caller
//! names ([`default_folder`]: `<data dir>/scpanel/shows`), so a show can be sent to
//! someone and opened there with [`Show::open`] (or with the `sqlite3` shell).
//!
//! - **Writing**: [`Journal::start`] creates the show file and a writer thread. The
//!   `record_*` calls stamp the time and put the record on a bounded queue; they never wait
//!   for the disk, nor wake a thread (under a microsecond). When the queue is full the
//!   record is dropped and counted ([`Journal::dropped`]). The thread wakes every
//!   [`JournalOptions::batch_interval`] (500 ms) and writes what waits in one
//!   transaction, in WAL mode with
//!   `synchronous=NORMAL`: a `kill -9` of the process loses at most the last batch, and a
//!   power cut cannot corrupt the file. An unwritable folder or a full disk never panics
//!   and never stops the caller: [`Journal::error`] says what is wrong in a sentence,
//!   what could not be saved is counted, and the writer tries again (every 5 s to create
//!   the file; every batch to write), so saving resumes when the folder is writable or
//!   the disk has room again. [`Journal::flush`] waits until everything recorded so far
//!   is written (tests, and the moment before quitting). Dropping the [`Journal`] (or
//!   [`Journal::close`]) writes the rest, stamps the end, folds the WAL back into the
//!   file and leaves it in rollback-journal mode: one self-contained file.
//! - **Reading**: [`list_shows`] lists a folder's shows from each file's one-row summary;
//!   [`Show::open`] / [`Show::open_id`] open one read-only (also the show being
//!   written), for samples, events and traffic in a time range, a [`Summary`] and CSV.
//! - **Retention**: [`prune`] (and [`Journal::prune`]) removes shows past an age or over a
//!   total size, oldest first, never the show being written (by this process or another:
//!   a writer holds an exclusive `flock` on `<show>.lock` while it writes).
//!
//! # The file
//!
//! `show-YYYYMMDD-HHMMSS-xxxxxxxx.sqlite` (local start time, the id's first 8 hex
//! digits). `PRAGMA application_id` is `0x73637073` ("scps"), `PRAGMA user_version` is
//! the schema's version, 1. Every time (`t`, `started`, …) is an integer: microseconds
//! since 1970-01-01 UTC. Server ids are the [`ServerId`]s the journal handed out.
//!
//! ```sql
//! -- One row: the show, and the summary the list reads (kept current by every batch).
//! CREATE TABLE show (
//!   id TEXT NOT NULL,            -- a random UUID (v4)
//!   started INTEGER NOT NULL,
//!   ended INTEGER,               -- NULL while written, or when the writer was killed
//!   last INTEGER NOT NULL,       -- the latest record's time (the length of a killed show)
//!   app_version TEXT NOT NULL,
//!   host TEXT NOT NULL,
//!   peak_cpu REAL,               -- the worst peak CPU (%) of any server, and when/where
//!   peak_cpu_at INTEGER,
//!   peak_cpu_server INTEGER,
//!   xruns INTEGER NOT NULL,      -- the sum of the xrun events' counts
//!   crashes INTEGER NOT NULL,    -- how many `crashed` events
//!   samples INTEGER NOT NULL, events INTEGER NOT NULL, packets INTEGER NOT NULL);
//! CREATE TABLE servers (
//!   id INTEGER PRIMARY KEY, address TEXT NOT NULL, name TEXT NOT NULL,
//!   protocol TEXT NOT NULL,      -- 'udp' or 'tcp'
//!   owned INTEGER NOT NULL,      -- 1: this scpanel booted it; 0: joined or watched
//!   added INTEGER NOT NULL);
//! CREATE TABLE samples (         -- one /status reply
//!   t INTEGER NOT NULL, server INTEGER NOT NULL,
//!   avg_cpu REAL NOT NULL, peak_cpu REAL NOT NULL,
//!   ugens INTEGER NOT NULL, synths INTEGER NOT NULL, groups INTEGER NOT NULL,
//!   synthdefs INTEGER NOT NULL, nominal_rate REAL NOT NULL, actual_rate REAL NOT NULL);
//! CREATE INDEX samples_by_time ON samples(t);
//! CREATE TABLE events (
//!   t INTEGER NOT NULL,
//!   server INTEGER,              -- NULL: the show's own (a mark)
//!   kind TEXT NOT NULL,          -- booting online unresponsive offline crashed rejoined
//!                                -- xrun late failure alert doctor mark
//!   count INTEGER,               -- xrun: how many
//!   value REAL,                  -- late: by how many seconds
//!   text TEXT,                   -- crashed: reason; failure: the line; alert, mark: text;
//!                                -- doctor: the message
//!   detail TEXT);                -- doctor: the finding's kind
//! CREATE INDEX events_by_time ON events(t);
//! CREATE INDEX events_by_kind ON events(kind, t);
//! CREATE TABLE traffic (         -- OSC packets, as they went on the wire
//!   t INTEGER NOT NULL, server INTEGER NOT NULL,
//!   direction TEXT NOT NULL,     -- 'sent' or 'received'
//!   packet BLOB NOT NULL);
//! CREATE INDEX traffic_by_time ON traffic(t);
//! ```
//!
//! At one status sample a second, a server-hour is about 0.3 MB (`benches/journal.rs`).
//!
//! ```no_run
//! use scpanel_core::journal::{Journal, JournalOptions, Sample, ServerInfo, Show};
//!
//! let folder = scpanel_core::journal::default_folder().expect("a data folder");
//! let journal = Journal::start(JournalOptions::new(folder));
//! let server = journal.add_server(ServerInfo::new("127.0.0.1:57110", "main", "udp", true));
//! journal.record_status(server, &Sample { average_cpu: 12.5, peak_cpu: 20.0, ..Sample::default() });
//! journal.mark("verse 2");
//! if let Some(error) = journal.error() {
//!     eprintln!("{error}");
//! }
//! let path = journal.path().to_path_buf();
//! drop(journal);
//! let show = Show::open(&path).expect("the show");
//! println!("{}", show.summary().expect("a summary"));
//! ```

mod error;
mod mark;
mod reader;
mod retention;
mod schema;
mod show_files;
mod writer;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

pub use error::JournalError;
pub use mark::mark_live;
pub use reader::{
    Crash, EventRow, Peak, SampleRow, ServerRow, Show, ShowInfo, Summary, TrafficRow, Unresponsive,
    list_shows,
};
pub use retention::{Pruned, Retention, prune};
pub use writer::{Journal, JournalOptions, Losses};

/// `<data dir>/scpanel/shows` (`~/.local/share/scpanel/shows` on Linux), or `None` when the
/// system names no data folder.
pub fn default_folder() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("scpanel").join("shows"))
}

/// A server in one show, as [`Journal::add_server`] numbered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerId(pub u32);

/// Who a server is, for the show's `servers` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// `host:port`.
    pub address: String,
    /// What the user calls it (the address when nothing else).
    pub name: String,
    /// `udp` or `tcp`.
    pub protocol: String,
    /// Booted by this scpanel (rather than joined or watched).
    pub owned: bool,
}

impl ServerInfo {
    /// A server's row.
    pub fn new(address: &str, name: &str, protocol: &str, owned: bool) -> Self {
        ServerInfo {
            address: address.to_string(),
            name: name.to_string(),
            protocol: protocol.to_string(),
            owned,
        }
    }
}

/// One `/status` reply, as the core's `StatusInfo` has it (same names, same types).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sample {
    /// Average CPU load of the audio thread, in percent.
    pub average_cpu: f32,
    /// Peak CPU load of the audio thread, in percent.
    pub peak_cpu: f32,
    /// Unit generators running.
    pub ugens: i32,
    /// Synths on the server.
    pub synths: i32,
    /// Groups on the server.
    pub groups: i32,
    /// SynthDefs loaded.
    pub synthdefs: i32,
    /// The sample rate asked for.
    pub nominal_sample_rate: f64,
    /// The sample rate measured.
    pub actual_sample_rate: f64,
}

/// Something that happened to a server, or in the show (a mark).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A boot began.
    Booting,
    /// The server is online.
    Online,
    /// `/status` went unanswered.
    Unresponsive,
    /// The server is gone, as asked (quit, disconnect).
    Offline,
    /// The server went away by itself.
    Crashed {
        /// Why, in words (exit status, signal, time-out).
        reason: String,
    },
    /// The server is back after going away by itself.
    Rejoined,
    /// Xruns seen since the last report.
    Xrun {
        /// How many.
        count: u32,
    },
    /// A `late` line: a bundle came after its time.
    Late {
        /// By how many seconds.
        seconds: f64,
    },
    /// `FAILURE IN SERVER` or another error line of a server scpanel booted.
    Failure {
        /// The line.
        line: String,
    },
    /// An alert scpanel raised.
    Alert {
        /// Its text.
        text: String,
    },
    /// A finding of the sound doctor.
    Doctor {
        /// The finding's kind.
        kind: String,
        /// What it said.
        message: String,
    },
    /// A mark the performer set.
    Mark {
        /// Its text (may be empty).
        text: String,
    },
    /// A kind this version doesn't know (a show written by a newer scpanel).
    Other {
        /// The stored kind.
        kind: String,
        /// The stored text, if any.
        text: String,
    },
}

impl Event {
    /// The `kind` column: `booting`, `online`, `unresponsive`, `offline`, `crashed`,
    /// `rejoined`, `xrun`, `late`, `failure`, `alert`, `doctor`, `mark`.
    pub fn kind(&self) -> &str {
        match self {
            Event::Booting => "booting",
            Event::Online => "online",
            Event::Unresponsive => "unresponsive",
            Event::Offline => "offline",
            Event::Crashed { .. } => "crashed",
            Event::Rejoined => "rejoined",
            Event::Xrun { .. } => "xrun",
            Event::Late { .. } => "late",
            Event::Failure { .. } => "failure",
            Event::Alert { .. } => "alert",
            Event::Doctor { .. } => "doctor",
            Event::Mark { .. } => "mark",
            Event::Other { kind, .. } => kind,
        }
    }

    /// Whether it changes the server's life (booting … rejoined), rather than reporting.
    pub fn is_lifecycle(&self) -> bool {
        matches!(
            self,
            Event::Booting
                | Event::Online
                | Event::Unresponsive
                | Event::Offline
                | Event::Crashed { .. }
                | Event::Rejoined
        )
    }

    /// `(count, value, text, detail)`, as the columns store them.
    fn columns(&self) -> (Option<i64>, Option<f64>, Option<&str>, Option<&str>) {
        match self {
            Event::Crashed { reason } => (None, None, Some(reason), None),
            Event::Xrun { count } => (Some(i64::from(*count)), None, None, None),
            Event::Late { seconds } => (None, Some(*seconds), None, None),
            Event::Failure { line } => (None, None, Some(line), None),
            Event::Alert { text } | Event::Mark { text } => (None, None, Some(text), None),
            Event::Doctor { kind, message } => (None, None, Some(message), Some(kind)),
            Event::Other { text, .. } => (None, None, Some(text), None),
            _ => (None, None, None, None),
        }
    }

    fn from_columns(
        kind: String,
        count: Option<i64>,
        value: Option<f64>,
        text: Option<String>,
        detail: Option<String>,
    ) -> Event {
        let text = text.unwrap_or_default();
        match kind.as_str() {
            "booting" => Event::Booting,
            "online" => Event::Online,
            "unresponsive" => Event::Unresponsive,
            "offline" => Event::Offline,
            "crashed" => Event::Crashed { reason: text },
            "rejoined" => Event::Rejoined,
            "xrun" => Event::Xrun {
                count: count.map_or(0, |c| u32::try_from(c).unwrap_or(u32::MAX)),
            },
            "late" => Event::Late {
                seconds: value.unwrap_or(0.0),
            },
            "failure" => Event::Failure { line: text },
            "alert" => Event::Alert { text },
            "doctor" => Event::Doctor {
                kind: detail.unwrap_or_default(),
                message: text,
            },
            "mark" => Event::Mark { text },
            _ => Event::Other { kind, text },
        }
    }
}

/// Which way an OSC packet went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// scpanel sent it.
    Sent,
    /// The server sent it.
    Received,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }
}

/// A record for [`Journal::record`] (the `record_*` calls build these).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A `/status` reply.
    Status(ServerId, Sample),
    /// An event; `None` for the show's own (a mark).
    Event(Option<ServerId>, Event),
    /// An OSC packet.
    Traffic(ServerId, Direction, Vec<u8>),
}

/// Microseconds since the epoch (negative before it; saturating far away).
pub(crate) fn micros(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// The time `micros` gave.
pub(crate) fn time(us: i64) -> SystemTime {
    let d = Duration::from_micros(us.unsigned_abs());
    if us >= 0 {
        SystemTime::UNIX_EPOCH + d
    } else {
        SystemTime::UNIX_EPOCH - d
    }
}

/// `2026-12-06T14:58:44.123456Z`: a record's time in a CSV (UTC, to the microsecond).
fn iso_utc(us: i64) -> String {
    match jiff::Timestamp::from_microsecond(us) {
        Ok(t) => t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        Err(_) => us.to_string(),
    }
}

/// `21:14:03`, local time, for a summary.
fn local_hms(us: i64) -> String {
    crate::clock::hms(time(us))
}

/// `20261206-145844`, local time, for a file's name.
fn local_stamp(us: i64) -> String {
    match jiff::Timestamp::from_microsecond(us) {
        Ok(t) => t
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y%m%d-%H%M%S")
            .to_string(),
        Err(_) => "00000000-000000".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_microseconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_micros(1_765_000_000_123_456);
        assert_eq!(time(micros(t)), t);
        let before = SystemTime::UNIX_EPOCH - Duration::from_micros(5);
        assert_eq!(micros(before), -5);
        assert_eq!(time(-5), before);
        assert_eq!(iso_utc(1_000_001), "1970-01-01T00:00:01.000001Z");
    }

    #[test]
    fn events_round_trip_through_their_columns() {
        let events = [
            Event::Booting,
            Event::Online,
            Event::Unresponsive,
            Event::Offline,
            Event::Crashed {
                reason: "killed by signal 9".into(),
            },
            Event::Rejoined,
            Event::Xrun { count: 3 },
            Event::Late { seconds: 0.25 },
            Event::Failure {
                line: "FAILURE IN SERVER /s_new SynthDef not found".into(),
            },
            Event::Alert { text: "hot".into() },
            Event::Doctor {
                kind: "amp_zero".into(),
                message: "amp is 0".into(),
            },
            Event::Mark {
                text: "verse 2".into(),
            },
        ];
        for e in events {
            let (c, v, t, d) = e.columns();
            let back = Event::from_columns(
                e.kind().to_string(),
                c,
                v,
                t.map(str::to_string),
                d.map(str::to_string),
            );
            assert_eq!(back, e);
        }
    }
}
