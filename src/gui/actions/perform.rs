//! Running one action against a server, on the runtime: the one place where a panel's
//! request becomes calls on the core.

use super::{Action, Failure, Outcome, OwnBrowser, OwnJack, Pick};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::gui::bridge::Offer;
use scpanel_core::audio::jack::{JackServer, JackTarget};
use scpanel_core::{ConnectOptions, Server, ServerError};

/// Connects to the first of `addrs` that answers; when every login is taken, fails with an
/// offer to watch the server that answered without logging in.
async fn connect_or_offer_watching(
    s: &Server,
    mut o: ConnectOptions,
    addrs: &[SocketAddr],
) -> Result<Outcome, Failure> {
    // `o` ends at the address that answered, for the offer.
    match s.connect_any(&mut o, addrs).await {
        Ok(()) => Ok(Outcome::Done),
        Err(e @ ServerError::TooManyClients { .. }) => {
            o.login = false;
            Err(Failure {
                text: e.to_string(),
                offer: Some(Offer::WatchOnly(o)),
                error: Some(Box::new(e)),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Every address `text` (`host:port`, or a bare host for scsynth's 57110) stands for, in
/// the resolver's order, without repeats.
async fn resolve_join(text: &str) -> Result<Vec<SocketAddr>, Failure> {
    let text = text.trim();
    let failure = |why: String| Failure {
        text: format!(
            "{text}: {why} (use HOST:PORT, e.g. 127.0.0.1:{})",
            scpanel_core::DEFAULT_PORT
        ),
        offer: None,
        error: None,
    };
    let with_port = scpanel_core::roster::host_and_port(text).map_err(&failure)?;
    let found = tokio::net::lookup_host(with_port.as_str())
        .await
        .map_err(|e| failure(e.to_string()))?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in found.take(16) {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(failure("no address found".into()));
    }
    Ok(addrs)
}

/// How long "Stop pid …" waits for the process before it counts as still running.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Runs one action against `server`, on the runtime. Blocking work (file dialogs, name
/// lookups) goes to the runtime's blocking pool, never the UI thread.
pub(crate) async fn perform(server: &Server, action: &Action) -> Result<Outcome, Failure> {
    use Action::*;
    let s = server;
    let done = |r: Result<(), ServerError>| r.map(|()| Outcome::Done).map_err(Failure::from);
    match action {
        Boot(options) => {
            // Levels from the first sound on a server the window boots.
            s.mixer().default_meters(true);
            // No JACK runs (a fresh machine): start one first, the app's own.
            let mut started = super::first_jack::jack_for_boot(options)
                .await
                .map_err(Failure::text)?;
            if let Some(j) = &started {
                s.note(j.said.clone());
            }
            let booted = s.boot(options.clone()).await;
            let rate_mismatch = s.with_log(|l| {
                scpanel_core::audio::sample_rate::explain_mismatch(
                    l.lines().map(|l| l.text.as_str()),
                )
            });
            // A boot that failed anyway leaves no JACK of ours behind.
            if booted.is_err()
                && let Some(j) = started.take()
            {
                s.note("the JACK server started for this boot is stopped again");
                j.jack.stop().await;
            }
            match (booted, rate_mismatch) {
                (Ok(()), rate_mismatch) => Ok(Outcome::Booted {
                    rate_mismatch,
                    started_jack: started.map(|j| (OwnJack(j.jack), j.said)),
                }),
                (Err(e), None) => Err(Failure::from(e)),
                // A boot the rates stopped (macOS): the plain words come first.
                (Err(e), Some(why)) => {
                    let f = Failure::from(e);
                    Err(Failure {
                        text: format!("{why}\n\n{}", f.text),
                        ..f
                    })
                }
            }
        }
        Connect { options, addrs } => {
            s.mixer().default_meters(false);
            let o = options.clone();
            connect_or_offer_watching(s, o, addrs).await
        }
        Watch(options) => {
            s.mixer().default_meters(false);
            done(s.connect(options.clone()).await)
        }
        Join {
            addr,
            protocol,
            login,
        } => {
            s.mixer().default_meters(false);
            let addrs = resolve_join(addr).await?;
            let mut o = ConnectOptions::new(addrs[0]);
            o.protocol = *protocol;
            o.login = *login;
            connect_or_offer_watching(s, o, &addrs).await
        }
        LogIn => {
            let Some(session) = s.attachment() else {
                return Err(Failure::from(ServerError::ServerOffline));
            };
            if session.login.is_some() {
                return Ok(Outcome::Done);
            }
            let mut o = ConnectOptions::new(session.addr);
            o.protocol = session.protocol;
            o.layout = session.layout;
            // The link is swapped: watching ends, then the login starts on a fresh one.
            s.disconnect().await.map_err(Failure::from)?;
            done(s.connect(o).await)
        }
        SetRejoin(policy) => {
            s.set_rejoin_policy(*policy);
            Ok(Outcome::Done)
        }
        StopRejoining => {
            s.stop_rejoining();
            Ok(Outcome::Done)
        }
        Disconnect => done(s.disconnect().await),
        Quit => {
            // The file is finished first, so a quit never leaves a recording unreadable.
            if s.recorder().recording().is_some() {
                s.recorder().stop().await?;
            }
            done(s.quit(false).await)
        }
        QuitTheirs => done(s.quit(true).await),
        Reboot => done(s.reboot().await),
        Reset => done(s.reset().await),
        TestTone => done(s.test_tone().play().await),
        Version => Ok(Outcome::Version(s.version().await?)),
        RefreshTree => done(s.refresh_tree().await),
        SetControl { node, name, value } => {
            done(s.nodes().set(*node, &[(name.as_str(), *value)]).await)
        }
        FreeNode { id } => done(s.nodes().free(*id).await),
        PauseNode { id } => done(s.nodes().pause(*id).await),
        RunNode { id } => done(s.nodes().resume(*id).await),
        FreeGroupChildren { id } => done(s.nodes().free_children(*id).await),
        TraceNode { id } => done(s.nodes().trace(*id).await),
        MoveNode {
            node,
            target,
            action,
        } => done(s.nodes().move_to(*node, *target, *action).await),
        AddGroup { target, action } => {
            s.add_group(*target, *action, false).await?;
            Ok(Outcome::Done)
        }
        AddSynth {
            def,
            target,
            action,
            controls,
        } => {
            let controls: Vec<(&str, f32)> =
                controls.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            s.add_synth(def, *target, *action, &controls).await?;
            Ok(Outcome::Done)
        }
        AllocBuffer { frames, channels } => {
            let id = s.add_buffer(*frames, *channels).await?;
            let info = s.buffers().query(id).await?;
            Ok(Outcome::Buffer { info, file: None })
        }
        ReadBuffer { path } => {
            let id = s.buffers().read(path, 0, -1).await?;
            let info = s.buffers().query(id).await?;
            Ok(Outcome::Buffer {
                info,
                file: Some(path.clone()),
            })
        }
        ZeroBuffer { id } => done(s.buffers().zero(*id).await),
        FreeBuffer { id } => {
            s.buffers().free(*id).await?;
            Ok(Outcome::BufferFreed(*id))
        }
        AllocBuses { rate, count } => {
            s.add_bus_group(*rate, *count).await?;
            Ok(Outcome::Done)
        }
        FreeBuses(group) => done(s.buses().free_group(*group)),
        ReadControlBuses(wanted) => {
            let mut out = Vec::new();
            for &(id, count) in wanted {
                let v = s.buses().get_controls(id as i32, count as i32).await?;
                out.extend(v.into_iter().enumerate().map(|(i, x)| (id + i as u32, x)));
            }
            Ok(Outcome::BusValues(out))
        }
        SetControlBus { bus, value } => done(s.buses().set_control(*bus as i32, *value).await),
        SendOsc(packet) => done(s.send(packet.clone()).await),
        DumpOsc(on) => done(s.dump_osc(*on).await),
        LoadBuiltin(def) => done(s.synthdefs().send_builtin(def).await),
        Meters(true) => done(s.mixer().start_meters().await),
        Meters(false) => done(s.mixer().stop_meters().await),
        AddBusMeter(spec) => done(s.mixer().add_bus_meter(spec.clone()).await.map(|_| ())),
        RemoveBusMeter(slot) => done(s.mixer().remove_bus_meter(*slot).await),
        MeterNodeOutput { id } => done(s.mixer().meter_node_output(*id).await.map(|_| ())),
        ScopeNodeOutput { id } => s
            .mixer()
            .node_output(*id)
            .await
            .map(Outcome::ScopeSource)
            .map_err(Failure::from),
        SetVolume(db) => done(s.mixer().set_volume(*db).await),
        SetMute(muted) => done(s.mixer().set_mute(*muted).await),
        StartRecording(options) => done(s.recorder().start(options.clone()).await),
        PauseRecording => done(s.recorder().pause().await),
        ResumeRecording => done(s.recorder().resume().await),
        StopRecording => Ok(Outcome::RecordingSaved(s.recorder().stop().await?)),
        ConnectSpeakers => {
            // The name JACK gave the server, which differs from the one asked for when that
            // was taken (a second server on the machine).
            let device = s.options().device;
            let client = s.with_log(|l| {
                scpanel_core::audio::jack::client_of(l.lines().map(|x| x.text.as_str()), &device)
            });
            Ok(Outcome::SpeakersConnected(
                JackTarget::default()
                    .connect_outputs_to_system(&client)
                    .await?,
            ))
        }
        CheckJack => Ok(Outcome::Jack(JackTarget::default().status().await)),
        CheckJackRate => Ok(Outcome::JackRate(
            JackTarget::default().sample_rate().await.ok(),
        )),
        FindExecutable(asked) => {
            let path = asked.clone();
            let found = tokio::task::spawn_blocking(move || {
                scpanel_core::machine::find_executable(path.as_deref()).map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| Failure::text(format!("looking for the server program stopped: {e}")))?;
            Ok(Outcome::Executable {
                asked: asked.clone(),
                found,
            })
        }
        CheckAudioDevices => {
            let cards = tokio::task::spawn_blocking(scpanel_core::audio::alsa::cards)
                .await
                .map_err(|e| Failure::text(format!("listing the sound cards stopped: {e}")))?
                .map_err(|e| format!("cannot read /proc/asound: {e}"));
            let pipewire = scpanel_core::audio::pipewire::detect().await;
            Ok(Outcome::AudioDevices { cards, pipewire })
        }
        StartJack(settings) => Ok(Outcome::JackStarted(OwnJack(
            JackServer::start(JackTarget::default(), settings).await?,
        ))),
        StopJack => Err(Failure::text("the app stops its own JACK server")),
        LookUpHost(host) => {
            let host = host.clone();
            let looked = tokio::task::spawn_blocking(move || {
                let result = look_up(&host);
                (host, result)
            })
            .await;
            match looked {
                Ok((host, result)) => Ok(Outcome::Looked { host, result }),
                Err(e) => Err(Failure::text(format!("the lookup ended early: {e}"))),
            }
        }
        Browse => {
            // Binding port 5353 and starting a thread is quick, but not the UI thread's job.
            let started = tokio::task::spawn_blocking(scpanel_core::discover::Browser::start)
                .await
                .map_err(|e| Failure::text(format!("the browser did not start: {e}")))?;
            Ok(Outcome::Browsing(OwnBrowser(
                started.map_err(Failure::text)?,
            )))
        }
        Scan { targets, rate } => {
            let targets: scpanel_core::discover::ScanTargets =
                targets.parse().map_err(Failure::text)?;
            let found = scpanel_core::discover::scan(targets, *rate, Duration::from_secs(1))
                .await
                .map_err(Failure::text)?;
            Ok(Outcome::Scanned(found))
        }
        PickFile(pick) => {
            let pick = *pick;
            tokio::task::spawn_blocking(move || Outcome::Picked {
                pick,
                path: pick_file(pick),
            })
            .await
            .map_err(|e| Failure::text(format!("the file dialog ended early: {e}")))
        }
        ExportTraffic {
            path,
            lines,
            dropped,
        } => {
            let (path, lines, dropped) = (path.clone(), lines.clone(), *dropped);
            tokio::task::spawn_blocking(move || {
                crate::gui::traffic_text::export_text(&lines, dropped, &path)
                    .map(|n| Outcome::TrafficExported(path, n))
            })
            .await
            .map_err(|e| Failure::text(format!("the export ended early: {e}")))?
            .map_err(Failure::text)
        }
        Examine(exam) => Ok(Outcome::Diagnosis(Box::new(
            s.doctor().examine(exam).await?,
        ))),
        ApplyFix(fix) => Ok(Outcome::Fixed(s.doctor().apply(fix).await?)),
        ReadFlow(dirs) => Ok(Outcome::Flow(Box::new(
            crate::gui::flow_view::read(s, dirs).await?,
        ))),
        FlowMeter(want) => {
            crate::gui::flow_view::set_meter(s, *want).await?;
            Ok(Outcome::FlowMeter(*want))
        }
        StopProcess(holder) => {
            if scpanel_core::machine::stop_process(holder, STOP_GRACE).await {
                Ok(Outcome::ProcessStopped { pid: holder.pid })
            } else {
                Err(Failure::text(format!(
                    "pid {} is still running (permission?)",
                    holder.pid
                )))
            }
        }
    }
}

/// A host name's addresses, each once, in the resolver's order. Blocks (DNS).
fn look_up(host: &str) -> Result<Vec<IpAddr>, String> {
    let addrs =
        std::net::ToSocketAddrs::to_socket_addrs(&(host, 0)).map_err(|e| format!("{host}: {e}"))?;
    let mut ips: Vec<IpAddr> = Vec::new();
    for ip in addrs.map(|a| a.ip()) {
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    if ips.is_empty() {
        return Err(format!("{host}: no address"));
    }
    Ok(ips)
}

/// Shows a file dialog. Blocks until the user answers.
fn pick_file(pick: Pick) -> Option<PathBuf> {
    match pick {
        // One dialog for saving and loading: a save dialog also takes an existing file.
        Pick::Roster => rfd::FileDialog::new()
            .add_filter("scpanel roster", &["toml"])
            .set_file_name("classroom.toml")
            .save_file(),
        Pick::Executable => rfd::FileDialog::new()
            .set_title("Choose scsynth or supernova")
            .pick_file(),
        Pick::SoundFile => rfd::FileDialog::new()
            .add_filter("Sound files", &["wav", "aiff", "aif", "flac", "ogg"])
            .pick_file(),
        Pick::Recording { extension } => rfd::FileDialog::new()
            .set_file_name(format!("recording.{extension}"))
            .save_file(),
        Pick::TrafficExport => rfd::FileDialog::new()
            .add_filter("Text", &["txt"])
            .set_file_name("traffic.txt")
            .save_file(),
    }
}
