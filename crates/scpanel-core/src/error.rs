//! Errors a musician can act on. Each message says what happened and what to do.

use std::time::Duration;

use thiserror::Error;

/// Everything booting, connecting to or commanding a server can fail with. The `Display`
/// text is meant for the musician: it says what happened and what to do.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum ServerError {
    /// The handle already has a server (booted or connected); the state's label is given.
    #[error("the server is already {0}: quit or disconnect it first")]
    ServerOnline(&'static str),

    /// The handle has no server: boot one or connect to one first.
    #[error("the server is offline: boot it or connect to one first")]
    ServerOffline,

    /// The boot [`Options`](crate::Options) don't make a valid scsynth command line.
    #[error("invalid boot options: {0}")]
    InvalidOptions(String),

    #[error(
        "no scsynth found (looked in {searched}). Install SuperCollider ({hint}), \
         or set SCPANEL_SCSYNTH to the program's path, or pick it with Browse…"
    )]
    /// No scsynth (or supernova) program was found.
    ExecutableNotFound {
        /// Where it was looked for.
        searched: String,
        /// How to install SuperCollider on this system.
        hint: &'static str,
    },

    /// The server program was found but could not be started.
    #[error("cannot run {path}: {reason}. Pick another server program or check its permissions")]
    NotRunnable {
        /// The program's path.
        path: String,
        /// Why it could not run (the operating system's error).
        reason: String,
    },

    /// The port to boot on is taken.
    #[error("{}", port_in_use_message(*.port, .protocol, *.suggestion, .holder.as_ref()))]
    PortInUse {
        /// The port asked for.
        port: u16,
        /// `"udp"` or `"tcp"`.
        protocol: &'static str,
        /// A free port nearby to boot on instead, if one was found.
        suggestion: Option<u16>,
        /// The process that holds it, when it can be seen.
        holder: Option<PortHolder>,
    },

    #[error(
        "the server found no audio device: {detail}. On Linux start JACK (or PipeWire's JACK) first: \
         scpanel can start one for you (Levels & record, Audio setup), or run `jackd -d dummy` \
         for a silent server, or `qjackctl`"
    )]
    /// scsynth could not open an audio device (on Linux: no JACK server running).
    NoAudio {
        /// scsynth's own words.
        detail: String,
    },

    /// The server process exited before it came online.
    #[error("the server exited during boot ({exit}){}", last_lines_suffix(.last_lines))]
    ProcessExited {
        /// How it exited (exit code or signal).
        exit: String,
        /// Its last lines of output, for the reason.
        last_lines: Vec<String>,
    },

    #[error(
        "the server did not come online within {:.1} s and was stopped; raise the boot time-out \
         if this machine is slow{}", .after.as_secs_f64(), last_lines_suffix(.last_lines)
    )]
    /// The server did not print its ready line within the boot time-out, and was stopped.
    BootTimeout {
        /// The time-out that passed.
        after: Duration,
        /// Its last lines of output.
        last_lines: Vec<String>,
    },

    #[error(
        "cannot reach a server at {addr}: {reason}. Is it running, and on that port and protocol?"
    )]
    /// Nothing answered at the address given.
    Unreachable {
        /// The address tried.
        addr: String,
        /// What went wrong (time-out, refused, …).
        reason: String,
    },

    /// The server has no free login slot: all of its max logins (`-l`) are taken.
    #[error("{}", too_many_clients_message(*.max_logins))]
    TooManyClients {
        /// How many logins the server allows, when it said.
        max_logins: Option<u32>,
    },

    /// A server this handle booted is quit, not disconnected from.
    #[error("this app booted the server, so it cannot just disconnect: quit the server instead")]
    OwnedServerShutdown,

    #[error(
        "this server was started by someone else: quitting it needs force (it stops the server for every client)"
    )]
    /// Quitting someone else's server needs `force`: it stops it for every client.
    UnownedServerShutdown,

    /// A watch-only connection can't create nodes, buffers or buses: log in first.
    #[error("watching only (not logged in): log in to create nodes, buffers or buses")]
    NotLoggedIn,

    /// The server answered `/fail` to a command.
    #[error("the server refused {command}: {message}")]
    Fail {
        /// The command that failed (its OSC address).
        command: String,
        /// The server's reason.
        message: String,
    },

    /// No reply came in time.
    #[error("no reply to {request} within {} ms: the server may be busy or gone", .after.as_millis())]
    Timeout {
        /// What was asked.
        request: String,
        /// How long it waited.
        after: Duration,
    },

    /// This client's block of node, buffer or bus ids is used up.
    #[error("out of {what} ids for this client: free some first")]
    OutOfIds {
        /// Which kind of id (`"node"`, `"buffer"`, …).
        what: &'static str,
    },

    /// A packet could not be encoded or a reply was not what OSC or the command expects.
    #[error("bad OSC: {0}")]
    Osc(String),

    /// Groups whose listing is bigger than one reply, read without logging in: scsynth lists
    /// such a group only through `/n_query`, which answers logged-in clients alone.
    #[error("{}", too_big_message(.groups, *.synths, *.subgroups))]
    TreeTooBig {
        /// The groups that could not be listed.
        groups: Vec<i32>,
        /// What they hold between them, from `/status`, when known.
        synths: Option<i64>,
        /// How many groups they hold, when known.
        subgroups: Option<i64>,
    },

    /// An input/output error from the operating system.
    #[error("{0}")]
    Io(String),

    /// A request that can't be done as asked (a bus range past the server's buses, a
    /// node that is not a synth); the text says why and what to do.
    #[error("{0}")]
    Refused(String),
}

fn port_in_use_message(
    port: u16,
    protocol: &str,
    suggestion: Option<u16>,
    holder: Option<&PortHolder>,
) -> String {
    let by = match holder {
        Some(h) => format!("by {} (pid {})", h.command, h.pid),
        None => "by another program (maybe another scsynth)".to_string(),
    };
    let mut s = format!(
        "{} port {port} is already in use {by}",
        protocol.to_uppercase()
    );
    match suggestion {
        Some(free) => s.push_str(&format!(
            ": boot on a free port such as {free}, or connect to that server"
        )),
        None => s.push_str(": pick another port, or connect to that server"),
    }
    s
}

fn too_many_clients_message(max: Option<u32>) -> String {
    match max {
        Some(n) => format!(
            "too many clients: the server allows {n} login(s) and all are taken. \
             Watch it without logging in, or boot it with more max logins (-l)"
        ),
        None => {
            "too many clients: every login of the server is taken. Watch it without logging in, \
                 or boot it with more max logins (-l)"
                .to_string()
        }
    }
}

fn too_big_message(groups: &[i32], synths: Option<i64>, subgroups: Option<i64>) -> String {
    let which = match groups {
        [one] => format!("group {one}"),
        many => {
            let ids: Vec<String> = many.iter().take(8).map(i32::to_string).collect();
            let more = if many.len() > 8 { ", …" } else { "" };
            format!("groups {}{more}", ids.join(", "))
        }
    };
    let holds = match (synths, subgroups) {
        (Some(s), Some(g)) if g > 0 => {
            format!(" {} {s} synths and {g} groups,", holds_verb(groups))
        }
        (Some(s), _) => format!(" {} {s} synths,", holds_verb(groups)),
        _ => String::new(),
    };
    format!(
        "{which}{holds} too many to list without logging in (scsynth answers /n_query only \
         to logged-in clients): log in to list them (scpanel tree --login)"
    )
}

fn holds_verb(groups: &[i32]) -> &'static str {
    if groups.len() == 1 {
        "holds"
    } else {
        "hold between them"
    }
}

fn last_lines_suffix(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(". Last output:\n{}", lines.join("\n"))
    }
}

impl From<std::io::Error> for ServerError {
    fn from(e: std::io::Error) -> Self {
        ServerError::Io(e.to_string())
    }
}

impl From<rosc::OscError> for ServerError {
    fn from(e: rosc::OscError) -> Self {
        ServerError::Osc(e.to_string())
    }
}

/// The result of every fallible server operation.
pub type Result<T, E = ServerError> = std::result::Result<T, E>;

/// A process listening on a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortHolder {
    /// Its process id.
    pub pid: u32,
    /// Its command line, arguments joined by spaces.
    pub command: String,
}

impl PortHolder {
    /// Whether it looks like a SuperCollider server (so connecting to it makes sense).
    pub fn is_scsynth(&self) -> bool {
        let program = self.command.split_whitespace().next().unwrap_or("");
        program.ends_with("scsynth") || program.ends_with("supernova")
    }
}
