//! SynthDef names from scsynth's own printout of its node tree, on a server this process
//! booted (and so whose output it reads).
//!
//! A group whose synths alone overflow `/g_queryTree`'s 64 KiB reply can't name them over OSC:
//! `/n_query` tells ids and order, never names. `/g_dumpTree 0 0` makes scsynth print the tree
//! to its stdout instead, with no size limit:
//!
//! ```text
//! NODE TREE Group 0
//!    1 group
//!       1000 scpanel-meter-2
//! ```
//!
//! one line per node, indented three spaces a level (measured on scsynth 3.13; 20,000 lines
//! come in about 35 ms). The print happens on the audio thread when the dumped group is next
//! calculated, and it has no end marker: the reader stops when every synth it wants was
//! printed, when as many lines came as the tree has nodes, or at a time-out.
//!
//! Always group 0, never the group in question: scsynth only marks a *running* group for
//! printing, and prints it when the audio thread next reaches it. A running group inside a
//! paused one is not reached until that one resumes, so asking for it would leave a print
//! pending that appears, unasked and perhaps thousands of lines long, whenever someone resumes
//! the paused group (measured). Group 0 is reached every block. The printout skips the
//! children of paused groups, so synths below a group the mirror knows is paused are not asked
//! for (their names stay unknown).
//!
//! The text is another program's output about nodes other clients made: every line is
//! parsed on its own with a length limit, no more lines are taken than the tree can have, and
//! names go on only to synths the caller already knows, by id.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rosc::OscType;

use crate::host::output::{DumpLine, parse_line};
use crate::link::{Link, Live};
use crate::model::tree::NodeTree;
use crate::ops::tree_read::MAX_NODES;
use crate::wire::protocol::msg;

/// Reads names for `wanted` out of printout lines: only node lines after a header for group
/// 0. The printout has no end marker: after `expected` node lines it is whole, as far as the
/// caller knows the tree.
#[derive(Debug)]
pub(crate) struct NameReader {
    wanted: HashSet<i32>,
    expected: usize,
    started: bool,
    node_lines: usize,
    pub names: HashMap<i32, String>,
}

impl NameReader {
    pub fn new(wanted: HashSet<i32>, expected: usize) -> Self {
        NameReader {
            wanted,
            expected,
            started: false,
            node_lines: 0,
            names: HashMap::new(),
        }
    }

    /// Takes one line; `true` once the printout is whole.
    pub fn take(&mut self, line: &str) -> bool {
        match parse_line(line) {
            Some(DumpLine::Header(0)) => self.started = true,
            Some(DumpLine::Header(_)) => {}
            Some(DumpLine::Node { id, word, .. }) if self.started => {
                self.node_lines += 1;
                if self.wanted.contains(&id) {
                    self.names.insert(id, word);
                }
            }
            _ => {}
        }
        self.whole()
    }

    pub fn whole(&self) -> bool {
        self.node_lines >= self.expected
    }

    pub(crate) fn has_all_names(&self) -> bool {
        self.names.len() >= self.wanted.len()
    }
}

/// How long a printout may take before the reader gives up: a base for the round trip and
/// the next audio block, plus 50 µs a line (measured: under 2 µs), and never more than 5 s.
pub(crate) fn printout_timeout(lines: usize) -> Duration {
    let per_line =
        Duration::from_micros(50).saturating_mul(u32::try_from(lines).unwrap_or(u32::MAX));
    (Duration::from_millis(500) + per_line).min(Duration::from_secs(5))
}

/// How many node lines `/g_dumpTree 0 0` prints for the tree the mirror knows: every node but
/// the root, except those below a paused group.
pub(crate) fn printed_count(mirror: &NodeTree) -> usize {
    let mut count = 0usize;
    let mut stack = vec![mirror.root];
    while let Some(g) = stack.pop() {
        for c in mirror.children(g) {
            count += 1;
            if count > mirror.len() {
                return count;
            }
            if c.is_group() && c.paused != Some(true) {
                stack.push(c.id);
            }
        }
    }
    count
}

/// Synths in `tree` (the whole of it, or a subtree just read) with no SynthDef name whose
/// every ancestor group is running as far as `mirror` knows (the printout skips paused
/// groups' children, and a group whose state is unknown may be running).
pub(crate) fn unnamed_visible(tree: &NodeTree, mirror: &NodeTree) -> HashSet<i32> {
    let candidates = tree
        .nodes()
        .filter(|n| !n.is_group() && n.def_name().is_none())
        .map(|n| n.id);
    keep_visible(candidates, tree, mirror)
}

/// The synths with no SynthDef name anywhere below `group` in the mirror that the printout
/// will show.
pub(crate) fn unnamed_below(mirror: &NodeTree, group: i32) -> HashSet<i32> {
    let mut candidates = Vec::new();
    let mut stack = vec![group];
    let mut visited = 0usize;
    while let Some(g) = stack.pop() {
        for c in mirror.children(g) {
            visited += 1;
            if visited > mirror.len() {
                break;
            }
            if c.is_group() {
                stack.push(c.id);
            } else if c.def_name().is_none() {
                candidates.push(c.id);
            }
        }
    }
    keep_visible(candidates, mirror, mirror)
}

fn keep_visible(
    candidates: impl IntoIterator<Item = i32>,
    tree: &NodeTree,
    mirror: &NodeTree,
) -> HashSet<i32> {
    let node = |id: i32| mirror.get(id).or_else(|| tree.get(id));
    let parent_of = |id: i32| node(id).map(|n| n.parent).filter(|p| *p != id);
    let paused = |id: i32| node(id).is_some_and(|n| n.is_group() && n.paused == Some(true));
    candidates
        .into_iter()
        .filter(|&id| {
            let mut at = parent_of(id);
            let mut steps = 0;
            while let Some(g) = at {
                if paused(g) {
                    return false;
                }
                if g == 0 || steps > MAX_NODES {
                    break;
                }
                steps += 1;
                at = parent_of(g);
            }
            true
        })
        .collect()
}

/// A pause in a printout whose wanted names are all in that ends the reading.
pub(crate) const PRINTOUT_IDLE: Duration = Duration::from_millis(20);

/// Lines in a log note: `20,000`.
pub(crate) fn with_commas(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// SynthDef names for the synths `ids`, read from scsynth's printout of its node tree
/// (`/g_dumpTree 0 0`). Only a server this process booted prints where scpanel can read
/// it: on any other the result is empty. Synths below a group the live mirror knows is
/// paused are not printed by the server, so they are left out. The printout is kept out of
/// the server log; one note there says how many lines it had.
pub(crate) async fn synth_names(link: &Link, ids: &[i32]) -> HashMap<i32, String> {
    let Some(live) = link.live() else {
        return HashMap::new();
    };
    let _one_at_a_time = live.conn.tree_query_lock().await;
    let wanted = link.with_tree(|mirror| {
        let synths = ids
            .iter()
            .copied()
            .filter(|id| mirror.get(*id).is_some_and(|n| !n.is_group()));
        keep_visible(synths, mirror, mirror)
    });
    printout_names(link, &live, wanted).await
}

/// [`synth_names`] for a caller that holds the tree-query lock
/// (a printout must not overlap another).
pub(crate) async fn printout_names(
    link: &Link,
    live: &Live,
    wanted: HashSet<i32>,
) -> HashMap<i32, String> {
    if !live.attachment.is_owner || wanted.is_empty() {
        return HashMap::new();
    }
    let Some(process) = link.process() else {
        return HashMap::new();
    };
    let (nodes, expected) = link.with_tree(|t| (t.len(), printed_count(t)));
    let status_nodes = link.shared.latest_status().map_or(0, |s| {
        usize::try_from(s.synths).unwrap_or(0) + usize::try_from(s.groups).unwrap_or(0)
    });
    // Every node prints one line: as many as the tree has, and some slack for nodes made
    // since it was counted.
    let limit = (nodes.max(status_nodes) + wanted.len() + 1024).min(MAX_NODES);
    let Some(mut capture) = process.capture_printout(limit) else {
        return HashMap::new();
    };
    // A mirror that lags the server by a few nodes may stop the reading a few lines early:
    // names missed then stay unknown until the next read.
    let mut reader = NameReader::new(wanted, expected.max(1));
    let sent = live
        .conn
        .send_msg(msg("/g_dumpTree", [OscType::Int(0), OscType::Int(0)]))
        .await;
    if sent.is_ok() {
        let deadline = tokio::time::Instant::now() + printout_timeout(limit);
        loop {
            // With every name in, the rest of the printout is still read while it flows
            // (it comes in one burst), so its tail doesn't reach the log late; a mirror
            // that counts nodes the server no longer has costs only this pause.
            let until = if reader.has_all_names() {
                deadline.min(tokio::time::Instant::now() + PRINTOUT_IDLE)
            } else {
                deadline
            };
            match tokio::time::timeout_at(until, capture.lines.recv()).await {
                Ok(Some(line)) if !reader.take(&line) => {}
                _ => break,
            }
        }
    }
    let lines = capture.finish();
    if lines > 0 {
        link.shared.note(format!(
            "node names read from the server's printout ({} lines)",
            with_commas(lines)
        ));
    }
    reader.names
}

/// Names the synths of `tree` that came without one, from the printout (a server this
/// process booted only); returns how many were named. The live mirror gets them too.
pub(crate) async fn name_from_printout(link: &Link, live: &Live, tree: &mut NodeTree) -> usize {
    if !live.attachment.is_owner {
        return 0;
    }
    let wanted = link.with_tree(|mirror| unnamed_visible(tree, mirror));
    let names = printout_names(link, live, wanted).await;
    if names.is_empty() {
        return 0;
    }
    let mut named = 0;
    for (id, def) in &names {
        named += usize::from(tree.name_synth(*id, def));
    }
    name_in_mirror(link, &names);
    named
}

/// Names the mirror's unnamed synths below `groups` from one printout (a server this
/// process booted only; the caller holds the tree-query lock); returns how many.
pub(crate) async fn name_mirror_below(link: &Link, live: &Live, groups: &[i32]) -> usize {
    if !live.attachment.is_owner {
        return 0;
    }
    let wanted = link.with_tree(|mirror| {
        groups
            .iter()
            .flat_map(|g| unnamed_below(mirror, *g))
            .collect()
    });
    let names = printout_names(link, live, wanted).await;
    name_in_mirror(link, &names)
}

fn name_in_mirror(link: &Link, names: &HashMap<i32, String>) -> usize {
    if names.is_empty() {
        return 0;
    }
    let mut named = 0;
    if let Ok(mut m) = link.shared.tree.lock() {
        for (id, def) in names {
            named += usize::from(m.name_synth(*id, def));
        }
    }
    link.shared.changed();
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_names_only_wanted_ids_after_the_root_header_and_stops() {
        let mut r = NameReader::new([5, 6].into(), 100);
        // Another printout's lines, before ours began, name nothing.
        assert!(!r.take("NODE TREE Group 3"));
        assert!(!r.take("   5 stale"));
        assert!(!r.take("NODE TREE Group 0"));
        assert!(!r.take("   1 group"));
        assert!(!r.take("      4 other"));
        assert!(!r.take("garbage line"));
        assert!(!r.take("      5 a"));
        assert!(!r.has_all_names());
        assert!(!r.take("      6 group"));
        assert!(r.has_all_names(), "a synth whose SynthDef is `group`");
        assert_eq!(r.names.get(&5).map(String::as_str), Some("a"));
        assert_eq!(r.names.get(&6).map(String::as_str), Some("group"));
        assert_eq!(r.names.len(), 2);

        // As many node lines as the tree has end the reading.
        let mut r = NameReader::new([9].into(), 3);
        r.take("NODE TREE Group 0");
        assert!(!r.take("   1 x"));
        assert!(!r.take("   2 x"));
        assert!(r.take("   3 x"));
        assert!(r.names.is_empty());
    }

    #[test]
    fn synths_below_a_paused_group_are_not_asked_for() {
        use crate::model::tree::{Node, NodeKind};
        let mut t = NodeTree::new(0);
        t.push_child(0, Node::new(1, 0, NodeKind::Group));
        t.push_child(0, Node::new(2, 0, NodeKind::Group));
        t.push_child(2, Node::new(3, 2, NodeKind::Group));
        for (id, parent) in [(10, 1), (11, 3), (12, 2)] {
            t.push_child(parent, Node::new(id, parent, NodeKind::Synth { def: None }));
        }
        t.push_child(
            1,
            Node::new(
                13,
                1,
                NodeKind::Synth {
                    def: Some("known".into()),
                },
            ),
        );
        let mut paused_synth = Node::new(14, 1, NodeKind::Synth { def: None });
        paused_synth.paused = Some(true);
        t.push_child(1, paused_synth);
        let mut mirror = t.clone();
        if let Some(g) = mirror.get_mut(2) {
            g.paused = Some(true);
        }
        let mut want: Vec<i32> = unnamed_visible(&t, &mirror).into_iter().collect();
        want.sort_unstable();
        // A paused synth still prints; the children of paused group 2, however deep, don't.
        assert_eq!(want, [10, 14]);
        // The printout's length: every node but the root, paused group 2 without its own.
        assert_eq!(printed_count(&t), 8);
        assert_eq!(printed_count(&mirror), 5);
    }

    #[test]
    fn counts_read_with_commas() {
        assert_eq!(with_commas(0), "0");
        assert_eq!(with_commas(999), "999");
        assert_eq!(with_commas(20_000), "20,000");
        assert_eq!(with_commas(1_234_567), "1,234,567");
    }
}
