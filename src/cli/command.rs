//! The clap command definition: every subcommand, its arguments, and the helpers that
//! build the arguments several subcommands share.

use super::args::{
    connection_args, connection_args_for, interval_arg, password_file_arg, seconds_arg,
    session_arg, timeout_arg,
};
use super::{find, spectrum};
use clap::value_parser;
use clap_complete::Shell;

use clap::{Arg, ArgAction, Command};

use scpanel_core::options::{OPTIONS, Options};
use scpanel_core::osc::BOOT_TIMEOUT;

pub(super) fn boot_command() -> Command {
    let mut cmd = Command::new("boot")
        .about(
            "Boot a server and stay in the foreground printing its status; Ctrl-C, SIGTERM or \
             SIGHUP quit it (finishing a recording first)",
        )
        .arg(
            Arg::new("executable")
                .long("executable")
                .value_name("PATH")
                .help("scsynth or supernova to run (default: $SCPANEL_SCSYNTH, then PATH)"),
        )
        .arg(
            Arg::new("boot-timeout")
                .long("boot-timeout")
                .value_name("SECONDS")
                .value_parser(seconds_arg(BOOT_TIMEOUT, "--boot-timeout"))
                .help(format!(
                    "Give up booting after this long ({} to {} s, default 10)",
                    BOOT_TIMEOUT.min, BOOT_TIMEOUT.max
                )),
        )
        .arg(interval_arg("How often to print the status"))
        .arg(password_file_arg())
        .arg(
            Arg::new("no-jack-connect")
                .long("no-jack-connect")
                .action(ArgAction::SetTrue)
                .help(
                    "Leave the server's JACK ports unconnected (by default they go to the \
                     system's playback and capture ports, as sclang does)",
                ),
        )
        .arg(Arg::new("record").long("record").value_name("PATH").help(
            "Record the outputs from boot until quitting: a file (never overwritten: \
                     -2, -3… is added) or a folder (a timestamped WAV in it)",
        ));
    for def in OPTIONS {
        let default = (def.get)(&Options::default()).to_string();
        let help = format!(
            "{} [{}] {}",
            def.label,
            if def.flag.is_empty() {
                "-u/-t"
            } else {
                def.flag
            },
            def.help
        );
        cmd = cmd.arg(
            Arg::new(def.key)
                .long(def.long())
                .value_name("VALUE")
                .help(format!("{help} (default {default})"))
                .num_args(1),
        );
    }
    cmd
}

pub(super) fn watch_command() -> Command {
    Command::new("watch")
        .about(
            "Print the status table of one or more servers every --interval until Ctrl-C \
             (redrawn in place on a terminal, one table after another through a pipe). \
             Watches without logging in; a server that goes away shows offline until it \
             answers again",
        )
        .arg(
            Arg::new("addr")
                .long("addr")
                .value_name("HOST:PORT")
                .action(ArgAction::Append)
                .default_value("127.0.0.1:57110")
                .help("A server's address; repeat it for several servers, one table row each"),
        )
        .arg(session_arg())
        .arg(
            Arg::new("tcp")
                .long("tcp")
                .action(ArgAction::SetTrue)
                .help("Talk TCP (servers started with -t)"),
        )
        .arg(
            Arg::new("password")
                .long("password")
                .value_name("TEXT")
                .help(
                    "Session password of TCP servers (prefer --password-file or SCPANEL_PASSWORD)",
                ),
        )
        .arg(password_file_arg())
        .arg(interval_arg("How often to ask and print"))
        .arg(timeout_arg())
        .args(record_traffic_args(
            "watch sends only /status, so only --record-all-traffic keeps anything here",
        ))
}

/// `--record-traffic` and `--record-all-traffic`, for the window and `watch`.
pub(super) fn record_traffic_args(note: &str) -> [Arg; 2] {
    [
        Arg::new("record-traffic")
            .long("record-traffic")
            .action(ArgAction::SetTrue)
            .help(format!(
                "Keep the OSC traffic (what was sent and received, with times) in the show, \
                 without the /status poll, meters and scope; `scpanel replay` sends it again \
                 ({note})"
            )),
        Arg::new("record-all-traffic")
            .long("record-all-traffic")
            .action(ArgAction::SetTrue)
            .help("--record-traffic with the /status poll, meters and scope too"),
    ]
}

pub(crate) fn command() -> Command {
    Command::new("scpanel")
        .about("A control panel for SuperCollider's synthesis server. Without a subcommand it opens the window.")
        .version(env!("CARGO_PKG_VERSION"))
        .arg(
            Arg::new("wall")
                .long("session")
                .value_name("FILE")
                .help(
                    "Open the window with the servers of a roster (a session file such as \
                     classroom.toml) on its Servers wall",
                ),
        )
        .args(record_traffic_args(
            "the console's \"Record traffic\" turns it on and off while the window runs",
        ))
        .subcommand(connection_args_for(
            Command::new("status")
                .about(
                    "Print the server's status (without logging in). With several --addr, one \
                     table row per server, asked all at once; exits non-zero if any did not \
                     answer",
                )
                .arg(timeout_arg()),
            true,
        ))
        .subcommand(super::doctor::command())
        .subcommand(super::shows::shows_command())
        .subcommand(super::shows::mark_command())
        .subcommand(super::replay::command())
        .subcommand(watch_command())
        .subcommand(find::command())
        .subcommand(connection_args(
            Command::new("tree")
                .about(
                    "Print the node tree (without logging in; a group too big for one reply \
                     needs --login)",
                )
                .arg(
                    Arg::new("controls")
                        .long("controls")
                        .action(ArgAction::SetTrue)
                        .help("Include synth controls"),
                ),
        ))
        .subcommand(connection_args(
            Command::new("send")
                .about(
                    "Send one OSC message (or @time bundle) and print what comes back; exits \
                     non-zero on /fail. Logs in only for /n_query or with --login",
                )
                .arg(
                    Arg::new("message")
                        .required(true)
                        .num_args(1..)
                        .allow_hyphen_values(true)
                        .value_name("/ADDR ARG…"),
                ),
        ))
        .subcommand(
            connection_args(
                Command::new("levels")
                    .about(
                        "Print every input and output channel's peak and RMS (dBFS) once an \
                         interval, until Ctrl-C: the Levels tab's meters, headless. Logs in and \
                         starts meter synths of its own, freed when it ends",
                    )
                    .arg(
                        Arg::new("once")
                            .long("once")
                            .action(ArgAction::SetTrue)
                            .help("Print one line and end"),
                    ),
            )
            .arg(interval_arg("How often to print")),
        )
        .subcommand(
            connection_args(
                Command::new("spectrum")
                    .about(
                        "Print the strongest peaks (frequency and dBFS) of each channel of a bus \
                         range once an interval, until Ctrl-C: the Spectrum tab, headless. Logs \
                         in and starts a scope synth and buffer of its own, freed when it ends",
                    )
                    .arg(
                        Arg::new("bus")
                            .long("bus")
                            .value_name("BUS")
                            .default_value("0")
                            .value_parser(clap::value_parser!(u32))
                            .help("The first audio bus (0 is the first hardware output)"),
                    )
                    .arg(
                        Arg::new("channels")
                            .long("channels")
                            .value_name("N")
                            .default_value("1")
                            .value_parser(clap::value_parser!(u32).range(1..=8))
                            .help("How many buses from it (1 to 8)"),
                    )
                    .arg(
                        Arg::new("peaks")
                            .long("peaks")
                            .value_name("N")
                            .default_value("5")
                            .value_parser(clap::value_parser!(u32).range(1..=64))
                            .help("How many peaks per channel, strongest first"),
                    )
                    .arg(
                        Arg::new("size")
                            .long("size")
                            .value_name("FRAMES")
                            .default_value("8192")
                            .value_parser(spectrum::size_arg)
                            .help("The FFT window, 1024 to 8192 (finer in frequency when larger)"),
                    )
                    .arg(
                        Arg::new("once")
                            .long("once")
                            .action(ArgAction::SetTrue)
                            .help("Print once and end"),
                    ),
            )
            .arg(interval_arg("How often to print")),
        )
        .subcommand(boot_command())
        .subcommand(
            Command::new("synthdef")
                .about("Read and write SynthDef files")
                .subcommand_required(true)
                .subcommand(
                    Command::new("show")
                        .about("Print a .scsyndef file: name, controls, UGens")
                        .arg(Arg::new("file").required(true).value_name("FILE")),
                )
                .subcommand(
                    Command::new("write")
                        .about("Write a built-in SynthDef as NAME.scsyndef into DIR")
                        .arg(Arg::new("name").required(true).value_name("NAME"))
                        .arg(Arg::new("dir").required(true).value_name("DIR")),
                ),
        )
        .subcommand(completions_command())
        .subcommand(man_command())
}

pub(super) fn completions_command() -> Command {
    Command::new("completions")
        .about(
            "Print a completion script for SHELL (e.g. `scpanel completions bash > \
             ~/.local/share/bash-completion/completions/scpanel`)",
        )
        .arg(
            Arg::new("shell")
                .required(true)
                .value_name("SHELL")
                .value_parser(value_parser!(Shell)),
        )
}

pub(super) fn man_command() -> Command {
    Command::new("man")
        .about(
            "Print the manual page (roff; `scpanel man | man -l -`), or with --dir write \
             scpanel.1 and one page per subcommand into DIR",
        )
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .help("Write every page into this folder (it must exist) instead of printing"),
        )
}
