//! What a panel may ask for, as data, and what comes back.
//!
//! Panels never touch the runtime: they push an [`Action`] into the frame's [`ActionQueue`].
//! The app drains the queue once per frame and runs each action against the session it was
//! pushed for ([`perform`], on the runtime); each ends as one [`Done`] on that session's
//! channel, which the app drains at the start of the next frame. So every request and every
//! result passes through one place, where a test (or a log) can see it.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use rosc::OscPacket;

pub(crate) mod first_jack;
pub(crate) mod perform;

use crate::gui::bridge::Offer;
use scpanel_core::BusGroup;
use scpanel_core::PortHolder;
use scpanel_core::audio::alsa::Card;
use scpanel_core::audio::jack::{JackServer, JackSettings, JackStatus};
use scpanel_core::audio::pipewire::PipeWire;
use scpanel_core::recording::RecordOptions;
use scpanel_core::{
    AddAction, BufferInfo, BusRate, ConnectOptions, Options, ServerError, VersionInfo,
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
    /// Where the console's traffic is exported as text.
    TrafficExport,
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
    /// The console's traffic, written to `path` as text (`dropped`: lines that fell off).
    ExportTraffic {
        path: PathBuf,
        lines: Vec<crate::gui::bridge::TrafficLine>,
        dropped: u64,
    },
    StopProcess(PortHolder),
    /// "Why no sound?": run the doctor.
    Examine(scpanel_core::doctor::Examination),
    /// Apply one of the doctor's fixes.
    ApplyFix(scpanel_core::doctor::Fix),
    /// Read the signal flow (the Flow tab), learning graphs from these folders too.
    ReadFlow(Vec<PathBuf>),
    /// Meter this bus with the Flow tab's lane meter, or stop it.
    FlowMeter(Option<u32>),
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
            ExportTraffic { .. } => "Exporting the traffic",
            StopProcess(_) => "Could not stop it",
            Examine(_) => "Why no sound?",
            ApplyFix(_) => "The fix did not work",
            ReadFlow(_) => "Reading the signal flow",
            FlowMeter(_) => "Metering a bus",
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
                | Action::ExportTraffic { .. }
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
                | Action::ReadFlow(_)
                | Action::FlowMeter(_)
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
    /// The console's traffic written: where, how many packets.
    TrafficExported(PathBuf, usize),
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
    /// A boot ended; a sample rate it was asked for and does not run at, explained; the JACK
    /// server started for it (none ran), with the words that say on what.
    Booted {
        rate_mismatch: Option<String>,
        started_jack: Option<(OwnJack, String)>,
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
    /// What the doctor found.
    Diagnosis(Box<scpanel_core::doctor::Report>),
    /// A fix applied, in words.
    Fixed(String),
    /// A Zeroconf browser, listing from now on.
    Browsing(OwnBrowser),
    /// The servers a scan found.
    Scanned(Vec<scpanel_core::discover::Found>),
    /// The server's program and version.
    Version(VersionInfo),
    /// The signal flow, for the Flow tab.
    Flow(Box<crate::gui::flow_view::FlowRead>),
    /// The Flow tab's lane meter now meters this bus (or none).
    FlowMeter(Option<u32>),
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
    /// The server's error itself, when there was one (the doctor reads a failed boot's).
    pub error: Option<Box<ServerError>>,
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
            error: Some(Box::new(e)),
        }
    }
}

impl Failure {
    fn text(text: impl Into<String>) -> Failure {
        Failure {
            text: text.into(),
            offer: None,
            error: None,
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
            port: scpanel_core::DEFAULT_PORT,
            holder: Some(holder.clone()),
            suggestion: Some(57111),
            protocol: "UDP",
        });
        assert_eq!(
            f.offer,
            Some(Offer::PortHeld {
                port: scpanel_core::DEFAULT_PORT,
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
