//! The doctor's judgement: from the facts gathered, the findings. Pure, so every rule is
//! tested without a server.
//!
//! "Blocks sound" means this is why something isn't heard. A synth that can't be heard (its
//! bus goes nowhere, it is paused, its amp is 0) blocks sound when nothing else is heard
//! either; while other synths reach the speakers it is a warning, since a musician may mean
//! it (a paused group of spare voices).

use std::collections::{HashMap, HashSet};

use super::{Finding, Fix, Kind, Severity};
use crate::error::PortHolder;
use crate::model::levels::MixerSettings;
use crate::synthdef::flow::{BusKind, Flow, FlowSynth, Known};
use crate::wire::protocol::{BusRate, StatusInfo};

/// What the doctor saw.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub flow: Flow,
    /// The tree's groups that are paused, top-most only (their children are paused with
    /// them), with what they hold.
    pub paused_groups: Vec<i32>,
    /// Why the last boot failed.
    pub boot: Option<BootTrouble>,
    /// What JACK says about scsynth's outputs, when the server is on this machine.
    pub jack: Option<JackFacts>,
    /// Sample rates.
    pub rates: Rates,
    /// SynthDefs the server said it lacks (its output, a server scpanel booted), with the
    /// file or built-in that has one.
    pub missing_defs: Vec<(String, Option<Fix>)>,
    /// Recent `late` lines: how late each was, in seconds.
    pub late: Vec<f64>,
    /// The latest `/status`.
    pub status: Option<StatusInfo>,
    /// scpanel's master volume, when it runs on this server.
    pub volume: Option<MixerSettings>,
    /// The loudest output peak heard while listening, in dB.
    pub output_peak_db: Option<f32>,
    /// Recent xruns.
    pub xruns: Option<u64>,
}

impl Facts {
    /// The facts of a server with nothing known yet but its flow.
    pub fn of(flow: Flow) -> Facts {
        Facts {
            flow,
            paused_groups: vec![],
            boot: None,
            jack: None,
            rates: Rates::default(),
            missing_defs: vec![],
            late: vec![],
            status: None,
            volume: None,
            output_peak_db: None,
            xruns: None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum BootTrouble {
    PortInUse {
        port: u16,
        protocol: &'static str,
        holder: Option<PortHolder>,
        /// The holder runs but the program that started it is gone: an old server.
        old: bool,
    },
    NoAudio(String),
}

#[derive(Debug, Clone)]
pub(crate) struct JackFacts {
    /// scsynth's JACK client.
    pub client: String,
    /// Its output ports.
    pub outputs: usize,
    /// Those connected to anything.
    pub connected: usize,
}

/// A sample-rate mismatch in the boot's own output, in plain words
/// (`audio::sample_rate::explain_mismatch`, the one place that reads those lines).
#[derive(Debug, Clone, Default)]
pub(crate) struct Rates {
    pub explained: Option<String>,
    /// The input and output devices differ: the server can't run.
    pub devices: bool,
}

/// Controls that carry a synth's loudness, by the convention of SuperCollider's defs.
const AMP_NAMES: [&str; 6] = ["amp", "amplitude", "level", "vol", "volume", "gain"];
/// Below this every output counts as silent (the meters' floor is −90 dB).
pub(crate) const SILENT_DB: f32 = -80.0;
/// CPU figures from which a block may be late: scsynth runs its graph on one core.
const CPU_WARN: f32 = 70.0;
const PEAK_WARN: f32 = 90.0;
/// How many synths one finding names at most (the rest are counted).
const MAX_NODES_NAMED: usize = 50;

pub(crate) fn judge(f: &Facts) -> Vec<Finding> {
    let mut out = Vec::new();
    boot(f, &mut out);
    connections(f, &mut out);
    rates(f, &mut out);
    missing(f, &mut out);
    volume(f, &mut out);
    let heard = heard(f);
    let lost = if heard {
        Severity::Warning
    } else {
        Severity::BlocksSound
    };
    buses(f, lost, &mut out);
    silenced(f, lost, &mut out);
    if let Some(peak) = f.output_peak_db {
        let running = f
            .flow
            .synths
            .iter()
            .filter(|s| !s.paused && !s.is_scpanels())
            .count();
        if peak < SILENT_DB && running > 0 {
            out.push(Finding {
                kind: Kind::SilentOutputs,
                severity: Severity::BlocksSound,
                nodes: vec![],
                buses: (0..f.flow.hardware.outputs).collect(),
                message: format!(
                    "{running} synth{} running, but every output is silent (loudest {peak:.0} dB).",
                    plural(running)
                ),
                advice: Some(
                    "Look at the findings above; if there are none, a synth may be making silence."
                        .into(),
                ),
                fix: None,
                guessed: false,
                basis: vec![],
            });
        }
    }
    load(f, &mut out);
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn boot(f: &Facts, out: &mut Vec<Finding>) {
    match &f.boot {
        Some(BootTrouble::PortInUse {
            port,
            protocol,
            holder,
            old,
        }) => {
            let who = holder.as_ref().map_or("another program".to_string(), |h| {
                format!("pid {} ({})", h.pid, clip(&h.command, 60))
            });
            let scsynth = holder.as_ref().is_some_and(PortHolder::is_scsynth);
            let what = if *old && scsynth {
                "an old server nobody quit"
            } else if scsynth {
                "another SuperCollider server"
            } else {
                "another program"
            };
            out.push(Finding {
                kind: Kind::PortInUse,
                severity: if *old {
                    Severity::Warning
                } else {
                    Severity::BlocksSound
                },
                nodes: vec![],
                buses: vec![],
                message: format!(
                    "{} port {port} is held by {who}, {what}: a server booted on it fails with \
                     \"Address already in use\".",
                    protocol.to_uppercase()
                ),
                advice: Some(if scsynth {
                    "Stop the old server, or boot on another port.".into()
                } else {
                    "Boot on another port.".into()
                }),
                fix: holder
                    .clone()
                    .filter(|_| scsynth)
                    .map(|holder| Fix::FreeOldServer { holder }),
                guessed: false,
                basis: vec![],
            });
        }
        Some(BootTrouble::NoAudio(line)) => out.push(Finding {
            kind: Kind::NoJack,
            severity: Severity::BlocksSound,
            nodes: vec![],
            buses: vec![],
            message: format!(
                "The server found no audio device: no JACK server runs ({}).",
                clip(line, 80)
            ),
            advice: Some("Start JACK (or PipeWire's JACK), then boot again.".into()),
            fix: Some(Fix::StartJack),
            guessed: false,
            basis: vec![],
        }),
        None => {}
    }
}

fn connections(f: &Facts, out: &mut Vec<Finding>) {
    let Some(j) = &f.jack else { return };
    if j.outputs > 0 && j.connected == 0 {
        out.push(Finding {
            kind: Kind::NotConnected,
            severity: Severity::BlocksSound,
            nodes: vec![],
            buses: (0..f.flow.hardware.outputs).collect(),
            message: format!(
                "None of the server's {} JACK outputs ({}:out_1…) is connected to anything: \
                 its sound goes nowhere.",
                j.outputs, j.client
            ),
            advice: Some(
                "Connect them to the playback ports (or boot with SC_JACK_DEFAULT_OUTPUTS set)."
                    .into(),
            ),
            fix: Some(Fix::ConnectOutputs {
                client: j.client.clone(),
            }),
            guessed: false,
            basis: vec![],
        });
    }
}

fn rates(f: &Facts, out: &mut Vec<Finding>) {
    let Some(text) = &f.rates.explained else {
        return;
    };
    out.push(Finding {
        kind: Kind::RateMismatch,
        // Under JACK a rate asked for is ignored: everything runs at JACK's, which is only
        // wrong for files and defs that assumed the other.
        severity: if f.rates.devices {
            Severity::BlocksSound
        } else {
            Severity::Warning
        },
        nodes: vec![],
        buses: vec![],
        message: text
            .split_inclusive(". ")
            .next()
            .unwrap_or(text)
            .trim()
            .to_string(),
        advice: Some(text.clone()),
        fix: None,
        guessed: false,
        basis: vec![],
    });
}

fn missing(f: &Facts, out: &mut Vec<Finding>) {
    for (name, fix) in &f.missing_defs {
        out.push(Finding {
            kind: Kind::DefMissing,
            severity: Severity::BlocksSound,
            nodes: vec![],
            buses: vec![],
            message: format!(
                "Someone asked for a synth of \"{name}\", but the server has no SynthDef of that \
                 name (\"FAILURE IN SERVER /s_new SynthDef not found\"): nothing was made."
            ),
            advice: Some(if fix.is_some() {
                format!("Load {name} again (a reboot forgets every SynthDef).")
            } else {
                format!("Send {name} again from its client (SynthDef(…).add) after a reboot.")
            }),
            fix: fix.clone(),
            guessed: false,
            basis: vec![],
        });
    }
}

fn volume(f: &Facts, out: &mut Vec<Finding>) {
    let Some(v) = f.volume else { return };
    if v.muted || v.volume_db <= crate::model::levels::FLOOR_DB + 1.0 {
        out.push(Finding {
            kind: Kind::Muted,
            severity: Severity::BlocksSound,
            nodes: vec![],
            buses: (0..f.flow.hardware.outputs).collect(),
            message: if v.muted {
                "The master volume is muted.".into()
            } else {
                format!(
                    "The master volume is all the way down ({:.0} dB).",
                    v.volume_db
                )
            },
            advice: Some("Unmute it.".into()),
            fix: Some(Fix::Unmute),
            guessed: false,
            basis: vec![],
        });
    }
}

/// Whether any musician's synth is heard: the output meters say so when they were read;
/// otherwise whether any synth that makes sound reaches an output.
fn heard(f: &Facts) -> bool {
    if let Some(peak) = f.output_peak_db {
        return peak >= SILENT_DB;
    }
    let reaching = reaching_outputs(&f.flow);
    let fed: HashSet<i32> = f
        .flow
        .feeds
        .iter()
        .filter(|x| !x.wrong_order)
        .map(|x| x.reader)
        .collect();
    let hw = f.flow.hardware;
    // An effect that reads a private bus no one fed in time has only silence to pass on.
    let starved = |s: &FlowSynth| {
        s.reads()
            .any(|(rate, first, _, _)| rate == BusRate::Audio && hw.kind(first) == BusKind::Private)
            && !fed.contains(&s.id)
    };
    f.flow
        .synths
        .iter()
        .any(|s| !s.is_scpanels() && reaching.contains(&s.id) && sounding(s) && !starved(s))
}

/// Not paused, amp and gate open.
fn sounding(s: &FlowSynth) -> bool {
    !s.paused && zero_control(s, &AMP_NAMES).is_none() && zero_control(s, &["gate"]).is_none()
}

fn zero_control<'a>(s: &'a FlowSynth, names: &[&str]) -> Option<&'a str> {
    s.controls
        .iter()
        .find(|(n, v)| names.contains(&n.as_str()) && *v == 0.0)
        .map(|(n, _)| n.as_str())
}

/// Synths whose signal reaches a hardware output: they write one, or feed (in the right
/// order) a synth that does. Bounded by the feeds: each synth is reached once.
fn reaching_outputs(flow: &Flow) -> HashSet<i32> {
    let hw = flow.hardware;
    let mut reach: HashSet<i32> = flow
        .synths
        .iter()
        .filter(|s| !s.is_scpanels() || s.def.as_deref().is_some_and(|d| d.contains("volume")))
        .filter(|s| {
            s.writes()
                .any(|(rate, first, w)| rate == BusRate::Audio && first < hw.outputs && w > 0)
        })
        .map(|s| s.id)
        .collect();
    let mut into: HashMap<i32, Vec<i32>> = HashMap::new();
    for feed in flow.feeds.iter().filter(|f| !f.wrong_order) {
        into.entry(feed.reader).or_default().push(feed.writer);
    }
    let mut stack: Vec<i32> = reach.iter().copied().collect();
    while let Some(r) = stack.pop() {
        for w in into.get(&r).into_iter().flatten() {
            if reach.insert(*w) {
                stack.push(*w);
            }
        }
    }
    reach
}

fn guessed(s: &FlowSynth) -> bool {
    s.known == Some(Known::Guessed)
}

/// Where each synth's buses were learnt, for the finding: a graph and where it came from, or
/// a guess from its control names.
fn basis(synths: &[&FlowSynth]) -> Vec<String> {
    synths
        .iter()
        .map(|s| match &s.known {
            Some(Known::Graph(from)) => format!("{}: the graph, {from}", name(s)),
            Some(Known::Guessed) => format!("{}: guessed from its control names", name(s)),
            None => format!("{}: no bus known", name(s)),
        })
        .collect()
}

fn name(s: &FlowSynth) -> String {
    match &s.def {
        Some(d) => format!("{} ({d})", s.id),
        None => s.id.to_string(),
    }
}

fn buses(f: &Facts, lost: Severity, out: &mut Vec<Finding>) {
    let flow = &f.flow;
    let hw = flow.hardware;
    // Synths by id with their place in the order, and each reader's feeds, indexed once: a
    // peer's server can make a hundred thousand feeds, and a search per feed would be their
    // square.
    let by_id: HashMap<i32, (usize, &FlowSynth)> = flow
        .synths
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id, (i, s)))
        .collect();
    let mut late_writers: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut fed_in_time: HashSet<(i32, u32)> = HashSet::new();
    for x in &flow.feeds {
        if x.wrong_order {
            late_writers.entry(x.reader).or_default().push(x.writer);
        } else {
            fed_in_time.insert((x.reader, x.bus));
        }
    }
    // A reader before its writer, on a private audio bus (the outputs are read by meters and
    // recorders on purpose, after everything).
    let mut done: HashSet<i32> = HashSet::new();
    for feed in flow.feeds.iter().filter(|x| x.wrong_order) {
        if hw.kind(feed.bus) != BusKind::Private || !done.insert(feed.reader) {
            continue;
        }
        let (Some((_, reader)), Some((_, writer))) =
            (by_id.get(&feed.reader), by_id.get(&feed.writer))
        else {
            continue;
        };
        if reader.is_scpanels() {
            continue;
        }
        // The last of its writers that runs after it: move the reader after that one.
        let last = late_writers
            .get(&feed.reader)
            .into_iter()
            .flatten()
            .filter_map(|w| by_id.get(w))
            .max_by_key(|(i, _)| *i)
            .map_or(*writer, |(_, s)| *s);
        let fed_before = fed_in_time.contains(&(feed.reader, feed.bus));
        out.push(Finding {
            kind: Kind::Order,
            severity: if fed_before { Severity::Warning } else { lost },
            nodes: vec![reader.id, last.id],
            buses: vec![feed.bus],
            message: format!(
                "{} reads bus {} before {} writes it: it runs first in each block, so it \
                 hears nothing of it.",
                name(reader),
                feed.bus,
                name(last)
            ),
            advice: Some(format!(
                "Move {} after {} (or create it with addAction \\addAfter / at the tail).",
                reader.id, last.id
            )),
            fix: Some(Fix::MoveAfter {
                node: reader.id,
                after: last.id,
            }),
            guessed: guessed(reader) || guessed(last),
            basis: basis(&[reader, last]),
        });
    }
    let read: HashSet<i32> = flow.feeds.iter().map(|x| x.writer).collect();
    for s in flow.synths.iter().filter(|s| !s.is_scpanels()) {
        for (rate, first, w) in s.writes() {
            if rate != BusRate::Audio {
                continue;
            }
            let end = first.saturating_add(w);
            let on_inputs: Vec<u32> = (first..end)
                .filter(|b| hw.kind(*b) == BusKind::Input)
                .collect();
            if !on_inputs.is_empty() {
                let all = on_inputs.len() as u32 == w;
                out.push(Finding {
                    kind: Kind::WritesInputBus,
                    severity: if all { lost } else { Severity::Warning },
                    nodes: vec![s.id],
                    buses: on_inputs.clone(),
                    message: format!(
                        "{} writes bus {}, which on this server ({} outputs, {} inputs) {}: \
                         the sound card's input, not a speaker.",
                        name(s),
                        join(&on_inputs),
                        hw.outputs,
                        hw.inputs,
                        if on_inputs.len() == 1 {
                            "is an input bus"
                        } else {
                            "are input buses"
                        }
                    ),
                    advice: Some(format!(
                        "Write to bus 0 (the first output){}.",
                        if hw.outputs > 0 {
                            format!(", or below {}", hw.outputs)
                        } else {
                            String::new()
                        }
                    )),
                    fix: None,
                    guessed: guessed(s),
                    basis: basis(&[s]),
                });
            } else if hw.kind(first) == BusKind::Private
                && !read.contains(&s.id)
                // A flow cut short lists only some feeds: "nobody reads it" can't be said.
                && !flow.cut_short
            {
                out.push(Finding {
                    kind: Kind::BusUnread,
                    severity: lost,
                    nodes: vec![s.id],
                    buses: (first..end).take(64).collect(),
                    message: format!(
                        "{} writes private bus {first}, and nothing reads it: its sound is never \
                         heard.",
                        name(s)
                    ),
                    advice: Some(
                        "Write to an output (bus 0), or start the synth that reads this bus."
                            .into(),
                    ),
                    fix: None,
                    guessed: guessed(s),
                    basis: basis(&[s]),
                });
            }
        }
    }
}

fn join(buses: &[u32]) -> String {
    buses
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn silenced(f: &Facts, lost: Severity, out: &mut Vec<Finding>) {
    let flow = &f.flow;
    let musicians = || flow.synths.iter().filter(|s| !s.is_scpanels());
    // Each paused synth under the top-most paused group above it, in one pass (the groups
    // are top-most: none holds another).
    let paused: HashSet<i32> = f.paused_groups.iter().copied().collect();
    let mut under: HashMap<i32, Vec<i32>> = HashMap::new();
    for s in musicians().filter(|s| s.paused) {
        if let Some(g) = s.group_path.iter().find(|g| paused.contains(g)) {
            under.entry(*g).or_default().push(s.id);
        }
    }
    for g in &f.paused_groups {
        let inside = under.remove(g).unwrap_or_default();
        out.push(Finding {
            kind: Kind::Paused,
            severity: if inside.is_empty() {
                Severity::Info
            } else {
                lost
            },
            nodes: std::iter::once(*g)
                .chain(inside.iter().copied().take(MAX_NODES_NAMED))
                .collect(),
            buses: vec![],
            message: format!(
                "Group {g} is paused: its {} synth{} make no sound.",
                inside.len(),
                plural(inside.len())
            ),
            advice: Some(format!("Resume group {g}.")),
            fix: Some(Fix::Resume { node: *g }),
            guessed: false,
            basis: vec![],
        });
    }
    for s in musicians() {
        if s.self_paused {
            out.push(Finding {
                kind: Kind::Paused,
                severity: lost,
                nodes: vec![s.id],
                buses: vec![],
                message: format!("{} is paused.", name(s)),
                advice: Some(format!("Resume {}.", s.id)),
                fix: Some(Fix::Resume { node: s.id }),
                guessed: false,
                basis: vec![],
            });
        }
        if let Some(control) = zero_control(s, &AMP_NAMES) {
            // sclang's `default` plays at 0.1: a level that is heard and hurts nobody.
            let back = 0.1;
            out.push(Finding {
                kind: Kind::ZeroAmp,
                severity: lost,
                nodes: vec![s.id],
                buses: vec![],
                message: format!("{} plays at {control} 0: silence.", name(s)),
                advice: Some(format!("Set {control} above 0 (e.g. {back}).")),
                fix: Some(Fix::SetControl {
                    node: s.id,
                    name: control.to_string(),
                    value: back,
                }),
                guessed: false,
                basis: vec![],
            });
        }
        if zero_control(s, &["gate"]).is_some() {
            out.push(Finding {
                kind: Kind::GateClosed,
                severity: lost,
                nodes: vec![s.id],
                buses: vec![],
                message: format!(
                    "{} has its gate at 0: its envelope was released, and it sounds no more \
                     (but was not freed).",
                    name(s)
                ),
                advice: Some("Set gate to 1, or free it and start a new note.".into()),
                fix: Some(Fix::SetControl {
                    node: s.id,
                    name: "gate".into(),
                    value: 1.0,
                }),
                guessed: false,
                basis: vec![],
            });
        }
    }
}

fn load(f: &Facts, out: &mut Vec<Finding>) {
    if let Some(s) = &f.status
        && (s.average_cpu >= CPU_WARN || s.peak_cpu >= PEAK_WARN)
    {
        out.push(Finding {
            kind: Kind::CpuHigh,
            severity: Severity::Warning,
            nodes: vec![],
            buses: vec![],
            message: format!(
                "The server's CPU is at {:.0} % (peak {:.0} %): scsynth runs on one core, and \
                 past 70–80 % a block can come late, which sounds as clicks and drop-outs.",
                s.average_cpu, s.peak_cpu
            ),
            advice: Some(
                "Free synths you no longer hear, or raise the hardware buffer size.".into(),
            ),
            fix: None,
            guessed: false,
            basis: vec![],
        });
    }
    if let Some(n) = f.xruns.filter(|n| *n > 0) {
        out.push(Finding {
            kind: Kind::Xruns,
            severity: Severity::Warning,
            nodes: vec![],
            buses: vec![],
            message: format!(
                "JACK reported {n} xrun{} in the last minute: the audio dropped out.",
                plural(n as usize)
            ),
            advice: Some("Raise JACK's period, or lower the load.".into()),
            fix: None,
            guessed: false,
            basis: vec![],
        });
    }
    if !f.late.is_empty() {
        let worst = f.late.iter().copied().fold(0.0_f64, f64::max);
        out.push(Finding {
            kind: Kind::Late,
            severity: Severity::Warning,
            nodes: vec![],
            buses: vec![],
            message: format!(
                "{} bundle{} came late (worst {:.0} ms after its time): the client's latency is \
                 below what the server and network need.",
                f.late.len(),
                plural(f.late.len()),
                worst * 1000.0
            ),
            advice: Some(format!(
                "Raise the client's latency (s.latency in sclang) above {:.2} s.",
                (worst + 0.05).max(0.2)
            )),
            fix: None,
            guessed: false,
            basis: vec![],
        });
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max).collect();
        c.push('…');
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthdef::flow::Hardware;
    use crate::synthdef::{BusEntry, BusFrom, Dir, ResolvedBus};

    fn bus(dir: Dir, first: u32, channels: u32, ugen: &str) -> ResolvedBus {
        ResolvedBus {
            entry: BusEntry {
                dir,
                rate: BusRate::Audio,
                channels: Some(channels),
                from: BusFrom::Constant(first),
                ugen: ugen.into(),
                guessed: false,
            },
            bus: Some(first),
        }
    }

    fn synth(id: i32, buses: Vec<ResolvedBus>, controls: &[(&str, f32)]) -> FlowSynth {
        FlowSynth {
            id,
            def: Some(format!("def{id}")),
            group: 1,
            group_path: vec![1],
            paused: false,
            self_paused: false,
            buses,
            known: Some(Known::Graph("test".into())),
            controls: controls.iter().map(|(n, v)| ((*n).into(), *v)).collect(),
        }
    }

    fn facts(synths: Vec<FlowSynth>) -> Facts {
        let mut flow = Flow {
            synths,
            feeds: vec![],
            hardware: Hardware {
                outputs: 2,
                inputs: 2,
            },
            cut_short: false,
        };
        flow.feeds = crate::synthdef::flow::feeds_of(&flow.synths).0;
        Facts::of(flow)
    }

    fn kinds(f: &[Finding]) -> Vec<(&'static str, &'static str)> {
        f.iter()
            .map(|f| (f.kind.as_str(), f.severity.as_str()))
            .collect()
    }

    #[test]
    fn reverb_before_its_source_blocks_and_is_fixed_by_moving_it() {
        let verb = synth(
            1000,
            vec![bus(Dir::Reads, 16, 2, "In"), bus(Dir::Writes, 0, 2, "Out")],
            &[],
        );
        let src = synth(1001, vec![bus(Dir::Writes, 16, 2, "Out")], &[]);
        let found = judge(&facts(vec![verb.clone(), src.clone()]));
        assert_eq!(kinds(&found), [("order", "blocks-sound")]);
        assert_eq!(
            found[0].fix,
            Some(Fix::MoveAfter {
                node: 1000,
                after: 1001
            })
        );
        // In the right order nothing is wrong.
        assert!(judge(&facts(vec![src, verb])).is_empty());
    }

    #[test]
    fn out_2_on_two_outputs_writes_an_input_and_a_lone_private_bus_goes_unheard() {
        let wrong = synth(1000, vec![bus(Dir::Writes, 2, 2, "Out")], &[]);
        let found = judge(&facts(vec![wrong]));
        assert_eq!(kinds(&found), [("writes-input-bus", "blocks-sound")]);
        assert_eq!(found[0].buses, [2, 3]);

        let lonely = synth(1000, vec![bus(Dir::Writes, 20, 1, "Out")], &[]);
        let heard = synth(1001, vec![bus(Dir::Writes, 0, 2, "Out")], &[]);
        let found = judge(&facts(vec![lonely, heard]));
        // Another synth is heard: the lost one is a warning, not the reason for silence.
        assert_eq!(kinds(&found), [("bus-unread", "warning")]);
    }

    #[test]
    fn amp_zero_gate_zero_and_pauses_name_their_fix() {
        let quiet = synth(1000, vec![bus(Dir::Writes, 0, 2, "Out")], &[("amp", 0.0)]);
        let found = judge(&facts(vec![quiet]));
        assert_eq!(kinds(&found), [("zero-amp", "blocks-sound")]);
        assert_eq!(
            found[0].fix,
            Some(Fix::SetControl {
                node: 1000,
                name: "amp".into(),
                value: 0.1
            })
        );
        let closed = synth(1000, vec![bus(Dir::Writes, 0, 2, "Out")], &[("gate", 0.0)]);
        assert_eq!(
            kinds(&judge(&facts(vec![closed]))),
            [("gate-closed", "blocks-sound")]
        );

        let mut held = synth(1000, vec![bus(Dir::Writes, 0, 2, "Out")], &[]);
        held.paused = true;
        held.group_path = vec![1, 5];
        let mut f = facts(vec![held]);
        f.paused_groups = vec![5];
        let found = judge(&f);
        assert_eq!(kinds(&found), [("paused", "blocks-sound")]);
        assert_eq!(found[0].nodes, [5, 1000]);
        assert_eq!(found[0].fix, Some(Fix::Resume { node: 5 }));
    }

    #[test]
    fn the_meters_decide_whether_anything_is_heard() {
        let playing = synth(1000, vec![bus(Dir::Writes, 0, 2, "Out")], &[]);
        let mut f = facts(vec![playing]);
        f.output_peak_db = Some(-90.0);
        assert_eq!(kinds(&judge(&f)), [("silent-outputs", "blocks-sound")]);
        f.output_peak_db = Some(-12.0);
        assert!(judge(&f).is_empty());
        f.jack = Some(JackFacts {
            client: "SuperCollider".into(),
            outputs: 2,
            connected: 0,
        });
        f.volume = Some(MixerSettings {
            meters: true,
            volume_db: 0.0,
            muted: true,
        });
        assert_eq!(
            kinds(&judge(&f)),
            [("not-connected", "blocks-sound"), ("muted", "blocks-sound")]
        );
    }
}
