//! Notifications into the mirror (`/n_go /n_end /n_move /n_on /n_off`): each checked
//! against the mirror before it touches it, since they come over UDP and from other
//! clients, and each applied in constant time through the siblings' `prev` / `next` links.

use super::*;

impl NodeTree {
    /// Applies a node notification; returns whether it changed the tree. One that does not
    /// fit leaves the tree as it was and marks it stale.
    pub fn apply(&mut self, m: &OscMessage) -> bool {
        let event = match m.addr.as_str() {
            "/n_go" => Event::Go,
            "/n_end" => Event::End,
            "/n_move" => Event::Move,
            "/n_on" => Event::On,
            "/n_off" => Event::Off,
            _ => return false,
        };
        let Some(info) = NodeInfo::from_msg(m) else {
            self.rejected += 1;
            return false;
        };
        self.journal_push(event, info);
        self.apply_event(event, &info, Mode::Live)
    }

    fn journal_push(&mut self, event: Event, info: NodeInfo) {
        let now = Instant::now();
        while let Some(&(at, _, _)) = self.journal.front() {
            if self.journal.len() < JOURNAL && now.saturating_duration_since(at) < JOURNAL_AGE {
                break;
            }
            self.journal.pop_front();
            self.journal_lost = Some(at);
        }
        self.journal.push_back((now, event, info));
    }

    pub(super) fn apply_event(&mut self, event: Event, info: &NodeInfo, mode: Mode) -> bool {
        let id = info.node;
        if id == self.root {
            if mode == Mode::Live {
                self.mark_stale(|| format!("a notification moves the root group {id}"));
            }
            return false;
        }
        match event {
            Event::Go => self.node_began(info, mode),
            Event::End => {
                let Some(old) = self.nodes.get(&id) else {
                    // Gone already: a duplicate, or one whose start we never saw.
                    return false;
                };
                // scsynth 3.13 reports the children of a freed group in no group (-1).
                if mode == Mode::Live && old.parent != info.parent && info.parent != -1 {
                    let was = old.parent;
                    self.mark_stale(|| {
                        format!("node {id} ended in group {}, not {was}", info.parent)
                    });
                }
                // The server says it is gone: whatever else is wrong, that is right.
                self.note_change(id, false);
                self.remove(id)
            }
            Event::Move => self.node_moved(info, mode),
            Event::On | Event::Off => {
                let paused = event == Event::Off;
                let Some(n) = self.nodes.get_mut(&id) else {
                    if mode == Mode::Live {
                        self.mark_stale(|| format!("node {id} is unknown to the mirror"));
                    }
                    return false;
                };
                n.paused = Some(paused);
                let was = n.parent;
                self.generation += 1;
                if mode == Mode::Live && was != info.parent {
                    self.mark_stale(|| format!("node {id} is in group {}, not {was}", info.parent));
                }
                true
            }
        }
    }

    fn node_began(&mut self, info: &NodeInfo, mode: Mode) -> bool {
        let id = info.node;
        if let Some(old) = self.nodes.get(&id) {
            let (was_group, parent, prev, next) = (old.is_group(), old.parent, old.prev, old.next);
            let same_place = parent == info.parent && (prev, next) == (info.prev, info.next);
            if was_group != info.is_group {
                self.mark_stale(|| format!("node {id} began again as another kind of node"));
            } else if parent != info.parent {
                self.mark_stale(|| {
                    format!("node {id} began in {} but is in {parent}", info.parent)
                });
            } else if mode == Mode::Live && !same_place {
                self.mark_stale(|| format!("node {id} began again elsewhere in group {parent}"));
            }
            return false;
        }
        if let Err(why) = self.check_slot(id, info.parent, info.prev, info.next) {
            self.mark_stale(|| why);
            return false;
        }
        let kind = if info.is_group {
            NodeKind::Group
        } else {
            NodeKind::Synth { def: None }
        };
        let mut node = Node::new(id, info.parent, kind);
        node.paused = Some(false);
        if let Some((def, controls)) = self.described.remove(&id) {
            if let NodeKind::Synth { def: d } = &mut node.kind {
                *d = Some(def);
            }
            node.controls = controls;
        }
        self.link_at(node, info.parent, info.prev);
        self.note_change(id, true);
        true
    }

    fn node_moved(&mut self, info: &NodeInfo, mode: Mode) -> bool {
        let id = info.node;
        let Some(old) = self.nodes.get(&id) else {
            if mode == Mode::Live {
                self.mark_stale(|| format!("node {id} moved but is unknown to the mirror"));
            }
            return false;
        };
        if old.parent == info.parent && (old.prev, old.next) == (info.prev, info.next) {
            return false;
        }
        let same_parent = old.parent == info.parent;
        if let Err(why) = self.check_slot(id, info.parent, info.prev, info.next) {
            // Replayed, a move within one group that no longer fits was overtaken by what
            // was read (its neighbours changed since); any other misfit is a real one.
            if !(mode == Mode::Replay && same_parent) {
                self.mark_stale(|| why);
            }
            return false;
        }
        let Some(node) = self.unlink(id) else {
            return false;
        };
        self.link_at(node, info.parent, info.prev);
        true
    }

    /// Whether `id` may sit in `parent` between `prev` and `next` (-1: none), judged as if
    /// `id` were not where it is now.
    fn check_slot(&self, id: i32, parent: i32, prev: i32, next: i32) -> Result<(), String> {
        if parent == id {
            return Err(format!("node {id} would be its own parent"));
        }
        if prev == id || next == id {
            return Err(format!("node {id} would be its own sibling"));
        }
        let p = match self.nodes.get(&parent) {
            Some(p) if p.is_group() => p,
            Some(_) => return Err(format!("node {id} would be in synth {parent}")),
            None => {
                return Err(format!(
                    "node {id} is in group {parent}, unknown to the mirror"
                ));
            }
        };
        if self.nodes.contains_key(&id) && self.is_within(parent, id) {
            return Err(format!("node {id} would be its own ancestor"));
        }
        let after_prev = if prev == -1 {
            p.head
        } else {
            match self.nodes.get(&prev) {
                Some(n) if n.parent == parent => n.next,
                Some(_) => return Err(format!("node {prev}, before {id}, is not in {parent}")),
                None => {
                    return Err(format!(
                        "node {prev}, before {id}, is unknown to the mirror"
                    ));
                }
            }
        };
        let after_prev = if after_prev == id {
            self.nodes.get(&id).map_or(-1, |n| n.next)
        } else {
            after_prev
        };
        if after_prev != next {
            return Err(format!(
                "node {id} would sit between {prev} and {next} in {parent}, not side by side in the mirror"
            ));
        }
        Ok(())
    }

    /// Whether `id` is `ancestor` or below it. A chain longer than the tree (a broken link)
    /// answers yes, so nothing is linked on its strength.
    fn is_within(&self, id: i32, ancestor: i32) -> bool {
        let mut at = id;
        for _ in 0..=self.nodes.len() {
            if at == ancestor {
                return true;
            }
            match self.nodes.get(&at) {
                Some(n) if at != self.root => at = n.parent,
                _ => return false,
            }
        }
        self.broken.set(true);
        true
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
            at: Instant::now(),
        });
    }

    /// Links `node` (not in the tree) into `parent` right after `prev` (-1: at the head).
    /// Callers have checked the slot; this only writes it.
    pub(super) fn link_at(&mut self, mut node: Node, parent: i32, prev: i32) {
        let id = node.id;
        let next = if prev == -1 {
            self.nodes.get(&parent).map_or(-1, |p| p.head)
        } else {
            self.nodes.get(&prev).map_or(-1, |p| p.next)
        };
        node.parent = parent;
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
    pub(super) fn unlink(&mut self, id: i32) -> Option<Node> {
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
}
