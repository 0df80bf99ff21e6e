//! Headless subcommands over the same core: `status`, `tree`, `send`, `boot`, `synthdef`.
//! Boot flags come from the one option table, so the CLI always offers every option.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::server::options::{OPTIONS, Options, Protocol};
use crate::server::{ConnectOptions, Server, ServerEvent, osc_text};

fn connection_args(cmd: Command) -> Command {
    cmd.arg(
        Arg::new("addr")
            .long("addr")
            .value_name("HOST:PORT")
            .default_value("127.0.0.1:57110")
            .help("The server's address"),
    )
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
            .help("Session password of a TCP server"),
    )
}

fn boot_command() -> Command {
    let mut cmd = Command::new("boot")
        .about("Boot a server and stay in the foreground printing its status; Ctrl-C quits it")
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
                .help("Give up booting after this long (default 10)"),
        )
        .arg(
            Arg::new("interval")
                .long("interval")
                .value_name("SECONDS")
                .default_value("1")
                .help("How often to print the status"),
        );
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

pub fn command() -> Command {
    Command::new("scpanel")
        .about("A control panel for SuperCollider's synthesis server. Without a subcommand it opens the window.")
        .version(env!("CARGO_PKG_VERSION"))
        .subcommand(connection_args(
            Command::new("status").about("Print the server's status (without logging in)"),
        ))
        .subcommand(connection_args(
            Command::new("tree")
                .about("Print the node tree (without logging in)")
                .arg(
                    Arg::new("controls")
                        .long("controls")
                        .action(ArgAction::SetTrue)
                        .help("Include synth controls"),
                ),
        ))
        .subcommand(connection_args(
            Command::new("send")
                .about("Send one OSC message (or @time bundle) and print what comes back")
                .arg(
                    Arg::new("message")
                        .required(true)
                        .num_args(1..)
                        .allow_hyphen_values(true)
                        .value_name("/ADDR ARG…"),
                ),
        ))
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
            eprintln!("scpanel: {e}");
            ExitCode::FAILURE
        }
    })
}

async fn run_async(name: &str, m: &ArgMatches) -> Result<(), String> {
    match name {
        "status" => {
            let server = connect(m, false).await?;
            let s = server.status().await.map_err(|e| e.to_string())?;
            println!(
                "ugens {} synths {} groups {} synthdefs {} cpu {:.2}% (peak {:.2}%) sample rate {:.1} (actual {:.3})",
                s.ugens,
                s.synths,
                s.groups,
                s.synthdefs,
                s.average_cpu,
                s.peak_cpu,
                s.nominal_sample_rate,
                s.actual_sample_rate
            );
            let _ = server.disconnect().await;
            Ok(())
        }
        "tree" => {
            let server = connect(m, false).await?;
            let tree = server
                .query_tree(m.get_flag("controls"))
                .await
                .map_err(|e| e.to_string())?;
            print!("{}", tree.to_text(m.get_flag("controls")));
            let _ = server.disconnect().await;
            Ok(())
        }
        "send" => {
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
            let packet = osc_text::parse(&line).map_err(|e| format!("{e} in {line:?}"))?;
            // Log in, so that replies and notifications for this client come back.
            let server = connect(m, true).await?;
            let mut osc = server.subscribe_osc();
            server.send(packet).await.map_err(|e| e.to_string())?;
            server.sync().await.map_err(|e| e.to_string())?;
            let lost = print_replies(&mut osc);
            let losses = server.losses();
            let _ = server.disconnect().await;
            lost_replies_error(lost, losses)
        }
        "boot" => boot(m).await,
        _ => Err(format!("unknown command {name}")),
    }
}

/// Prints what came back (but `/synced` and `/status.reply`); returns how many replies
/// arrived faster than the tap keeps them and were lost.
fn print_replies(osc: &mut tokio::sync::broadcast::Receiver<crate::server::OscTraffic>) -> u64 {
    use tokio::sync::broadcast::error::TryRecvError;
    let mut lost = 0;
    loop {
        match osc.try_recv() {
            Ok(t) if t.direction == crate::server::Direction::Received => {
                let text = osc_text::format_packet(&t.packet);
                if !text.starts_with("/synced") && !text.starts_with("/status.reply") {
                    println!("{text}");
                }
            }
            Ok(_) => {}
            Err(TryRecvError::Lagged(n)) => lost += n,
            Err(_) => return lost,
        }
    }
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

async fn connect(m: &ArgMatches, login: bool) -> Result<Server, String> {
    let addr_text = m
        .get_one::<String>("addr")
        .map(String::as_str)
        .unwrap_or("127.0.0.1:57110");
    let addr: SocketAddr = addr_text
        .to_socket_addrs()
        .map_err(|e| format!("--addr {addr_text}: {e} (use HOST:PORT, e.g. 127.0.0.1:57110)"))?
        .next()
        .ok_or_else(|| format!("--addr {addr_text}: no address found"))?;
    let mut options = ConnectOptions::new(addr);
    options.login = login;
    if m.get_flag("tcp") {
        options.protocol = Protocol::Tcp;
    }
    options.password = m.get_one::<String>("password").cloned();
    let server = Server::new();
    server.connect(options).await.map_err(|e| e.to_string())?;
    Ok(server)
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
    if let Some(t) = m.get_one::<String>("boot-timeout") {
        let secs: f64 = t
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s > 0.0)
            .ok_or_else(|| {
                format!("--boot-timeout must be a positive number of seconds, not {t:?}")
            })?;
        o.boot_timeout = Duration::from_secs_f64(secs);
    }
    o.validate()?;
    Ok(o)
}

async fn boot(m: &ArgMatches) -> Result<(), String> {
    let options = boot_options(m)?;
    let interval: f64 = m
        .get_one::<String>("interval")
        .and_then(|s| s.parse().ok())
        .filter(|s: &f64| s.is_finite() && *s > 0.0)
        .ok_or("--interval must be a positive number of seconds")?;
    let server = Server::new();
    let mut events = server.subscribe();
    eprintln!("booting: {}", options.command_line("scsynth"));
    server.boot(options).await.map_err(|e| e.to_string())?;
    let session = server.session().ok_or("the server went offline")?;
    eprintln!(
        "online at {}://{} (pid {}, client {} of {}); Ctrl-C quits",
        session.protocol.as_str(),
        session.addr,
        session.pid.unwrap_or(0),
        session.login.map_or(0, |l| l.client_id),
        session.login.map_or(0, |l| l.max_logins),
    );
    let mut tick = tokio::time::interval(Duration::from_secs_f64(interval));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                eprintln!("quitting the server…");
                return server.quit(false).await.map_err(|e| e.to_string());
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

fn synthdef(m: &ArgMatches) -> Result<(), String> {
    match m.subcommand() {
        Some(("show", s)) => {
            let file = s.get_one::<String>("file").ok_or("FILE is required")?;
            let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
            let defs =
                crate::server::synthdef::decode_file(&bytes).map_err(|e| format!("{file}: {e}"))?;
            for def in &defs {
                print!("{}", crate::server::synthdef::describe(def));
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
