//! Which groups are paused. `/g_queryTree` says nothing of pauses, and a group paused before
//! this client came sent it no `/n_off`: a probe synth at the head of each such group answers
//! from its first block unless the group (or one above it) is paused.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rosc::{OscPacket, OscType};

use super::Doctor;
use crate::error::{Result, ServerError};
use crate::model::tree::NodeTree;
use crate::synthdef::builtins::{self, PROBE_REPLY};
use crate::wire::protocol::{AddAction, Expect, int, msg};

/// Groups probed for a pause at most: the top-most ones holding synths come first.
const MAX_PROBES: usize = 64;
/// Every probe that runs answers within a block or two; a server whose audio is stopped
/// never answers, and then nothing can be said of pauses.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// Groups whose pause state the mirror doesn't know (paused before this client came) are
/// probed: a probe synth at the head of each answers from its first block, unless the group
/// or one above it is paused. A marker at the root's tail, which always runs and runs last,
/// says when every answer that will come has come. The probes free themselves; those in
/// paused groups are freed here.
pub(super) async fn pauses(
    doc: &Doctor,
    tree: &mut NodeTree,
    unchecked: &mut Vec<String>,
) -> Vec<i32> {
    // Groups with a synth below them, outermost first, whose state is unknown.
    let mut holds_synth: HashSet<i32> = HashSet::new();
    let mut order: Vec<(usize, i32)> = Vec::new();
    let mut path: Vec<i32> = Vec::new();
    tree.walk(|depth, n| {
        path.truncate(depth.saturating_sub(1));
        if n.is_group() {
            order.push((depth, n.id));
            path.push(n.id);
        } else {
            holds_synth.extend(path.iter().copied());
        }
    });
    let unknown: Vec<i32> = order
        .iter()
        .filter(|(_, g)| holds_synth.contains(g))
        .filter(|(_, g)| tree.get(*g).is_some_and(|n| n.paused.is_none()))
        .map(|(_, g)| *g)
        .collect();
    if !unknown.is_empty() {
        match probe(doc, &unknown).await {
            Ok(running) => {
                // Only the groups probed are known: one past the bound stays unknown, not
                // paused.
                for g in unknown.iter().take(MAX_PROBES) {
                    if let Some(n) = tree.get_mut(*g) {
                        n.paused = Some(!running.contains(g));
                    }
                }
                if unknown.len() > MAX_PROBES {
                    unchecked.push(format!(
                        "pauses of groups past the first {MAX_PROBES} holding synths"
                    ));
                }
            }
            Err(e) => unchecked.push(format!("groups paused before scpanel came: {e}")),
        }
    }
    // Top-most paused groups: none above them is paused.
    let mut top = Vec::new();
    let mut paused_above: Vec<bool> = Vec::new();
    tree.walk(|depth, n| {
        paused_above.truncate(depth.saturating_sub(1));
        if n.is_group() {
            let above = paused_above.last().copied().unwrap_or(false);
            let me = n.paused == Some(true);
            if me && !above {
                top.push(n.id);
            }
            paused_above.push(above || me);
        }
    });
    top
}

/// The groups of `groups` (at most [`MAX_PROBES`]) whose probe answered: they run, and so
/// does every group above them. A group whose probe stays silent is paused or below one.
async fn probe(doc: &Doctor, groups: &[i32]) -> Result<HashSet<i32>> {
    let groups = &groups[..groups.len().min(MAX_PROBES)];
    let live = doc.link.logged_in().map_err(|_| {
        ServerError::Io("not logged in, so no probe's answer would reach us".into())
    })?;
    let Some(alloc) = &live.alloc else {
        return Err(ServerError::Io("no node ids of our own".into()));
    };
    let first = alloc
        .lock()
        .ok()
        .and_then(|mut a| a.nodes.allocate(groups.len() as u32 + 1))
        .ok_or(ServerError::OutOfIds { what: "node" })? as i32;
    let ids: Vec<i32> = (0..=groups.len() as i32).map(|i| first + i).collect();
    let release = || {
        doc.link.release(&live, |a| {
            a.nodes.free(first as u32);
        })
    };
    let def = builtins::pause_probe();
    if let Err(e) = doc
        .link
        .conn()?
        .request(
            OscPacket::Message(msg(
                "/d_recv",
                [OscType::Blob(crate::synthdef::encode_file(&[def]))],
            )),
            Expect::Done {
                command: "/d_recv".into(),
                id: None,
            },
            crate::wire::connection::SYNC_TIMEOUT,
        )
        .await
    {
        release();
        return Err(e);
    }
    let marker = ids[groups.len()];
    let mut messages: Vec<rosc::OscMessage> = groups
        .iter()
        .zip(&ids)
        .map(|(g, id)| {
            msg(
                "/s_new",
                [
                    OscType::String("scpanel-probe".into()),
                    int(*id),
                    int(AddAction::AddToHead as i32),
                    int(*g),
                ],
            )
        })
        .collect();
    messages.push(msg(
        "/s_new",
        [
            OscType::String("scpanel-probe".into()),
            int(marker),
            int(AddAction::AddToTail as i32),
            int(0),
        ],
    ));
    let by_id: HashMap<i32, i32> = ids.iter().copied().zip(groups.iter().copied()).collect();
    let answered = live
        .conn
        .collect_quietly_until(
            crate::wire::protocol::bundle_of(messages),
            Expect::Address(PROBE_REPLY),
            |m| crate::wire::protocol::int_arg(m, 0) == Some(marker),
            PROBE_WAIT,
        )
        .await;
    let (replies, whole) = match answered {
        Ok(r) => r,
        Err(e) => {
            release();
            return Err(e);
        }
    };
    let running: HashSet<i32> = replies
        .iter()
        .filter_map(|m| crate::wire::protocol::int_arg(m, 0))
        .filter_map(|id| by_id.get(&id).copied())
        .collect();
    // Probes in paused groups wait there: free them (a group resumed later would hear one).
    let silent: Vec<rosc::OscMessage> = groups
        .iter()
        .zip(&ids)
        .filter(|(g, _)| !running.contains(g))
        .map(|(_, id)| msg("/n_free", [int(*id)]))
        .collect();
    if !silent.is_empty() {
        let mut quiet = vec![msg("/error", [int(-1)])];
        quiet.extend(silent);
        let _ = live
            .conn
            .send(crate::wire::protocol::bundle_of(quiet))
            .await;
    }
    release();
    if !whole {
        return Err(ServerError::Io(
            "the server's audio did not run (no probe answered)".into(),
        ));
    }
    Ok(running)
}
