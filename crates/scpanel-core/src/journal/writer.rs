//! The writing half: a cheap handle, a bounded queue, and a thread that writes batches.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use rusqlite::{Connection, Statement, params};

use super::error::JournalError;
use super::retention::{self, Pruned, Retention};
use super::schema::{self, Meta};
use super::show_files;
use super::{Direction, Event, Record, Sample, ServerId, ServerInfo, local_stamp, micros, time};

/// How often a writer that could not create its file tries again.
const RETRY_OPEN: Duration = Duration::from_secs(5);
/// The most records one transaction takes (a burst is written in several).
const MAX_BATCH: usize = 8192;

/// Where and how a show is written.
#[derive(Debug, Clone)]
pub struct JournalOptions {
    /// The shows' folder (created if missing).
    pub folder: PathBuf,
    /// The app's version, kept in the show.
    pub app_version: String,
    /// The longest time between two transactions: what a `kill -9` may lose.
    pub batch_interval: Duration,
    /// How many records may wait for the writer before new ones are dropped (and counted).
    pub queue: usize,
}

impl JournalOptions {
    /// A show in `folder`, batches 500 ms apart, room for 16384 waiting records.
    pub fn new(folder: impl Into<PathBuf>) -> Self {
        JournalOptions {
            folder: folder.into(),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            batch_interval: Duration::from_millis(500),
            queue: 16384,
        }
    }
}

/// Records that never reached the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Losses {
    /// Dropped by a `record_*` call because the queue was full (the writer fell behind).
    pub queue_full: u64,
    /// Taken by the writer but not saved (the error [`Journal::error`] names).
    pub unsaved: u64,
}

impl Losses {
    /// Both together.
    pub fn total(&self) -> u64 {
        self.queue_full + self.unsaved
    }
}

/// What the handle and the writer share.
#[derive(Default)]
struct Shared {
    /// Every server added, in id order, and when.
    servers: Mutex<Vec<(ServerInfo, i64)>>,
    queue_full: AtomicU64,
    unsaved: AtomicU64,
    written: AtomicU64,
    error: Mutex<Option<JournalError>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A request to write now: the answer goes back on the sender.
type Flush = SyncSender<Result<(), JournalError>>;

/// The recorder of one show: cheap `record_*` calls from any thread (share it in an
/// `Arc`), a writer thread behind them. Dropping it writes what is left and closes the
/// show (see the module's doc).
pub struct Journal {
    /// Records, for the writer to take when it wakes (nobody waits on this queue, so a
    /// record call never has to wake a thread).
    tx: Option<SyncSender<(i64, Record)>>,
    /// Flushes (they wake the writer); dropped, it tells the writer to finish.
    flush: Option<mpsc::Sender<Flush>>,
    thread: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    folder: PathBuf,
    path: PathBuf,
    id: String,
    started: SystemTime,
}

impl Journal {
    /// Starts a new show in `options.folder`. It never fails: when the file can't be made,
    /// [`Journal::error`] says why, records are counted as lost, and the writer tries
    /// again every 5 s.
    pub fn start(options: JournalOptions) -> Journal {
        // As the file keeps it: to the microsecond.
        let started = time(micros(SystemTime::now()));
        let id = new_id();
        let path = options.folder.join(format!(
            "show-{}-{}.sqlite",
            local_stamp(micros(started)),
            &id[..8]
        ));
        let shared = Arc::new(Shared::default());
        let mut writer = Writer {
            conn: None,
            lock: None,
            folder: options.folder.clone(),
            path: path.clone(),
            id: id.clone(),
            started: micros(started),
            app_version: options.app_version,
            host: host_name(),
            shared: Arc::clone(&shared),
            servers_written: 0,
            tally: Tally::default(),
            retry_at: Instant::now(),
        };
        writer.try_open();
        let (tx, rx) = mpsc::sync_channel(options.queue.max(1));
        let (flush, flushes) = mpsc::channel();
        let interval = options.batch_interval;
        let spawned = std::thread::Builder::new()
            .name("scpanel-journal".into())
            .spawn(move || run(writer, &rx, &flushes, interval));
        let (tx, flush, thread) = match spawned {
            Ok(thread) => (Some(tx), Some(flush), Some(thread)),
            Err(e) => {
                *lock(&shared.error) = Some(JournalError::Write {
                    path: path.clone(),
                    detail: format!("no writer thread: {e}"),
                });
                (None, None, None)
            }
        };
        Journal {
            tx,
            flush,
            thread,
            shared,
            folder: options.folder,
            path,
            id,
            started,
        }
    }

    /// Adds a server to the show; its records name the id returned. Never lost, never
    /// waits for the disk (written with the next batch).
    pub fn add_server(&self, info: ServerInfo) -> ServerId {
        let mut servers = lock(&self.shared.servers);
        let id = u32::try_from(servers.len()).unwrap_or(u32::MAX);
        servers.push((info, micros(SystemTime::now())));
        ServerId(id)
    }

    /// A `/status` reply, now.
    pub fn record_status(&self, server: ServerId, sample: &Sample) {
        self.send(SystemTime::now(), Record::Status(server, *sample));
    }

    /// An event of a server (`Some`) or of the show (`None`), now.
    pub fn record_event(&self, server: Option<ServerId>, event: Event) {
        self.send(SystemTime::now(), Record::Event(server, event));
    }

    /// An OSC packet sent to or received from a server, now.
    pub fn record_traffic(&self, server: ServerId, direction: Direction, packet: &[u8]) {
        self.send(
            SystemTime::now(),
            Record::Traffic(server, direction, packet.to_vec()),
        );
    }

    /// A mark the performer set, now (`text` may be empty).
    pub fn mark(&self, text: &str) {
        self.record_event(
            None,
            Event::Mark {
                text: text.to_string(),
            },
        );
    }

    /// Any record, at the time given (imports, tests, benchmarks).
    pub fn record(&self, time: SystemTime, record: Record) {
        self.send(time, record);
    }

    fn send(&self, time: SystemTime, record: Record) {
        let Some(tx) = &self.tx else {
            self.shared.unsaved.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match tx.try_send((micros(time), record)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.shared.queue_full.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {
                self.shared.unsaved.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits until everything recorded before the call is written (or failed to be):
    /// `Ok` when that batch was saved, else the reason it wasn't. Waits for the disk, so
    /// not for a UI thread's frame.
    pub fn flush(&self) -> Result<(), JournalError> {
        let gone = || JournalError::Write {
            path: self.path.clone(),
            detail: "the writer has stopped".into(),
        };
        let Some(flush) = &self.flush else {
            return Err(self.error().unwrap_or_else(gone));
        };
        let (ack, done) = mpsc::sync_channel(1);
        if flush.send(ack).is_err() {
            return Err(self.error().unwrap_or_else(gone));
        }
        done.recv().unwrap_or_else(|_| Err(gone()))
    }

    /// Writes the rest, stamps the end and closes the file; the error, if the last of it
    /// could not be saved.
    pub fn close(mut self) -> Result<(), JournalError> {
        self.stop();
        match self.error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn stop(&mut self) {
        self.tx = None;
        self.flush = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Why the show is not being saved now, as a sentence to show; `None` once a batch is
    /// saved again.
    pub fn error(&self) -> Option<JournalError> {
        lock(&self.shared.error).clone()
    }

    /// What never reached the file, by cause.
    pub fn losses(&self) -> Losses {
        Losses {
            queue_full: self.shared.queue_full.load(Ordering::Relaxed),
            unsaved: self.shared.unsaved.load(Ordering::Relaxed),
        }
    }

    /// How many records never reached the file.
    pub fn dropped(&self) -> u64 {
        self.losses().total()
    }

    /// How many records are in the file.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    /// The show's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The shows' folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// The show's id (a UUID).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the show began.
    pub fn started(&self) -> SystemTime {
        self.started
    }

    /// How many servers were added.
    pub fn servers(&self) -> u32 {
        u32::try_from(lock(&self.shared.servers).len()).unwrap_or(u32::MAX)
    }

    /// [`prune`](super::prune) of this show's folder, sparing this show.
    pub fn prune(&self, retention: &Retention) -> Result<Pruned, JournalError> {
        retention::prune(&self.folder, retention, Some(&self.path))
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The running summary the `show` row keeps.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    last: i64,
    peak: Option<(f64, i64, u32)>,
    xruns: i64,
    crashes: i64,
    samples: i64,
    events: i64,
    packets: i64,
}

struct Writer {
    conn: Option<Connection>,
    lock: Option<File>,
    folder: PathBuf,
    path: PathBuf,
    id: String,
    started: i64,
    app_version: String,
    host: String,
    shared: Arc<Shared>,
    servers_written: usize,
    tally: Tally,
    retry_at: Instant,
}

/// The writer: wakes every `interval` (or at a flush), takes what the queue holds and
/// writes it in one transaction (several when more than [`MAX_BATCH`] waited).
fn run(mut w: Writer, rx: &Receiver<(i64, Record)>, flushes: &Receiver<Flush>, interval: Duration) {
    let mut batch: Vec<(i64, Record)> = Vec::with_capacity(1024);
    let mut next = Instant::now() + interval;
    loop {
        let mut acks = Vec::new();
        let mut closing = false;
        match flushes.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Ok(ack) => acks.push(ack),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => closing = true,
        }
        acks.extend(flushes.try_iter());
        let mut result = Ok(());
        loop {
            batch.extend(rx.try_iter().take(MAX_BATCH - batch.len()));
            let more = batch.len() >= MAX_BATCH;
            if closing && !more {
                break;
            }
            let r = w.commit(&mut batch);
            if result.is_ok() {
                result = r;
            }
            if !more {
                break;
            }
        }
        if closing {
            w.finish(&mut batch);
            return;
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
        next = Instant::now() + interval;
    }
}

impl Writer {
    fn set_error(&self, e: Option<JournalError>) {
        *lock(&self.shared.error) = e;
    }

    fn lock_path(&self) -> PathBuf {
        show_files::lock_path(&self.path)
    }

    /// Creates the folder, takes the lock and creates the file; on failure the error is
    /// set and the next try is due in [`RETRY_OPEN`].
    fn try_open(&mut self) -> bool {
        match self.open() {
            Ok(()) => {
                self.set_error(None);
                true
            }
            Err(e) => {
                self.set_error(Some(e));
                self.retry_at = Instant::now() + RETRY_OPEN;
                false
            }
        }
    }

    fn open(&mut self) -> Result<(), JournalError> {
        fs::create_dir_all(&self.folder)
            .map_err(|e| JournalError::from_io(&self.folder, &self.folder, &e))?;
        if self.lock.is_none() {
            let lock_path = self.lock_path();
            let file = show_files::hold_lock(&lock_path)
                .map_err(|e| JournalError::from_io(&self.folder, &lock_path, &e))?;
            self.lock = Some(file);
        }
        // What a failed try left (a file with half its tables) goes first.
        show_files::remove_show_files(&self.path);
        let meta = Meta {
            id: &self.id,
            started: self.started,
            app_version: &self.app_version,
            host: &self.host,
        };
        match schema::create(&self.path, &meta) {
            Ok(conn) => {
                self.conn = Some(conn);
                self.servers_written = 0;
                self.tally = Tally {
                    last: self.started,
                    ..Tally::default()
                };
                Ok(())
            }
            Err(e) => {
                let error = JournalError::from_sqlite(&self.folder, &self.path, &e);
                show_files::remove_show_files(&self.path);
                Err(error)
            }
        }
    }

    /// Writes `batch` (and servers added since the last one) in one transaction, and
    /// empties it.
    fn commit(&mut self, batch: &mut Vec<(i64, Record)>) -> Result<(), JournalError> {
        let count = batch.len() as u64;
        if self.conn.is_none() && (Instant::now() < self.retry_at || !self.try_open()) {
            batch.clear();
            self.shared.unsaved.fetch_add(count, Ordering::Relaxed);
            return Err(self.current_error());
        }
        let Some(conn) = &self.conn else {
            return Err(self.current_error());
        };
        let servers: Vec<(ServerInfo, i64)> = lock(&self.shared.servers)
            .get(self.servers_written..)
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        if batch.is_empty() && servers.is_empty() {
            return match self.current_error_opt() {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        let mut tally = self.tally;
        let result = write(conn, &servers, self.servers_written, batch, &mut tally);
        batch.clear();
        match result {
            Ok(()) => {
                self.tally = tally;
                self.servers_written += servers.len();
                self.shared.written.fetch_add(count, Ordering::Relaxed);
                self.set_error(None);
                Ok(())
            }
            Err(e) => {
                self.shared.unsaved.fetch_add(count, Ordering::Relaxed);
                let error = JournalError::from_sqlite(&self.folder, &self.path, &e);
                self.set_error(Some(error.clone()));
                Err(error)
            }
        }
    }

    fn current_error_opt(&self) -> Option<JournalError> {
        lock(&self.shared.error).clone()
    }

    fn current_error(&self) -> JournalError {
        self.current_error_opt()
            .unwrap_or_else(|| JournalError::Write {
                path: self.path.clone(),
                detail: "not open".into(),
            })
    }

    /// The last batch, the end stamp, the WAL folded into the file, the lock let go.
    fn finish(&mut self, batch: &mut Vec<(i64, Record)>) {
        let _ = self.commit(batch);
        if let Some(conn) = self.conn.take() {
            let ended = micros(SystemTime::now());
            if let Err(e) = conn.execute("UPDATE show SET ended = ?1", [ended]) {
                self.set_error(Some(JournalError::from_sqlite(
                    &self.folder,
                    &self.path,
                    &e,
                )));
            }
            // One self-contained file: nothing left in a -wal beside it. Both fail
            // harmlessly while someone reads the show (it then stays in WAL mode).
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = conn.query_row("PRAGMA journal_mode=DELETE", [], |_| Ok(()));
            drop(conn);
        }
        if let Some(file) = self.lock.take() {
            let _ = fs::remove_file(self.lock_path());
            drop(file);
        }
    }
}

/// Rounds a CPU figure to 0.001 % (what scsynth's float means; a clean CSV).
fn cpu(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}

fn write(
    conn: &Connection,
    servers: &[(ServerInfo, i64)],
    first_server: usize,
    batch: &[(i64, Record)],
    tally: &mut Tally,
) -> rusqlite::Result<()> {
    let tx = conn.unchecked_transaction()?;
    {
        if !servers.is_empty() {
            let mut st = tx.prepare(
                "INSERT OR REPLACE INTO servers (id, address, name, protocol, owned, added)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, (s, added)) in servers.iter().enumerate() {
                let id = i64::try_from(first_server + i).unwrap_or(i64::MAX);
                st.execute(params![id, s.address, s.name, s.protocol, s.owned, added])?;
            }
        }
        let mut samples: Option<Statement<'_>> = None;
        let mut events: Option<Statement<'_>> = None;
        let mut traffic: Option<Statement<'_>> = None;
        for (t, record) in batch {
            let t = *t;
            tally.last = tally.last.max(t);
            match record {
                Record::Status(server, s) => {
                    let st = match &mut samples {
                        Some(st) => st,
                        None => samples.insert(tx.prepare(
                            "INSERT INTO samples (t, server, avg_cpu, peak_cpu, ugens, synths,
                             groups, synthdefs, nominal_rate, actual_rate)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        )?),
                    };
                    let peak = cpu(s.peak_cpu);
                    st.execute(params![
                        t,
                        server.0,
                        cpu(s.average_cpu),
                        peak,
                        s.ugens,
                        s.synths,
                        s.groups,
                        s.synthdefs,
                        s.nominal_sample_rate,
                        s.actual_sample_rate
                    ])?;
                    tally.samples += 1;
                    if tally.peak.is_none_or(|(p, _, _)| peak > p) {
                        tally.peak = Some((peak, t, server.0));
                    }
                }
                Record::Event(server, e) => {
                    let st = match &mut events {
                        Some(st) => st,
                        None => events.insert(tx.prepare(
                            "INSERT INTO events (t, server, kind, count, value, text, detail)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        )?),
                    };
                    let (count, value, text, detail) = e.columns();
                    st.execute(params![
                        t,
                        server.map(|s| s.0),
                        e.kind(),
                        count,
                        value,
                        text,
                        detail
                    ])?;
                    tally.events += 1;
                    match e {
                        Event::Xrun { count } => tally.xruns += i64::from(*count),
                        Event::Crashed { .. } => tally.crashes += 1,
                        _ => {}
                    }
                }
                Record::Traffic(server, direction, packet) => {
                    let st = match &mut traffic {
                        Some(st) => st,
                        None => traffic.insert(tx.prepare(
                            "INSERT INTO traffic (t, server, direction, packet)
                             VALUES (?1, ?2, ?3, ?4)",
                        )?),
                    };
                    st.execute(params![t, server.0, direction.as_str(), packet])?;
                    tally.packets += 1;
                }
            }
        }
        let (peak, peak_at, peak_server) = match tally.peak {
            Some((p, at, s)) => (Some(p), Some(at), Some(s)),
            None => (None, None, None),
        };
        tx.execute(
            "UPDATE show SET last = ?1, peak_cpu = ?2, peak_cpu_at = ?3, peak_cpu_server = ?4,
             xruns = ?5, crashes = ?6, samples = ?7, events = ?8, packets = ?9",
            params![
                tally.last,
                peak,
                peak_at,
                peak_server,
                tally.xruns,
                tally.crashes,
                tally.samples,
                tally.events,
                tally.packets
            ],
        )?;
    }
    tx.commit()
}

/// A random UUID (version 4), from the standard library's randomly keyed hasher.
fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut bytes = [0u8; 16];
    for (i, half) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_u32(std::process::id());
        h.write_usize(i);
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// This machine's name.
fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handle_is_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Journal>();
    }

    #[test]
    fn ids_are_version_4_uuids_and_differ() {
        let a = new_id();
        let b = new_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn cpu_is_kept_to_a_thousandth_of_a_percent() {
        assert_eq!(cpu(12.5), 12.5);
        assert_eq!(cpu(33.333_33), 33.333);
    }
}
