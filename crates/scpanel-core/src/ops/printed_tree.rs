//! The whole node tree with every synth's controls from scsynth's own printout
//! (`/g_dumpTree 0 1`), on a server this process booted and whose output it reads.
//!
//! Over OSC a tree with controls costs one `/g_queryTree` a few hundred synths (each reply is
//! one 64 KiB packet): 20,000 running synths took 1.75 s to read. scsynth prints the same
//! tree in about 32 ms (issue 25). The printout leaves out what it can't see:
//!
//! - the children of paused groups: every group printed empty that the mirror knows is
//!   paused, may be paused, or holds nodes is read over OSC (`ops::tree_read`) and grafted in;
//! - pauses: the nodes come with their state unknown, as a `/g_queryTree` read gives them
//!   (the mirror's refresh carries the states it knows over).
//!
//! The printout has no end marker (see `ops::printout`): the reading ends a short quiet gap
//! after as many node lines came as the mirror counts, after a longer one if fewer came, or
//! at a time-out; it takes no more lines than the tree can have. Anything that doesn't read
//! as one whole printout with controls (no printout, another one in the middle, a line cut
//! at the output reader's bound) gives `None`, and the caller reads over OSC.

use std::time::{Duration, Instant};

use rosc::OscType;

use crate::host::output::{DumpLine, parse_line};
use crate::link::{Link, Live};
use crate::model::tree::{NodeTree, parse_dump};
use crate::ops::printout::{PRINTOUT_IDLE, printed_count, printout_timeout, with_commas};
use crate::ops::tree_read::{self, MAX_NODES, ReadOptions, TreeRead};
use crate::wire::protocol::msg;

/// How long the printout may go quiet before as many node lines came as the mirror counts
/// (a mirror that still counts nodes that ended costs this once).
const QUIET_BEFORE_COUNT: Duration = Duration::from_millis(250);

/// Groups printed empty that are read over OSC at most; past that the whole tree is.
const MAX_FILLS: usize = 256;

/// The lines of one printout of group 0, as they come.
#[derive(Debug)]
struct Collector {
    /// Node lines the printout should have, as far as the mirror knows.
    expected: usize,
    /// At most this many lines are kept.
    limit: usize,
    started: bool,
    node_lines: usize,
    controls_lines: usize,
    lines: Vec<String>,
}

impl Collector {
    fn new(expected: usize, limit: usize) -> Self {
        Collector {
            expected,
            limit,
            started: false,
            node_lines: 0,
            controls_lines: 0,
            lines: Vec::new(),
        }
    }

    /// Takes one captured line: lines before the header of group 0 are an earlier
    /// printout's tail; after it, every printout line is kept (a second header too, which
    /// the parser then stops at).
    fn take(&mut self, line: String) -> Result<(), String> {
        match parse_line(&line) {
            Some(DumpLine::Header(0)) if !self.started => self.started = true,
            _ if !self.started => return Ok(()),
            Some(DumpLine::Node { .. }) => self.node_lines += 1,
            Some(DumpLine::Controls { .. }) => self.controls_lines += 1,
            _ => {}
        }
        self.lines.push(line);
        if self.lines.len() > self.limit {
            return Err(format!(
                "more than {} lines, more than the tree can have",
                with_commas(self.limit as u64)
            ));
        }
        Ok(())
    }

    /// How long to wait for the next line before the printout is taken as ended; `None`:
    /// until the time-out (it hasn't begun).
    fn quiet_gap(&self) -> Option<Duration> {
        if !self.started {
            None
        } else if self.node_lines >= self.expected {
            Some(PRINTOUT_IDLE)
        } else {
            Some(QUIET_BEFORE_COUNT)
        }
    }

    /// The tree the lines tell, or why they tell none.
    fn tree(&self) -> Result<NodeTree, String> {
        if !self.started {
            return Err("no printout came in time".into());
        }
        let (tree, used) =
            parse_dump(self.lines.iter().map(String::as_str)).map_err(|e| e.to_string())?;
        if used != self.lines.len() {
            return Err("another printout came in the middle of it".into());
        }
        if self.controls_lines == 0 && tree.nodes().any(|n| !n.is_group()) {
            // Another client's `/g_dumpTree 0 0`, asked in the same audio block, printed
            // instead of ours (a group is marked for one printout at a time).
            return Err("it came without controls".into());
        }
        if let Some(why) = tree.stale() {
            return Err(why);
        }
        Ok(tree)
    }
}

/// Groups printed empty that may hold nodes the printout left out: those the mirror knows
/// are paused, doesn't know are running, or holds children in.
fn to_fill(tree: &NodeTree, mirror: &NodeTree) -> Vec<i32> {
    let mut ids: Vec<i32> = tree
        .nodes()
        .filter(|n| n.is_group() && n.head == -1 && n.id != tree.root)
        .filter(|n| {
            mirror
                .get(n.id)
                .is_none_or(|m| m.paused != Some(false) || m.head != -1)
        })
        .map(|n| n.id)
        .collect();
    ids.sort_unstable();
    ids
}

/// The tree under group 0 with every synth's controls, from the server's printout; `None`
/// when it can't be read that way (not a server this process booted, another printout
/// capture under way, a printout that didn't come whole: the log says which), and the caller
/// reads over OSC. The caller holds the tree-query lock; `opts` serve the paused groups'
/// reads.
pub(crate) async fn read(link: &Link, live: &Live, opts: &ReadOptions) -> Option<TreeRead> {
    if !live.attachment.is_owner {
        return None;
    }
    let process = link.process()?;
    let (expected, mirror_nodes) = link.with_tree(|t| (printed_count(t), t.len()));
    let status_nodes = link.shared.latest_status().map_or(0, |s| {
        usize::try_from(s.synths).unwrap_or(0) + usize::try_from(s.groups).unwrap_or(0)
    });
    // A node line and a controls line a node, with room for nodes made since they were
    // counted.
    let limit = mirror_nodes
        .max(status_nodes)
        .saturating_add(1024)
        .saturating_mul(2)
        .min(2 * MAX_NODES);
    let mut capture = process.capture_printout(limit)?;
    let began = Instant::now();
    let mut lines = Collector::new(expected, limit);
    let mut received = 0u64;
    let mut failed = live
        .conn
        .send_msg(msg("/g_dumpTree", [OscType::Int(0), OscType::Int(1)]))
        .await
        .err()
        .map(|e| e.to_string());
    if failed.is_none() {
        let deadline = tokio::time::Instant::now() + printout_timeout(limit);
        loop {
            let until = lines.quiet_gap().map_or(deadline, |gap| {
                deadline.min(tokio::time::Instant::now() + gap)
            });
            match tokio::time::timeout_at(until, capture.lines.recv()).await {
                Ok(Some(line)) => {
                    received += 1;
                    if let Err(e) = lines.take(line) {
                        failed = Some(e);
                        break;
                    }
                }
                _ => break,
            }
        }
    }
    let cut = capture.any_cut();
    let taken = capture.finish();
    let result = match failed {
        Some(e) => Err(e),
        None if cut => Err("a line was longer than the output reader keeps".into()),
        None if taken > received => Err("more of it came after it seemed whole".into()),
        None => lines.tree(),
    };
    let mut tree = match result {
        Ok(tree) => tree,
        Err(why) => {
            link.shared.note(format!(
                "the server's printout of its node tree could not be read ({why}): read over \
                 OSC instead"
            ));
            return None;
        }
    };
    tree.read_since(began);
    let printed_synths = tree.nodes().filter(|n| !n.is_group()).count();
    let mut read = TreeRead::default();
    let fills = link.with_tree(|mirror| to_fill(&tree, mirror));
    if fills.len() > MAX_FILLS {
        link.shared.note(format!(
            "{} groups printed empty might hold nodes: the node tree is read over OSC",
            with_commas(fills.len() as u64)
        ));
        return None;
    }
    for group in fills {
        let sub = match tree_read::read(&live.conn, group, opts).await {
            Ok(sub) => sub,
            Err(e) => {
                link.shared.note(format!(
                    "group {group}, left out of the server's printout, could not be read ({e}): \
                     the node tree is read over OSC"
                ));
                return None;
            }
        };
        if let Err(e) = tree_read::graft(&mut tree, group, &sub.tree) {
            link.shared
                .note(format!("{e}: the node tree is read over OSC"));
            return None;
        }
        read.unlisted.extend(sub.unlisted);
        read.without_controls.extend(sub.without_controls);
        read.node_queries += sub.node_queries;
    }
    link.shared.note(format!(
        "node tree with controls read from the server's printout ({} lines)",
        with_commas(taken)
    ));
    read.tree = tree;
    read.unlisted.sort_unstable();
    read.without_controls.sort_unstable();
    read.named_from_printout = printed_synths;
    read.from_printout = true;
    Some(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tree::{Node, NodeKind};

    fn collect(expected: usize, limit: usize, text: &[&str]) -> Result<Collector, String> {
        let mut c = Collector::new(expected, limit);
        for line in text {
            c.take((*line).to_string())?;
        }
        Ok(c)
    }

    #[test]
    fn a_printout_is_read_from_its_header_and_ends_sooner_once_every_node_came() {
        let c = collect(2, 100, &["   7 stale", "garbage", "NODE TREE Group 0"]).expect("taken");
        assert_eq!(c.lines.len(), 1, "the earlier printout's tail is left out");
        assert_eq!(c.quiet_gap(), Some(QUIET_BEFORE_COUNT));
        let c = collect(
            2,
            100,
            &[
                "NODE TREE Group 0",
                "   1 group",
                "      1000 sine",
                "        freq: 440 amp: c5",
            ],
        )
        .expect("taken");
        assert_eq!(c.quiet_gap(), Some(PRINTOUT_IDLE));
        let tree = c.tree().expect("a tree");
        assert_eq!(tree.ids(), vec![1, 1000]);
        assert_eq!(Collector::new(1, 10).quiet_gap(), None);
        assert!(Collector::new(1, 10).tree().is_err(), "no header came");
    }

    #[test]
    fn what_is_not_one_whole_printout_with_controls_is_refused() {
        let too_many = collect(1, 2, &["NODE TREE Group 0", "   1 group", "   2 group"]);
        assert!(too_many.is_err());
        let two = collect(
            5,
            100,
            &[
                "NODE TREE Group 0",
                "   1000 sine",
                "     freq: 1",
                "NODE TREE Group 0",
                "   1000 sine",
            ],
        )
        .expect("taken");
        assert!(two.tree().is_err());
        let without = collect(1, 100, &["NODE TREE Group 0", "   1000 sine"]).expect("taken");
        assert!(without.tree().is_err());
        // Groups alone print no controls lines.
        let groups = collect(1, 100, &["NODE TREE Group 0", "   1 group"]).expect("taken");
        assert!(groups.tree().is_ok());
    }

    #[test]
    fn groups_printed_empty_are_read_again_unless_known_running_and_empty() {
        let mut printed = NodeTree::new(0);
        for id in [1, 2, 3, 4] {
            printed.push_child(0, Node::new(id, 0, NodeKind::Group));
        }
        let mut mirror = printed.clone();
        for (id, paused) in [(1, Some(false)), (2, Some(true)), (3, None)] {
            if let Some(n) = mirror.get_mut(id) {
                n.paused = paused;
            }
        }
        if let Some(n) = mirror.get_mut(4) {
            n.paused = Some(false);
        }
        mirror.push_child(4, Node::new(40, 4, NodeKind::Synth { def: None }));
        printed.push_child(0, Node::new(5, 0, NodeKind::Group));
        // 1: running and empty; 2 paused; 3 maybe paused; 4 holds a synth; 5 new to the mirror.
        assert_eq!(to_fill(&printed, &mirror), vec![2, 3, 4, 5]);
    }
}
