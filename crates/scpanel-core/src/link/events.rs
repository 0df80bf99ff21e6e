//! Where a server is in its life, what happens to it, and how often it is asked.

use std::time::Duration;

/// Where the server is in its life, as a user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    /// No server: boot one or connect to one.
    Offline,
    /// Our scsynth process is starting up.
    Booting,
    /// Reaching the server and, when asked, logging in.
    Connecting,
    /// Connected and answering `/status`.
    Online,
    /// Online, but `/status` has gone unanswered for a while.
    Unresponsive,
    /// Quitting or disconnecting.
    Quitting,
}

impl ServerState {
    /// A lowercase word for this state, for status lines and logs.
    pub fn label(self) -> &'static str {
        match self {
            ServerState::Offline => "offline",
            ServerState::Booting => "booting",
            ServerState::Connecting => "connecting",
            ServerState::Online => "online",
            ServerState::Unresponsive => "unresponsive",
            ServerState::Quitting => "quitting",
        }
    }
    /// Whether commands can be sent: online, even if not answering right now.
    pub fn is_online(self) -> bool {
        matches!(self, ServerState::Online | ServerState::Unresponsive)
    }
}

/// Lifecycle events, like supriya's (BOOTING, PROCESS_BOOTED, … PROCESS_PANICKED, QUIT).
#[derive(Debug, Clone, PartialEq)]
pub enum ServerEvent {
    /// [`Server::boot`](crate::Server::boot) was called.
    Booting,
    /// The scsynth process printed its ready line.
    ProcessBooted,
    /// The connection is being opened.
    Connecting,
    /// The link is up; when logged in, the client id and max logins the server gave us.
    Connected {
        /// Our client id, or `None` when watching without a login.
        client_id: Option<i32>,
        /// How many clients the server allows (its `-l`); 0 when watching.
        max_logins: u32,
    },
    /// Set up (default groups, the first tree read, as the connection asked): ready for commands.
    Online,
    /// `/status` went unanswered for [`HealthConfig::reply_timeout`].
    Unresponsive,
    /// The server answers `/status` again.
    Responsive,
    /// [`Server::quit`](crate::Server::quit) or [`Server::disconnect`](crate::Server::disconnect) was called.
    Quitting,
    /// The connection closed.
    Disconnected,
    /// The handle holds no server any more.
    Offline,
    /// Our server process ended without being asked to.
    ProcessPanicked {
        /// How it ended (exit code or signal).
        exit: crate::host::process::ExitInfo,
        /// Its last lines of output.
        last_lines: Vec<String>,
    },
    /// A server we connected to stopped answering, or its port closed.
    OscPanicked {
        /// What happened (time-out, port closed, …).
        reason: String,
    },
    /// The server is back after it went away by itself (see [`RejoinPolicy`](crate::RejoinPolicy)).
    Rejoined {
        /// Booted again (rather than joined again as it came back by itself).
        rebooted: bool,
    },
}

/// How often to poll `/status`, and when silence means trouble.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthConfig {
    /// How often to send `/status`.
    pub poll_interval: Duration,
    /// A `/status` unanswered this long marks the server unresponsive.
    pub reply_timeout: Duration,
    /// A connected server silent this long since it was last heard (and unanswered for at
    /// least half of it) is taken as gone.
    pub offline_after: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            poll_interval: Duration::from_millis(500),
            reply_timeout: Duration::from_millis(300),
            offline_after: Duration::from_millis(1000),
        }
    }
}
