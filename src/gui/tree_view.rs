//! The node tree view's state, one per server (a [`Session`](crate::gui::session::Session)
//! holds it): the rows flattened from the tree, the folds, the filter, the cursor, the nodes
//! that just started or ended, and the forms open on a node. Drawn by
//! [`panels::tree`](crate::gui::panels::tree), which is why its fields are `pub(crate)`.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use scpanel_core::osc::printable;
use scpanel_core::{AddAction, NodeTree};

pub(crate) const HIGHLIGHT: Duration = Duration::from_millis(1500);

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: i32,
    pub parent: i32,
    pub depth: usize,
    /// Place among the shown rows of the same parent, from 1, and how many those are: what a
    /// screen reader says as "3 of 5".
    pub position: usize,
    pub siblings: usize,
    pub is_group: bool,
    pub def: Option<String>,
    pub has_children: bool,
    /// What a group is for, when it is a default group or scpanel's own.
    pub mark: Option<String>,
}

/// Who the special groups belong to, for the panel's marks.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// scpanel's own group (meters, volume, recorder, tone), hidden unless shown.
    pub own_group: Option<i32>,
    pub session: Option<scpanel_core::Attachment>,
}

/// A request for a new node, from a row's menu.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewSynth {
    pub(crate) target: i32,
    pub(crate) action: AddAction,
    pub(crate) def: String,
    pub(crate) controls: Vec<(String, f32)>,
}

/// A move of one node next to (or into) another, typed by node id.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveForm {
    pub node: i32,
    pub target: String,
    pub action: AddAction,
}

/// Checks a node id typed for a move: a number, a node the tree has, and a place the node
/// can go (into a group for head / tail; never into itself or below itself).
pub(crate) fn check_move_target(
    tree: &NodeTree,
    node: i32,
    text: &str,
    action: AddAction,
) -> Result<i32, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("type the id of the node to move next to".into());
    }
    let target: i32 = text
        .parse()
        .map_err(|_| format!("\"{text}\" is not a node id: type a whole number, like 1000"))?;
    let Some(t) = tree.get(target) else {
        return Err(format!("there is no node {target} on this server"));
    };
    if target == node {
        return Err("a node can't move next to itself".into());
    }
    let into = matches!(action, AddAction::AddToHead | AddAction::AddToTail);
    if into && !t.is_group() {
        return Err(format!("{target} is a synth: only a group can hold nodes"));
    }
    if !into && target == 0 {
        return Err("nothing can go beside the root group 0".into());
    }
    // Walk up from the target: meeting the node means it would go inside itself. Bounded by
    // the tree's size, so a looped parent chain can't hang the panel.
    let mut up = if into { target } else { t.parent };
    for _ in 0..=tree.len() {
        if up == node {
            return Err(format!(
                "{target} is inside {node}: a group can't go into itself"
            ));
        }
        match tree.get(up) {
            Some(n) if n.id != n.parent && up != 0 => up = n.parent,
            _ => break,
        }
    }
    Ok(target)
}

/// A synth's control value being typed in the tree, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlEdit {
    pub node: i32,
    pub name: String,
    pub text: String,
    /// The field takes the keyboard on the frame it first shows.
    pub(crate) focus: bool,
}

#[derive(Default)]
pub struct TreePanel {
    pub filter: String,
    pub(crate) collapsed: HashSet<i32>,
    pub rows: Vec<Row>,
    pub(crate) built: Option<(u64, usize, String)>,
    pub(crate) collapse_version: usize,
    /// Nodes that started (glow) or ended (listed) a moment ago.
    pub(crate) fresh: HashMap<i32, Instant>,
    pub(crate) ended: Vec<(i32, String, Instant)>,
    pub(crate) new_synth: Option<NewSynth>,
    pub move_form: Option<MoveForm>,
    /// Show scpanel's own group (meters, volume, recorder, tone); hidden by default.
    pub show_own: bool,
    /// The row the keyboard is on, by node id.
    pub cursor: Option<i32>,
    /// A row to give the keyboard to when it is next built (after Up, Down, Left, Right).
    pub(crate) focus_next: Option<i32>,
    /// A row whose menu the keyboard opened (Enter, Shift+F10, the menu key).
    pub(crate) menu_by_key: Option<i32>,
    /// The row whose menu the keyboard opened last: it shows at the row, not the pointer.
    pub(crate) menu_at_row: Option<i32>,
    /// The rows on screen last frame, to scroll a row the keyboard moved to into view.
    pub(crate) visible: std::ops::Range<usize>,
    /// The node whose trace window is open.
    pub trace: Option<i32>,
    /// The control value being typed, if any (one at a time).
    pub control_edit: Option<ControlEdit>,
}

impl TreePanel {
    /// Flattens the tree into rows if it changed since the last frame.
    pub fn refresh(&mut self, tree: &NodeTree, marks: &Marks) {
        let key = (
            tree.structure,
            self.collapse_version + usize::from(self.show_own) * (1 << 40),
            self.filter.clone(),
        );
        if self.built.as_ref() == Some(&key) && !self.rows.is_empty() {
            return;
        }
        let filter = self.filter.trim().to_lowercase();
        let mut rows = Vec::with_capacity(tree.len());
        let mut hidden_below: Option<usize> = None;
        tree.walk(|depth, n| {
            if let Some(d) = hidden_below {
                if depth > d {
                    return;
                }
                hidden_below = None;
            }
            if Some(n.id) == marks.own_group && !self.show_own {
                hidden_below = Some(depth);
                return;
            }
            let def = n.def_name().map(String::from);
            let matches = filter.is_empty()
                || n.id.to_string().contains(&filter)
                || def
                    .as_deref()
                    .is_some_and(|d| d.to_lowercase().contains(&filter));
            if matches {
                rows.push(Row {
                    id: n.id,
                    parent: n.parent,
                    depth,
                    position: 0,
                    siblings: 0,
                    is_group: n.is_group(),
                    def,
                    has_children: n.head != -1,
                    mark: if Some(n.id) == marks.own_group {
                        Some("scpanel's own: meters, volume, recorder, test tone".into())
                    } else {
                        marks.session.as_ref().and_then(|s| {
                            scpanel_core::default_group_client(tree, s, n.id)
                                .map(|c| format!("default group \u{B7} client {c}"))
                        })
                    },
                });
            }
            if n.is_group() && self.collapsed.contains(&n.id) && filter.is_empty() {
                hidden_below = Some(depth);
            }
        });
        let mut counts: HashMap<i32, usize> = HashMap::new();
        for r in rows.iter_mut() {
            let c = counts.entry(r.parent).or_insert(0);
            *c += 1;
            r.position = *c;
        }
        for r in rows.iter_mut() {
            r.siblings = counts.get(&r.parent).copied().unwrap_or(1);
        }
        self.rows = rows;
        self.built = Some(key);
    }
}

/// A row's name, as it is shown: "2000 group", "1001 default", "1002 (def unknown)".
pub(crate) fn row_label(row: &Row) -> String {
    format!(
        "{} {}",
        row.id,
        match (&row.def, row.is_group) {
            (_, true) => "group".to_string(),
            (Some(d), false) => printable(d).into_owned(),
            (None, false) => "(def unknown)".to_string(),
        }
    )
}

/// What a screen reader adds after a row's name (its level, place and expanded state are
/// properties of the tree item): "default group · client 0", "paused".
pub(crate) fn row_description(row: &Row, paused: Option<bool>) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(mark) = &row.mark {
        parts.push(mark.clone());
    }
    match paused {
        Some(true) => parts.push("paused".into()),
        None => parts.push("paused or not: unknown".into()),
        Some(false) => {}
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use scpanel_core::tree::{Node, NodeKind};

    /// 0 ─ 1 (group) ─ 2 (group) ─ 1000 (synth)
    fn tree() -> NodeTree {
        let mut t = NodeTree::new(0);
        t.push_child(0, Node::new(1, 0, NodeKind::Group));
        t.push_child(1, Node::new(2, 1, NodeKind::Group));
        t.push_child(2, Node::new(1000, 2, NodeKind::Synth { def: None }));
        t
    }

    #[test]
    fn a_typed_node_id_must_be_a_number_the_tree_has() {
        let t = tree();
        let check = |text: &str| check_move_target(&t, 1000, text, AddAction::AddToHead);
        assert!(check("").is_err());
        let e = check("abc").unwrap_err();
        assert!(e.contains("not a node id"), "{e}");
        assert!(check("1.5").is_err());
        assert!(check("99999999999").is_err(), "past i32 is refused");
        let e = check("77").unwrap_err();
        assert!(e.contains("no node 77"), "{e}");
        assert_eq!(check(" 1 "), Ok(1));
    }

    #[test]
    fn a_move_goes_into_groups_only_and_never_into_itself() {
        let t = tree();
        let e = check_move_target(&t, 2, "1000", AddAction::AddToTail).unwrap_err();
        assert!(e.contains("only a group"), "{e}");
        let e = check_move_target(&t, 1, "2", AddAction::AddToHead).unwrap_err();
        assert!(e.contains("into itself"), "{e}");
        let e = check_move_target(&t, 1, "1000", AddAction::AddBefore).unwrap_err();
        assert!(e.contains("into itself"), "{e}");
        assert!(check_move_target(&t, 1, "1", AddAction::AddAfter).is_err());
        assert!(check_move_target(&t, 1000, "0", AddAction::AddBefore).is_err());
        assert_eq!(
            check_move_target(&t, 1000, "1", AddAction::AddBefore),
            Ok(1)
        );
        assert_eq!(check_move_target(&t, 2, "0", AddAction::AddToTail), Ok(0));
    }
}
