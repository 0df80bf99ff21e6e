//! A JACK client of the test's own whose process callback can be made to block for longer
//! than a period: jackd then reports "client was not finished" as an xrun to every client.
//! Measured here on the dummy driver (256 frames at 48 kHz, 5.3 ms a period): a 50 ms stall
//! is counted within ~20 ms of asking for it.
//!
//! Blocking in the callback rather than stopping a client process with SIGSTOP: a
//! `jack_metro` stopped and continued ignored SIGTERM (its handler hangs in
//! jack_client_close), and after a SIGKILL jackd itself would not quit on SIGTERM (still up
//! 5 s later); a jackd killed in turn keeps its slot in JACK's shared registry of 8 servers,
//! for every JACK user of the machine. This client returns and closes normally.

use std::ffi::{CString, c_char, c_int, c_void};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Ten times what an xrun takes to arrive here, for a loaded machine.
pub const LIMIT: Duration = Duration::from_secs(10);

type ClientOpen = unsafe extern "C" fn(*const c_char, c_int, *mut c_int, ...) -> *mut c_void;
type Process = unsafe extern "C" fn(u32, *mut c_void) -> c_int;

/// A JACK client whose next cycle can be made late; closed when dropped.
pub struct SlowClient {
    client: *mut c_void,
    close: unsafe extern "C" fn(*mut c_void) -> c_int,
    /// Milliseconds the next process callback blocks for (then 0 again).
    stall_ms: Box<AtomicU64>,
    _library: libloading::Library,
}

unsafe extern "C" fn process(_frames: u32, arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `AtomicU64` boxed in the `SlowClient`, which closes the client
    // before it goes.
    let stall = unsafe { &*(arg as *const AtomicU64) };
    let ms = stall.swap(0, Ordering::Relaxed);
    if ms > 0 {
        std::thread::sleep(Duration::from_millis(ms));
    }
    0
}

impl SlowClient {
    /// Joins JACK server `server` (`None`: `$JACK_DEFAULT_SERVER`) as `name`, active.
    pub fn open(server: Option<&str>, name: &str) -> SlowClient {
        // SAFETY: the symbols are looked up with JACK's C signatures (jack/jack.h).
        unsafe {
            let library = libloading::Library::new("libjack.so.0")
                .expect("libjack.so.0 (Debian jackd2): run under scripts/with-jack.sh");
            let open = *library
                .get::<ClientOpen>(b"jack_client_open\0")
                .expect("jack_client_open");
            let set_process = *library
                .get::<unsafe extern "C" fn(*mut c_void, Process, *mut c_void) -> c_int>(
                    b"jack_set_process_callback\0",
                )
                .expect("jack_set_process_callback");
            let activate = *library
                .get::<unsafe extern "C" fn(*mut c_void) -> c_int>(b"jack_activate\0")
                .expect("jack_activate");
            let close = *library
                .get::<unsafe extern "C" fn(*mut c_void) -> c_int>(b"jack_client_close\0")
                .expect("jack_client_close");
            let cname = CString::new(name).expect("client name");
            let mut status: c_int = 0;
            // JackNoStartServer (1), and JackServerName (4) when a server is named.
            let client = match server {
                Some(s) => {
                    let s = CString::new(s).expect("server name");
                    open(cname.as_ptr(), 1 | 4, &mut status, s.as_ptr())
                }
                None => open(cname.as_ptr(), 1, &mut status),
            };
            assert!(
                !client.is_null(),
                "no JACK server {server:?} to join (status 0x{status:x})"
            );
            let stall_ms = Box::new(AtomicU64::new(0));
            let arg = &*stall_ms as *const AtomicU64 as *mut c_void;
            assert_eq!(set_process(client, process, arg), 0, "process callback");
            assert_eq!(activate(client), 0, "activate");
            SlowClient {
                client,
                close,
                stall_ms,
                _library: library,
            }
        }
    }

    /// Makes the next cycle block for `d`: with `d` well over a period, the cycle is late.
    pub fn stall(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.stall_ms.store(ms, Ordering::Relaxed);
    }
}

impl Drop for SlowClient {
    fn drop(&mut self) {
        // SAFETY: opened in `open`, closed once; no callback runs after this returns.
        unsafe {
            (self.close)(self.client);
        }
    }
}

/// Polls `done` every 10 ms until it holds; fails after [`LIMIT`].
pub fn poll(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
