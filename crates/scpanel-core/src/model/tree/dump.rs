//! The server's own printout of a tree, `/g_dumpTree G 1`, as a scsynth this program booted
//! writes it to its output: a header `NODE TREE Group G`, then one line a node indented three
//! spaces a level (`1000 default`, `100 group`), and under each synth its controls on one
//! line indented two more (`freq: 440 amp: c5 pan: a20`, a mapped control naming its bus).
//! scsynth prints 20,000 synths with their controls in about 32 ms, where reading the same
//! tree over OSC took 1.75 s (issue 25): this is the fast way to know every control.
//! It leaves out the children of paused groups, and says nothing of pauses: a group that
//! shows empty may hold nodes, which only a `/g_queryTree` of it can tell.
//!
//! The text comes from a peer's output: every line is read once, the depth may grow by one a
//! line at most (so the stack of open groups is bounded by the number of lines), and a line
//! that fits none of the shapes stops the reading with its number.

use super::{ControlValue, Node, NodeKind, NodeTree};

/// Why a printout could not be read, and where.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the server's tree printout, line {line}: {what}")]
pub struct DumpError {
    /// The line (from 1, the header's) where reading stopped.
    pub line: usize,
    /// What was wrong there.
    pub what: String,
}

/// Spaces a level of the printout.
const INDENT: usize = 3;

/// Reads a printout whose first line is its header. Lines after the tree (anything not
/// indented) end it; the tree read so far is returned with how many lines it took.
pub fn parse_dump<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<(NodeTree, usize), DumpError> {
    let mut lines = lines.into_iter();
    let header = lines.next().unwrap_or_default();
    let root = header
        .trim_end()
        .strip_prefix("NODE TREE Group ")
        .and_then(|n| n.trim().parse::<i32>().ok())
        .ok_or_else(|| DumpError {
            line: 1,
            what: format!("not a header: {:?}", clip(header)),
        })?;
    let mut tree = NodeTree::new(root);
    // The open groups, by depth: stack[d] is the group depth-d+1 nodes go in.
    let mut stack: Vec<i32> = vec![root];
    // The synth the next controls line belongs to, with its depth.
    let mut last_synth: Option<(i32, usize)> = None;
    let mut used = 1;
    for (i, raw) in lines.enumerate() {
        let line = i + 2;
        let text = raw.trim_end();
        let spaces = text.len() - text.trim_start_matches(' ').len();
        if spaces == 0 || text.trim().is_empty() {
            break;
        }
        used = line;
        let body = &text[spaces..];
        let fail = |what: String| DumpError { line, what };
        if spaces % INDENT == 0 {
            let depth = spaces / INDENT;
            if depth > stack.len() || depth == 0 {
                return Err(fail(format!(
                    "a node {depth} levels deep under {} open groups",
                    stack.len()
                )));
            }
            stack.truncate(depth);
            let parent = stack[depth - 1];
            let (id, what) = body
                .split_once(' ')
                .ok_or_else(|| fail(format!("not a node: {:?}", clip(body))))?;
            let id: i32 = id
                .parse()
                .map_err(|_| fail(format!("not a node id: {:?}", clip(id))))?;
            let kind = if what == "group" {
                NodeKind::Group
            } else {
                NodeKind::Synth {
                    def: Some(what.to_string()),
                }
            };
            let group = matches!(kind, NodeKind::Group);
            let mut node = Node::new(id, parent, kind);
            // A node the printout lists runs, or sits in a running group: paused groups'
            // children are not listed, and a paused synth is not told apart.
            node.paused = None;
            tree.push_child(parent, node);
            if tree.is_stale() {
                return Err(fail(tree.stale().unwrap_or_default()));
            }
            if group {
                stack.push(id);
                last_synth = None;
            } else {
                last_synth = Some((id, depth));
            }
        } else {
            let Some((synth, depth)) = last_synth.take() else {
                return Err(fail(format!(
                    "controls with no synth above: {:?}",
                    clip(body)
                )));
            };
            if spaces != depth * INDENT + 2 {
                return Err(fail(format!(
                    "controls indented {spaces} under a synth at level {depth}"
                )));
            }
            let controls = parse_controls(body).map_err(fail)?;
            if let Some(n) = tree.get_mut(synth) {
                n.controls = controls;
            }
        }
    }
    Ok((tree, used))
}

/// `freq: 440 amp: c5 pan: a20` as name and value pairs. scsynth prints a control with no
/// name (an array control's values after its first) as its value alone: it is named by its
/// index, as `/g_queryTree` names it.
fn parse_controls(body: &str) -> Result<Vec<(String, ControlValue)>, String> {
    let mut out = Vec::new();
    let mut words = body.split(' ').filter(|w| !w.is_empty());
    while let Some(word) = words.next() {
        let (name, value) = match word.strip_suffix(':') {
            Some(name) => {
                let value = words
                    .next()
                    .ok_or_else(|| format!("control {:?} has no value", clip(name)))?;
                (name.to_string(), value)
            }
            None => (out.len().to_string(), word),
        };
        let value = parse_value(value)
            .ok_or_else(|| format!("control {:?}: not a value: {:?}", clip(&name), clip(value)))?;
        out.push((name, value));
    }
    Ok(out)
}

/// `440`, `0.10000000149012`, `nan`, or a bus: `c5`, `a20`.
fn parse_value(word: &str) -> Option<ControlValue> {
    match word.as_bytes().first() {
        Some(b'c' | b'a') if word[1..].parse::<u32>().is_ok() => {
            Some(ControlValue::Bus(word.to_string()))
        }
        _ => word.parse::<f32>().ok().map(ControlValue::Value),
    }
}

/// A peer's text, cut short for a message.
fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What scsynth 3.13 printed here for `/g_dumpTree 0 1` (Debian 12), with group 101
    /// paused (its synth 1002 left out), `amp` of 1001 mapped to control bus 5 and `freq` of
    /// 1003 to audio bus 20.
    const PRINTED: &str = "NODE TREE Group 0
   1 group
      100 group
         1000 scpanel-sine
           freq: 440.5 amp: 0.10000000149012 pan: -0.25 out: 0 gate: 1
         1001 default
           out: 0 freq: 220 amp: c5 pan: 0 gate: 1
      101 group
      1003 scpanel-sine
        freq: a20 amp: 0.10000000149012 pan: 0 out: 0 gate: 1
";

    #[test]
    fn scsynths_printout_reads_as_the_tree_with_every_control() {
        let (tree, used) = parse_dump(PRINTED.lines()).expect("parsed");
        assert_eq!(used, 10);
        // In execution order, below the root.
        assert_eq!(tree.ids(), vec![1, 100, 1000, 1001, 101, 1003]);
        assert_eq!(tree.get(1000).map(|n| n.parent), Some(100));
        assert_eq!(tree.get(1003).map(|n| n.parent), Some(1));
        assert_eq!(
            tree.get(1000).map(|n| n.controls.clone()),
            Some(vec![
                ("freq".to_string(), ControlValue::Value(440.5)),
                ("amp".to_string(), ControlValue::Value(0.1)),
                ("pan".to_string(), ControlValue::Value(-0.25)),
                ("out".to_string(), ControlValue::Value(0.0)),
                ("gate".to_string(), ControlValue::Value(1.0)),
            ])
        );
        let mapped = |id: i32, name: &str| {
            tree.get(id).and_then(|n| {
                n.controls
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|c| c.1.clone())
            })
        };
        assert_eq!(mapped(1001, "amp"), Some(ControlValue::Bus("c5".into())));
        assert_eq!(mapped(1003, "freq"), Some(ControlValue::Bus("a20".into())));
        assert_eq!(
            tree.get(1001)
                .and_then(|n| n.def_name().map(str::to_string)),
            Some("default".into())
        );
        assert!(tree.get(101).is_some_and(|n| n.is_group() && n.head == -1));
    }

    #[test]
    fn an_array_controls_values_after_its_first_are_named_by_index() {
        let text = "NODE TREE Group 0\n   1 arr\n     out: 0 freqs: 1 2 c3 amp: 0.5\n";
        let (tree, _) = parse_dump(text.lines()).expect("parsed");
        let names: Vec<String> = tree
            .get(1)
            .map(|n| n.controls.iter().map(|c| c.0.clone()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["out", "freqs", "2", "3", "amp"]);
        assert_eq!(
            tree.get(1).map(|n| n.controls[3].1.clone()),
            Some(ControlValue::Bus("c3".into()))
        );
    }

    #[test]
    fn the_printout_ends_at_the_first_line_that_is_not_indented() {
        let text = format!("{PRINTED}NODE TREE Group 0\n   1 group\n");
        let (tree, used) = parse_dump(text.lines()).expect("parsed");
        assert_eq!(used, 10);
        assert_eq!(tree.len(), 7);
    }

    #[test]
    fn what_a_peer_could_print_wrongly_is_refused_with_its_line() {
        let cases: &[(&str, usize)] = &[
            ("NODE TREE Group x", 1),
            ("something else", 1),
            ("NODE TREE Group 0\n      1 group", 2),
            ("NODE TREE Group 0\n   x group", 2),
            ("NODE TREE Group 0\n   1", 2),
            ("NODE TREE Group 0\n     freq: 1", 2),
            ("NODE TREE Group 0\n   1 default\n     freq 1", 3),
            ("NODE TREE Group 0\n   1 default\n     freq: 1 x", 3),
            ("NODE TREE Group 0\n   1 default\n     freq: nope", 3),
            ("NODE TREE Group 0\n   1 default\n     freq:", 3),
            ("NODE TREE Group 0\n   1 default\n       freq: 1", 3),
            ("NODE TREE Group 0\n   1 group\n   1 group", 3),
            ("NODE TREE Group 0\n   1 default\n      2 group", 3),
        ];
        for (text, line) in cases {
            let e = parse_dump(text.lines()).expect_err(text);
            assert_eq!(e.line, *line, "{text:?}: {e}");
        }
    }

    #[test]
    fn a_deep_printout_is_read_without_recursion_and_its_depth_is_bounded_by_its_lines() {
        let mut text = String::from("NODE TREE Group 0\n");
        for d in 1..=5_000 {
            text.push_str(&" ".repeat(d * INDENT));
            text.push_str(&format!("{d} group\n"));
        }
        let (tree, used) = parse_dump(text.lines()).expect("parsed");
        assert_eq!((tree.len(), used), (5_001, 5_001));
        // A line claiming to be far deeper than the groups above it is refused.
        let e = parse_dump(
            ["NODE TREE Group 0", &" ".repeat(3 * 1_000_000)]
                .into_iter()
                .chain(["1 group"]),
        );
        assert!(e.is_ok(), "a line of spaces alone ends the printout");
        let deep = format!("NODE TREE Group 0\n{}1 group", " ".repeat(3 * 1_000));
        assert_eq!(parse_dump(deep.lines()).expect_err("too deep").line, 2);
    }
}
