//! The node tree: parsed from `/g_queryTree.reply`, kept live from `/n_go /n_end /n_move
//! /n_on /n_off`, and rendered as text the way supriya and sclang print it.
//!
//! Siblings are linked through `prev` / `next` ids exactly as scsynth reports them, so every
//! notification applies in constant time, however big a group is.

use std::collections::HashMap;
use std::fmt::Write;

use rosc::{OscMessage, OscType};

use super::protocol::{NodeInfo, int_arg};

/// A synth control's value: a number, or a bus mapping such as `c3` / `a10`.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlValue {
    Value(f32),
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

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Group,
    /// `def` is `None` when only notifications told us of the synth (they carry no name).
    Synth {
        def: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: i32,
    pub parent: i32,
    pub prev: i32,
    pub next: i32,
    /// First and last child, for groups; -1 when empty.
    pub head: i32,
    pub tail: i32,
    pub kind: NodeKind,
    /// `None` when the node may have been paused before we were listening.
    pub paused: Option<bool>,
    /// `(name or index, value)`, from a query with controls or from our own `/s_new`.
    pub controls: Vec<(String, ControlValue)>,
}

impl Node {
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

    pub fn is_group(&self) -> bool {
        matches!(self.kind, NodeKind::Group)
    }

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
    pub id: i32,
    pub born: bool,
    /// "group", or the synth's def name when known.
    pub label: String,
    pub at: std::time::Instant,
}

/// How many recent changes are kept.
const RECENT: usize = 256;

/// A tree of nodes under a root group (normally 0).
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTree {
    pub root: i32,
    nodes: HashMap<i32, Node>,
    /// Bumped on every change, so a view can tell whether to redraw.
    pub generation: u64,
    /// Bumped only when nodes come, go, move or get a name: a view's row list depends on it.
    pub structure: u64,
    /// The latest nodes that started or ended (from notifications), oldest first.
    pub recent: std::collections::VecDeque<TreeChange>,
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
    pub at: usize,
    pub what: String,
}

impl NodeTree {
    pub fn new(root: i32) -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(root, Node::new(root, -1, NodeKind::Group));
        NodeTree {
            root,
            nodes,
            generation: 0,
            structure: 0,
            recent: std::collections::VecDeque::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    pub fn get(&self, id: i32) -> Option<&Node> {
        self.nodes.get(&id)
    }

    pub fn get_mut(&mut self, id: i32) -> Option<&mut Node> {
        self.generation += 1;
        self.nodes.get_mut(&id)
    }

    pub fn contains(&self, id: i32) -> bool {
        self.nodes.contains_key(&id)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Children of `id` in order.
    pub fn children(&self, id: i32) -> Children<'_> {
        Children {
            tree: self,
            next: self.nodes.get(&id).map_or(-1, |n| n.head),
        }
    }

    /// Parses a `/g_queryTree.reply` (with or without controls).
    pub fn from_query_reply(m: &OscMessage) -> Result<NodeTree, TreeParseError> {
        let mut p = ReplyParser {
            args: &m.args,
            at: 0,
        };
        let with_controls = p.int("flag")? != 0;
        let root = p.int("root id")?;
        let count = p.int("child count")?;
        let mut tree = NodeTree::new(root);
        p.children(&mut tree, root, count, with_controls)?;
        Ok(tree)
    }

    /// Appends `node` as the last child of `parent` (which must exist).
    pub fn push_child(&mut self, parent: i32, mut node: Node) {
        let id = node.id;
        node.parent = parent;
        node.next = -1;
        let tail = self.nodes.get(&parent).map_or(-1, |p| p.tail);
        node.prev = tail;
        if let Some(t) = self.nodes.get_mut(&tail) {
            t.next = id;
        }
        if let Some(p) = self.nodes.get_mut(&parent) {
            if p.head == -1 {
                p.head = id;
            }
            p.tail = id;
        }
        self.nodes.insert(id, node);
        self.generation += 1;
        self.structure += 1;
    }

    /// Replaces the subtree at `at` (a group in this tree) with `sub`'s root's children.
    pub fn graft(&mut self, at: i32, sub: &NodeTree) {
        self.clear_children(at);
        let mut stack = vec![sub.root];
        while let Some(parent) = stack.pop() {
            for child in sub.children(parent) {
                let mut n = child.clone();
                n.head = -1;
                n.tail = -1;
                let target = if parent == sub.root { at } else { parent };
                self.push_child(target, n);
                if child.is_group() {
                    stack.push(child.id);
                }
            }
        }
        // Children were pushed parent by parent (not in depth-first order), so order is intact.
    }

    fn clear_children(&mut self, id: i32) {
        let kids: Vec<i32> = self.children(id).map(|n| n.id).collect();
        for k in kids {
            self.remove(k);
        }
    }

    /// Applies a node notification; returns whether it changed the tree.
    pub fn apply(&mut self, m: &OscMessage) -> bool {
        let Some(info) = NodeInfo::from_msg(m) else {
            return false;
        };
        match m.addr.as_str() {
            "/n_go" => {
                let kind = if info.is_group {
                    NodeKind::Group
                } else {
                    NodeKind::Synth { def: None }
                };
                let mut node = Node::new(info.node, info.parent, kind);
                node.paused = Some(false);
                if let Some(old) = self.nodes.get(&info.node) {
                    // Our own /s_new may have filled in the def and controls already.
                    node.kind = match (&old.kind, node.kind) {
                        (NodeKind::Synth { def: Some(d) }, NodeKind::Synth { .. }) => {
                            NodeKind::Synth {
                                def: Some(d.clone()),
                            }
                        }
                        (_, k) => k,
                    };
                    node.controls = old.controls.clone();
                    self.remove(info.node);
                }
                self.note_change(info.node, true);
                self.link(node, &info);
                true
            }
            "/n_end" => {
                self.note_change(info.node, false);
                self.remove(info.node)
            }
            "/n_move" => {
                let Some(mut node) = self.unlink(info.node) else {
                    return false;
                };
                node.parent = info.parent;
                self.link(node, &info);
                true
            }
            "/n_off" | "/n_on" => {
                let paused = m.addr == "/n_off";
                if let Some(n) = self.nodes.get_mut(&info.node) {
                    n.paused = Some(paused);
                    self.generation += 1;
                    true
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    fn note_change(&mut self, id: i32, born: bool) {
        let label = match self.nodes.get(&id).map(|n| &n.kind) {
            Some(NodeKind::Synth { def: Some(d) }) => d.clone(),
            Some(NodeKind::Synth { def: None }) => "synth".into(),
            _ => "group".into(),
        };
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(TreeChange {
            id,
            born,
            label,
            at: std::time::Instant::now(),
        });
    }

    /// Records what we know of a synth we created ourselves (notifications carry no def name).
    pub fn describe_synth(&mut self, id: i32, def: &str, controls: Vec<(String, ControlValue)>) {
        let node = self
            .nodes
            .entry(id)
            .or_insert_with(|| Node::new(id, -2, NodeKind::Synth { def: None }));
        node.kind = NodeKind::Synth {
            def: Some(def.to_string()),
        };
        node.controls = controls;
        self.generation += 1;
        self.structure += 1;
    }

    /// Fills in the paused state of nodes whose state is unknown.
    pub fn set_unknown_paused(&mut self, paused: bool) {
        for n in self.nodes.values_mut() {
            n.paused.get_or_insert(paused);
        }
        self.generation += 1;
    }

    /// Keeps what `old` knew of paused states and our own synths' def names.
    pub fn carry_over(&mut self, old: &NodeTree) {
        self.recent = old.recent.clone();
        for n in self.nodes.values_mut() {
            if let Some(o) = old.nodes.get(&n.id) {
                if n.paused.is_none() {
                    n.paused = o.paused;
                }
                if let (NodeKind::Synth { def: d @ None }, NodeKind::Synth { def: Some(od) }) =
                    (&mut n.kind, &o.kind)
                {
                    *d = Some(od.clone());
                }
            }
        }
        self.generation += 1;
        self.structure += 1;
    }

    /// Updates a control value after `/n_set`.
    pub fn set_control(&mut self, id: i32, name: &str, value: f32) {
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

    fn link(&mut self, mut node: Node, info: &NodeInfo) {
        let id = node.id;
        let parent = info.parent;
        if !self.nodes.contains_key(&parent) {
            // A parent we have not seen (we joined late): hang it under the root.
            let mut p = Node::new(parent, self.root, NodeKind::Group);
            p.paused = None;
            self.push_child(self.root, p);
        }
        node.parent = parent;
        let prev = if info.prev != -1
            && self
                .nodes
                .get(&info.prev)
                .is_some_and(|p| p.parent == parent)
        {
            info.prev
        } else if info.next != -1
            && self
                .nodes
                .get(&info.next)
                .is_some_and(|n| n.parent == parent)
        {
            self.nodes[&info.next].prev
        } else if info.prev == -1 {
            -1
        } else {
            // An unknown previous sibling: append.
            self.nodes.get(&parent).map_or(-1, |p| p.tail)
        };
        let next = if prev == -1 {
            self.nodes.get(&parent).map_or(-1, |p| p.head)
        } else {
            self.nodes.get(&prev).map_or(-1, |p| p.next)
        };
        node.prev = prev;
        node.next = next;
        if let Some(p) = self.nodes.get_mut(&prev) {
            p.next = id;
        }
        if let Some(n) = self.nodes.get_mut(&next) {
            n.prev = id;
        }
        if let Some(p) = self.nodes.get_mut(&parent) {
            if prev == -1 {
                p.head = id;
            }
            if next == -1 {
                p.tail = id;
            }
        }
        self.nodes.insert(id, node);
        self.generation += 1;
        self.structure += 1;
    }

    /// Takes a node out of its parent's list (keeping its own children).
    fn unlink(&mut self, id: i32) -> Option<Node> {
        if id == self.root {
            return None;
        }
        let node = self.nodes.remove(&id)?;
        if let Some(p) = self.nodes.get_mut(&node.prev) {
            p.next = node.next;
        }
        if let Some(n) = self.nodes.get_mut(&node.next) {
            n.prev = node.prev;
        }
        if let Some(parent) = self.nodes.get_mut(&node.parent) {
            if parent.head == id {
                parent.head = node.next;
            }
            if parent.tail == id {
                parent.tail = node.prev;
            }
        }
        self.generation += 1;
        self.structure += 1;
        Some(node)
    }

    /// Removes a node and everything under it.
    pub fn remove(&mut self, id: i32) -> bool {
        let Some(node) = self.unlink(id) else {
            return false;
        };
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
    pub fn walk(&self, mut f: impl FnMut(usize, &Node)) {
        let mut stack: Vec<(usize, i32)> =
            vec![(1, self.nodes.get(&self.root).map_or(-1, |r| r.head))];
        while let Some((depth, id)) = stack.pop() {
            if id == -1 {
                continue;
            }
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
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

    /// Text as supriya's `print(server.query_tree())` and sclang's `queryAllNodes` give it.
    pub fn to_text(&self, with_controls: bool) -> String {
        let mut out = String::with_capacity(self.nodes.len() * 24);
        let _ = writeln!(out, "NODE TREE {} group", self.root);
        self.walk(|depth, n| {
            let indent = "    ".repeat(depth);
            match &n.kind {
                NodeKind::Group => {
                    let _ = writeln!(out, "{indent}{} group", n.id);
                }
                NodeKind::Synth { def } => {
                    let _ = writeln!(out, "{indent}{} {}", n.id, def.as_deref().unwrap_or("?"));
                    if with_controls && !n.controls.is_empty() {
                        let controls = n
                            .controls
                            .iter()
                            .map(|(k, v)| format!("{k}: {v}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let _ = writeln!(out, "{indent}    {controls}");
                    }
                }
            }
        });
        out
    }
}

pub struct Children<'a> {
    tree: &'a NodeTree,
    next: i32,
}

impl<'a> Iterator for Children<'a> {
    type Item = &'a Node;
    fn next(&mut self) -> Option<&'a Node> {
        let node = self.tree.nodes.get(&self.next)?;
        self.next = node.next;
        Some(node)
    }
}

struct ReplyParser<'a> {
    args: &'a [OscType],
    at: usize,
}

impl ReplyParser<'_> {
    fn err(&self, what: impl Into<String>) -> TreeParseError {
        TreeParseError {
            at: self.at,
            what: what.into(),
        }
    }

    fn int(&mut self, what: &str) -> Result<i32, TreeParseError> {
        let m = OscMessage {
            addr: String::new(),
            args: self
                .args
                .get(self.at..self.at + 1)
                .unwrap_or_default()
                .to_vec(),
        };
        let v = int_arg(&m, 0).ok_or_else(|| self.err(format!("expected {what} (an int)")))?;
        self.at += 1;
        Ok(v)
    }

    fn value(&mut self) -> Result<ControlValue, TreeParseError> {
        let v = match self.args.get(self.at) {
            Some(OscType::Float(f)) => ControlValue::Value(*f),
            Some(OscType::Double(f)) => ControlValue::Value(*f as f32),
            Some(OscType::Int(i)) => ControlValue::Value(*i as f32),
            Some(OscType::String(s)) => ControlValue::Bus(s.clone()),
            _ => return Err(self.err("expected a control value")),
        };
        self.at += 1;
        Ok(v)
    }

    fn name(&mut self) -> Result<String, TreeParseError> {
        let v = match self.args.get(self.at) {
            Some(OscType::String(s)) => s.clone(),
            Some(OscType::Int(i)) => i.to_string(),
            _ => return Err(self.err("expected a control name or index")),
        };
        self.at += 1;
        Ok(v)
    }

    fn children(
        &mut self,
        tree: &mut NodeTree,
        parent: i32,
        count: i32,
        with_controls: bool,
    ) -> Result<(), TreeParseError> {
        // An explicit stack: a deep chain of groups must not overflow ours.
        let mut stack: Vec<(i32, i32)> = vec![(parent, count)];
        while let Some((parent, remaining)) = stack.pop() {
            if remaining <= 0 {
                continue;
            }
            stack.push((parent, remaining - 1));
            let id = self.int("node id")?;
            let n = self.int("child count")?;
            if tree.contains(id) {
                return Err(self.err(format!("node {id} appears twice")));
            }
            if n >= 0 {
                tree.push_child(parent, Node::new(id, parent, NodeKind::Group));
                stack.push((id, n));
            } else {
                let def = match self.args.get(self.at) {
                    Some(OscType::String(s)) => s.clone(),
                    _ => return Err(self.err("expected a SynthDef name")),
                };
                self.at += 1;
                let mut node = Node::new(id, parent, NodeKind::Synth { def: Some(def) });
                if with_controls {
                    let c = self.int("control count")?;
                    for _ in 0..c.max(0) {
                        let name = self.name()?;
                        let value = self.value()?;
                        node.controls.push((name, value));
                    }
                }
                tree.push_child(parent, node);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::protocol::msg;

    fn reply(args: Vec<OscType>) -> OscMessage {
        msg("/g_queryTree.reply", args)
    }

    fn i(v: i32) -> OscType {
        OscType::Int(v)
    }

    #[test]
    fn parses_and_renders_in_supriyas_format() {
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
        assert_eq!(
            tree.to_text(true),
            "NODE TREE 0 group\n    1 group\n        1000 group\n        1001 default\n            out: 0.0, freq: c3\n"
        );
        assert_eq!(tree.ids(), [1, 1000, 1001]);
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
