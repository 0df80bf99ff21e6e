//! The reading half: the list of shows, one show opened read-only, its summary and CSV.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use super::error::JournalError;
use super::schema::{APPLICATION_ID, VERSION};
use super::show_files::{is_locked, lock_path, show_bytes, show_files, side};
use super::{Direction, Event, Sample, ServerId, iso_utc, local_hms, micros, time};

/// A server of a show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRow {
    /// Its id in the show.
    pub id: ServerId,
    /// `host:port`.
    pub address: String,
    /// What the user called it.
    pub name: String,
    /// `udp` or `tcp`.
    pub protocol: String,
    /// Booted by the scpanel that recorded the show.
    pub owned: bool,
    /// When it was added to the show.
    pub added: SystemTime,
}

/// A show, as the list shows it (read from its one-row summary: cheap).
#[derive(Debug, Clone, PartialEq)]
pub struct ShowInfo {
    /// The show's UUID.
    pub id: String,
    /// Its file.
    pub path: PathBuf,
    /// When it began.
    pub started: SystemTime,
    /// When it was closed; `None` while written, or when the app was killed.
    pub ended: Option<SystemTime>,
    /// The latest record written.
    pub last: SystemTime,
    /// The scpanel that wrote it.
    pub app_version: String,
    /// The machine it was written on.
    pub host: String,
    /// Its servers.
    pub servers: Vec<ServerRow>,
    /// The worst peak CPU of any server (%), when, and whose.
    pub peak_cpu: Option<(f32, SystemTime, ServerId)>,
    /// Xruns (the sum of the xrun events' counts).
    pub xruns: u64,
    /// `crashed` events.
    pub crashes: u64,
    /// Status samples.
    pub samples: u64,
    /// Events.
    pub events: u64,
    /// OSC packets.
    pub packets: u64,
    /// Bytes on disk (with its `-wal`).
    pub bytes: u64,
    /// A writer holds it now.
    pub live: bool,
}

impl ShowInfo {
    /// From its start to its end (or its latest record, if it has no end).
    pub fn length(&self) -> Duration {
        self.ended
            .unwrap_or(self.last)
            .max(self.last)
            .duration_since(self.started)
            .unwrap_or_default()
    }

    /// A server's name (its address when it has none), or `#id` when unknown.
    pub fn server_name(&self, id: ServerId) -> String {
        match self.servers.iter().find(|s| s.id == id) {
            Some(s) if !s.name.is_empty() => s.name.clone(),
            Some(s) => s.address.clone(),
            None => format!("#{}", id.0),
        }
    }
}

/// A status sample read back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleRow {
    /// When it came.
    pub time: SystemTime,
    /// From whom.
    pub server: ServerId,
    /// What it said.
    pub sample: Sample,
}

/// An event read back.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// When.
    pub time: SystemTime,
    /// Whose; `None`: the show's (a mark).
    pub server: Option<ServerId>,
    /// What.
    pub event: Event,
}

/// An OSC packet read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficRow {
    /// When.
    pub time: SystemTime,
    /// With whom.
    pub server: ServerId,
    /// Which way.
    pub direction: Direction,
    /// The packet's bytes.
    pub packet: Vec<u8>,
}

/// The worst moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    /// Peak CPU (%).
    pub cpu: f32,
    /// When.
    pub at: SystemTime,
    /// On which server (its name).
    pub server: String,
    /// The last mark at or before it, and when.
    pub after_mark: Option<(SystemTime, String)>,
}

/// A server that went away by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    /// When.
    pub at: SystemTime,
    /// Which server (its name).
    pub server: String,
    /// Why.
    pub reason: String,
}

/// The longest time a server didn't answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresponsive {
    /// Which server (its name).
    pub server: String,
    /// From when.
    pub from: SystemTime,
    /// For how long (to its next lifecycle event, or the show's end).
    pub length: Duration,
}

/// A show in a few figures: "peak 87 % at 21:14:03 (main), after mark 'verse 2'; 3 xruns;
/// longest unresponsive 1.2 s (main)".
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The highest peak CPU, `None` without samples.
    pub peak: Option<Peak>,
    /// Xruns.
    pub xruns: u64,
    /// `late` lines.
    pub lates: u64,
    /// Failure lines.
    pub failures: u64,
    /// Marks.
    pub marks: u64,
    /// Crashes, in order.
    pub crashes: Vec<Crash>,
    /// The longest unresponsive spell.
    pub longest_unresponsive: Option<Unresponsive>,
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.peak {
            Some(p) => {
                write!(
                    f,
                    "peak {} % at {} ({})",
                    (p.cpu * 10.0).round() / 10.0,
                    local_hms(micros(p.at)),
                    p.server
                )?;
                if let Some((_, text)) = &p.after_mark {
                    write!(f, ", after mark '{text}'")?;
                }
            }
            None => write!(f, "no status samples")?,
        }
        write!(f, "; {}", plural(self.xruns, "xrun", "xruns"))?;
        if !self.crashes.is_empty() {
            write!(
                f,
                "; {}",
                plural(self.crashes.len() as u64, "crash", "crashes")
            )?;
        }
        if self.lates > 0 {
            write!(f, "; {}", plural(self.lates, "late", "lates"))?;
        }
        if self.failures > 0 {
            write!(f, "; {}", plural(self.failures, "failure", "failures"))?;
        }
        if let Some(u) = &self.longest_unresponsive {
            write!(
                f,
                "; longest unresponsive {:.1} s ({})",
                u.length.as_secs_f64(),
                u.server
            )?;
        }
        Ok(())
    }
}

/// A show file opened read-only (the show being written too: WAL lets both go on).
pub struct Show {
    conn: Connection,
    info: ShowInfo,
    /// A copy read in place of a file that can't be read where it is (dropped after `conn`).
    _copy: Option<tempfile::TempDir>,
}

impl fmt::Debug for Show {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Show").field("info", &self.info).finish()
    }
}

/// `[lo, hi)` in microseconds.
fn bounds(range: &impl RangeBounds<SystemTime>) -> (i64, i64) {
    let lo = match range.start_bound() {
        Bound::Included(t) => micros(*t),
        Bound::Excluded(t) => micros(*t).saturating_add(1),
        Bound::Unbounded => i64::MIN,
    };
    let hi = match range.end_bound() {
        Bound::Included(t) => micros(*t).saturating_add(1),
        Bound::Excluded(t) => micros(*t),
        Bound::Unbounded => i64::MAX,
    };
    (lo, hi)
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Show {
    /// Opens a show file read-only (one someone sent, too).
    pub fn open(path: impl AsRef<Path>) -> Result<Show, JournalError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(JournalError::Read {
                path: path.to_path_buf(),
                detail: "no such file".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let first = Connection::open_with_flags(path, flags)
            .map_err(|e| JournalError::reading(path, &e))
            .and_then(|conn| Show::load(conn, path));
        match first {
            Ok(show) => Ok(show),
            Err(e @ JournalError::NotAShow { .. }) => Err(e),
            // A show in WAL mode (its writer was killed) where its `-shm` can't be made
            // (a read-only place): with a `-wal` beside it, a copy of both is read; without,
            // the file as it is (immutable).
            Err(e) => {
                let wal = side(path, "-wal");
                let second = if wal.is_file() {
                    Show::open_copy(path, &wal, flags)
                } else {
                    let uri = format!("file:{}?immutable=1", uri_path(path));
                    Connection::open_with_flags(uri, flags)
                        .map_err(|e| JournalError::reading(path, &e))
                        .and_then(|conn| Show::load(conn, path))
                };
                second.map_err(|_| e)
            }
        }
    }

    fn open_copy(path: &Path, wal: &Path, flags: OpenFlags) -> Result<Show, JournalError> {
        let failed = |e: io::Error| JournalError::Read {
            path: path.to_path_buf(),
            detail: format!("a copy can't be made: {e}"),
        };
        let dir = tempfile::Builder::new()
            .prefix("scpanel-show-")
            .tempdir()
            .map_err(failed)?;
        let copy = dir.path().join("show.sqlite");
        fs::copy(path, &copy).map_err(failed)?;
        fs::copy(wal, side(&copy, "-wal")).map_err(failed)?;
        let conn = Connection::open_with_flags(&copy, flags)
            .map_err(|e| JournalError::reading(path, &e))?;
        let mut show = Show::load(conn, path)?;
        show._copy = Some(dir);
        Ok(show)
    }

    /// Opens the show in `folder` whose id (or its first 8 or more characters) or file name
    /// is `id`.
    pub fn open_id(folder: &Path, id: &str) -> Result<Show, JournalError> {
        let wanted = id.trim().to_ascii_lowercase();
        let mut found = None;
        for path in show_files(folder)? {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let by_name = stem == wanted || path.file_name().and_then(|s| s.to_str()) == Some(id);
            if by_name {
                return Show::open(&path);
            }
            if wanted.len() >= 8
                && let Ok(show) = Show::open(&path)
                && show.info.id.starts_with(&wanted)
            {
                if found.is_some() {
                    return Err(JournalError::NoSuchShow {
                        folder: folder.to_path_buf(),
                        id: format!("{id} (more than one show starts so)"),
                    });
                }
                found = Some(show);
            }
        }
        found.ok_or_else(|| JournalError::NoSuchShow {
            folder: folder.to_path_buf(),
            id: id.to_string(),
        })
    }

    fn load(conn: Connection, path: &Path) -> Result<Show, JournalError> {
        let read = |e: rusqlite::Error| JournalError::reading(path, &e);
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => JournalError::NotAShow {
                    path: path.to_path_buf(),
                    detail: "not an SQLite file".into(),
                },
                _ => read(e),
            })?;
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(read)?;
        if app != APPLICATION_ID {
            return Err(JournalError::NotAShow {
                path: path.to_path_buf(),
                detail: "an SQLite file of another program".into(),
            });
        }
        if version > VERSION {
            return Err(JournalError::NotAShow {
                path: path.to_path_buf(),
                detail: format!("written by a newer scpanel (format {version})"),
            });
        }
        let mut info = conn
            .query_row(
                "SELECT id, started, ended, last, app_version, host, peak_cpu, peak_cpu_at,
                 peak_cpu_server, xruns, crashes, samples, events, packets FROM show",
                [],
                |r| {
                    let peak: Option<f64> = r.get(6)?;
                    let peak_at: Option<i64> = r.get(7)?;
                    let peak_server: Option<u32> = r.get(8)?;
                    Ok(ShowInfo {
                        id: r.get(0)?,
                        path: path.to_path_buf(),
                        started: time(r.get(1)?),
                        ended: r.get::<_, Option<i64>>(2)?.map(time),
                        last: time(r.get(3)?),
                        app_version: r.get(4)?,
                        host: r.get(5)?,
                        servers: Vec::new(),
                        peak_cpu: match (peak, peak_at, peak_server) {
                            (Some(p), Some(at), Some(s)) => Some((p as f32, time(at), ServerId(s))),
                            _ => None,
                        },
                        xruns: count(r.get(9)?),
                        crashes: count(r.get(10)?),
                        samples: count(r.get(11)?),
                        events: count(r.get(12)?),
                        packets: count(r.get(13)?),
                        bytes: show_bytes(path),
                        live: is_locked(&lock_path(path)),
                    })
                },
            )
            .map_err(read)?;
        let mut st = conn
            .prepare("SELECT id, address, name, protocol, owned, added FROM servers ORDER BY id")
            .map_err(read)?;
        info.servers = st
            .query_map([], |r| {
                Ok(ServerRow {
                    id: ServerId(r.get(0)?),
                    address: r.get(1)?,
                    name: r.get(2)?,
                    protocol: r.get(3)?,
                    owned: r.get(4)?,
                    added: time(r.get(5)?),
                })
            })
            .and_then(Iterator::collect)
            .map_err(read)?;
        drop(st);
        Ok(Show {
            conn,
            info,
            _copy: None,
        })
    }

    /// What the list shows, and the servers.
    pub fn info(&self) -> &ShowInfo {
        &self.info
    }

    fn read(&self, e: &rusqlite::Error) -> JournalError {
        JournalError::reading(&self.info.path, e)
    }

    fn rows<T>(
        &self,
        sql: &str,
        range: &impl RangeBounds<SystemTime>,
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, JournalError> {
        let (lo, hi) = bounds(range);
        let mut st = self.conn.prepare(sql).map_err(|e| self.read(&e))?;
        st.query_map(params![lo, hi], f)
            .and_then(Iterator::collect)
            .map_err(|e| self.read(&e))
    }

    /// The status samples in `range` (`..` for all), in time order.
    pub fn samples(
        &self,
        range: impl RangeBounds<SystemTime>,
    ) -> Result<Vec<SampleRow>, JournalError> {
        self.rows(
            "SELECT t, server, avg_cpu, peak_cpu, ugens, synths, groups, synthdefs,
             nominal_rate, actual_rate FROM samples WHERE t >= ?1 AND t < ?2 ORDER BY t",
            &range,
            |r| {
                Ok(SampleRow {
                    time: time(r.get(0)?),
                    server: ServerId(r.get(1)?),
                    sample: Sample {
                        average_cpu: r.get::<_, f64>(2)? as f32,
                        peak_cpu: r.get::<_, f64>(3)? as f32,
                        ugens: r.get(4)?,
                        synths: r.get(5)?,
                        groups: r.get(6)?,
                        synthdefs: r.get(7)?,
                        nominal_sample_rate: r.get(8)?,
                        actual_sample_rate: r.get(9)?,
                    },
                })
            },
        )
    }

    /// The events in `range`, in time order.
    pub fn events(
        &self,
        range: impl RangeBounds<SystemTime>,
    ) -> Result<Vec<EventRow>, JournalError> {
        self.rows(
            "SELECT t, server, kind, count, value, text, detail FROM events
             WHERE t >= ?1 AND t < ?2 ORDER BY t",
            &range,
            |r| {
                Ok(EventRow {
                    time: time(r.get(0)?),
                    server: r.get::<_, Option<u32>>(1)?.map(ServerId),
                    event: Event::from_columns(
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ),
                })
            },
        )
    }

    /// The OSC packets in `range`, in time order.
    pub fn traffic(
        &self,
        range: impl RangeBounds<SystemTime>,
    ) -> Result<Vec<TrafficRow>, JournalError> {
        self.rows(
            "SELECT t, server, direction, packet FROM traffic WHERE t >= ?1 AND t < ?2
             ORDER BY t",
            &range,
            |r| {
                let direction: String = r.get(2)?;
                Ok(TrafficRow {
                    time: time(r.get(0)?),
                    server: ServerId(r.get(1)?),
                    direction: if direction == "sent" {
                        Direction::Sent
                    } else {
                        Direction::Received
                    },
                    packet: r.get(3)?,
                })
            },
        )
    }

    /// The show in a few figures (see [`Summary`]).
    pub fn summary(&self) -> Result<Summary, JournalError> {
        let read = |e: rusqlite::Error| self.read(&e);
        let name = |id: ServerId| self.info.server_name(id);
        let peak = self
            .conn
            .query_row(
                "SELECT t, server, peak_cpu FROM samples ORDER BY peak_cpu DESC, t LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, f64>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(read)?;
        let peak = match peak {
            Some((t, server, cpu)) => {
                let mark = self
                    .conn
                    .query_row(
                        "SELECT t, text FROM events WHERE kind = 'mark' AND t <= ?1
                         ORDER BY t DESC LIMIT 1",
                        [t],
                        |r| Ok((time(r.get(0)?), r.get::<_, Option<String>>(1)?)),
                    )
                    .optional()
                    .map_err(read)?;
                Some(Peak {
                    cpu: cpu as f32,
                    at: time(t),
                    server: name(ServerId(server)),
                    after_mark: mark.map(|(t, text)| (t, text.unwrap_or_default())),
                })
            }
            None => None,
        };
        let tally = |kind: &str, what: &str| -> Result<u64, JournalError> {
            self.conn
                .query_row(
                    &format!("SELECT COALESCE({what}, 0) FROM events WHERE kind = ?1"),
                    [kind],
                    |r| r.get::<_, i64>(0),
                )
                .map(count)
                .map_err(read)
        };
        let crashes = self
            .rows(
                "SELECT t, server, text FROM events WHERE kind = 'crashed'
                 AND t >= ?1 AND t < ?2 ORDER BY t",
                &(..),
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Option<u32>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                    ))
                },
            )?
            .into_iter()
            .map(|(t, s, reason)| Crash {
                at: time(t),
                server: s.map_or_else(String::new, |s| name(ServerId(s))),
                reason: reason.unwrap_or_default(),
            })
            .collect();
        // Each server's life in order; an unresponsive spell ends at its next lifecycle
        // event (or at the show's end).
        let life = self.rows(
            "SELECT t, server, kind FROM events WHERE kind IN
             ('booting', 'online', 'unresponsive', 'offline', 'crashed', 'rejoined')
             AND server IS NOT NULL AND t >= ?1 AND t < ?2 ORDER BY t",
            &(..),
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )?;
        let end = micros(
            self.info
                .ended
                .unwrap_or(self.info.last)
                .max(self.info.last),
        );
        let mut open: Vec<(u32, i64)> = Vec::new();
        let mut longest: Option<(u32, i64, i64)> = None;
        let mut close = |server: u32, from: i64, to: i64| {
            if longest.is_none_or(|(_, f, t)| to.saturating_sub(from) > t.saturating_sub(f)) {
                longest = Some((server, from, to));
            }
        };
        for (t, server, kind) in life {
            if let Some(i) = open.iter().position(|(s, _)| *s == server) {
                let (_, from) = open.remove(i);
                close(server, from, t);
            }
            if kind == "unresponsive" {
                open.push((server, t));
            }
        }
        for (server, from) in open {
            close(server, from, end.max(from));
        }
        Ok(Summary {
            peak,
            xruns: tally("xrun", "SUM(count)")?,
            lates: tally("late", "COUNT(*)")?,
            failures: tally("failure", "COUNT(*)")?,
            marks: tally("mark", "COUNT(*)")?,
            crashes,
            longest_unresponsive: longest.map(|(s, from, to)| Unresponsive {
                server: name(ServerId(s)),
                from: time(from),
                length: Duration::from_micros(u64::try_from(to.saturating_sub(from)).unwrap_or(0)),
            }),
        })
    }

    /// The samples as CSV: `time,server,average_cpu,peak_cpu,ugens,synths,groups,synthdefs,
    /// nominal_sample_rate,actual_sample_rate`; times in UTC to the microsecond.
    pub fn write_samples_csv(&self, out: &mut impl Write) -> Result<(), JournalError> {
        let rows = self.samples(..)?;
        let mut write = || -> io::Result<()> {
            writeln!(
                out,
                "time,server,average_cpu,peak_cpu,ugens,synths,groups,synthdefs,\
                 nominal_sample_rate,actual_sample_rate"
            )?;
            for r in &rows {
                let s = &r.sample;
                writeln!(
                    out,
                    "{},{},{},{},{},{},{},{},{},{}",
                    iso_utc(micros(r.time)),
                    csv_field(&self.info.server_name(r.server)),
                    s.average_cpu,
                    s.peak_cpu,
                    s.ugens,
                    s.synths,
                    s.groups,
                    s.synthdefs,
                    s.nominal_sample_rate,
                    s.actual_sample_rate
                )?;
            }
            out.flush()
        };
        write().map_err(|e| self.csv_error(&e))
    }

    /// The events as CSV: `time,server,kind,count,seconds,text,detail` (empty where a kind
    /// has none; the server is empty for the show's own, marks).
    pub fn write_events_csv(&self, out: &mut impl Write) -> Result<(), JournalError> {
        let rows = self.events(..)?;
        let mut write = || -> io::Result<()> {
            writeln!(out, "time,server,kind,count,seconds,text,detail")?;
            for r in &rows {
                let (count, value, text, detail) = r.event.columns();
                writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    iso_utc(micros(r.time)),
                    r.server
                        .map(|s| csv_field(&self.info.server_name(s)))
                        .unwrap_or_default(),
                    csv_field(r.event.kind()),
                    count.map(|c| c.to_string()).unwrap_or_default(),
                    value.map(|v| v.to_string()).unwrap_or_default(),
                    text.map(csv_field).unwrap_or_default(),
                    detail.map(csv_field).unwrap_or_default(),
                )?;
            }
            out.flush()
        };
        write().map_err(|e| self.csv_error(&e))
    }

    /// Writes `<show>-samples.csv` and `<show>-events.csv` into `dir`; their paths.
    pub fn export_csv(&self, dir: &Path) -> Result<(PathBuf, PathBuf), JournalError> {
        let stem = self
            .info
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("show")
            .to_string();
        let samples = dir.join(format!("{stem}-samples.csv"));
        let events = dir.join(format!("{stem}-events.csv"));
        let create = |p: &Path| {
            fs::File::create(p)
                .map(io::BufWriter::new)
                .map_err(|e| JournalError::from_io(dir, p, &e))
        };
        self.write_samples_csv(&mut create(&samples)?)?;
        self.write_events_csv(&mut create(&events)?)?;
        Ok((samples, events))
    }

    fn csv_error(&self, e: &io::Error) -> JournalError {
        JournalError::Write {
            path: self.info.path.clone(),
            detail: format!("the CSV can't be written: {e}"),
        }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A path as a `file:` URI's path (`%`, `?`, `#` escaped).
fn uri_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

/// The shows in `folder`, newest first (files that aren't readable shows are left out).
/// A missing folder has none.
pub fn list_shows(folder: &Path) -> Result<Vec<ShowInfo>, JournalError> {
    let mut shows: Vec<ShowInfo> = show_files(folder)?
        .iter()
        .filter_map(|p| Show::open(p).ok())
        .map(|s| s.info)
        .collect();
    shows.sort_by_key(|s| std::cmp::Reverse(s.started));
    Ok(shows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("verse 2"), "verse 2");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn ranges_are_half_open_microseconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_micros(10);
        assert_eq!(bounds(&(t..t)), (10, 10));
        assert_eq!(bounds(&(t..=t)), (10, 11));
        assert_eq!(bounds(&(..)), (i64::MIN, i64::MAX));
    }
}
