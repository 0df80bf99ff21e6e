//! Gathering what the doctor judges: the tree with controls, the graphs, pauses the mirror
//! doesn't know, JACK's connections, the server's output, the meters.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use super::library::{Library, sclang_synthdef_dir};
use super::rules::{BootTrouble, Facts, JackFacts, Rates};
use super::{Doctor, Examination, Fix};
use crate::error::{Result, ServerError};
use crate::host::jack::{JackTarget, client_name, client_name_for_port};
use crate::link::Live;
use crate::model::log::{LineKind, Mark};
use crate::model::tree::NodeTree;
use crate::ops::{requests, tree_query};
use crate::synthdef::builtins;
use crate::synthdef::flow::{Flow, Hardware};

/// `late` lines older than this are no news.
const RECENT: Duration = Duration::from_secs(60);
/// Log lines looked at, newest first.
const MAX_LOG_LINES: usize = 5000;

fn folders(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut all = dirs.to_vec();
    all.extend(sclang_synthdef_dir());
    all
}

fn library(doc: &Doctor, dirs: &[PathBuf]) -> Library {
    let own = doc.defs.list();
    match doc.state.files.lock() {
        Ok(mut cache) => Library::gather(&own, &folders(dirs), &mut cache),
        Err(_) => Library::gather(&own, &folders(dirs), &mut HashMap::new()),
    }
}

/// The tree with controls, pause states from the live mirror.
async fn tree(doc: &Doctor) -> Result<(NodeTree, bool)> {
    let read = tree_query::read(&doc.link, 0, true).await?;
    let complete = read.is_complete();
    let mut tree = read.tree;
    let paused: Vec<(i32, bool)> = doc.link.with_tree(|m| {
        m.nodes()
            .filter_map(|n| n.paused.map(|p| (n.id, p)))
            .collect()
    });
    for (id, p) in paused {
        if let Some(n) = tree.get_mut(id) {
            n.paused = Some(p);
        }
    }
    Ok((tree, complete))
}

fn hardware(live: &Live) -> Hardware {
    Hardware {
        outputs: live.attachment.layout.output_channels,
        inputs: live.attachment.layout.input_channels,
    }
}

pub(super) async fn flow(doc: &Doctor, dirs: &[PathBuf]) -> Result<Flow> {
    let live = doc.link.online()?;
    let (tree, _) = tree(doc).await?;
    let lib = library(doc, dirs);
    Ok(Flow::of(&tree, &|n| lib.lookup(n), hardware(&live)))
}

/// What [`Doctor::during_show`] judges: the latest status, the output's recent lines, the
/// caller's xruns. No file is read: a window asks this every second, on its own thread.
pub(super) fn show_facts(doc: &Doctor, recent_xruns: Option<u64>) -> Facts {
    let owner = doc.link.live().is_some_and(|l| l.attachment.is_owner);
    let (missing_defs, late, _) = if owner && doc.link.process().is_some() {
        // No folder is read here (a window asks every second): a lost def is named,
        // its file is for the full look to find.
        from_log(doc, &HashMap::new())
    } else {
        (vec![], vec![], None)
    };
    Facts {
        missing_defs,
        late,
        status: doc.link.shared.latest_status(),
        xruns: recent_xruns,
        ..Facts::of(Flow::empty())
    }
}

pub(super) async fn gather(doc: &Doctor, exam: &Examination) -> Result<(Facts, Vec<String>)> {
    let mut unchecked = Vec::new();
    let boot = boot_trouble(doc, exam);
    let live = match doc.link.online() {
        Ok(live) => live,
        Err(e) => {
            // A server that never came: the boot's failure is the whole story.
            if boot.is_none() {
                return Err(e);
            }
            let facts = Facts {
                boot,
                xruns: exam.recent_xruns,
                ..Facts::of(Flow::empty())
            };
            return Ok((facts, unchecked));
        }
    };
    let owner = live.attachment.is_owner;
    let lib = library(doc, &exam.synthdef_dirs);
    unchecked.extend(lib.unreadable.iter().cloned());
    let (mut tree, complete) = tree(doc).await?;
    if !complete {
        unchecked.push(
            "some groups are too big to list without logging in: their synths were not checked"
                .into(),
        );
    }
    let paused_groups = super::pauses::pauses(doc, &mut tree, &mut unchecked).await;
    let hw = hardware(&live);
    let flow = Flow::of(&tree, &|n| lib.lookup(n), hw);
    if flow.cut_short {
        unchecked.push(format!(
            "some writer-to-reader links: more than {} of them, or too many synths on \
             one bus to follow them all",
            crate::synthdef::flow::MAX_FEEDS
        ));
    }

    let local = exam
        .local
        .unwrap_or_else(|| live.attachment.addr.ip().is_loopback());
    let boot = match boot {
        None if local && !owner => old_server(&live),
        b => b,
    };
    let jack = if local {
        jack_facts(doc, &live).await
    } else {
        unchecked.push("JACK's connections: the server is on another machine".into());
        None
    };
    let (missing_defs, late, rate_line) = if owner && doc.link.process().is_some() {
        from_log(doc, &lib.files)
    } else {
        unchecked.push(
            "SynthDefs others asked for in vain, and late bundles: only the output of a server \
             scpanel booted shows them"
                .into(),
        );
        (vec![], vec![], None)
    };
    let status = match doc.link.shared.latest_status() {
        Some(s) => Some(s),
        None => requests::status(&doc.link).await.ok(),
    };
    let volume = doc.mixer.volume_running().then(|| doc.mixer.settings());
    let output_peak_db = if exam.listen && hw.outputs > 0 {
        match listen(doc).await {
            Ok(db) => Some(db),
            Err(e) => {
                unchecked.push(format!("the output meters: {e}"));
                None
            }
        }
    } else {
        None
    };
    let facts = Facts {
        flow,
        paused_groups,
        boot,
        jack,
        rates: Rates {
            devices: rate_line
                .as_deref()
                .is_some_and(|t| t.starts_with("The sound input runs at")),
            explained: rate_line,
        },
        missing_defs,
        late,
        status,
        volume,
        output_peak_db,
        xruns: exam.recent_xruns,
    };
    Ok((facts, unchecked))
}

/// A server on this machine that no program started any more (its parent is gone, so
/// init adopted it): an old server someone forgot, holding the port a new boot wants.
fn old_server(live: &Live) -> Option<BootTrouble> {
    let addr = live.attachment.addr;
    let holder = crate::host::ports::port_holder(addr.ip(), addr.port(), live.attachment.protocol)?;
    if !holder.is_scsynth() || parent_of(holder.pid)? != 1 {
        return None;
    }
    Some(BootTrouble::PortInUse {
        port: addr.port(),
        protocol: live.attachment.protocol.as_str(),
        holder: Some(holder),
        old: true,
    })
}

/// A process's parent, from `/proc/PID/stat` (Linux; elsewhere unknown).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: the name may hold spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

fn boot_trouble(doc: &Doctor, exam: &Examination) -> Option<BootTrouble> {
    match &exam.boot_failure {
        Some(ServerError::PortInUse {
            port,
            protocol,
            holder,
            ..
        }) => {
            return Some(BootTrouble::PortInUse {
                port: *port,
                protocol,
                holder: holder.clone(),
                old: false,
            });
        }
        Some(ServerError::NoAudio { detail }) => {
            return Some(BootTrouble::NoAudio(detail.clone()));
        }
        _ => {}
    }
    if doc.link.online().is_ok() {
        return None;
    }
    // The last run's own words, when it printed why.
    with_log(doc, |log| {
        let run: Vec<_> = log.lines().collect();
        let start = run
            .iter()
            .rposition(|l| l.mark == Mark::RunStart)
            .unwrap_or(0);
        run[start..].iter().find_map(|l| match l.kind {
            LineKind::NoAudio => Some(BootTrouble::NoAudio(l.text.clone())),
            LineKind::PortInUse => Some(BootTrouble::PortInUse {
                port: doc.options.port,
                protocol: doc.options.protocol.as_str(),
                holder: None,
                old: false,
            }),
            _ => None,
        })
    })
}

/// The JACK server the server is on: the one its boot named when we booted it, else the
/// default one.
pub(super) fn jack_target(doc: &Doctor) -> JackTarget {
    if doc.link.live().is_some_and(|l| l.attachment.is_owner) {
        crate::host::xruns::target_of(&doc.options)
    } else {
        JackTarget::default()
    }
}

async fn jack_facts(doc: &Doctor, live: &Live) -> Option<JackFacts> {
    let owner = live.attachment.is_owner;
    let target = jack_target(doc);
    // A server we booted has the client name we gave it; another is SuperCollider, or
    // SuperCollider-PORT when scpanel booted it beside another.
    let mut candidates = vec![];
    if owner {
        // The name JACK gave it, which differs from the one asked for when it was taken.
        candidates.push(with_log(doc, |l| {
            crate::host::jack::client_of(l.lines().map(|x| x.text.as_str()), &doc.options.device)
        }));
    } else {
        // Its command line names the client when it was started with -H.
        let addr = live.attachment.addr;
        let named =
            crate::host::ports::port_holder(addr.ip(), addr.port(), live.attachment.protocol)
                .and_then(|h| {
                    let args: Vec<&str> = h.command.split_whitespace().collect();
                    let at = args.iter().position(|a| *a == "-H")?;
                    args.get(at + 1).map(|d| client_name(d).to_string())
                });
        candidates.extend(named);
        candidates.push(client_name_for_port(addr.port()));
        candidates.push("SuperCollider".to_string());
    }
    for client in candidates {
        let Ok(ports) = target.connections(&client).await else {
            return None;
        };
        let outs: Vec<_> = ports.iter().filter(|(p, _)| p.contains(":out_")).collect();
        if outs.is_empty() {
            continue;
        }
        let connected = outs.iter().filter(|(_, to)| !to.is_empty()).count();
        return Some(JackFacts {
            client,
            outputs: outs.len(),
            connected,
        });
    }
    None
}

type LogFacts = (Vec<(String, Option<Fix>)>, Vec<f64>, Option<String>);

/// From the current run's output: SynthDefs asked for in vain (since the last time this
/// doctor loaded them), recent `late` lines, and a sample-rate mismatch at boot.
fn from_log(doc: &Doctor, files: &HashMap<String, PathBuf>) -> LogFacts {
    let cleared = doc
        .state
        .cleared
        .lock()
        .map(|c| c.clone())
        .unwrap_or_default();
    let now = SystemTime::now();
    with_log(doc, |log| {
        let lines: Vec<_> = log.lines().collect();
        let total = lines.len() as u64;
        let start = lines
            .iter()
            .rposition(|l| l.mark == Mark::RunStart)
            .unwrap_or(0)
            .max(lines.len().saturating_sub(MAX_LOG_LINES));
        let seq_of = |i: usize| total - (lines.len() - i) as u64;
        let mut missing: Vec<String> = Vec::new();
        let mut named: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut late = Vec::new();
        for (i, l) in lines.iter().enumerate().skip(start) {
            if let Some(name) = missing_def(&l.text)
                && cleared.get(name).is_none_or(|at| seq_of(i) >= *at)
                && named.insert(name)
            {
                missing.push(name.to_string());
            }
            if let Some(s) = l.late_seconds()
                && now.duration_since(l.at).is_ok_and(|d| d < RECENT)
            {
                late.push(s);
            }
        }
        let missing = missing
            .into_iter()
            .map(|name| {
                let fix = if builtins::builtin(&name).is_some() {
                    Some(Fix::LoadDef {
                        name: name.clone(),
                        file: None,
                    })
                } else {
                    files.get(&name).map(|f| Fix::LoadDef {
                        name: name.clone(),
                        file: Some(f.clone()),
                    })
                };
                (name, fix)
            })
            .collect();
        // It finds the last run's own command line itself.
        let rate_line = crate::host::sample_rate::explain_mismatch(
            lines[lines.len().saturating_sub(MAX_LOG_LINES)..]
                .iter()
                .map(|l| l.text.as_str()),
        );
        (missing, late, rate_line)
    })
}

/// `*** ERROR: SynthDef NAME not found`, which scsynth prints before `FAILURE IN SERVER
/// /s_new SynthDef not found`.
fn missing_def(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix("*** ERROR: SynthDef ")?
        .strip_suffix(" not found")
        .filter(|n| !n.is_empty() && n.len() <= 255)
}

/// The loudest output peak over a few meter replies: the meters that run, or ones started
/// for the purpose and stopped after.
async fn listen(doc: &Doctor) -> Result<f32> {
    let started_here = doc.mixer.meters().output_node.is_none();
    if started_here {
        doc.mixer.start_meters().await?;
    }
    let mut ticks = doc.mixer.watch_meters();
    ticks.borrow_and_update();
    let deadline = Instant::now() + LISTEN_WITHIN;
    let mut peak = f32::NEG_INFINITY;
    let mut heard = 0;
    while heard < LISTEN_REPLIES {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, ticks.changed()).await {
            Ok(Ok(())) => {
                let m = doc.mixer.meters();
                if m.updated.is_some() {
                    heard += 1;
                    for c in &m.outputs {
                        peak = peak.max(c.peak_db);
                    }
                }
            }
            _ => break,
        }
    }
    if started_here {
        let _ = doc.mixer.stop_meters_quietly().await;
    }
    if heard == 0 {
        return Err(ServerError::Io("no meter reply came".into()));
    }
    Ok(peak)
}

/// Meter replies listened to: 20 a second, so about a quarter of a second.
const LISTEN_REPLIES: usize = 5;
const LISTEN_WITHIN: Duration = Duration::from_secs(2);

fn with_log<R>(doc: &Doctor, f: impl FnOnce(&crate::model::log::ServerLog) -> R) -> R {
    match doc.link.shared.log.lock() {
        Ok(g) => f(&g),
        Err(p) => f(&p.into_inner()),
    }
}

/// How many lines the log has held (a fix marks what it answered by this).
pub(super) fn log_len(doc: &Doctor) -> u64 {
    with_log(doc, |l| l.lines().count() as u64)
}
