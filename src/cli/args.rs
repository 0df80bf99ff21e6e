//! The arguments several subcommands share: durations, the server to reach (one, several
//! or a roster), the password file; and how long a server may take to answer.

use std::time::Duration;

use clap::{Arg, ArgAction, Command};

use scpanel_core::osc::{STATUS_INTERVAL, Seconds};

/// How long `status` and `watch` wait for one server before it counts as not answering.
pub(super) const SERVER_TIMEOUT: Seconds = Seconds {
    min: 0.1,
    max: 60.0,
};

pub(super) const DEFAULT_SERVER_TIMEOUT: Duration = Duration::from_secs(2);

/// A clap parser for a duration in `range`: seconds as a number (`0.5`), or with a unit
/// (`0.5s`, `500ms`), range-checked before it becomes a [`Duration`].
pub(super) fn seconds_arg(
    range: Seconds,
    field: &'static str,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |text: &str| {
        let t = text.trim();
        if let Some(ms) = t.strip_suffix("ms") {
            return match ms.trim().parse::<f64>() {
                Ok(ms) => range.check(field, ms / 1000.0),
                // Not a number: the usual sentence, naming the range.
                Err(_) => range.parse(field, t),
            };
        }
        range.parse(field, t.strip_suffix('s').unwrap_or(t))
    }
}

/// `--interval SECONDS` (default 1 s) for the commands that repeat; `what` begins the help.
pub(super) fn interval_arg(what: &str) -> Arg {
    Arg::new("interval")
        .long("interval")
        .value_name("SECONDS")
        .default_value("1")
        .value_parser(seconds_arg(STATUS_INTERVAL, "--interval"))
        .help(format!(
            "{what} ({} to {} s; `1`, `1s` or `500ms`)",
            STATUS_INTERVAL.min, STATUS_INTERVAL.max
        ))
}

pub(super) fn timeout_arg() -> Arg {
    Arg::new("timeout")
        .long("timeout")
        .value_name("SECONDS")
        .value_parser(seconds_arg(SERVER_TIMEOUT, "--timeout"))
        .help(format!(
            "Give up on a server that has not answered after this long ({} to {} s, default \
             {} with several --addr; each server has its own)",
            SERVER_TIMEOUT.min,
            SERVER_TIMEOUT.max,
            DEFAULT_SERVER_TIMEOUT.as_secs()
        ))
}

pub(super) fn connection_args(cmd: Command) -> Command {
    connection_args_for(cmd, false)
}

/// The flags that reach a server; `many` lets `--addr` repeat (one server each).
pub(super) fn connection_args_for(cmd: Command, many: bool) -> Command {
    let addr = Arg::new("addr")
        .long("addr")
        .value_name("HOST:PORT")
        .default_value("127.0.0.1:57110");
    let cmd = if many {
        cmd.arg(
            addr.action(ArgAction::Append)
                .help("A server's address; repeat it for several servers, one table row each"),
        )
        .arg(session_arg())
    } else {
        cmd.arg(addr.help("The server's address"))
    };
    cmd
    .arg(
        Arg::new("tcp")
            .long("tcp")
            .action(ArgAction::SetTrue)
            .help("Talk TCP (a server started with -t)"),
    )
    .arg(
        Arg::new("password")
            .long("password")
            .value_name("TEXT")
            .help("Session password of a TCP server (other users see it in `ps`: prefer --password-file or SCPANEL_PASSWORD)"),
    )
    .arg(
        Arg::new("login")
            .long("login")
            .action(ArgAction::SetTrue)
            .help(
                "Log in (/notify 1) for notifications and /n_query; logs out again before \
                 exiting. Without it nothing is registered on the server",
            ),
    )
    .arg(password_file_arg())
}

/// `--session FILE`: a roster's servers as rows (before any `--addr`).
pub(super) fn session_arg() -> Arg {
    Arg::new("session")
        .long("session")
        .value_name("FILE")
        .action(ArgAction::Append)
        .help(
            "A session file (roster, e.g. classroom.toml): a row per server in it, before any \
             --addr (then 127.0.0.1:57110 is not added unless given). Each server is reached \
             with its own protocol; booted entries are looked at where they would run",
        )
}

pub(super) fn password_file_arg() -> Arg {
    Arg::new("password-file")
        .long("password-file")
        .value_name("FILE")
        .conflicts_with("password")
        .help("Read the session password from FILE (its first line); without this or --password, $SCPANEL_PASSWORD is used")
}
