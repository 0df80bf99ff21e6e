//! The signals that ask the app (or `scpanel boot`) to end: SIGTERM (a session manager,
//! `kill`), SIGHUP (the terminal went away), SIGINT (Ctrl-C). Each one quits the owned
//! server with `/quit` and finishes a recording before the process exits; the server's
//! parent-death signal is only the last resort for a process killed outright.

use std::fmt;

/// Which signal asked us to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Termination {
    Terminate,
    HangUp,
    Interrupt,
}

impl Termination {
    /// The signal's number, for an exit status of 128 + n.
    pub fn number(self) -> i32 {
        #[cfg(unix)]
        {
            match self {
                Termination::Terminate => libc::SIGTERM,
                Termination::HangUp => libc::SIGHUP,
                Termination::Interrupt => libc::SIGINT,
            }
        }
        #[cfg(not(unix))]
        2
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Termination::Terminate => "SIGTERM",
            Termination::HangUp => "SIGHUP",
            Termination::Interrupt => "SIGINT",
        })
    }
}

/// Listens for the three signals. Installing replaces their default action (ending the
/// process at once) for the rest of the process's life, so install only where something
/// then acts on [`Signals::recv`].
pub struct Signals {
    #[cfg(unix)]
    streams: [(Termination, tokio::signal::unix::Signal); 3],
}

impl Signals {
    /// Must run inside a tokio runtime. The handlers are in place when this returns, so a
    /// signal sent afterwards is never lost.
    pub fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                streams: [
                    (Termination::Terminate, signal(SignalKind::terminate())?),
                    (Termination::HangUp, signal(SignalKind::hangup())?),
                    (Termination::Interrupt, signal(SignalKind::interrupt())?),
                ],
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next of the three signals to arrive.
    pub async fn recv(&mut self) -> Termination {
        #[cfg(unix)]
        {
            let [(a, sa), (b, sb), (c, sc)] = &mut self.streams;
            tokio::select! {
                _ = sa.recv() => *a,
                _ = sb.recv() => *b,
                _ = sc.recv() => *c,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Termination::Interrupt
        }
    }
}
