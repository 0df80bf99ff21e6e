//! Reading a node tree from the server, whatever its size or shape and whoever built it.
//!
//! scsynth answers `/g_queryTree` to the sender alone, but builds each reply in one 64 KiB
//! packet and sends nothing usable past that. `/n_query` can list a group's children one
//! sibling at a time, but scsynth sends its `/n_info` answers to every logged-in client (and to
//! nobody else), so it is the last resort: only when logged in, only for a group no
//! `/g_queryTree` can list, and paced by the answers that came back.
//!
//! Every query travels in a bundle that starts with `/error -1`: a query that fails (a group
//! too big for one reply, a node that ended meanwhile) then sends no `/fail` and prints no
//! `FAILURE IN SERVER` line in the server's output, which is other people's post window. A
//! `/sync` after each bundle tells us when every answer that will come has come.

use std::collections::{HashMap, HashSet};

use rosc::OscMessage;

use crate::error::{Result, ServerError};
use crate::model::tree::{Node, NodeKind, NodeTree};
use crate::wire::connection::Connection;
use crate::wire::protocol::{NodeInfo, int, int_arg, msg};

/// How a tree is read.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReadOptions {
    /// Ask for synth controls too (replies grow about sixfold).
    pub controls: bool,
    /// Logged in: a group too big to list with `/g_queryTree` may be walked with `/n_query`.
    pub walk: bool,
    /// What the live mirror believes each group's children are, in order: good first
    /// guesses for a walk.
    pub hints: HashMap<i32, Vec<i32>>,
    /// SynthDef names the mirror knows (a walk learns ids, never names).
    pub known_defs: HashMap<i32, String>,
}

/// A tree as far as the server could tell it.
#[derive(Debug, Clone, Default)]
pub struct TreeRead {
    /// The nodes read.
    pub tree: NodeTree,
    /// Groups whose children are missing: too big to list with `/g_queryTree`, and not logged
    /// in to walk them.
    pub unlisted: Vec<i32>,
    /// Groups whose own synths came without controls: the reply with controls was too big.
    pub without_controls: Vec<i32>,
    /// Nodes asked about with `/n_query`; each answer reached every logged-in client.
    pub node_queries: usize,
    /// Groups found by their usual ids (default groups of sclang's and supriya's layouts)
    /// because the root itself was too big to list: shown under the root in id order, though
    /// their real place and order can't be told without logging in.
    pub found_by_id: Vec<i32>,
    /// Synths whose SynthDef names came from the server's printout of its tree (a server this
    /// process booted; see `ops::printout`), not over OSC.
    pub named_from_printout: usize,
    /// The structure and every control came from the server's printout of its tree
    /// (`/g_dumpTree 0 1`, a server this process booted; see `ops::printed_tree`), and only
    /// groups the printout leaves out (paused ones) over OSC.
    pub from_printout: bool,
}

impl TreeRead {
    /// Whether every group's children were listed.
    pub fn is_complete(&self) -> bool {
        self.unlisted.is_empty()
    }
}

/// `/g_queryTree`s per bundle. Each reply may be up to 64 KiB; the socket's receive buffer
/// is raised to megabytes, and a reply lost anyway is asked for again on its own.
const QUERY_WINDOW: usize = 16;
/// No tree we read may have more nodes than this (scsynth's `-n` tops out far lower): a
/// peer that keeps inventing nodes is stopped here.
pub(crate) const MAX_NODES: usize = 1 << 22;
/// `/n_query`s per bundle at most. scsynth queues node messages in a 1,023-entry FIFO per
/// audio block, shared with every other client's notifications.
const MAX_WALK_BATCH: usize = 128;
/// What one small datagram costs in the kernel's receive-buffer accounting.
const DATAGRAM_TRUESIZE: usize = 1280;

/// Messages in a bundle behind `/error -1`, so their failures stay silent.
fn quiet(messages: Vec<OscMessage>) -> rosc::OscPacket {
    let mut all = Vec::with_capacity(messages.len() + 1);
    all.push(msg("/error", [int(-1)]));
    all.extend(messages);
    crate::wire::protocol::bundle_of(all)
}

/// Reads the subtree under `root`: first its structure and SynthDef names (`/g_queryTree g
/// 0`, about 16–24 bytes a synth), then, when asked, the controls (`/g_queryTree g 1`, about
/// 90 bytes a synth) group by group where they fit.
pub(crate) async fn read(conn: &Connection, root: i32, opts: &ReadOptions) -> Result<TreeRead> {
    let mut out = TreeRead {
        tree: NodeTree::new(root),
        ..TreeRead::default()
    };
    read_structure(conn, root, opts, &mut out).await?;
    if opts.controls {
        read_controls(conn, root, &mut out).await?;
    }
    out.unlisted.sort_unstable();
    out.without_controls.sort_unstable();
    Ok(out)
}

async fn read_structure(
    conn: &Connection,
    root: i32,
    opts: &ReadOptions,
    out: &mut TreeRead,
) -> Result<()> {
    let mut asked: HashSet<i32> = HashSet::new();
    let mut todo: Vec<i32> = vec![root];
    while !todo.is_empty() {
        let wave: Vec<(i32, bool)> = std::mem::take(&mut todo)
            .into_iter()
            .filter(|g| asked.insert(*g))
            .map(|g| (g, false))
            .collect();
        let replies = ask_groups(conn, &wave).await?;
        for ((group, _), reply) in wave.into_iter().zip(replies) {
            if !out.tree.contains(group) {
                continue;
            }
            match reply {
                Some(reply) => {
                    let sub = NodeTree::from_query_reply(&reply)
                        .map_err(|e| ServerError::Osc(e.to_string()))?;
                    // A group found by its id may sit inside another one found that way.
                    let nested: Vec<i32> = out
                        .found_by_id
                        .iter()
                        .copied()
                        .filter(|id| *id != group && sub.contains(*id))
                        .collect();
                    for id in nested {
                        out.tree.remove(id);
                        out.found_by_id.retain(|f| *f != id);
                    }
                    graft(&mut out.tree, group, &sub)?;
                }
                None if opts.walk => {
                    let hints = opts.hints.get(&group).map_or(&[][..], Vec::as_slice);
                    let children = walk_children(conn, group, hints, &mut out.node_queries).await?;
                    let mut sub = NodeTree::new(group);
                    for c in &children {
                        let kind = if c.is_group {
                            NodeKind::Group
                        } else {
                            NodeKind::Synth {
                                def: opts.known_defs.get(&c.node).cloned(),
                            }
                        };
                        sub.push_child(group, Node::new(c.node, group, kind));
                    }
                    graft(&mut out.tree, group, &sub)?;
                    todo.extend(
                        children
                            .iter()
                            .filter(|c| c.is_group && c.head != -1)
                            .map(|c| c.node),
                    );
                }
                None if group == root && root == 0 && out.found_by_id.is_empty() => {
                    out.unlisted.push(group);
                    for id in probe_default_groups(conn).await? {
                        out.tree
                            .push_child(root, Node::new(id, root, NodeKind::Group));
                        out.found_by_id.push(id);
                        todo.push(id);
                    }
                }
                None => out.unlisted.push(group),
            }
            if out.tree.len() > MAX_NODES {
                return Err(ServerError::Osc(format!(
                    "the server reports more than {MAX_NODES} nodes: stopped reading"
                )));
            }
        }
    }
    Ok(())
}

/// scsynth 3.13 builds a reply with controls by recursing on its audio thread, and crashes
/// (signal 11) on a 6,000-deep chain of groups; without controls it copes. Controls are
/// asked only of subtrees at most this deep.
const CONTROLS_DEPTH: usize = 64;

/// Per group: how many levels lie below it, whether synths lie anywhere below, whether it
/// holds synths itself. One pass over the tree, children before parents.
fn group_facts(tree: &NodeTree, root: i32) -> HashMap<i32, (usize, bool, bool)> {
    let mut order = Vec::new();
    let mut stack = vec![root];
    while let Some(g) = stack.pop() {
        if order.len() > tree.len() {
            break;
        }
        order.push(g);
        stack.extend(tree.children(g).filter(|c| c.is_group()).map(|c| c.id));
    }
    let mut facts: HashMap<i32, (usize, bool, bool)> = HashMap::with_capacity(order.len());
    for &g in order.iter().rev() {
        let (mut depth, mut below, mut own) = (0, false, false);
        for c in tree.children(g) {
            match facts.get(&c.id) {
                Some(&(d, b, _)) => {
                    depth = depth.max(d + 1);
                    below |= b;
                }
                None if !c.is_group() => own = true,
                None => depth = depth.max(1),
            }
        }
        facts.insert(g, (depth, below || own, own));
    }
    facts
}

/// Reads controls top-down: a subtree shallow enough is asked as a whole; one too deep, or
/// whose reply with controls is too big, hands its child groups down and keeps its own
/// synths without controls.
async fn read_controls(conn: &Connection, root: i32, out: &mut TreeRead) -> Result<()> {
    let facts = group_facts(&out.tree, root);
    let unlisted: HashSet<i32> = out.unlisted.iter().copied().collect();
    let mut todo = vec![root];
    while !todo.is_empty() {
        let mut wave = Vec::new();
        for g in std::mem::take(&mut todo) {
            let Some(&(depth, synths_below, own)) = facts.get(&g) else {
                continue;
            };
            if !synths_below {
                continue;
            }
            if depth <= CONTROLS_DEPTH && !unlisted.contains(&g) {
                wave.push((g, true));
            } else {
                if own {
                    out.without_controls.push(g);
                }
                todo.extend(out.tree.children(g).filter(|c| c.is_group()).map(|c| c.id));
            }
        }
        let replies = ask_groups(conn, &wave).await?;
        for ((group, _), reply) in wave.into_iter().zip(replies) {
            match reply {
                Some(reply) => {
                    let sub = NodeTree::from_query_reply(&reply)
                        .map_err(|e| ServerError::Osc(e.to_string()))?;
                    graft(&mut out.tree, group, &sub)?;
                }
                None => {
                    if facts.get(&group).is_some_and(|f| f.2) {
                        out.without_controls.push(group);
                    }
                    todo.extend(
                        out.tree
                            .children(group)
                            .filter(|c| c.is_group())
                            .map(|c| c.id),
                    );
                }
            }
        }
    }
    Ok(())
}

/// The default groups of every login in sclang's layout (`id·2^26 + 1`) and supriya's
/// (`id + 1`) that exist, in id order. A group that exists but is too big to list can't be told
/// from one that doesn't, so those stay hidden.
async fn probe_default_groups(conn: &Connection) -> Result<Vec<i32>> {
    let mut ids: Vec<i32> = (1..=32).chain((1..32).map(|k| (k << 26) | 1)).collect();
    ids.sort_unstable();
    let queries: Vec<(i32, bool)> = ids.iter().map(|id| (*id, false)).collect();
    let mut found = Vec::new();
    for window in queries.chunks(QUERY_WINDOW * 4) {
        for ((id, _), reply) in window.iter().zip(ask_window(conn, window).await?) {
            if reply.is_some() {
                found.push(*id);
            }
        }
    }
    Ok(found)
}

/// Puts `sub`'s nodes under `at`, refusing ids the tree already has elsewhere (the server's
/// tree changed while we read it, or a peer lies).
pub(crate) fn graft(tree: &mut NodeTree, at: i32, sub: &NodeTree) -> Result<()> {
    let below: HashSet<i32> = {
        let mut ids = HashSet::new();
        let mut stack = vec![at];
        while let Some(g) = stack.pop() {
            for c in tree.children(g) {
                if ids.len() > tree.len() {
                    break;
                }
                if ids.insert(c.id) && c.is_group() {
                    stack.push(c.id);
                }
            }
        }
        ids
    };
    if let Some(clash) = sub
        .nodes()
        .map(|n| n.id)
        .find(|id| *id != sub.root && tree.contains(*id) && !below.contains(id))
    {
        return Err(ServerError::Osc(format!(
            "node {clash} showed up in two places: the tree changed while it was read, try again"
        )));
    }
    tree.graft(at, sub);
    Ok(())
}

/// Asks `/g_queryTree group flag` for each query; `None` where no reply came (too big for
/// one packet, or the group ended). A missing reply is asked again alone once, so a datagram
/// the kernel dropped is not taken for a group that is too big.
async fn ask_groups(conn: &Connection, queries: &[(i32, bool)]) -> Result<Vec<Option<OscMessage>>> {
    let mut out: Vec<Option<OscMessage>> = Vec::with_capacity(queries.len());
    for window in queries.chunks(QUERY_WINDOW) {
        out.extend(ask_window(conn, window).await?);
    }
    for (i, q) in queries.iter().enumerate() {
        if out[i].is_none() && queries.len() > 1 {
            out[i] = ask_window(conn, std::slice::from_ref(q))
                .await?
                .pop()
                .flatten();
        }
    }
    Ok(out)
}

async fn ask_window(conn: &Connection, window: &[(i32, bool)]) -> Result<Vec<Option<OscMessage>>> {
    let queries = window
        .iter()
        .map(|(g, c)| msg("/g_queryTree", [int(*g), int(*c as i32)]))
        .collect();
    let replies = conn
        .collect_quietly(
            quiet(queries),
            crate::wire::protocol::Expect::Address("/g_queryTree.reply"),
        )
        .await?;
    let mut by_query: HashMap<(i32, bool), OscMessage> = HashMap::new();
    for r in replies {
        if let (Some(flag), Some(root)) = (int_arg(&r, 0), int_arg(&r, 1)) {
            by_query.entry((root, flag != 0)).or_insert(r);
        }
    }
    Ok(window.iter().map(|q| by_query.remove(q)).collect())
}

/// Asks `/n_query` about `ids` (each in its own message, so one missing node doesn't end
/// the rest) and returns the answers that came.
async fn ask_nodes(conn: &Connection, ids: &[i32], asked: &mut usize) -> Result<Vec<NodeInfo>> {
    *asked += ids.len();
    let queries = ids.iter().map(|id| msg("/n_query", [int(*id)])).collect();
    let replies = conn
        .collect_quietly_up_to(
            quiet(queries),
            crate::wire::protocol::Expect::Address("/n_info"),
            ids.len(),
        )
        .await?;
    Ok(replies.iter().filter_map(NodeInfo::from_msg).collect())
}

/// The children of `group`, in order, from `/n_info` answers. The server answers once per
/// audio block, so the walk asks about a batch of likely next siblings at a time: the
/// mirror's idea of them, then ids continuing the step between the last two siblings (clients
/// allocate ids in order; adding at the head lists them backwards). The batch doubles while
/// most guesses are siblings and halves when they are not, so other clients see few `/n_info`
/// they could not use.
async fn walk_children(
    conn: &Connection,
    group: i32,
    hints: &[i32],
    asked: &mut usize,
) -> Result<Vec<NodeInfo>> {
    let Some(info) = ask_nodes(conn, &[group], asked)
        .await?
        .into_iter()
        .find(|i| i.node == group)
    else {
        // It ended since its parent was listed.
        return Ok(Vec::new());
    };
    let max_batch =
        (conn.transport.receive_buffer_bytes() / 2 / DATAGRAM_TRUESIZE).clamp(1, MAX_WALK_BATCH);
    let hint_pos: HashMap<i32, usize> = hints.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut known: HashMap<i32, NodeInfo> = HashMap::new();
    let mut seen: HashSet<i32> = HashSet::new();
    let mut out = Vec::new();
    let mut batch = 8usize.min(max_batch);
    let mut step: i64 = 1;
    let mut child = info.head;
    let mut prev = -1;
    while child != -1 {
        if out.len() >= MAX_NODES || !seen.insert(child) {
            return Err(ServerError::Osc(format!(
                "group {group}'s children loop back to node {child}: the server's answers \
                 contradict each other"
            )));
        }
        let info = match known.remove(&child) {
            Some(info) if info.parent == group => info,
            _ => {
                let mut ids = vec![child];
                if let Some(&p) = hint_pos.get(&child) {
                    ids.extend(hints.iter().skip(p + 1).take(batch / 2));
                }
                let mut k: i64 = 1;
                while ids.len() < batch {
                    match i32::try_from(i64::from(child) + step * k) {
                        Ok(id) if id >= 0 => ids.push(id),
                        _ => break,
                    }
                    k += 1;
                }
                ids.sort_unstable();
                ids.dedup();
                ids.retain(|id| *id == child || !seen.contains(id));
                let answers = ask_nodes(conn, &ids, asked).await?;
                let useful = answers.iter().filter(|a| a.parent == group).count();
                batch = if useful * 2 >= ids.len() {
                    (batch * 2).min(max_batch)
                } else {
                    (batch / 2).max(1)
                };
                for a in answers {
                    if known.len() < MAX_WALK_BATCH * 4 || a.parent == group {
                        known.insert(a.node, a);
                    }
                }
                if !known.contains_key(&child) {
                    // Another client's /n_query answers may have filled the count early.
                    for a in ask_nodes(conn, &[child], asked).await? {
                        known.insert(a.node, a);
                    }
                }
                match known.remove(&child) {
                    Some(info) if info.parent == group => info,
                    // It ended or moved while we walked: the rest of the chain is gone.
                    _ => break,
                }
            }
        };
        if prev != -1 {
            step = i64::from(info.node) - i64::from(prev);
        }
        prev = info.node;
        child = info.next;
        out.push(info);
    }
    Ok(out)
}
