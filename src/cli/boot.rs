//! `boot`: a server booted from the command line, run until Ctrl+C or a signal.

use super::connect::password;
use std::path::PathBuf;
use std::time::Duration;

use clap::ArgMatches;

use scpanel_core::options::{OPEN_NETWORK_RISK, OPTIONS, Options, Protocol, TCP_PASSWORD_RISK};
use scpanel_core::{Server, ServerEvent};

/// Options from `scpanel boot` flags: every row of the option table is a flag.
pub(super) fn boot_options(m: &ArgMatches) -> Result<Options, String> {
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

pub(super) async fn boot(m: &ArgMatches) -> Result<(), String> {
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
    let session = server.attachment().ok_or("the server went offline")?;
    eprintln!(
        "online at {}://{} (pid {}, client {} of {}); Ctrl-C quits",
        session.protocol.as_str(),
        session.addr,
        session.pid.unwrap_or(0),
        session.login.map_or(0, |l| l.client_id),
        session.login.map_or(0, |l| l.max_logins),
    );
    if let Some(path) = record {
        let options = scpanel_core::recording::RecordOptions {
            path,
            header: scpanel_core::recording::HeaderFormat::Wav,
            sample: scpanel_core::recording::SampleFormat::Int24,
            channels: channels.max(1),
        };
        if let Err(e) = server.recorder().start(options).await {
            let _ = server.quit(false).await;
            return Err(format!("cannot record: {e}"));
        }
        if let Some(r) = server.recorder().recording() {
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

pub(super) async fn quit_finishing_recording(server: &Server) -> Result<(), String> {
    if server.recorder().recording().is_some() {
        match server.recorder().stop().await {
            Ok(path) => eprintln!("recording saved: {}", path.display()),
            Err(e) => eprintln!("could not finish the recording: {e}"),
        }
    }
    server.quit(false).await.map_err(|e| e.to_string())
}
