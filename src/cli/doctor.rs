//! `scpanel doctor`: why a server makes no sound, as text or JSON, with an exit status a
//! script can test: 0 when nothing blocks sound, 1 when something does, 2 when the server
//! could not be asked.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};

use scpanel_core::Server;
use scpanel_core::doctor::{Examination, Report};

use super::args::connection_args;
use super::connect::{connect_as, connect_to_play};

pub(super) fn command() -> Command {
    connection_args(
        Command::new("doctor")
            .about(
                "Why is there no sound? Names the classic mistakes on a server (a reader before \
                 its writer, a bus nothing reads, outputs not connected, amp 0, a paused group, \
                 …) with their fixes. Exits 0 when nothing blocks sound, 1 when something \
                 does, 2 when the server could not be asked",
            )
            .arg(
                Arg::new("synthdefs")
                    .long("synthdefs")
                    .value_name("DIR")
                    .action(ArgAction::Append)
                    .value_parser(clap::value_parser!(PathBuf))
                    .help(
                        "A folder of .scsyndef files to learn SynthDef graphs from (repeatable); \
                         sclang's own folder is always read",
                    ),
            )
            .arg(
                Arg::new("json")
                    .long("json")
                    .action(ArgAction::SetTrue)
                    .help("Print the findings as JSON"),
            )
            .arg(
                Arg::new("no-listen")
                    .long("no-listen")
                    .action(ArgAction::SetTrue)
                    .help("Don't listen to the output meters (they are started for a moment)"),
            ),
    )
}

/// Runs the doctor; the exit status says what it found.
pub(super) async fn run(m: &ArgMatches) -> ExitCode {
    let server = Server::new();
    let work = async {
        // Logged in, the doctor can probe for paused groups and listen to the meters; a
        // server with no free login is still examined, watch-only.
        let watch_only = match connect_to_play(&server, m).await {
            Ok(()) => false,
            Err(e) if e.contains("too many users") => {
                connect_as(&server, m, false, false).await?;
                true
            }
            Err(e) => return Err(e),
        };
        let exam = Examination {
            synthdef_dirs: m
                .get_many::<PathBuf>("synthdefs")
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
            listen: !m.get_flag("no-listen") && !watch_only,
            ..Examination::default()
        };
        let mut report = server
            .doctor()
            .examine(&exam)
            .await
            .map_err(|e| e.to_string())?;
        if watch_only {
            report.unchecked.push(
                "logged out: the server has no free login, so no meter or probe could run, and \
                 its channel counts are assumed"
                    .into(),
            );
        }
        Ok(report)
    };
    let result = tokio::select! {
        r = work => r,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
    };
    if server.attachment().is_some()
        && let Err(e) = server.disconnect().await
    {
        eprintln!("scpanel: could not log out: {e}");
    }
    match result {
        Ok(report) => {
            if m.get_flag("json") {
                println!("{}", report.to_json());
            } else {
                print!("{}", text(&report));
            }
            if report.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("scpanel doctor: could not ask the server: {e}");
            ExitCode::from(2)
        }
    }
}

/// The report as a musician reads it: most serious first, each with what to do.
fn text(r: &Report) -> String {
    let mut out = String::new();
    if r.findings.is_empty() {
        out.push_str("Nothing found that stops the sound.\n");
    }
    for f in &r.findings {
        let tag = match f.severity {
            scpanel_core::doctor::Severity::BlocksSound => "NO SOUND",
            scpanel_core::doctor::Severity::Warning => "warning ",
            scpanel_core::doctor::Severity::Info => "info    ",
        };
        out.push_str(&format!("{tag} [{}] {}\n", f.kind.as_str(), f.message));
        if let Some(a) = &f.advice {
            out.push_str(&format!("         fix: {a}\n"));
        }
        if f.guessed {
            out.push_str("         (buses guessed from control names: no graph of the SynthDef)\n");
        }
    }
    for u in &r.unchecked {
        out.push_str(&format!("not checked: {u}\n"));
    }
    out.push_str(&r.looked_at());
    out.push('\n');
    out
}
