//! Headless subcommands over the same core: `status`, `watch`, `find`, `tree`, `send`,
//! `boot`, `synthdef`, and `completions` / `man` generated from this command definition.
//! Boot flags come from the one option table, so the CLI always offers every option.

mod find;
mod levels;
mod many;
pub mod pages;
mod spectrum;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::server::model::options::{
    OPEN_NETWORK_RISK, OPTIONS, Options, Protocol, TCP_PASSWORD_RISK,
};
use crate::server::model::roster::{MAX_SERVERS, Roster};
use crate::server::wire::osc_text;
use crate::server::wire::printable::{printable, printable_lines};
use crate::server::wire::seconds::{BOOT_TIMEOUT, STATUS_INTERVAL, Seconds};
use crate::server::{ConnectOptions, Server, ServerEvent};

/// How long `status` and `watch` wait for one server before it counts as not answering.
const SERVER_TIMEOUT: Seconds = Seconds {
    min: 0.1,
    max: 60.0,
};
const DEFAULT_SERVER_TIMEOUT: Duration = Duration::from_secs(2);

/// A clap parser for a duration in `range`: seconds as a number (`0.5`), or with a unit
/// (`0.5s`, `500ms`), range-checked before it becomes a [`Duration`].
fn seconds_arg(
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
fn interval_arg(what: &str) -> Arg {
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

fn timeout_arg() -> Arg {
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

fn connection_args(cmd: Command) -> Command {
    connection_args_for(cmd, false)
}

/// The flags that reach a server; `many` lets `--addr` repeat (one server each).
fn connection_args_for(cmd: Command, many: bool) -> Command {
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
fn session_arg() -> Arg {
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

fn password_file_arg() -> Arg {
    Arg::new("password-file")
        .long("password-file")
        .value_name("FILE")
        .conflicts_with("password")
        .help("Read the session password from FILE (its first line); without this or --password, $SCPANEL_PASSWORD is used")
}

fn boot_command() -> Command {
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

fn watch_command() -> Command {
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
}

pub fn command() -> Command {
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
        .subcommand(pages::completions_command())
        .subcommand(pages::man_command())
}

/// The roster the window opens with (`scpanel --session FILE`), when no subcommand is given.
pub fn window_session(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<PathBuf> {
    let m = command().try_get_matches_from(args).ok()?;
    if m.subcommand().is_some() {
        return None;
    }
    m.get_one::<String>("wall").map(PathBuf::from)
}

/// Runs the CLI; `None` when no subcommand was given (the caller opens the window).
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<ExitCode> {
    let matches = match command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return Some(if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            });
        }
    };
    let (name, sub) = matches.subcommand()?;
    let result = match name {
        "synthdef" => synthdef(sub),
        "completions" => pages::completions(sub),
        "man" => pages::man(sub),
        _ => match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(run_async(name, sub)),
            Err(e) => Err(format!("cannot start the async runtime: {e}")),
        },
    };
    Some(match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scpanel: {}", printable_lines(e.trim_end()));
            ExitCode::FAILURE
        }
    })
}

async fn run_async(name: &str, m: &ArgMatches) -> Result<(), String> {
    match name {
        "status" if addr_list(m).len() > 1 || has_session(m) => {
            many::status(targets(m)?, link(m)?).await
        }
        "status" | "tree" | "send" => one_shot(name, m).await,
        "watch" => {
            let interval = m
                .get_one::<Duration>("interval")
                .copied()
                .unwrap_or(Duration::from_secs(1));
            many::watch(targets(m)?, link(m)?, interval).await
        }
        "boot" => boot(m).await,
        "find" => find::run(m).await,
        "levels" => levels::run(m).await,
        "spectrum" => spectrum::run(m).await,
        _ => Err(format!("unknown command {name}")),
    }
}

/// Every `--addr` given, in order.
fn addr_list(m: &ArgMatches) -> Vec<String> {
    m.get_many::<String>("addr")
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}

/// Whether `--session` was given.
fn has_session(m: &ArgMatches) -> bool {
    m.try_get_many::<String>("session")
        .ok()
        .flatten()
        .is_some_and(|mut s| s.next().is_some())
}

/// The rows of `status` and `watch`: every `--session` file's servers, then every `--addr`
/// (the default address only without a session file).
fn targets(m: &ArgMatches) -> Result<Vec<many::Target>, String> {
    let mut targets = Vec::new();
    for path in m
        .try_get_many::<String>("session")
        .ok()
        .flatten()
        .into_iter()
        .flatten()
    {
        let roster = Roster::load(Path::new(path))?;
        targets.extend(roster.servers.into_iter().map(|e| many::Target {
            name: e.name,
            addr: e.addr,
            protocol: e.protocol,
        }));
    }
    let addr_defaulted = m.value_source("addr") == Some(ValueSource::DefaultValue);
    if !has_session(m) || !addr_defaulted {
        let protocol = if m.try_contains_id("tcp").unwrap_or(false) && m.get_flag("tcp") {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        targets.extend(addr_list(m).into_iter().map(|addr| many::Target {
            name: String::new(),
            addr,
            protocol,
        }));
    }
    if targets.is_empty() {
        return Err("the session files list no servers: add a [[server]] or an --addr".into());
    }
    if targets.len() > MAX_SERVERS {
        return Err(format!(
            "{} servers: at most {MAX_SERVERS} at once",
            targets.len()
        ));
    }
    Ok(targets)
}

/// How `status` and `watch` reach each of several servers.
fn link(m: &ArgMatches) -> Result<many::Link, String> {
    let has = |id: &str| m.try_contains_id(id).unwrap_or(false);
    Ok(many::Link {
        password: password(m)?,
        login: has("login") && m.get_flag("login"),
        timeout: m
            .get_one::<Duration>("timeout")
            .copied()
            .unwrap_or(DEFAULT_SERVER_TIMEOUT),
    })
}

/// Messages whose answer is a notification: scsynth sends those only to logged-in clients.
const ANSWERED_BY_NOTIFICATION: &[&str] = &["/n_query"];

/// `status`, `tree` and `send`: talk, print, and leave the server as it was. Nothing is
/// registered unless the command needs it; a login is undone on success, error and Ctrl-C.
async fn one_shot(name: &str, m: &ArgMatches) -> Result<(), String> {
    let packet = match name {
        "send" => Some(send_packet(m)?),
        _ => None,
    };
    let needs_login = packet.as_ref().is_some_and(|p| {
        let mut all = Vec::new();
        crate::server::wire::protocol::flatten(p.clone(), &mut all);
        all.iter()
            .any(|m| ANSWERED_BY_NOTIFICATION.contains(&m.addr.as_str()))
    });
    if let Some(p) = &packet {
        let mut all = Vec::new();
        crate::server::wire::protocol::flatten(p.clone(), &mut all);
        if all.iter().any(|m| m.addr == "/notify") {
            return Err(
                "scpanel send logs in and out by itself: use --login to see notifications".into(),
            );
        }
    }
    let login = m.get_flag("login") || needs_login;
    let server = Server::new();
    let work = async {
        connect(&server, m, login).await?;
        match (name, packet) {
            ("status", _) => status(&server).await,
            ("tree", _) => tree(&server, m.get_flag("controls")).await,
            (_, Some(packet)) => send(&server, packet).await,
            _ => Err(format!("unknown command {name}")),
        }
    };
    let limit = m.try_get_one::<Duration>("timeout").ok().flatten().copied();
    let work = async {
        match limit {
            Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
                Err(format!(
                    "no answer from {} within {} s",
                    m.get_one::<String>("addr").map_or("", String::as_str),
                    limit.as_secs_f64()
                ))
            }),
            None => work.await,
        }
    };
    let result = tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
    };
    // Logs out when logged in; a watch-only link just closes.
    if server.session().is_some()
        && let Err(e) = server.disconnect().await
        && login
    {
        eprintln!("scpanel: could not log out: {e}");
    }
    result
}

async fn status(server: &Server) -> Result<(), String> {
    let s = server.status().await.map_err(|e| e.to_string())?;
    println!("{s}");
    Ok(())
}

async fn tree(server: &Server, controls: bool) -> Result<(), String> {
    let read = server
        .read_tree(0, controls)
        .await
        .map_err(|e| e.to_string())?;
    print!("{}", read.tree.to_text(controls));
    if controls && !read.without_controls.is_empty() {
        let ids: Vec<String> = read
            .without_controls
            .iter()
            .take(8)
            .map(i32::to_string)
            .collect();
        eprintln!(
            "scpanel: the synths directly in group(s) {} are listed without controls: with \
             them the reply is bigger than scsynth's 64 KiB packet",
            ids.join(", ")
        );
    }
    if !read.found_by_id.is_empty() {
        let ids: Vec<String> = read.found_by_id.iter().map(i32::to_string).collect();
        eprintln!(
            "scpanel: the root group is too big to list without logging in; groups {} were \
             found by their usual default-group ids and are shown under it in id order",
            ids.join(", ")
        );
    }
    if !read.is_complete() {
        eprintln!("scpanel: {}", server.unlisted_error(&read).await);
    }
    Ok(())
}

fn send_packet(m: &ArgMatches) -> Result<rosc::OscPacket, String> {
    let words: Vec<String> = m
        .get_many::<String>("message")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let line = words
        .iter()
        .map(|w| {
            if w.contains(char::is_whitespace) {
                format!("{w:?}")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    osc_text::parse(&line).map_err(|e| format!("{e} in {line:?}"))
}

/// Sends the packet, prints every reply until the server has processed it (a `/sync` of our
/// own after it), and fails when the server answered `/fail` or replies were lost.
async fn send(server: &Server, packet: rosc::OscPacket) -> Result<(), String> {
    use tokio::sync::broadcast::error::RecvError;
    let mut osc = server.subscribe_osc();
    server.send(packet).await.map_err(|e| e.to_string())?;
    let sync = server.sync();
    tokio::pin!(sync);
    let mut synced = None;
    let (mut fails, mut lost) = (0usize, 0u64);
    let print = |t: crate::server::OscTraffic, fails: &mut usize| {
        if t.direction != crate::server::Direction::Received {
            return;
        }
        if let rosc::OscPacket::Message(m) = &t.packet {
            if m.addr == "/synced"
                && crate::server::wire::protocol::int_arg(m, 0)
                    .is_some_and(|id| server.is_own_sync(id))
            {
                return;
            }
            if m.addr == "/fail" {
                *fails += 1;
            }
        }
        println!("{}", printable(&osc_text::format_packet(&t.packet)));
    };
    loop {
        tokio::select! {
            biased;
            t = osc.recv() => match t {
                Ok(t) => print(t, &mut fails),
                Err(RecvError::Lagged(n)) => lost += n,
                Err(RecvError::Closed) => break,
            },
            r = &mut sync, if synced.is_none() => synced = Some(r),
        }
        if synced.is_some() {
            // Everything the server sent before our /synced is queued by now.
            loop {
                match osc.try_recv() {
                    Ok(t) => print(t, &mut fails),
                    Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => lost += n,
                    Err(_) => break,
                }
            }
            break;
        }
    }
    if let Some(Err(e)) = synced {
        return Err(e.to_string());
    }
    lost_replies_error(lost, server.losses())?;
    if fails > 0 {
        return Err(format!("the server answered /fail ({fails})"));
    }
    Ok(())
}

/// `send` fails when any reply was lost: it can't tell whether the one asked for was.
fn lost_replies_error(lost: u64, losses: crate::server::shared::Losses) -> Result<(), String> {
    if let Some(text) = losses.summary() {
        eprintln!("scpanel: {text}");
    }
    if lost > 0 || losses.dropped > 0 {
        return Err(format!(
            "{} repl{} came faster than they could be kept and {} lost; the reply to this \
             message may be among them (ask for less at once)",
            lost + losses.dropped,
            if lost + losses.dropped == 1 {
                "y"
            } else {
                "ies"
            },
            if lost + losses.dropped == 1 {
                "was"
            } else {
                "were"
            },
        ));
    }
    Ok(())
}

async fn connect(server: &Server, m: &ArgMatches, login: bool) -> Result<(), String> {
    connect_as(server, m, login, false).await
}

/// [`connect`] for a command that plays on the server (meters, a scope): logged in, it asks
/// the server for its channel counts rather than assuming 8 in and 8 out.
async fn connect_to_play(server: &Server, m: &ArgMatches) -> Result<(), String> {
    connect_as(server, m, true, true).await
}

async fn connect_as(
    server: &Server,
    m: &ArgMatches,
    login: bool,
    ask_layout: bool,
) -> Result<(), String> {
    let addr_text = m
        .get_one::<String>("addr")
        .map(String::as_str)
        .unwrap_or("127.0.0.1:57110");
    // A name can stand for several addresses (`localhost`: 127.0.0.1 and ::1): each is
    // tried in the resolver's order until one answers, IPv6 as well as IPv4.
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in addr_text
        .to_socket_addrs()
        .map_err(|e| format!("--addr {addr_text}: {e} (use HOST:PORT, e.g. 127.0.0.1:57110)"))?
    {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(format!("--addr {addr_text}: no address found"));
    }
    let mut options = ConnectOptions::new(addrs[0]);
    options.login = login;
    options.monitor = false;
    options.ask_layout = ask_layout;
    if m.get_flag("tcp") {
        options.protocol = Protocol::Tcp;
    }
    options.password = password(m)?;
    server
        .connect_any(&mut options, &addrs)
        .await
        .map_err(|e| e.to_string())
}

/// Options from `scpanel boot` flags: every row of the option table is a flag.
pub fn boot_options(m: &ArgMatches) -> Result<Options, String> {
    let mut o = Options::default();
    for def in OPTIONS {
        if let Some(v) = m.get_one::<String>(def.key) {
            o.set_text(def.key, v)
                .map_err(|e| format!("--{}: {e}", def.long()))?;
        }
    }
    if let Some(p) = m.get_one::<String>("executable") {
        o.executable = Some(PathBuf::from(p));
    }
    if let Some(t) = m.get_one::<Duration>("boot-timeout") {
        o.boot_timeout = *t;
    }
    // The environment's password is for TCP servers: a UDP boot has none to take.
    if o.password.is_empty()
        && (o.protocol == Protocol::Tcp || m.get_one::<String>("password-file").is_some())
        && let Some(p) = password(m)?
    {
        o.password = p;
    }
    if m.get_flag("no-jack-connect") {
        o.connect_jack_ports = false;
    }
    o.validate()?;
    Ok(o)
}

async fn boot(m: &ArgMatches) -> Result<(), String> {
    let options = boot_options(m)?;
    let interval = m
        .get_one::<Duration>("interval")
        .copied()
        .unwrap_or(Duration::from_secs(1));
    let record = m.get_one::<String>("record").map(PathBuf::from);
    // Before booting: from here on these signals quit the server instead of ending us.
    let mut signals = crate::signals::Signals::install()
        .map_err(|e| format!("cannot listen for signals: {e}"))?;
    let server = Server::new();
    let mut events = server.subscribe();
    if options.open_to_anyone() {
        eprintln!("scpanel: warning: {OPEN_NETWORK_RISK}");
    }
    if options.protocol == Protocol::Tcp && !options.password.is_empty() {
        eprintln!("scpanel: warning: {TCP_PASSWORD_RISK}");
    }
    eprintln!("booting: {}", options.command_line("scsynth"));
    let channels = options.output_channels;
    tokio::select! {
        booted = server.boot(options) => booted.map_err(|e| e.to_string())?,
        sig = signals.recv() => {
            // Dropping the handle stops a half-booted server.
            return Err(format!("{sig} while booting: stopped"));
        }
    }
    let session = server.session().ok_or("the server went offline")?;
    eprintln!(
        "online at {}://{} (pid {}, client {} of {}); Ctrl-C quits",
        session.protocol.as_str(),
        session.addr,
        session.pid.unwrap_or(0),
        session.login.map_or(0, |l| l.client_id),
        session.login.map_or(0, |l| l.max_logins),
    );
    if let Some(path) = record {
        let options = crate::server::ops::recorder::RecordOptions {
            path,
            header: crate::server::ops::recorder::HeaderFormat::Wav,
            sample: crate::server::ops::recorder::SampleFormat::Int24,
            channels: channels.max(1),
        };
        if let Err(e) = server.start_recording(options).await {
            let _ = server.quit(false).await;
            return Err(format!("cannot record: {e}"));
        }
        if let Some(r) = server.recording() {
            eprintln!("recording to {}", r.options.path.display());
        }
    }
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            sig = signals.recv() => {
                eprintln!("{sig}: quitting the server…");
                // A second signal means now: the handle's drop still stops the server.
                return tokio::select! {
                    done = quit_finishing_recording(&server) => done,
                    again = signals.recv() => Err(format!("{again} while quitting: stopped at once")),
                };
            }
            e = events.recv() => match e {
                Ok(ServerEvent::ProcessPanicked { exit, last_lines }) => {
                    return Err(format!("the server stopped ({exit}): {}", last_lines.join(" / ")));
                }
                Ok(ServerEvent::Unresponsive) => eprintln!("the server is not answering…"),
                Ok(ServerEvent::Responsive) => eprintln!("the server answers again"),
                _ => {}
            },
            _ = tick.tick() => {
                if let Some(s) = server.latest_status() {
                    println!(
                        "cpu {:5.2}% peak {:5.2}%  ugens {:5}  synths {:4}  groups {:4}  synthdefs {:4}  sr {:.3}",
                        s.average_cpu, s.peak_cpu, s.ugens, s.synths, s.groups, s.synthdefs, s.actual_sample_rate
                    );
                }
            }
        }
    }
}

async fn quit_finishing_recording(server: &Server) -> Result<(), String> {
    if server.recording().is_some() {
        match server.stop_recording().await {
            Ok(path) => eprintln!("recording saved: {}", path.display()),
            Err(e) => eprintln!("could not finish the recording: {e}"),
        }
    }
    server.quit(false).await.map_err(|e| e.to_string())
}

fn synthdef(m: &ArgMatches) -> Result<(), String> {
    match m.subcommand() {
        Some(("show", s)) => {
            let file = s.get_one::<String>("file").ok_or("FILE is required")?;
            let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            let defs =
                crate::server::synthdef::decode_file(&bytes).map_err(|e| format!("{file}: {e}"))?;
            for def in &defs {
                print!(
                    "{}",
                    printable_lines(&crate::server::synthdef::describe(def))
                );
            }
            Ok(())
        }
        Some(("write", s)) => {
            let name = s.get_one::<String>("name").ok_or("NAME is required")?;
            let dir = PathBuf::from(s.get_one::<String>("dir").ok_or("DIR is required")?);
            let def = crate::server::synthdef::builtins::builtin(name).ok_or_else(|| {
                let names: Vec<String> = crate::server::synthdef::builtins::all()
                    .into_iter()
                    .map(|d| d.name)
                    .collect();
                format!(
                    "no built-in SynthDef named {name:?}; built-ins: {}",
                    names.join(", ")
                )
            })?;
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let path = dir.join(format!("{name}.scsyndef"));
            std::fs::write(&path, def.encode())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("{}", path.display());
            Ok(())
        }
        _ => Err("use `scpanel synthdef show FILE` or `scpanel synthdef write NAME DIR`".into()),
    }
}

/// The session password from `--password`, `--password-file` or `SCPANEL_PASSWORD`, in that
/// order, so that it need not appear in the argv other users can read.
fn password(m: &ArgMatches) -> Result<Option<String>, String> {
    if let Some(p) = m.get_one::<String>("password") {
        return Ok(Some(p.clone()));
    }
    if let Some(path) = m.get_one::<String>("password-file") {
        return read_password_file(path).map(Some);
    }
    Ok(std::env::var("SCPANEL_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty()))
}

fn read_password_file(path: &str) -> Result<String, String> {
    use std::io::Read;
    // scsynth allows 32 bytes; anything much longer is the wrong file.
    const LIMIT: u64 = 1024;
    let file = std::fs::File::open(path).map_err(|e| format!("--password-file {path}: {e}"))?;
    #[cfg(unix)]
    if let Ok(meta) = file.metadata()
        && std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o077 != 0
    {
        eprintln!("scpanel: warning: {path} can be read by other users (chmod 600 {path})");
    }
    let mut text = String::new();
    file.take(LIMIT + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("--password-file {path}: {e}"))?;
    if text.len() as u64 > LIMIT {
        return Err(format!(
            "--password-file {path}: longer than {LIMIT} bytes, so not a password file"
        ));
    }
    let first = text.lines().next().unwrap_or_default();
    if first.is_empty() {
        return Err(format!(
            "--password-file {path}: the first line is empty; put the password there"
        ));
    }
    Ok(first.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_replies_fail_the_command() {
        let none = crate::server::shared::Losses::default();
        assert!(lost_replies_error(0, none).is_ok());
        let err = lost_replies_error(3, none).unwrap_err();
        assert!(err.starts_with("3 replies came faster"), "{err}");
        let dropped = crate::server::shared::Losses { dropped: 1, ..none };
        let err = lost_replies_error(0, dropped).unwrap_err();
        assert!(err.starts_with("1 reply came faster"), "{err}");
    }
}
