//! Spawning and supervising the scsynth / supernova process.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::{mpsc, watch};

use crate::error::{Result, ServerError};
use crate::host::output::{LineKind, classify};
use crate::model::log::{LogLine, ServerLog, Stream};

/// How the process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitInfo {
    /// The exit code, when it exited by itself.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
}

impl std::fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(c), _) => write!(f, "exit code {c}"),
            (None, Some(9)) => write!(f, "killed (signal 9)"),
            (None, Some(s)) => write!(f, "signal {s}"),
            (None, None) => write!(f, "unknown exit"),
        }
    }
}

/// A running server process we spawned.
pub struct ServerProcess {
    /// Its process id.
    pub pid: u32,
    /// When it was started.
    pub started: SystemTime,
    exit: watch::Receiver<Option<ExitInfo>>,
    /// Both output readers have reached end of file.
    drained: watch::Receiver<u8>,
    /// We asked it to stop (quit, terminate): its exit is no surprise.
    exit_expected: std::sync::atomic::AtomicBool,
    /// Signals go through it where the kernel has pidfds: never to a reused pid.
    pidfd: Option<pidfd::PidFd>,
    /// Where a node-tree printout's lines go while one is read, instead of the log.
    capture: Arc<Mutex<Capture>>,
}

/// The most of one output line kept. scsynth's longest real lines are node printout lines
/// (three spaces a level, then a 255-byte name at most): this holds a tree over 2,000
/// levels deep. A synth's controls line (`/g_dumpTree G 1`) grows with its controls, about
/// 20 bytes each: one cut here marks its capture as not whole, and the tree is then read
/// over OSC. A program that prints without newlines can't make scpanel hold more.
pub const MAX_LINE: usize = 8 * 1024;

/// The state of a printout capture, shared with the stdout reader.
#[derive(Debug, Default)]
struct Capture {
    sink: Option<mpsc::Sender<String>>,
    /// Printout lines taken by the current capture (also those past its limit).
    taken: u64,
    /// A line of the current capture came cut at [`MAX_LINE`] (a synth with kilobytes of
    /// controls): what it says is not whole.
    cut: bool,
    /// After a capture ends, printout lines still arriving (a reader that gave up early) are
    /// kept out of the log until then, with one note.
    quiet_until: Option<Instant>,
    noted_late: bool,
}

/// How long after a capture its late printout lines still stay out of the log.
const LATE_PRINTOUT: Duration = Duration::from_secs(2);

/// The lines of a node-tree printout (see [`crate::host::output::parse_line`]) while it is read; the server
/// log sees none of them. Ends when finished or dropped.
pub(crate) struct PrintoutCapture {
    state: Arc<Mutex<Capture>>,
    pub lines: mpsc::Receiver<String>,
}

impl PrintoutCapture {
    /// Whether a line taken so far came cut short at [`MAX_LINE`] bytes.
    pub fn any_cut(&self) -> bool {
        self.state.lock().is_ok_and(|c| c.cut)
    }

    /// Ends the capture; returns how many printout lines it kept out of the log.
    pub fn finish(mut self) -> u64 {
        self.end()
    }

    fn end(&mut self) -> u64 {
        self.lines.close();
        match self.state.lock() {
            Ok(mut c) if c.sink.is_some() => {
                c.sink = None;
                c.quiet_until = Some(Instant::now() + LATE_PRINTOUT);
                c.noted_late = false;
                std::mem::take(&mut c.taken)
            }
            _ => 0,
        }
    }
}

impl Drop for PrintoutCapture {
    fn drop(&mut self) {
        self.end();
    }
}

/// What the stdout reader does with a line while captures may run.
enum Route {
    Log,
    Captured,
    /// A late printout line: kept out; `true` the first time, to say so once.
    Late(bool),
}

/// `cut`: the line was longer than [`MAX_LINE`] and `text` is only its beginning.
fn route(capture: &Mutex<Capture>, text: &str, cut: bool) -> Route {
    let Ok(mut c) = capture.lock() else {
        return Route::Log;
    };
    if c.sink.is_none() && c.quiet_until.is_none_or(|t| Instant::now() >= t) {
        return Route::Log;
    }
    if !crate::host::output::is_printout_line(text) {
        return Route::Log;
    }
    if let Some(tx) = &c.sink {
        // Past the limit the reader has what it can use: the line is only counted.
        let _ = tx.try_send(text.to_string());
        c.taken += 1;
        c.cut |= cut;
        return Route::Captured;
    }
    let first = !c.noted_late;
    c.noted_late = true;
    Route::Late(first)
}

/// An output line as boot sees it.
pub(crate) type LineEvent = (LineKind, String);

impl ServerProcess {
    /// Spawns the server with `args`, feeding its output into `log` and `lines`.
    pub fn spawn(
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        log: Arc<Mutex<ServerLog>>,
        lines: mpsc::UnboundedSender<LineEvent>,
    ) -> Result<Arc<ServerProcess>> {
        let not_runnable = |reason: String| ServerError::NotRunnable {
            path: program.display().to_string(),
            reason,
        };
        let mut child = spawner::spawn(spawner::Request {
            program: program.to_path_buf(),
            args: args.to_vec(),
            env: env.to_vec(),
        })
        .map_err(|e| not_runnable(e.to_string()))?;
        let pid = child.id();
        // Opened before anyone can reap the child, so it names this process and no other.
        let pidfd = pidfd::open(pid);
        let (drain_tx, drained) = watch::channel(0u8);
        let drain_tx = Arc::new(drain_tx);
        let stdout = child
            .stdout
            .take()
            .map(tokio::process::ChildStdout::from_std);
        let stderr = child
            .stderr
            .take()
            .map(tokio::process::ChildStderr::from_std);
        let (exit_tx, exit) = watch::channel(None);
        // A plain thread reaps it: a runtime's blocking pool would hold the runtime's
        // shutdown until the server exits.
        std::thread::Builder::new()
            .name(format!("scpanel-wait-{pid}"))
            .spawn(move || {
                let info = match child.wait() {
                    Ok(status) => {
                        #[cfg(unix)]
                        let signal = std::os::unix::process::ExitStatusExt::signal(&status);
                        #[cfg(not(unix))]
                        let signal = None;
                        ExitInfo {
                            code: status.code(),
                            signal,
                        }
                    }
                    Err(_) => ExitInfo {
                        code: None,
                        signal: None,
                    },
                };
                let _ = exit_tx.send(Some(info));
            })
            .map_err(|e| not_runnable(format!("cannot watch it: {e}")))?;
        let capture = Arc::new(Mutex::new(Capture::default()));
        let dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
        match stdout {
            Some(Ok(out)) => {
                tokio::spawn(read_lines(
                    out,
                    Stream::Stdout,
                    Sinks {
                        log: log.clone(),
                        lines: lines.clone(),
                        drained: drain_tx.clone(),
                        dropped: dropped.clone(),
                    },
                    Some(capture.clone()),
                ));
            }
            _ => drain_tx.send_modify(|n| *n += 1),
        }
        match stderr {
            Some(Ok(err)) => {
                let sinks = Sinks {
                    log,
                    lines,
                    drained: drain_tx,
                    dropped: dropped.clone(),
                };
                tokio::spawn(read_lines(err, Stream::Stderr, sinks, None));
            }
            _ => drain_tx.send_modify(|n| *n += 1),
        }
        Ok(Arc::new(ServerProcess {
            pid,
            started: SystemTime::now(),
            exit,
            drained,
            exit_expected: std::sync::atomic::AtomicBool::new(false),
            pidfd,
            capture,
        }))
    }

    /// Waits for the process to end.
    pub async fn wait(&self) -> ExitInfo {
        let mut rx = self.exit.clone();
        loop {
            if let Some(info) = rx.borrow_and_update().clone() {
                return info;
            }
            if rx.changed().await.is_err() {
                return ExitInfo {
                    code: None,
                    signal: None,
                };
            }
        }
    }

    /// Waits until both output pipes are read to their end (after exit), up to `limit`.
    pub(crate) async fn drained(&self, limit: Duration) {
        let mut rx = self.drained.clone();
        let _ = tokio::time::timeout(limit, rx.wait_for(|n| *n >= 2)).await;
    }

    fn signal(&self, sig: i32) {
        if let Some(fd) = &self.pidfd {
            fd.send(sig);
        } else if self.exit.borrow().is_none() {
            // Only while it has not been reaped: after that the pid may belong to someone else.
            pidfd::kill(self.pid, sig);
        }
    }

    /// SIGTERM, then SIGKILL after `grace`; returns how it ended.
    pub async fn terminate(&self, grace: Duration) -> ExitInfo {
        self.expect_exit();
        #[cfg(unix)]
        self.signal(libc::SIGTERM);
        if let Ok(info) = tokio::time::timeout(grace, self.wait()).await {
            return info;
        }
        self.kill_now();
        self.wait().await
    }

    /// SIGKILL at once.
    pub(crate) fn kill_now(&self) {
        self.expect_exit();
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
    }

    /// Marks the coming exit as asked for (a `/quit` we sent), not a crash.
    pub(crate) fn expect_exit(&self) {
        self.exit_expected
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn exit_expected(&self) -> bool {
        self.exit_expected.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Takes the node-tree printout lines of its stdout until the capture ends, at most
    /// `limit` of them into [`PrintoutCapture::lines`] (later ones are only counted); the log
    /// gets none, nor those that come in the 2 s after it (one note says so). A printout
    /// someone else asks for in that moment is kept out too. `None` while another capture
    /// runs.
    pub(crate) fn capture_printout(&self, limit: usize) -> Option<PrintoutCapture> {
        let (tx, rx) = mpsc::channel(limit.max(1));
        let mut c = self.capture.lock().ok()?;
        if c.sink.is_some() {
            return None;
        }
        c.sink = Some(tx);
        c.taken = 0;
        c.cut = false;
        Some(PrintoutCapture {
            state: self.capture.clone(),
            lines: rx,
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // The last handle on a running server we own: never leave it behind.
        #[cfg(unix)]
        self.signal(libc::SIGKILL);
    }
}

/// Where an output reader puts what it reads.
struct Sinks {
    log: Arc<Mutex<ServerLog>>,
    lines: mpsc::UnboundedSender<LineEvent>,
    drained: Arc<watch::Sender<u8>>,
    dropped: Arc<std::sync::atomic::AtomicU64>,
}

/// One line of at most `max` bytes into `buf` (its newline not kept); the rest of a longer
/// line is read past and counted, into `total` as it goes (a line that never ends still
/// shows its count) and in the result for that line. `None` at the end of the stream.
async fn read_line_bounded(
    reader: &mut (impl AsyncBufRead + Unpin),
    buf: &mut Vec<u8>,
    max: usize,
    total: &std::sync::atomic::AtomicU64,
) -> std::io::Result<Option<u64>> {
    let mut dropped = 0u64;
    let mut any = false;
    loop {
        let chunk = reader.fill_buf().await?;
        if chunk.is_empty() {
            return Ok(any.then_some(dropped));
        }
        any = true;
        let newline = chunk.iter().position(|b| *b == b'\n');
        let part = &chunk[..newline.unwrap_or(chunk.len())];
        let keep = part.len().min(max - buf.len());
        buf.extend_from_slice(&part[..keep]);
        let over = (part.len() - keep) as u64;
        dropped += over;
        total.fetch_add(over, std::sync::atomic::Ordering::Relaxed);
        let used = newline.map_or(chunk.len(), |i| i + 1);
        reader.consume(used);
        if newline.is_some() {
            return Ok(Some(dropped));
        }
    }
}

async fn read_lines(
    pipe: impl AsyncRead + Unpin,
    stream: Stream,
    sinks: Sinks,
    capture: Option<Arc<Mutex<Capture>>>,
) {
    let Sinks {
        log,
        lines,
        drained,
        dropped: dropped_total,
    } = sinks;
    let mut reader = BufReader::with_capacity(64 * 1024, pipe);
    let mut buf = Vec::with_capacity(MAX_LINE);
    loop {
        buf.clear();
        match read_line_bounded(&mut reader, &mut buf, MAX_LINE, &dropped_total).await {
            Ok(None) | Err(_) => break,
            Ok(Some(dropped)) => {
                if dropped > 0
                    && let Ok(mut log) = log.lock()
                {
                    // The running total too: every loss counted is shown.
                    let so_far = dropped_total.load(std::sync::atomic::Ordering::Relaxed);
                    log.note(format!(
                        "{dropped} bytes of an over-long line dropped ({so_far} so far from this \
                         server; its lines are kept to {} KiB)",
                        MAX_LINE / 1024
                    ));
                }
                let text = String::from_utf8_lossy(&buf).trim_end().to_string();
                if text.is_empty() {
                    continue;
                }
                match capture
                    .as_deref()
                    .map_or(Route::Log, |c| route(c, &text, dropped > 0))
                {
                    Route::Log => {}
                    Route::Captured | Route::Late(false) => continue,
                    Route::Late(true) => {
                        if let Ok(mut log) = log.lock() {
                            log.note(
                                "more of the server's node printout came after it was read: \
                                 kept out of the log",
                            );
                        }
                        continue;
                    }
                }
                let kind = classify(&text);
                if let Ok(mut log) = log.lock() {
                    log.push(LogLine::new(stream, kind, text.clone()));
                }
                let _ = lines.send((kind, text));
            }
        }
    }
    drained.send_modify(|n| *n += 1);
}

/// The one thread every server process is forked from. Linux's parent-death signal fires when
/// the *thread* that forked the child ends, not the process: forking from a tokio worker, or
/// from a caller's short-lived thread, would kill the server when that thread goes.
mod spawner {
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::sync::OnceLock;
    use std::sync::mpsc;

    pub(crate) struct Request {
        pub program: PathBuf,
        pub args: Vec<String>,
        pub env: Vec<(String, String)>,
    }

    type Job = (Request, mpsc::Sender<std::io::Result<Child>>);

    static SPAWNER: OnceLock<std::io::Result<mpsc::Sender<Job>>> = OnceLock::new();

    fn spawner() -> std::io::Result<&'static mpsc::Sender<Job>> {
        SPAWNER
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name("scpanel-spawner".into())
                    .spawn(move || {
                        // Lives as long as the process: the sender is in a static.
                        for (request, reply) in rx {
                            let _ = reply.send(command(&request).spawn());
                        }
                    })?;
                Ok(tx)
            })
            .as_ref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
    }

    /// Forks on the spawner thread and hands the child back (a fork takes a millisecond).
    pub fn spawn(request: Request) -> std::io::Result<Child> {
        let (reply_tx, reply_rx) = mpsc::channel();
        spawner()?
            .send((request, reply_tx))
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
        reply_rx
            .recv()
            .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
    }

    fn command(r: &Request) -> Command {
        let mut cmd = Command::new(&r.program);
        cmd.args(&r.args)
            .envs(r.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: getpid has no preconditions.
            let parent = unsafe { libc::getpid() };
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    // Its own process group keeps a terminal's Ctrl-C away from it (the app
                    // quits it cleanly); the parent-death signal is the last resort for an app
                    // that is killed outright.
                    libc::setpgid(0, 0);
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    // The parent may have died before the prctl: then nobody would kill it.
                    if libc::getppid() != parent {
                        return Err(std::io::Error::other("scpanel ended while starting it"));
                    }
                    Ok(())
                });
            }
        }
        #[cfg(all(unix, not(target_os = "linux")))]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        cmd
    }
}

/// Signals by pidfd where the kernel has them (Linux 5.3+): a pidfd names one process for
/// good, so a signal can never reach a stranger that was given the same pid.
pub(crate) mod pidfd {
    #[cfg(target_os = "linux")]
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    pub(crate) struct PidFd {
        #[cfg(target_os = "linux")]
        fd: OwnedFd,
    }

    /// A pidfd for `pid`, or `None` where the kernel has none.
    pub fn open(pid: u32) -> Option<PidFd> {
        #[cfg(target_os = "linux")]
        {
            let pid = libc::pid_t::try_from(pid).ok()?;
            // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
            let fd = i32::try_from(fd).ok().filter(|fd| *fd >= 0)?;
            // SAFETY: the descriptor was just returned to us and is owned by nobody else.
            Some(PidFd {
                fd: unsafe { OwnedFd::from_raw_fd(fd) },
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = pid;
            None
        }
    }

    impl PidFd {
        /// Sends `sig`; false when the process is gone (or was already reaped).
        pub fn send(&self, sig: i32) -> bool {
            #[cfg(target_os = "linux")]
            {
                // SAFETY: pidfd_send_signal on a descriptor we own, no siginfo, no flags.
                let r = unsafe {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        self.fd.as_raw_fd(),
                        sig,
                        std::ptr::null::<libc::siginfo_t>(),
                        0,
                    )
                };
                r == 0
            }
            #[cfg(not(target_os = "linux"))]
            {
                let _ = sig;
                false
            }
        }

        /// Whether the process has ended (the pidfd turns readable when it does).
        pub fn ended(&self) -> bool {
            #[cfg(target_os = "linux")]
            {
                let mut p = libc::pollfd {
                    fd: self.fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one pollfd, no wait.
                let n = unsafe { libc::poll(&mut p, 1, 0) };
                n > 0
            }
            #[cfg(not(target_os = "linux"))]
            false
        }
    }

    /// Plain kill(2), for kernels without pidfds: the caller must know the pid is still its.
    pub fn kill(pid: u32, sig: i32) -> bool {
        #[cfg(unix)]
        if let Ok(pid) = libc::pid_t::try_from(pid) {
            // SAFETY: kill(2) on a pid the caller vouches for.
            return unsafe { libc::kill(pid, sig) } == 0;
        }
        let _ = (pid, sig);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printout_capture_keeps_its_lines_and_late_ones_out_of_the_log() {
        let state = Arc::new(Mutex::new(Capture::default()));
        assert!(matches!(
            route(&state, "   1000 default", false),
            Route::Log
        ));
        let (tx, rx) = mpsc::channel(2);
        state.lock().unwrap().sink = Some(tx);
        let mut capture = PrintoutCapture {
            state: state.clone(),
            lines: rx,
        };
        assert!(matches!(
            route(&state, "NODE TREE Group 0", false),
            Route::Captured
        ));
        assert!(matches!(route(&state, "late 0.01", false), Route::Log));
        assert!(matches!(
            route(&state, "   1 group", false),
            Route::Captured
        ));
        assert!(!capture.any_cut());
        // A controls line cut at the bound is taken, and the capture knows it is not whole.
        assert!(matches!(
            route(&state, "        freq: 1 amp: 0.", true),
            Route::Captured
        ));
        assert!(capture.any_cut());
        // Past the channel's room: still kept out, only counted.
        assert!(matches!(route(&state, "      2 x", false), Route::Captured));
        assert_eq!(
            capture.lines.try_recv().ok().as_deref(),
            Some("NODE TREE Group 0")
        );
        assert_eq!(capture.finish(), 4);
        assert!(matches!(
            route(&state, "      3 x", false),
            Route::Late(true)
        ));
        assert!(matches!(
            route(&state, "      4 x", false),
            Route::Late(false)
        ));
        assert!(matches!(
            route(&state, "SuperCollider 3 server ready.", false),
            Route::Log
        ));
        state.lock().unwrap().quiet_until = Some(Instant::now());
        assert!(matches!(route(&state, "      5 x", false), Route::Log));
    }

    #[tokio::test]
    async fn a_line_is_kept_to_its_bound_and_the_rest_counted() {
        let mut text = b"short\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 100_000));
        text.extend(b"\nafter\nno newline at the end");
        // A small buffer, so the long line comes in many pieces.
        let mut reader = BufReader::with_capacity(7, text.as_slice());
        let mut buf = Vec::new();
        let total = std::sync::atomic::AtomicU64::new(0);
        let mut next = async || {
            buf.clear();
            let dropped = read_line_bounded(&mut reader, &mut buf, 16, &total)
                .await
                .unwrap();
            dropped.map(|d| (String::from_utf8(buf.clone()).unwrap(), d))
        };
        assert_eq!(next().await, Some(("short".into(), 0)));
        assert_eq!(next().await, Some(("x".repeat(16), 100_000 - 16)));
        assert_eq!(next().await, Some(("after".into(), 0)));
        assert_eq!(next().await, Some(("no newline at th".into(), 5)));
        assert_eq!(next().await, None);
        assert_eq!(total.into_inner(), 100_000 - 16 + 5);
    }
}
