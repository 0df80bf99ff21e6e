//! "Why is there no sound?": the sound doctor. It gathers what the server and this machine
//! say (the tree with every synth's controls, the SynthDefs' graphs, the output meters,
//! JACK's connections, the server's own output on a server scpanel booted), names the
//! classic mistakes in a musician's words, and applies the fixes that exist.
//!
//! Gathering is `gather.rs` (pauses no notification told of: `pauses.rs`), the judgement `rules.rs` (pure: unit-tested without a server),
//! where the graphs come from `library.rs`, the fixes `fix.rs`. On a server it only visits
//! it is a good guest: what it makes to look (a meter, a probe of paused groups) it frees.

mod fix;
mod gather;
mod library;
mod pauses;
mod rules;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::error::{PortHolder, Result};
use crate::link::Link;
use crate::ops::mixer::Mixer;
use crate::ops::synthdefs::SynthDefs;
use crate::synthdef::flow::Flow;

pub use library::sclang_synthdef_dir;

/// How much a finding matters to the question "why is there no sound?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// This is (one reason) why nothing, or some synth, is heard.
    BlocksSound,
    /// Sound may suffer (clicks, a late note, a synth going nowhere while others play).
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// The stable name (`blocks-sound`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::BlocksSound => "blocks-sound",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// What kind of mistake a finding names. The names are stable: scripts match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An old server still holds the port: "bind: Address already in use".
    PortInUse,
    /// No JACK server runs, so scsynth has no audio device.
    NoJack,
    /// scsynth's outputs reach no playback port.
    NotConnected,
    /// Sample rates that disagree.
    RateMismatch,
    /// A synth reads a bus before the synth that writes it has run.
    Order,
    /// A synth writes an input bus (`Out.ar(2)` on a 2-output server).
    WritesInputBus,
    /// A synth writes a private bus nothing reads.
    BusUnread,
    /// The server lacks a SynthDef someone asked for.
    DefMissing,
    /// A synth's amplitude is 0.
    ZeroAmp,
    /// A synth's gate is closed: its envelope has released.
    GateClosed,
    /// A synth or group is paused.
    Paused,
    /// The master volume is muted or all the way down.
    Muted,
    /// Synths run but every output meter is silent.
    SilentOutputs,
    /// The server's CPU is near its limit.
    CpuHigh,
    /// JACK reported xruns: audio dropped out.
    Xruns,
    /// Bundles arrived after their time.
    Late,
}

impl Kind {
    /// Every kind, in the order findings of equal severity are listed.
    pub const ALL: [Kind; 16] = [
        Kind::PortInUse,
        Kind::NoJack,
        Kind::NotConnected,
        Kind::DefMissing,
        Kind::Muted,
        Kind::Order,
        Kind::WritesInputBus,
        Kind::BusUnread,
        Kind::Paused,
        Kind::ZeroAmp,
        Kind::GateClosed,
        Kind::SilentOutputs,
        Kind::RateMismatch,
        Kind::CpuHigh,
        Kind::Xruns,
        Kind::Late,
    ];

    /// The stable name (`port-in-use`, `order`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PortInUse => "port-in-use",
            Kind::NoJack => "no-jack",
            Kind::NotConnected => "not-connected",
            Kind::RateMismatch => "rate-mismatch",
            Kind::Order => "order",
            Kind::WritesInputBus => "writes-input-bus",
            Kind::BusUnread => "bus-unread",
            Kind::DefMissing => "def-missing",
            Kind::ZeroAmp => "zero-amp",
            Kind::GateClosed => "gate-closed",
            Kind::Paused => "paused",
            Kind::Muted => "muted",
            Kind::SilentOutputs => "silent-outputs",
            Kind::CpuHigh => "cpu-high",
            Kind::Xruns => "xruns",
            Kind::Late => "late",
        }
    }

    /// Findings that appear by themselves while a show runs: the window shows them as a
    /// quiet badge rather than opening anything.
    pub fn arises_during_a_show(self) -> bool {
        matches!(
            self,
            Kind::Xruns | Kind::CpuHigh | Kind::Late | Kind::DefMissing
        )
    }

    fn rank(self) -> usize {
        Kind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(usize::MAX)
    }
}

/// A fix the doctor can apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Move `node` to just after `after` (`/n_after`): a reader after its writer.
    MoveAfter {
        /// The reader.
        node: i32,
        /// Its writer.
        after: i32,
    },
    /// Connect scsynth's JACK outputs to the playback ports.
    ConnectOutputs {
        /// scsynth's JACK client.
        client: String,
    },
    /// Unmute the master volume and bring it to 0 dB.
    Unmute,
    /// Send a SynthDef the server lacks: a built-in, or from a file.
    LoadDef {
        /// Its name.
        name: String,
        /// The file it is in; `None` for one of scpanel's built-ins (`default`).
        file: Option<PathBuf>,
    },
    /// Set one control of a synth (`amp` back to its default, `gate` to 1).
    SetControl {
        /// The synth.
        node: i32,
        /// The control.
        name: String,
        /// The value.
        value: f32,
    },
    /// Resume a paused synth or group (`/n_run node 1`).
    Resume {
        /// The node.
        node: i32,
    },
    /// Start a JACK server: the caller's to do (the app owns the jackd it starts).
    StartJack,
    /// Stop the old server that holds the port (by its pid, after checking it is a
    /// SuperCollider server).
    FreeOldServer {
        /// The process.
        holder: PortHolder,
    },
}

impl Fix {
    /// What its button says.
    pub fn label(&self) -> String {
        match self {
            Fix::MoveAfter { node, after } => format!("Move {node} after {after}"),
            Fix::ConnectOutputs { .. } => "Connect the outputs".into(),
            Fix::Unmute => "Unmute".into(),
            Fix::LoadDef { name, .. } => format!("Load {name}"),
            Fix::SetControl { name, value, .. } => format!("Set {name} to {value}"),
            Fix::Resume { node } => format!("Resume {node}"),
            Fix::StartJack => "Start JACK".into(),
            Fix::FreeOldServer { holder } => format!("Stop the old server (pid {})", holder.pid),
        }
    }
}

/// One thing the doctor found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What kind of mistake.
    pub kind: Kind,
    /// How much it matters.
    pub severity: Severity,
    /// The nodes concerned.
    pub nodes: Vec<i32>,
    /// The buses concerned (audio buses unless the message says control).
    pub buses: Vec<u32>,
    /// One sentence a musician understands.
    pub message: String,
    /// What to do, in words, when there is something to do.
    pub advice: Option<String>,
    /// The fix the doctor can apply itself.
    pub fix: Option<Fix>,
    /// It rests on buses guessed from control names (no graph of the def was at hand).
    pub guessed: bool,
    /// Where each synth's buses were learnt: a graph and its source (scpanel's own, a file),
    /// or a guess from control names.
    pub basis: Vec<String>,
}

/// What the doctor found, most serious first.
#[derive(Debug, Clone)]
pub struct Report {
    /// The findings, most serious first.
    pub findings: Vec<Finding>,
    /// The signal flow it judged.
    pub flow: Flow,
    /// What it could not look at, and why (a server on another machine has no JACK to see).
    pub unchecked: Vec<String>,
    /// How long it took.
    pub took: Duration,
}

impl Report {
    /// Nothing blocks sound.
    pub fn ok(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|f| f.severity == Severity::BlocksSound)
    }

    /// How much was looked at, and how long it took: "12 synths looked at in 86 ms."
    pub fn looked_at(&self) -> String {
        let n = self.flow.synths.len();
        format!(
            "{n} synth{} looked at in {} ms.",
            if n == 1 { "" } else { "s" },
            self.took.as_millis()
        )
    }

    /// `{"ok": bool, "findings": [{"kind", "severity", "nodes", "buses", "message", "fix",
    /// "guessed", "basis"}], "unchecked": [..]}`.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct J<'a> {
            ok: bool,
            findings: Vec<F<'a>>,
            unchecked: &'a [String],
        }
        #[derive(Serialize)]
        struct F<'a> {
            kind: &'static str,
            severity: &'static str,
            nodes: &'a [i32],
            buses: &'a [u32],
            message: &'a str,
            fix: Option<&'a str>,
            guessed: bool,
            basis: &'a [String],
        }
        let j = J {
            ok: self.ok(),
            findings: self
                .findings
                .iter()
                .map(|f| F {
                    kind: f.kind.as_str(),
                    severity: f.severity.as_str(),
                    nodes: &f.nodes,
                    buses: &f.buses,
                    message: &f.message,
                    fix: f.advice.as_deref(),
                    guessed: f.guessed,
                    basis: &f.basis,
                })
                .collect(),
            unchecked: &self.unchecked,
        };
        serde_json::to_string(&j).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

/// What the caller knows that the server can't say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Examination {
    /// Folders of `.scsyndef` files to learn graphs from, besides sclang's own folder.
    pub synthdef_dirs: Vec<PathBuf>,
    /// Listen to the output meters for a moment (starting them if they don't run, and
    /// stopping them after).
    pub listen: bool,
    /// Xruns JACK reported in the last minute, when the caller watches JACK.
    pub recent_xruns: Option<u64>,
    /// Why the last boot failed, when it did (a port in use, no audio device).
    pub boot_failure: Option<crate::error::ServerError>,
    /// The server is on this machine (its JACK and its process can be seen).
    pub local: Option<bool>,
}

/// What the doctor remembers between runs.
#[derive(Default)]
pub(crate) struct State {
    /// Graphs read from folders, by file, with the file's length and time.
    files: Mutex<library::FileCache>,
    /// Log lines up to this count were answered by a fix (a def loaded since).
    cleared: Mutex<std::collections::HashMap<String, u64>>,
}

/// The sound doctor ([`Server::doctor`](crate::Server::doctor)).
#[derive(Clone)]
pub struct Doctor {
    pub(crate) link: Arc<Link>,
    pub(crate) state: Arc<State>,
    pub(crate) defs: SynthDefs,
    pub(crate) mixer: Mixer,
    pub(crate) options: crate::model::options::Options,
}

impl Doctor {
    /// Looks at the server and says what stands between it and the speakers.
    pub async fn examine(&self, exam: &Examination) -> Result<Report> {
        let started = std::time::Instant::now();
        let (facts, unchecked) = gather::gather(self, exam).await?;
        let mut findings = rules::judge(&facts);
        findings.sort_by_key(|f| (f.severity, f.kind.rank()));
        Ok(Report {
            findings,
            flow: facts.flow,
            unchecked,
            took: started.elapsed(),
        })
    }

    /// The signal flow alone: the tree with controls and the graphs, no meters, no JACK.
    pub async fn flow(&self, synthdef_dirs: &[PathBuf]) -> Result<Flow> {
        gather::flow(self, synthdef_dirs).await
    }

    /// The findings that arise by themselves while a show runs (xruns, CPU near the limit,
    /// late bundles, SynthDefs asked for in vain), from what is already at hand: no request
    /// goes to the server. Cheap enough for a window to ask once a second.
    pub fn during_show(&self, recent_xruns: Option<u64>) -> Vec<Finding> {
        let facts = gather::show_facts(self, recent_xruns);
        let mut findings: Vec<Finding> = rules::judge(&facts)
            .into_iter()
            .filter(|f| f.kind.arises_during_a_show())
            .collect();
        findings.sort_by_key(|f| (f.severity, f.kind.rank()));
        findings
    }

    /// Applies a fix (all but [`Fix::StartJack`], which is the caller's).
    pub async fn apply(&self, fix: &Fix) -> Result<String> {
        fix::apply(self, fix).await
    }
}
