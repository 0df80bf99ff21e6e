//! Headless subcommands over the same core: `status`, `watch`, `find`, `tree`, `send`,
//! `boot`, `synthdef`, and `completions` / `man` generated from this command definition.
//! Boot flags come from the one option table, so the CLI always offers every option.
//! One file per part: `command` (the clap definition), `connect` (reaching a server),
//! `one_shot` (status, tree, synthdef), `send`, `boot`, and `find`, `levels`, `many`
//! (status and watch of several servers), `spectrum`, `pages` (completions and man), `shows`
//! (the flight recorder's shows, `mark`) and `replay` (a show's sent traffic, again).

mod args;
mod boot;
mod command;
mod connect;
mod doctor;
mod find;
mod levels;
mod many;
mod one_shot;
mod pages;
mod replay;
mod send;
mod shows;
mod spectrum;

use boot::boot;
pub(crate) use command::command;
use connect::{addr_list, has_session, link, targets};
use one_shot::{one_shot, synthdef};

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ArgMatches;

use scpanel_core::osc::printable_lines;

/// What the window's command line asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowArgs {
    /// The roster the window opens with (`scpanel --session FILE`).
    pub session: Option<PathBuf>,
    /// `--record-traffic` / `--record-all-traffic`: every server's traffic kept from the start.
    pub traffic: crate::traffic::TrafficMode,
}

/// The window's arguments, when no subcommand is given.
pub fn window_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> WindowArgs {
    let Ok(m) = command().try_get_matches_from(args) else {
        return WindowArgs::default();
    };
    if m.subcommand().is_some() {
        return WindowArgs::default();
    }
    WindowArgs {
        session: m.get_one::<String>("wall").map(PathBuf::from),
        traffic: traffic_mode(&m),
    }
}

/// What `--record-traffic` and `--record-all-traffic` ask for.
fn traffic_mode(m: &ArgMatches) -> crate::traffic::TrafficMode {
    let flag = |id: &str| m.try_get_one::<bool>(id).ok().flatten().copied() == Some(true);
    if flag("record-all-traffic") {
        crate::traffic::TrafficMode::All
    } else if flag("record-traffic") {
        crate::traffic::TrafficMode::Filtered
    } else {
        crate::traffic::TrafficMode::Off
    }
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
        "shows" => shows::shows(sub),
        "mark" => shows::mark(sub),
        "completions" => pages::completions(sub),
        "doctor" => {
            return Some(
                match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(doctor::run(sub)),
                    Err(e) => {
                        eprintln!("scpanel: cannot start the async runtime: {e}");
                        ExitCode::from(2)
                    }
                },
            );
        }
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
            many::watch(targets(m)?, link(m)?, interval, traffic_mode(m)).await
        }
        "boot" => boot(m).await,
        "find" => find::run(m).await,
        "levels" => levels::run(m).await,
        "spectrum" => spectrum::run(m).await,
        "replay" => replay::run(m).await,
        _ => Err(format!("unknown command {name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::TrafficMode;

    fn window(args: &[&str]) -> WindowArgs {
        window_args(
            std::iter::once("scpanel")
                .chain(args.iter().copied())
                .map(std::ffi::OsString::from),
        )
    }

    #[test]
    fn the_window_reads_its_session_and_whether_to_record_traffic() {
        assert_eq!(window(&[]), WindowArgs::default());
        assert_eq!(window(&["--record-traffic"]).traffic, TrafficMode::Filtered);
        assert_eq!(window(&["--record-all-traffic"]).traffic, TrafficMode::All);
        let w = window(&["--session", "class.toml", "--record-traffic"]);
        assert_eq!(w.session, Some(PathBuf::from("class.toml")));
        assert_eq!(w.traffic, TrafficMode::Filtered);
        assert_eq!(
            window(&["--record-traffic", "status"]),
            WindowArgs::default()
        );
    }
}
