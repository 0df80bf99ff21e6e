//! The node tree: parsed from `/g_queryTree.reply`, kept live from `/n_go /n_end /n_move
//! /n_on /n_off`, and rendered as text the way supriya and sclang print it.
//!
//! Siblings are linked through `prev` / `next` ids exactly as scsynth reports them, so every
//! notification applies in constant time, however big a group is. Notifications come over
//! UDP and from other clients: they are checked against the mirror before they touch it.

mod dump;
pub use dump::{DumpError, parse_dump};
mod notify;
mod reply;
mod text;

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rosc::{OscMessage, OscType};

use crate::wire::printable::printable;
use crate::wire::protocol::{NodeInfo, int_arg};

/// A synth control's value: a number, or a bus mapping such as `c3` / `a10`.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlValue {
    /// A number.
    Value(f32),
    /// Mapped to a bus: `c3` (control bus 3) or `a10` (audio bus 10).
    Bus(String),
}

impl std::fmt::Display for ControlValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlValue::Value(v) => write!(f, "{v:?}"),
            ControlValue::Bus(b) => f.write_str(b),
        }
    }
}

/// Whether a node is a group or a synth.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A group: holds other nodes, in order.
    Group,
    /// `def` is `None` when only notifications told us of the synth (they carry no name).
    Synth {
        /// The synth's SynthDef name.
        def: Option<String>,
    },
}

/// One node (group or synth) of the tree, with its links to its neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The node id.
    pub id: i32,
    /// The group it is in (-1 for the root).
    pub parent: i32,
    /// The node before it in its group, or -1.
    pub prev: i32,
    /// The node after it in its group, or -1.
    pub next: i32,
    /// First and last child, for groups; -1 when empty.
    pub head: i32,
    /// Last child, for groups; -1 when empty.
    pub tail: i32,
    /// Group or synth.
    pub kind: NodeKind,
    /// `None` when the node may have been paused before we were listening.
    pub paused: Option<bool>,
    /// `(name or index, value)`, from a query with controls or from our own `/s_new`.
    pub controls: Vec<(String, ControlValue)>,
}

impl Node {
    /// A node with no neighbours, no children and no controls.
    pub fn new(id: i32, parent: i32, kind: NodeKind) -> Self {
        Node {
            id,
            parent,
            prev: -1,
            next: -1,
            head: -1,
            tail: -1,
            kind,
            paused: None,
            controls: Vec::new(),
        }
    }

    /// Whether this is a group.
    pub fn is_group(&self) -> bool {
        matches!(self.kind, NodeKind::Group)
    }

    /// A synth's SynthDef name, when known.
    pub fn def_name(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Synth { def } => def.as_deref(),
            NodeKind::Group => None,
        }
    }
}

/// A node that came or went, for views that highlight changes.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeChange {
    /// The node id.
    pub id: i32,
    /// `true` when it started (`/n_go`), `false` when it ended (`/n_end`).
    pub born: bool,
    /// "group", or the synth's def name when known.
    pub label: String,
    /// When it was heard of.
    pub at: Instant,
}

/// How many recent changes are kept.
const RECENT: usize = 256;
/// Tree text indents this many levels at most; deeper rows show their depth as a number, so
/// the text grows linearly with a chain's depth, not with its square.
const MAX_INDENT: usize = 32;
/// Our own synths described before their `/n_go` came; past this the oldest are forgotten
/// (they show as "def unknown", which is all a lost description costs).
const MAX_DESCRIBED: usize = 16_384;
/// Notifications kept for a re-read to replay: those that came while it was reading.
const JOURNAL: usize = 32_768;
const JOURNAL_AGE: Duration = Duration::from_secs(10);
/// `/status` counts that disagree with the mirror this many polls in a row make it stale
/// (once could be a notification still in flight on another path).
const MISMATCHES: u32 = 2;

/// What a node notification says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    Go,
    End,
    Move,
    On,
    Off,
}

/// Live notifications are held to the mirror strictly. Replayed ones (those that came while
/// a re-read was under way) may already be in what was read: a node already in its group is
/// taken as read after the notification, not as a contradiction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Live,
    Replay,
}

/// A tree of nodes under a root group (normally 0).
///
/// Every change keeps it a tree: a notification that does not fit (unknown parent, a node
/// that would become its own ancestor or sibling, an id already placed elsewhere, neighbours
/// the mirror does not have side by side) is not linked in; it marks the tree stale, and
/// whoever owns the mirror reads it again. Every walk is bounded by the node count.
#[derive(Debug, Clone)]
pub struct NodeTree {
    /// The root group's id (0 for the whole server).
    pub root: i32,
    nodes: HashMap<i32, Node>,
    /// Bumped on every change, so a view can tell whether to redraw.
    pub generation: u64,
    /// Bumped only when nodes come, go, move or get a name: a view's row list depends on it.
    pub structure: u64,
    /// The latest nodes that started or ended (from notifications), oldest first.
    pub recent: VecDeque<TreeChange>,
    /// Why the mirror may differ from the server, until it is read again.
    stale: Option<String>,
    /// Set by a walk that met a dangling link or more nodes than the tree holds. Walks only
    /// read, hence the atomic; no change leaves such a link, so this is a last line of defence.
    broken: Broken,
    /// Notifications that could not be applied (malformed or not fitting), since connecting.
    rejected: u64,
    /// Names and controls of our own synths whose `/n_go` has not come yet.
    described: HashMap<i32, (String, Vec<(String, ControlValue)>)>,
    described_order: VecDeque<i32>,
    /// `/status` polls in a row whose counts disagreed with ours.
    mismatches: u32,
    /// How far (server minus mirror: synths, groups) the counts were off when they made this
    /// tree stale, and the same for the tree this one replaced: a gap a fresh read did not
    /// close is the server's own (scsynth 3.13 keeps counting a node moved beside itself,
    /// which leaves its tree), and reading again every second would not close it either.
    count_gap: Option<(i64, i64)>,
    uncured_gap: Option<(i64, i64)>,
    /// When reading this tree began: notifications since then are replayed onto it.
    read_started: Instant,
    journal: VecDeque<(Instant, Event, NodeInfo)>,
    /// The newest notification dropped from the journal.
    journal_lost: Option<Instant>,
}

/// A flag a shared borrow can raise (a tree is read from other threads through `&`).
#[derive(Debug, Default)]
struct Broken(AtomicBool);

impl Broken {
    fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    fn set(&self, v: bool) {
        self.0.store(v, Ordering::Relaxed);
    }
}

impl Clone for Broken {
    fn clone(&self) -> Self {
        Broken(AtomicBool::new(self.get()))
    }
}

/// Two trees are equal when they hold the same nodes in the same places.
impl PartialEq for NodeTree {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root && self.nodes == other.nodes
    }
}

impl Default for NodeTree {
    fn default() -> Self {
        NodeTree::new(0)
    }
}

/// Why a `/g_queryTree.reply` could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("malformed /g_queryTree.reply at argument {at}: {what}")]
pub struct TreeParseError {
    /// The argument index where reading stopped.
    pub at: usize,
    /// What was wrong there.
    pub what: String,
}

impl NodeTree {
    /// A tree holding only the root group.
    pub fn new(root: i32) -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(root, Node::new(root, -1, NodeKind::Group));
        NodeTree {
            root,
            nodes,
            generation: 0,
            structure: 0,
            recent: VecDeque::new(),
            stale: None,
            broken: Broken::default(),
            rejected: 0,
            described: HashMap::new(),
            described_order: VecDeque::new(),
            mismatches: 0,
            count_gap: None,
            uncured_gap: None,
            read_started: Instant::now(),
            journal: VecDeque::new(),
            journal_lost: None,
        }
    }

    /// How many nodes, the root included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the tree holds nothing but its root group.
    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    /// A node by id.
    pub fn get(&self, id: i32) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// A node, for changing what it shows (paused, controls). Its links are the tree's: a
    /// caller that rewrites them gets a tree whose walks stop early and report it stale.
    /// A node by id, to change (counts as a change for views).
    pub fn get_mut(&mut self, id: i32) -> Option<&mut Node> {
        self.generation += 1;
        self.nodes.get_mut(&id)
    }

    /// Whether a node with this id is in the tree.
    pub fn contains(&self, id: i32) -> bool {
        self.nodes.contains_key(&id)
    }

    /// Every node, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Synths and groups (the root included), as `/status` counts them.
    pub fn counts(&self) -> (usize, usize) {
        let groups = self.nodes.values().filter(|n| n.is_group()).count();
        (self.nodes.len() - groups, groups)
    }

    /// Why the mirror may differ from the server, if it may; it is read again to cure it.
    pub fn stale(&self) -> Option<String> {
        match (&self.stale, self.broken.get()) {
            (Some(why), _) => Some(why.clone()),
            (None, true) => Some("a walk of the mirror met a broken link".into()),
            (None, false) => None,
        }
    }

    /// Whether the mirror may differ from the server (see [`NodeTree::stale`]).
    pub fn is_stale(&self) -> bool {
        self.stale.is_some() || self.broken.get()
    }

    /// Notifications that were malformed or did not fit the mirror, since connecting.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    fn mark_stale(&mut self, why: impl FnOnce() -> String) {
        self.rejected += 1;
        if self.stale.is_none() {
            self.stale = Some(why());
            self.generation += 1;
        }
    }

    /// Compares a `/status` reply's counts with the mirror's; returns whether this made the
    /// mirror stale (two disagreeing polls in a row).
    pub fn check_counts(&mut self, synths: i32, groups: i32) -> bool {
        let (s, g) = self.counts();
        let gap = (i64::from(synths) - s as i64, i64::from(groups) - g as i64);
        if gap == (0, 0) || Some(gap) == self.uncured_gap {
            self.mismatches = 0;
            return false;
        }
        self.mismatches = self.mismatches.saturating_add(1);
        if self.mismatches < MISMATCHES || self.is_stale() {
            return false;
        }
        self.count_gap = Some(gap);
        self.stale = Some(format!(
            "the server counts {synths} synths and {groups} groups, the mirror {s} and {g}"
        ));
        self.generation += 1;
        true
    }

    /// Children of `id` in order.
    pub fn children(&self, id: i32) -> Children<'_> {
        Children {
            tree: self,
            next: self.nodes.get(&id).map_or(-1, |n| n.head),
            left: self.nodes.len(),
        }
    }

    /// Appends `node` as the last child of `parent`. A parent that is missing or a synth, or
    /// an id already in the tree, is not linked: the tree is marked stale instead.
    pub fn push_child(&mut self, parent: i32, node: Node) {
        self.try_push_child(parent, node);
    }

    fn try_push_child(&mut self, parent: i32, mut node: Node) -> bool {
        let id = node.id;
        if self.nodes.contains_key(&id) {
            self.mark_stale(|| format!("node {id} was read twice"));
            return false;
        }
        let tail = match self.nodes.get(&parent) {
            Some(p) if p.is_group() => p.tail,
            Some(_) => {
                self.mark_stale(|| format!("node {id} was read under synth {parent}"));
                return false;
            }
            None => {
                self.mark_stale(|| format!("node {id} was read under unknown group {parent}"));
                return false;
            }
        };
        // Its children, if any, are pushed after it.
        node.head = -1;
        node.tail = -1;
        self.link_at(node, parent, tail);
        true
    }

    /// Replaces the subtree at `at` (a group in this tree) with `sub`'s root's children.
    pub fn graft(&mut self, at: i32, sub: &NodeTree) {
        if !self.nodes.get(&at).is_some_and(Node::is_group) {
            self.mark_stale(|| format!("group {at} was read but is not in the mirror"));
            return;
        }
        self.clear_children(at);
        // Parent by parent: each group's children are pushed in order before its own.
        let mut stack = vec![sub.root];
        while let Some(parent) = stack.pop() {
            for child in sub.children(parent) {
                let target = if parent == sub.root { at } else { parent };
                // A node refused here keeps its subtree out too: it would hang elsewhere.
                if self.try_push_child(target, child.clone()) && child.is_group() {
                    stack.push(child.id);
                }
            }
        }
        if sub.is_stale() {
            self.mark_stale(|| sub.stale().unwrap_or_default());
        }
    }

    fn clear_children(&mut self, id: i32) {
        let kids: Vec<i32> = self.children(id).map(|n| n.id).collect();
        for k in kids {
            self.remove(k);
        }
    }

    /// Records what we know of a synth we created ourselves (notifications carry no def name).
    /// Before its `/n_go` the description waits aside, out of the tree.
    pub(crate) fn describe_synth(
        &mut self,
        id: i32,
        def: &str,
        controls: Vec<(String, ControlValue)>,
    ) {
        match self.nodes.get_mut(&id) {
            Some(node) if !node.is_group() => {
                node.kind = NodeKind::Synth {
                    def: Some(def.to_string()),
                };
                node.controls = controls;
            }
            Some(_) => return,
            None => {
                if self.described.len() >= MAX_DESCRIBED {
                    while let Some(old) = self.described_order.pop_front() {
                        if self.described.remove(&old).is_some() {
                            break;
                        }
                    }
                }
                if self
                    .described
                    .insert(id, (def.to_string(), controls))
                    .is_none()
                {
                    self.described_order.push_back(id);
                }
                // Ids whose /n_go came are still queued: keep the queue near the map's size.
                if self.described_order.len() > 2 * MAX_DESCRIBED {
                    let described = &self.described;
                    self.described_order.retain(|i| described.contains_key(i));
                }
            }
        }
        self.generation += 1;
        self.structure += 1;
    }

    /// Names a synth in the tree that has no SynthDef name yet (from the server's printout);
    /// its controls stay as they are. `false` when there is no such synth.
    pub(crate) fn name_synth(&mut self, id: i32, def: &str) -> bool {
        match self.nodes.get_mut(&id) {
            Some(Node {
                kind: NodeKind::Synth { def: d @ None },
                ..
            }) => {
                *d = Some(def.to_string());
                self.generation += 1;
                self.structure += 1;
                true
            }
            _ => false,
        }
    }

    /// Says when reading this tree began, if before it was made (a printout is parsed
    /// after it came): notifications since then are replayed onto it by [`Self::carry_over`].
    pub(crate) fn read_since(&mut self, at: Instant) {
        self.read_started = self.read_started.min(at);
    }

    /// Fills in the paused state of nodes whose state is unknown.
    pub(crate) fn set_unknown_paused(&mut self, paused: bool) {
        for n in self.nodes.values_mut() {
            n.paused.get_or_insert(paused);
        }
        self.generation += 1;
    }

    /// Takes over from `old`, the mirror this freshly read tree replaces: paused states and
    /// our own synths' names it knew, and the notifications that came while this tree was
    /// being read (those already in what was read change nothing).
    pub fn carry_over(&mut self, old: &NodeTree) {
        self.recent = old.recent.clone();
        self.rejected += old.rejected;
        self.uncured_gap = old.count_gap.or(old.uncured_gap);
        for n in self.nodes.values_mut() {
            let Some(o) = old.nodes.get(&n.id) else {
                continue;
            };
            if n.paused.is_none() {
                n.paused = o.paused;
            }
            if let (NodeKind::Synth { def: d @ None }, NodeKind::Synth { def: Some(od) }) =
                (&mut n.kind, &o.kind)
            {
                *d = Some(od.clone());
            }
        }
        for id in &old.described_order {
            if let Some((def, controls)) = old.described.get(id) {
                self.describe_synth(*id, def, controls.clone());
            }
        }
        if old.journal_lost.is_some_and(|at| at > self.read_started) {
            self.mark_stale(|| "too many notifications came while the tree was read".into());
        }
        let since = self.read_started;
        for &(at, event, info) in &old.journal {
            if at > since {
                self.apply_event(event, &info, Mode::Replay);
            }
        }
        self.journal = old.journal.clone();
        self.journal_lost = old.journal_lost;
        self.generation += 1;
        self.structure += 1;
    }

    /// Updates a control value after `/n_set`.
    pub(crate) fn set_control(&mut self, id: i32, name: &str, value: f32) {
        if let Some(n) = self.nodes.get_mut(&id) {
            match n.controls.iter_mut().find(|(k, _)| k == name) {
                Some((_, v)) => *v = ControlValue::Value(value),
                None => n
                    .controls
                    .push((name.to_string(), ControlValue::Value(value))),
            }
            self.generation += 1;
        }
    }

    /// Removes a node and everything under it (or a description still waiting for it).
    pub fn remove(&mut self, id: i32) -> bool {
        self.described.remove(&id);
        let Some(node) = self.unlink(id) else {
            return false;
        };
        // Each step takes a node out of the map, so this ends however the links run.
        let mut stack = vec![node.head];
        while let Some(mut child) = stack.pop() {
            while child != -1 {
                match self.nodes.remove(&child) {
                    Some(n) => {
                        stack.push(n.head);
                        child = n.next;
                    }
                    None => break,
                }
            }
        }
        true
    }

    /// Visits every node below the root depth-first, with its depth (root children are 1).
    /// Visits at most as many nodes as the tree holds, each once.
    pub fn walk(&self, mut f: impl FnMut(usize, &Node)) {
        let mut left = self.nodes.len().saturating_sub(1);
        let mut stack: Vec<(usize, i32)> =
            vec![(1, self.nodes.get(&self.root).map_or(-1, |r| r.head))];
        while let Some((depth, id)) = stack.pop() {
            if id == -1 {
                continue;
            }
            let Some(node) = self.nodes.get(&id) else {
                self.broken.set(true);
                continue;
            };
            if left == 0 {
                self.broken.set(true);
                return;
            }
            left -= 1;
            stack.push((depth, node.next));
            f(depth, node);
            if node.is_group() {
                stack.push((depth + 1, node.head));
            }
        }
    }

    /// Ids of the nodes below the root, depth-first.
    pub fn ids(&self) -> Vec<i32> {
        let mut v = Vec::with_capacity(self.nodes.len());
        self.walk(|_, n| v.push(n.id));
        v
    }
}

/// The children of a group, head first (see [`NodeTree::children`]).
pub struct Children<'a> {
    tree: &'a NodeTree,
    next: i32,
    /// No list is longer than the tree: a longer one has a loop.
    left: usize,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a Node;
    fn next(&mut self) -> Option<&'a Node> {
        if self.next == -1 {
            return None;
        }
        let Some(node) = self.tree.nodes.get(&self.next) else {
            self.tree.broken.set(true);
            return None;
        };
        if self.left == 0 {
            self.tree.broken.set(true);
            return None;
        }
        self.left -= 1;
        self.next = node.next;
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::protocol::msg;

    fn reply(args: Vec<OscType>) -> OscMessage {
        msg("/g_queryTree.reply", args)
    }

    fn i(v: i32) -> OscType {
        OscType::Int(v)
    }

    /// The text is compared with supriya's own printing of the same reply in
    /// tests/suite/supriya_format.rs (it needs Python); here, what the reply says is what is read.
    #[test]
    fn parses_a_query_reply_with_controls() {
        // 0 { 1 { 1000 { }, 1001 default(out 0, freq c3) } }
        let m = reply(vec![
            i(1),
            i(0),
            i(1),
            i(1),
            i(2),
            i(1000),
            i(0),
            i(1001),
            i(-1),
            OscType::String("default".into()),
            i(2),
            OscType::String("out".into()),
            OscType::Float(0.0),
            OscType::String("freq".into()),
            OscType::String("c3".into()),
        ]);
        let tree = NodeTree::from_query_reply(&m).unwrap();
        assert_eq!(tree.ids(), [1, 1000, 1001]);
        let parents: Vec<i32> = [1, 1000, 1001]
            .iter()
            .map(|id| tree.get(*id).unwrap().parent)
            .collect();
        assert_eq!(parents, [0, 1, 1]);
        assert!(tree.get(1000).unwrap().is_group());
        let synth = tree.get(1001).unwrap();
        assert_eq!(synth.def_name(), Some("default"));
        assert_eq!(
            synth.controls,
            [
                ("out".to_string(), ControlValue::Value(0.0)),
                ("freq".to_string(), ControlValue::Bus("c3".into())),
            ]
        );
    }

    #[test]
    fn truncated_reply_is_an_error_not_a_panic() {
        let m = reply(vec![i(0), i(0), i(3), i(1), i(0)]);
        assert!(NodeTree::from_query_reply(&m).is_err());
    }

    fn note(addr: &str, node: i32, parent: i32, prev: i32, next: i32, group: bool) -> OscMessage {
        let mut args = vec![i(node), i(parent), i(prev), i(next), i(group as i32)];
        if group {
            args.extend([i(-1), i(-1)]);
        }
        msg(addr, args)
    }

    #[test]
    fn notifications_keep_order() {
        let mut t = NodeTree::new(0);
        t.apply(&note("/n_go", 1, 0, -1, -1, true));
        t.apply(&note("/n_go", 10, 1, -1, -1, true));
        t.apply(&note("/n_go", 11, 1, 10, -1, false));
        t.apply(&note("/n_go", 9, 1, -1, 10, false));
        t.apply(&note("/n_go", 12, 10, -1, -1, false));
        assert_eq!(t.ids(), [1, 9, 10, 12, 11]);
        t.apply(&note("/n_move", 9, 1, 11, -1, false));
        assert_eq!(t.ids(), [1, 10, 12, 11, 9]);
        t.apply(&note("/n_off", 11, 1, 10, 9, false));
        assert_eq!(t.get(11).unwrap().paused, Some(true));
        t.apply(&note("/n_end", 10, 1, -1, 11, true));
        assert_eq!(t.ids(), [1, 11, 9]);
        assert!(!t.contains(12), "children go with their group");
        let changes: Vec<(i32, bool)> = t.recent.iter().map(|c| (c.id, c.born)).collect();
        assert_eq!(
            changes,
            [
                (1, true),
                (10, true),
                (11, true),
                (9, true),
                (12, true),
                (10, false)
            ]
        );
    }
}
