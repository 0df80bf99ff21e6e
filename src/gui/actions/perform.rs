//! Running one action against a server, on the runtime: the one place where a panel's
//! request becomes calls on the core.

use super::{Action, Failure, Outcome, OwnBrowser, OwnJack, Pick};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::gui::bridge::Offer;
use crate::server::host::jack::{JackServer, JackTarget};
use crate::server::{ConnectOptions, Server, ServerError};

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
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// Every address `text` (`host:port`, or a bare host for scsynth's 57110) stands for, in
/// the resolver's order, without repeats.
async fn resolve_join(text: &str) -> Result<Vec<SocketAddr>, Failure> {
    let text = text.trim();
    let with_port = if text.parse::<SocketAddr>().is_ok()
        || text
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.contains(':') && p.parse::<u16>().is_ok())
    {
        text.to_string()
    } else {
        format!("{text}:57110")
    };
    let failure = |why: String| Failure {
        text: format!("{text}: {why} (use HOST:PORT, e.g. 127.0.0.1:57110)"),
        offer: None,
    };
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
            s.default_meters(true);
            let booted = s.boot(options.clone()).await;
            let rate_mismatch = s.with_log(|l| {
                crate::server::host::sample_rate::explain_mismatch(
                    l.lines().map(|l| l.text.as_str()),
                )
            });
            match (booted, rate_mismatch) {
                (Ok(()), rate_mismatch) => Ok(Outcome::Booted { rate_mismatch }),
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
            s.default_meters(false);
            let o = options.clone();
            connect_or_offer_watching(s, o, addrs).await
        }
        Watch(options) => {
            s.default_meters(false);
            done(s.connect(options.clone()).await)
        }
        Join {
            addr,
            protocol,
            login,
        } => {
            s.default_meters(false);
            let addrs = resolve_join(addr).await?;
            let mut o = ConnectOptions::new(addrs[0]);
            o.protocol = *protocol;
            o.login = *login;
            connect_or_offer_watching(s, o, &addrs).await
        }
        LogIn => {
            let Some(session) = s.session() else {
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
            if s.recording().is_some() {
                s.stop_recording().await?;
            }
            done(s.quit(false).await)
        }
        QuitTheirs => done(s.quit(true).await),
        Reboot => done(s.reboot().await),
        Reset => done(s.reset().await),
        TestTone => done(s.test_tone().await),
        Version => Ok(Outcome::Version(s.version().await?)),
        RefreshTree => done(s.refresh_tree().await),
        SetControl { node, name, value } => {
            done(s.set_node(*node, &[(name.as_str(), *value)]).await)
        }
        FreeNode { id } => done(s.free_node(*id).await),
        PauseNode { id } => done(s.pause_node(*id).await),
        RunNode { id } => done(s.run_node(*id).await),
        FreeGroupChildren { id } => done(s.free_group_children(*id).await),
        TraceNode { id } => done(s.trace_node(*id).await),
        MoveNode {
            node,
            target,
            action,
        } => done(s.move_node(*node, *target, *action).await),
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
            let info = s.query_buffer(id).await?;
            Ok(Outcome::Buffer { info, file: None })
        }
        ReadBuffer { path } => {
            let id = s.read_buffer(path, 0, -1).await?;
            let info = s.query_buffer(id).await?;
            Ok(Outcome::Buffer {
                info,
                file: Some(path.clone()),
            })
        }
        ZeroBuffer { id } => done(s.zero_buffer(*id).await),
        FreeBuffer { id } => {
            s.free_buffer(*id).await?;
            Ok(Outcome::BufferFreed(*id))
        }
        AllocBuses { rate, count } => {
            s.add_bus_group(*rate, *count).await?;
            Ok(Outcome::Done)
        }
        FreeBuses(group) => done(s.free_bus_group(*group)),
        ReadControlBuses(wanted) => {
            let mut out = Vec::new();
            for &(id, count) in wanted {
                let v = s.get_control_buses(id as i32, count as i32).await?;
                out.extend(v.into_iter().enumerate().map(|(i, x)| (id + i as u32, x)));
            }
            Ok(Outcome::BusValues(out))
        }
        SetControlBus { bus, value } => done(s.set_control_bus(*bus as i32, *value).await),
        SendOsc(packet) => done(s.send(packet.clone()).await),
        DumpOsc(on) => done(s.dump_osc(*on).await),
        LoadBuiltin(def) => done(s.send_builtin(def).await),
        Meters(true) => done(s.start_meters().await),
        Meters(false) => done(s.stop_meters().await),
        AddBusMeter(spec) => done(s.add_bus_meter(spec.clone()).await.map(|_| ())),
        RemoveBusMeter(slot) => done(s.remove_bus_meter(*slot).await),
        MeterNodeOutput { id } => done(s.meter_node_output(*id).await.map(|_| ())),
        ScopeNodeOutput { id } => s
            .node_output(*id)
            .await
            .map(Outcome::ScopeSource)
            .map_err(Failure::from),
        SetVolume(db) => done(s.set_volume(*db).await),
        SetMute(muted) => done(s.set_mute(*muted).await),
        StartRecording(options) => done(s.start_recording(options.clone()).await),
        PauseRecording => done(s.pause_recording().await),
        ResumeRecording => done(s.resume_recording().await),
        StopRecording => Ok(Outcome::RecordingSaved(s.stop_recording().await?)),
        ConnectSpeakers => Ok(Outcome::SpeakersConnected(
            JackTarget::default()
                .connect_outputs_to_system(crate::server::host::jack::client_name(
                    &s.options().device,
                ))
                .await?,
        )),
        CheckJack => Ok(Outcome::Jack(JackTarget::default().status().await)),
        CheckJackRate => Ok(Outcome::JackRate(
            JackTarget::default().sample_rate().await.ok(),
        )),
        FindExecutable(asked) => {
            let path = asked.clone();
            let found = tokio::task::spawn_blocking(move || {
                crate::server::host::find::find_executable(path.as_deref())
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| Failure::text(format!("looking for the server program stopped: {e}")))?;
            Ok(Outcome::Executable {
                asked: asked.clone(),
                found,
            })
        }
        CheckAudioDevices => {
            let cards = tokio::task::spawn_blocking(crate::server::host::alsa::cards)
                .await
                .map_err(|e| Failure::text(format!("listing the sound cards stopped: {e}")))?
                .map_err(|e| format!("cannot read /proc/asound: {e}"));
            let pipewire = crate::server::host::pipewire::detect().await;
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
            let started = tokio::task::spawn_blocking(crate::server::discover::Browser::start)
                .await
                .map_err(|e| Failure::text(format!("the browser did not start: {e}")))?;
            Ok(Outcome::Browsing(OwnBrowser(
                started.map_err(Failure::text)?,
            )))
        }
        Scan { targets, rate } => {
            let targets: crate::server::discover::ScanTargets =
                targets.parse().map_err(Failure::text)?;
            let found = crate::server::discover::scan(targets, *rate, Duration::from_secs(1))
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
        StopProcess(holder) => {
            if crate::server::host::ports::stop_process(holder, STOP_GRACE).await {
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
    }
}
