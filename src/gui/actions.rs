//! What a panel may ask for, as data, and what comes back.
//!
//! Panels never touch the runtime: they push an [`Action`] into the frame's [`ActionQueue`].
//! The app drains the queue once per frame and runs each action against the session it was
//! pushed for ([`perform`], on the runtime); each ends as one [`Done`] on that session's
//! channel, which the app drains at the start of the next frame. So every request and every
//! result passes through one place, where a test (or a log) can see it.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use rosc::OscPacket;

use super::bridge::Offer;
use scpanel_core::BusGroup;
use scpanel_core::PortHolder;
use scpanel_core::audio::alsa::Card;
use scpanel_core::audio::jack::{JackServer, JackSettings, JackStatus, JackTarget};
use scpanel_core::audio::pipewire::PipeWire;
use scpanel_core::recording::RecordOptions;
use scpanel_core::{
    AddAction, BufferInfo, BusRate, ConnectOptions, Options, Server, ServerError, VersionInfo,
};

/// Which session an action is for. Sessions are numbered as they are made, never reused,
/// so a result that arrives after its session closed can't land in another one.
pub type SessionId = u64;

/// A file dialog's purpose: where the chosen path goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The server program (boot options).
    Executable,
    /// A sound file to read into a buffer.
    SoundFile,
    /// Where a recording goes; the extension is the chosen header format's.
    Recording { extension: &'static str },
    /// A roster (session file) to save the wall to or load it from.
    Roster,
}

/// Everything a panel may ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    // The server's life.
    Boot(Options),
    /// Connect to the first of `addrs` that answers (a name may have several addresses).
    Connect {
        options: ConnectOptions,
        addrs: Vec<SocketAddr>,
    },
    /// Connect without logging in, after every login was taken.
    Watch(ConnectOptions),
    /// A tile's server: look `addr` (`host:port`) up, then connect to the first of its
    /// addresses that answers, logged in or watching.
    Join {
        addr: String,
        protocol: scpanel_core::Protocol,
        login: bool,
    },
    /// Watching and logged in the other way round: log in to a server being watched.
    LogIn,
    /// What to do when the server goes away by itself.
    SetRejoin(scpanel_core::RejoinPolicy),
    /// Stop trying to bring the server back.
    StopRejoining,
    Disconnect,
    /// Quit a server this window booted, finishing a recording first.
    Quit,
    /// Quit a server someone else booted (stops it for every client).
    QuitTheirs,
    Reboot,
    Reset,
    TestTone,
    /// Ask the server which program and version it is (`/version`), for the About box.
    Version,
    // Nodes.
    RefreshTree,
    SetControl {
        node: i32,
        name: String,
        value: f32,
    },
    FreeNode {
        id: i32,
    },
    PauseNode {
        id: i32,
    },
    RunNode {
        id: i32,
    },
    FreeGroupChildren {
        id: i32,
    },
    /// `/n_trace`: the server prints the node's UGens (or a group's nodes).
    TraceNode {
        id: i32,
    },
    MoveNode {
        node: i32,
        target: i32,
        action: AddAction,
    },
    AddGroup {
        target: i32,
        action: AddAction,
    },
    AddSynth {
        def: String,
        target: i32,
        action: AddAction,
        controls: Vec<(String, f32)>,
    },
    // Buffers and buses.
    AllocBuffer {
        frames: i32,
        channels: i32,
    },
    ReadBuffer {
        path: PathBuf,
    },
    ZeroBuffer {
        id: i32,
    },
    FreeBuffer {
        id: i32,
    },
    AllocBuses {
        rate: BusRate,
        count: u32,
    },
    FreeBuses(BusGroup),
    /// Read control buses: each `(first, count)`.
    ReadControlBuses(Vec<(u32, u32)>),
    SetControlBus {
        bus: u32,
        value: f32,
    },
    // Raw OSC and SynthDefs.
    SendOsc(OscPacket),
    DumpOsc(bool),
    LoadBuiltin(String),
    // Levels and recording.
    Meters(bool),
    /// A meter on any audio bus range, beside the hardware ones.
    AddBusMeter(scpanel_core::levels::BusMeterSpec),
    /// Stops the bus meter in this slot.
    RemoveBusMeter(usize),
    /// A bus meter on what a synth writes ("Meter its output").
    MeterNodeOutput {
        id: i32,
    },
    /// Point the Scope at the buses synth `id` writes.
    ScopeNodeOutput {
        id: i32,
    },
    SetVolume(f32),
    SetMute(bool),
    StartRecording(RecordOptions),
    PauseRecording,
    ResumeRecording,
    StopRecording,
    // The machine, not the server: JACK, host names, files, processes.
    ConnectSpeakers,
    CheckJack,
    CheckJackRate,
    /// Find the server program the boot would run (the option's path, or scsynth or
    /// supernova on the usual paths): file system reads, so not on the UI thread.
    FindExecutable(Option<PathBuf>),
    /// List the sound cards and look for PipeWire's JACK.
    CheckAudioDevices,
    StartJack(JackSettings),
    /// Stop the JACK server this app started; the app holds it, so the app runs this one.
    StopJack,
    LookUpHost(String),
    /// Start listing servers announced over Zeroconf.
    Browse,
    /// Ask every address of `targets` (`NETWORK/PREFIX:FIRST-LAST`) for `/status`, `rate`
    /// a second.
    Scan {
        targets: String,
        rate: u32,
    },
    PickFile(Pick),
    StopProcess(PortHolder),
}

impl Action {
    /// The title of the notice when it fails, in the words the panels used before.
    pub fn title(&self) -> &'static str {
        use Action::*;
        match self {
            Boot(_) => "Boot failed",
            Connect { .. } => "Connecting",
            Watch(_) => "Watching",
            Join { .. } => "Joining a server",
            LogIn => "Logging in",
            SetRejoin(_) => "Rejoining",
            StopRejoining => "Rejoining",
            Disconnect => "Disconnecting",
            Quit => "Quit failed",
            QuitTheirs => "Quitting",
            Reboot => "Reboot failed",
            Reset => "Reset failed",
            TestTone => "Test tone",
            Version => "Asking the server's version",
            RefreshTree => "Reading the tree",
            SetControl { name, .. } if name == "gate" => "Releasing a synth",
            SetControl { .. } => "Setting a control",
            FreeNode { .. } => "Freeing a node",
            PauseNode { .. } => "Pausing a node",
            RunNode { .. } => "Resuming a node",
            FreeGroupChildren { .. } => "Freeing a group's nodes",
            TraceNode { .. } => "Tracing a node",
            MoveNode { .. } => "Moving a node",
            AddGroup { .. } => "Adding a group",
            AddSynth { .. } => "Adding a synth",
            AllocBuffer { .. } => "Allocating a buffer",
            ReadBuffer { .. } => "Reading a sound file",
            ZeroBuffer { .. } => "Zeroing a buffer",
            FreeBuffer { .. } => "Freeing a buffer",
            AllocBuses { .. } => "Allocating buses",
            FreeBuses(_) => "Can't free the buses",
            ReadControlBuses(_) => "Reading control buses",
            SetControlBus { .. } => "Setting a bus",
            SendOsc(_) => "Sending OSC",
            DumpOsc(_) => "Dump OSC",
            LoadBuiltin(_) => "Loading a SynthDef",
            Meters(_) => "Meters",
            AddBusMeter(_) => "Adding a meter",
            RemoveBusMeter(_) => "Removing a meter",
            MeterNodeOutput { .. } => "Metering a node's output",
            ScopeNodeOutput { .. } => "Scoping a node's output",
            SetVolume(_) => "Volume",
            SetMute(_) => "Mute",
            StartRecording(_) => "Recording",
            PauseRecording => "Pausing the recording",
            ResumeRecording => "Resuming the recording",
            StopRecording => "Stopping the recording",
            ConnectSpeakers => "Connecting to the speakers",
            CheckJack => "Looking for JACK",
            CheckJackRate => "Reading JACK's sample rate",
            FindExecutable(_) => "Looking for the server program",
            CheckAudioDevices => "Looking for sound cards",
            StartJack(_) => "JACK did not start",
            StopJack => "Stopping JACK",
            LookUpHost(_) => "Looking up a host",
            Browse => "Looking for servers",
            Scan { .. } => "Scanning",
            PickFile(_) => "Choosing a file",
            StopProcess(_) => "Could not stop it",
        }
    }

    /// Whether a failure is worth a notice. Background reads the panels repeat by
    /// themselves (JACK's state, its rate) fail quietly: their panels show the state.
    /// Whether it reads only the machine (JACK, sound cards, PipeWire), not the server: such
    /// a read under way leaves a session that never had a server free to take one.
    pub fn reads_only_the_machine(&self) -> bool {
        matches!(
            self,
            Action::CheckJack
                | Action::CheckJackRate
                | Action::CheckAudioDevices
                | Action::FindExecutable(_)
        )
    }

    pub fn tells_failure(&self) -> bool {
        // The About box shows its own failure.
        !matches!(
            self,
            Action::CheckJack
                | Action::CheckJackRate
                | Action::CheckAudioDevices
                | Action::FindExecutable(_)
                | Action::Version
        )
    }
}

/// What a successful action brings back, for the panel or session that waits for it.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing to show: the server's own notifications update the views.
    Done,
    /// A buffer allocated or read, as the server describes it.
    Buffer {
        info: BufferInfo,
        file: Option<PathBuf>,
    },
    BufferFreed(i32),
    /// Control-bus values by bus number.
    BusValues(Vec<(u32, f32)>),
    RecordingSaved(PathBuf),
    /// The buses a node writes, for the Scope to look at.
    ScopeSource(scpanel_core::levels::BusMeterSpec),
    /// JACK ports joined, `(from, to)`.
    SpeakersConnected(Vec<(String, String)>),
    Jack(JackStatus),
    JackRate(Option<u32>),
    /// The server program for the path asked about (`None`: found automatically).
    Executable {
        asked: Option<PathBuf>,
        found: Result<PathBuf, String>,
    },
    JackStarted(OwnJack),
    /// The sound cards (or why they can't be read) and what points at PipeWire's JACK.
    AudioDevices {
        cards: Result<Vec<Card>, String>,
        pipewire: PipeWire,
    },
    /// A boot ended; a sample rate it was asked for and does not run at, explained.
    Booted {
        rate_mismatch: Option<String>,
    },
    /// A host name's addresses in the resolver's order, or why it has none.
    Looked {
        host: String,
        result: Result<Vec<IpAddr>, String>,
    },
    /// The path chosen, or `None` when the dialog was cancelled.
    Picked {
        pick: Pick,
        path: Option<PathBuf>,
    },
    ProcessStopped {
        pid: u32,
    },
    /// A Zeroconf browser, listing from now on.
    Browsing(OwnBrowser),
    /// The servers a scan found.
    Scanned(Vec<scpanel_core::discover::Found>),
    /// The server's program and version.
    Version(VersionInfo),
}

/// A Zeroconf browser; the core's type has no `Debug`.
pub struct OwnBrowser(pub scpanel_core::discover::Browser);

impl std::fmt::Debug for OwnBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnBrowser")
    }
}

/// A JACK server this app started. The core's type has no `Debug`; this one says what it is.
pub struct OwnJack(pub JackServer);

impl std::fmt::Debug for OwnJack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnJack")
    }
}

/// Why an action failed, as a sentence, with something to offer instead when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub text: String,
    pub offer: Option<Offer>,
}

impl From<ServerError> for Failure {
    fn from(e: ServerError) -> Failure {
        let offer = match &e {
            ServerError::PortInUse {
                port,
                holder: Some(holder),
                suggestion,
                ..
            } => Some(Offer::PortHeld {
                port: *port,
                holder: holder.clone(),
                suggestion: *suggestion,
            }),
            _ => None,
        };
        Failure {
            text: e.to_string(),
            offer,
        }
    }
}

impl Failure {
    fn text(text: impl Into<String>) -> Failure {
        Failure {
            text: text.into(),
            offer: None,
        }
    }
}

/// One action's end, sent back to the UI thread.
#[derive(Debug)]
pub struct Done {
    pub action: Action,
    pub result: Result<Outcome, Failure>,
}

impl Done {
    /// Whether a failure should be shown as a notice.
    pub fn tells_failure(&self) -> bool {
        self.result.is_err() && self.action.tells_failure()
    }
}

/// The actions a frame's panels asked for, each tagged with the session it is for.
#[derive(Debug, Default)]
pub struct ActionQueue {
    /// The session panels are drawing; what they push is for it.
    pub target: SessionId,
    items: Vec<(SessionId, Action)>,
}

impl ActionQueue {
    /// An empty queue whose pushes are for session `target`.
    pub fn for_session(target: SessionId) -> ActionQueue {
        ActionQueue {
            target,
            items: Vec::new(),
        }
    }

    pub fn push(&mut self, action: Action) {
        self.items.push((self.target, action));
    }

    /// Pushes `action` for the session `id`, whichever one the panels draw (the wall's
    /// tiles act on their own servers).
    pub fn push_for(&mut self, id: SessionId, action: Action) {
        self.items.push((id, action));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The actions pushed so far, oldest first, without taking them.
    pub fn pending(&self) -> impl Iterator<Item = &Action> {
        self.items.iter().map(|(_, a)| a)
    }

    /// Takes every action, leaving the queue empty for the next frame.
    pub fn take(&mut self) -> Vec<(SessionId, Action)> {
        std::mem::take(&mut self.items)
    }
}

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
pub async fn perform(server: &Server, action: &Action) -> Result<Outcome, Failure> {
    use Action::*;
    let s = server;
    let done = |r: Result<(), ServerError>| r.map(|()| Outcome::Done).map_err(Failure::from);
    match action {
        Boot(options) => {
            // Levels from the first sound on a server the window boots.
            s.mixer().default_meters(true);
            let booted = s.boot(options.clone()).await;
            let rate_mismatch = s.with_log(|l| {
                scpanel_core::audio::sample_rate::explain_mismatch(
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
        ConnectSpeakers => Ok(Outcome::SpeakersConnected(
            JackTarget::default()
                .connect_outputs_to_system(scpanel_core::audio::jack::client_name(
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_tags_each_action_with_the_session_drawn_and_empties_when_taken() {
        let mut q = ActionQueue::for_session(3);
        q.push(Action::FreeNode { id: 1000 });
        q.target = 4;
        q.push(Action::RefreshTree);
        assert_eq!(
            q.take(),
            vec![(3, Action::FreeNode { id: 1000 }), (4, Action::RefreshTree)]
        );
        assert!(q.is_empty());
        assert!(q.take().is_empty());
    }

    #[test]
    fn a_port_held_by_another_process_comes_back_with_an_offer() {
        let holder = PortHolder {
            pid: 4242,
            command: "scsynth".into(),
        };
        let f = Failure::from(ServerError::PortInUse {
            port: 57110,
            holder: Some(holder.clone()),
            suggestion: Some(57111),
            protocol: "UDP",
        });
        assert_eq!(
            f.offer,
            Some(Offer::PortHeld {
                port: 57110,
                holder,
                suggestion: Some(57111)
            })
        );
    }

    #[test]
    fn background_reads_fail_quietly_and_requests_do_not() {
        let quiet = Done {
            action: Action::CheckJack,
            result: Err(Failure::text("no jack_lsp")),
        };
        assert!(!quiet.tells_failure());
        let loud = Done {
            action: Action::FreeNode { id: 1 },
            result: Err(Failure::text("not connected")),
        };
        assert!(loud.tells_failure());
        assert_eq!(loud.action.title(), "Freeing a node");
    }
}
