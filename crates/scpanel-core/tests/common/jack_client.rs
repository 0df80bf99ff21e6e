//! A JACK client process of the test's own that can be made to miss its cycles: stopped
//! with SIGSTOP, `jack_metro` can't finish a cycle, and jackd reports "client was not
//! finished" as an xrun to every client. Measured here on the dummy driver (256 frames at
//! 48 kHz): the first xrun comes within a few periods of the stop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Ten times what an xrun takes to arrive here, for a loaded machine.
pub const LIMIT: Duration = Duration::from_secs(10);

/// `jack_metro` on a JACK server, continued and killed by its pid when dropped.
pub struct StoppableClient(Child);

impl StoppableClient {
    /// Starts `jack_metro` as client `name` on the JACK server `server`.
    pub fn start(server: &str, name: &str) -> StoppableClient {
        let child = Command::new("jack_metro")
            .args(["-b", "120", "-n", name])
            .env("JACK_DEFAULT_SERVER", server)
            .env("JACK_NO_START_SERVER", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("jack_metro (Debian jackd2) is needed: run under scripts/with-jack.sh");
        StoppableClient(child)
    }

    /// Stops the client where it is: its cycles stop finishing.
    pub fn stop(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// Lets it go on.
    pub fn go_on(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, sig: libc::c_int) {
        let pid = libc::pid_t::try_from(self.0.id()).expect("pid");
        // SAFETY: a signal to our own child, by its pid.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0, "kill({pid}, {sig})");
    }
}

impl Drop for StoppableClient {
    fn drop(&mut self) {
        self.signal(libc::SIGCONT);
        let _ = self.0.kill();
        let _ = self.0.wait();
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

/// Whether `client` has its ports on the JACK server `server` (it is up and active).
pub fn has_ports(server: &str, client: &str) -> bool {
    let prefix = format!("{client}:");
    Command::new("jack_lsp")
        .env("JACK_DEFAULT_SERVER", server)
        .env("JACK_NO_START_SERVER", "1")
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.starts_with(&prefix))
        })
}
