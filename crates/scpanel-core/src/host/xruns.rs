//! Xruns counted by a JACK client of our own: JACK tells every active client when a cycle
//! missed its deadline, and scsynth does not report them.
//!
//! libjack is loaded at run time (`libjack.so.0`, jackd2's or PipeWire's): scpanel builds
//! without JACK's headers and starts where JACK is absent, and then says so. The `jack`
//! crate (0.13) was not used: its `jack-sys` build script needs `jack.pc` (libjack-dev) even
//! with dynamic loading, and it cannot open a named server (`jack_client_open`'s server-name
//! argument is variadic, which it leaves out).
//!
//! jackd2 calls the xrun callback on its notification thread, but PipeWire's libjack calls
//! it on its audio (data) thread: so the callbacks only store atomics (no lock, no wake-up,
//! no system call), and readers look at the counts at their own pace
//! ([`Xruns::changed`] polls them). Readers never wait on JACK and JACK never waits on the
//! UI or the runtime. The client has no process callback, so jackd2 leaves it out of the
//! audio graph (measured: no xrun in 5 s with the watcher alone on a dummy jackd, load
//! average 8).

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::host::jack::JackTarget;
use crate::model::options::Options;

/// How many recent moments with xruns are kept, for marks on a plot; older ones are only
/// counted. Xruns less than [`MOMENT`] apart share one, so a storm of one xrun a cycle (190
/// a second here) still reaches back 100 s.
pub const RECENT: usize = 1024;

/// Xruns this close together make one moment.
pub const MOMENT: Duration = Duration::from_millis(100);

/// How often [`Xruns::changed`] looks at the counts.
pub const POLL: Duration = Duration::from_millis(100);

/// `jack_options_t`: never start a server (a watcher must not bring up JACK by itself).
const JACK_NO_START_SERVER: c_int = 0x01;
/// `jack_options_t`: the variadic argument names the server.
const JACK_SERVER_NAME: c_int = 0x04;

type ClientOpen = unsafe extern "C" fn(*const c_char, c_int, *mut c_int, ...) -> *mut c_void;
type XrunCallback = unsafe extern "C" fn(*mut c_void) -> c_int;
type ShutdownCallback = unsafe extern "C" fn(*mut c_void);
type MessageFunction = unsafe extern "C" fn(*const c_char);

/// The few libjack functions the watcher calls.
struct Jack {
    client_open: ClientOpen,
    set_xrun_callback: unsafe extern "C" fn(*mut c_void, XrunCallback, *mut c_void) -> c_int,
    on_shutdown: unsafe extern "C" fn(*mut c_void, ShutdownCallback, *mut c_void),
    activate: unsafe extern "C" fn(*mut c_void) -> c_int,
    client_close: unsafe extern "C" fn(*mut c_void) -> c_int,
    /// Kept loaded for the life of the process: libjack's threads may outlive a client.
    _library: libloading::Library,
}

/// libjack, loaded once. Unloading it is never safe while its threads may run, so it stays.
fn jack() -> Result<&'static Jack, NoJack> {
    static JACK: OnceLock<Result<Jack, String>> = OnceLock::new();
    JACK.get_or_init(load)
        .as_ref()
        .map_err(|e| NoJack::Library(e.clone()))
}

fn load() -> Result<Jack, String> {
    // SAFETY: libjack's initialisers only set up its own state.
    let library = unsafe { libloading::Library::new("libjack.so.0") }
        .map_err(|e| format!("libjack.so.0: {e}"))?;
    // SAFETY: each symbol is looked up with the signature of JACK's C API (jack/jack.h).
    unsafe {
        let set_error: MessageFunction = quiet;
        let set_error_function = *library
            .get::<unsafe extern "C" fn(MessageFunction)>(b"jack_set_error_function\0")
            .map_err(|e| e.to_string())?;
        let set_info_function = *library
            .get::<unsafe extern "C" fn(MessageFunction)>(b"jack_set_info_function\0")
            .map_err(|e| e.to_string())?;
        // "Cannot connect to server socket" on stderr for every try would be noise: the
        // watcher says "no JACK" itself.
        set_error_function(set_error);
        set_info_function(set_error);
        Ok(Jack {
            client_open: *library
                .get::<ClientOpen>(b"jack_client_open\0")
                .map_err(|e| e.to_string())?,
            set_xrun_callback: *library
                .get(b"jack_set_xrun_callback\0")
                .map_err(|e| e.to_string())?,
            on_shutdown: *library
                .get(b"jack_on_shutdown\0")
                .map_err(|e| e.to_string())?,
            activate: *library.get(b"jack_activate\0").map_err(|e| e.to_string())?,
            client_close: *library
                .get(b"jack_client_close\0")
                .map_err(|e| e.to_string())?,
            _library: library,
        })
    }
}

unsafe extern "C" fn quiet(_: *const c_char) {}

/// Why no xruns can be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoJack {
    /// libjack isn't installed (or lacks a function we need).
    Library(String),
    /// No JACK server of that name answers.
    Server(String),
}

impl std::fmt::Display for NoJack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoJack::Library(e) => write!(f, "no JACK library ({e})"),
            NoJack::Server(e) => write!(f, "no JACK server answers ({e})"),
        }
    }
}

impl std::error::Error for NoJack {}

/// What the callbacks write and readers read.
struct Shared {
    count: AtomicU64,
    /// Moments begun; the latest [`RECENT`] are in the ring, by number modulo [`RECENT`].
    moments: AtomicU64,
    /// When each moment began, in microseconds since the Unix epoch.
    moment_at: [AtomicU64; RECENT],
    /// How many xruns each moment holds.
    moment_xruns: [AtomicU64; RECENT],
    /// When the latest xrun was, in microseconds since the Unix epoch; 0 for none yet.
    last: AtomicU64,
    /// The JACK server shut this client down (it stopped, or threw us out).
    shut_down: AtomicBool,
    since: SystemTime,
}

fn micros(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .max(1)
}

impl Shared {
    fn new(since: SystemTime) -> Shared {
        Shared {
            count: AtomicU64::new(0),
            moments: AtomicU64::new(0),
            moment_at: std::array::from_fn(|_| AtomicU64::new(0)),
            moment_xruns: std::array::from_fn(|_| AtomicU64::new(0)),
            last: AtomicU64::new(0),
            shut_down: AtomicBool::new(false),
            since,
        }
    }

    /// Called on JACK's one notification thread: the only writer.
    fn record(&self, at: SystemTime) {
        let t = micros(at);
        let m = self.moments.load(Ordering::Relaxed);
        let current = (m > 0).then(|| (m - 1) as usize % RECENT);
        let moment_us = u64::try_from(MOMENT.as_micros()).unwrap_or(u64::MAX);
        match current {
            Some(i) if t.saturating_sub(self.moment_at[i].load(Ordering::Relaxed)) < moment_us => {
                self.moment_xruns[i].fetch_add(1, Ordering::Release);
            }
            _ => {
                let i = m as usize % RECENT;
                self.moment_xruns[i].store(1, Ordering::Relaxed);
                self.moment_at[i].store(t, Ordering::Relaxed);
                self.moments.store(m + 1, Ordering::Release);
            }
        }
        self.last.store(t, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Release);
    }
}

unsafe extern "C" fn on_xrun(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Shared` that the watcher keeps alive until its client is closed.
    let shared = unsafe { &*(arg as *const Shared) };
    shared.record(SystemTime::now());
    0
}

unsafe extern "C" fn on_shutdown(arg: *mut c_void) {
    // SAFETY: as in `on_xrun`. Only an atomic store: JACK asks shutdown callbacks to behave
    // like signal handlers.
    let shared = unsafe { &*(arg as *const Shared) };
    shared.shut_down.store(true, Ordering::Release);
}

/// A reader of a watcher's counts: cheap to clone, never waits (atomics only).
#[derive(Clone)]
pub struct Xruns {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Xruns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Xruns")
            .field("count", &self.count())
            .field("last", &self.last())
            .field("jack_stopped", &self.jack_stopped())
            .finish()
    }
}

impl Xruns {
    /// Xruns since the watcher opened (the server's boot).
    pub fn count(&self) -> u64 {
        self.shared.count.load(Ordering::Acquire)
    }

    /// When the latest xrun was.
    pub fn last(&self) -> Option<SystemTime> {
        match self.shared.last.load(Ordering::Relaxed) {
            0 => None,
            us => Some(UNIX_EPOCH + Duration::from_micros(us)),
        }
    }

    /// The latest moments with xruns (at most [`RECENT`]), oldest first: when each began and
    /// how many xruns it holds. Read while JACK may be writing: under a storm the oldest
    /// mark may carry a newer moment's count (marks on a plot, not a figure).
    pub fn recent(&self) -> Vec<(SystemTime, u64)> {
        let m = self.shared.moments.load(Ordering::Acquire);
        let kept = m.min(RECENT as u64);
        (m - kept..m)
            .map(|k| {
                let i = k as usize % RECENT;
                (
                    self.shared.moment_at[i].load(Ordering::Relaxed),
                    self.shared.moment_xruns[i].load(Ordering::Acquire),
                )
            })
            .filter(|&(us, n)| us != 0 && n != 0)
            .map(|(us, n)| (UNIX_EPOCH + Duration::from_micros(us), n))
            .collect()
    }

    /// When counting started.
    pub fn since(&self) -> SystemTime {
        self.shared.since
    }

    /// The JACK server shut our client down: nothing more will be counted.
    pub fn jack_stopped(&self) -> bool {
        self.shared.shut_down.load(Ordering::Acquire)
    }

    /// Returns once an xrun or a shutdown came after the call, looking every
    /// [`POLL`]: the callbacks wake nobody (see the module's words).
    pub async fn changed(&self) {
        let seen = (self.count(), self.jack_stopped());
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if (self.count(), self.jack_stopped()) != seen {
                return;
            }
        }
    }
}

/// A JACK client that counts the server's xruns until it is dropped.
///
/// [`XrunWatcher::open`] and dropping both talk to the JACK server and may take a few
/// milliseconds: call them off the UI thread and off the async runtime's workers
/// (`tokio::task::spawn_blocking`).
pub struct XrunWatcher {
    client: *mut c_void,
    jack: &'static Jack,
    xruns: Xruns,
}

// SAFETY: a jack_client_t may be used and closed from any thread.
unsafe impl Send for XrunWatcher {}

impl XrunWatcher {
    /// Joins the JACK server `target` as `client_name` (JACK adds a suffix if it is taken)
    /// and counts its xruns from now on. Never starts a JACK server.
    pub fn open(target: &JackTarget, client_name: &str) -> Result<XrunWatcher, NoJack> {
        let jack = jack()?;
        let name = CString::new(client_name)
            .map_err(|_| NoJack::Server("a client name with a NUL byte".into()))?;
        let server = match &target.server_name {
            Some(s) => Some(
                CString::new(s.as_str())
                    .map_err(|_| NoJack::Server("a server name with a NUL byte".into()))?,
            ),
            None => None,
        };
        let mut status: c_int = 0;
        let _one = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the C strings outlive the call; the variadic argument is passed exactly
        // when JackServerName says there is one.
        let client = unsafe {
            match &server {
                Some(s) => (jack.client_open)(
                    name.as_ptr(),
                    JACK_NO_START_SERVER | JACK_SERVER_NAME,
                    &mut status,
                    s.as_ptr(),
                ),
                None => (jack.client_open)(name.as_ptr(), JACK_NO_START_SERVER, &mut status),
            }
        };
        if client.is_null() {
            let which = target
                .server_name
                .as_deref()
                .unwrap_or("the default server");
            return Err(NoJack::Server(format!("{which}, status 0x{status:x}")));
        }
        let shared = Arc::new(Shared::new(SystemTime::now()));
        let watcher = XrunWatcher {
            client,
            jack,
            xruns: Xruns { shared },
        };
        let arg = Arc::as_ptr(&watcher.xruns.shared) as *mut c_void;
        // SAFETY: `client` is open; `arg` lives until `drop` has closed the client, after
        // which JACK calls nothing of ours.
        let activated = unsafe {
            (jack.set_xrun_callback)(client, on_xrun, arg);
            (jack.on_shutdown)(client, on_shutdown, arg);
            (jack.activate)(client)
        };
        if activated != 0 {
            // Dropping `watcher` closes the client.
            return Err(NoJack::Server(format!(
                "the JACK server refused to activate a client ({activated})"
            )));
        }
        Ok(watcher)
    }

    /// The counts, to read from anywhere.
    pub fn xruns(&self) -> Xruns {
        self.xruns.clone()
    }
}

/// libjack's client open and close, one at a time in this process: a close on one thread
/// and an open on another deadlocked inside libjack (each waiting on a lock the other held;
/// seen with two servers' watchers, one ending as the other began).
static CLIENTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Drop for XrunWatcher {
    fn drop(&mut self) {
        let _one = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: opened by `open`, closed once. After close JACK no longer calls back, so
        // the `Shared` behind the callbacks' pointer may go with the last `Xruns`.
        unsafe {
            (self.jack.client_close)(self.client);
        }
    }
}

/// The JACK server a scsynth booted with `options` joins: the one `-H server:client` names,
/// else the one its environment names (`JACK_DEFAULT_SERVER` in [`Options::env`]), else
/// the default one (or this process's `$JACK_DEFAULT_SERVER`).
pub fn target_of(options: &Options) -> JackTarget {
    let named = Some(crate::host::jack::split_device(&options.device).0).filter(|s| !s.is_empty());
    let from_env = options
        .env
        .iter()
        .rev()
        .find(|(k, _)| k == "JACK_DEFAULT_SERVER")
        .map(|(_, v)| v.as_str());
    JackTarget {
        server_name: named.or(from_env).map(String::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xruns_close_together_share_a_moment_and_the_ring_keeps_the_latest() {
        let x = Xruns {
            shared: Arc::new(Shared::new(UNIX_EPOCH)),
        };
        assert_eq!(x.count(), 0);
        assert_eq!(x.last(), None);
        assert!(x.recent().is_empty());
        let at = |ms: u64| UNIX_EPOCH + Duration::from_secs(1_000) + Duration::from_millis(ms);
        // A storm: one xrun every 5 ms for 250 ms makes three moments (0, 100, 200 ms).
        for k in 0..50 {
            x.shared.record(at(k * 5));
        }
        assert_eq!(x.count(), 50);
        assert_eq!(x.last(), Some(at(245)));
        assert_eq!(x.recent(), vec![(at(0), 20), (at(100), 20), (at(200), 10)]);
        // Far apart: one moment each, the oldest dropped past RECENT.
        for k in 0..RECENT as u64 {
            x.shared.record(at(1_000 + k * 1_000));
        }
        let recent = x.recent();
        assert_eq!(recent.len(), RECENT);
        assert_eq!(recent.first(), Some(&(at(1_000), 1)));
        assert_eq!(x.count(), 50 + RECENT as u64);
    }

    #[test]
    fn the_device_option_or_the_environment_names_the_jack_server() {
        let with = |device: &str, env: &[(&str, &str)]| {
            let options = Options {
                device: device.into(),
                env: env
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Options::default()
            };
            target_of(&options).server_name
        };
        assert_eq!(with("", &[]), None);
        assert_eq!(with("mine", &[]), None);
        assert_eq!(with(":mine", &[]), None);
        assert_eq!(with("studio:mine", &[]).as_deref(), Some("studio"));
        let env = [("JACK_DEFAULT_SERVER", "class")];
        assert_eq!(with("mine", &env).as_deref(), Some("class"));
        // -H wins over the environment, as in scsynth.
        assert_eq!(with("studio:mine", &env).as_deref(), Some("studio"));
    }
}
