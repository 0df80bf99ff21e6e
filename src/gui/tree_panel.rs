//! The live node tree: collapsible groups, synths with editable controls, a menu per node,
//! a filter, and new / ended nodes briefly highlighted. Rows are flattened once per tree
//! change and only the visible ones are built, so 20,000 nodes scroll smoothly.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::theme::{Tone, tone};
use egui::{Color32, RichText};

use super::actions::{Action, ActionQueue};
use scpanel_core::osc::printable;
use scpanel_core::{AddAction, ControlValue, NodeTree};

const HIGHLIGHT: Duration = Duration::from_millis(1500);
/// The filter field's id, so a shortcut can put the keyboard in it.
pub const TREE_FILTER: &str = "tree-filter";
pub const ROW_HEIGHT: f32 = 22.0;

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
struct NewSynth {
    target: i32,
    action: AddAction,
    def: String,
    controls: Vec<(String, f32)>,
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
pub fn check_move_target(
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

#[derive(Default)]
pub struct TreePanel {
    pub filter: String,
    collapsed: HashSet<i32>,
    pub rows: Vec<Row>,
    built: Option<(u64, usize, String)>,
    collapse_version: usize,
    /// Nodes that started (glow) or ended (listed) a moment ago.
    fresh: HashMap<i32, Instant>,
    ended: Vec<(i32, String, Instant)>,
    new_synth: Option<NewSynth>,
    pub move_form: Option<MoveForm>,
    /// Show scpanel's own group (meters, volume, recorder, tone); hidden by default.
    pub show_own: bool,
    /// The row the keyboard is on, by node id.
    pub cursor: Option<i32>,
    /// A row to give the keyboard to when it is next built (after Up, Down, Left, Right).
    focus_next: Option<i32>,
    /// A row whose menu the keyboard opened (Enter, Shift+F10, the menu key).
    menu_by_key: Option<i32>,
    /// The row whose menu the keyboard opened last: it shows at the row, not the pointer.
    menu_at_row: Option<i32>,
    /// The rows on screen last frame, to scroll a row the keyboard moved to into view.
    visible: std::ops::Range<usize>,
    /// The node whose trace window is open.
    pub trace: Option<i32>,
}

/// What a node's menu needs to know besides the row.
#[derive(Clone, Copy)]
struct NodeAbout {
    /// Paused, running, or not known (a node from before we connected).
    paused: Option<bool>,
    /// The synth has a `gate` control: it can be released.
    gated: bool,
    /// The keyboard opened the menu: it goes into it.
    by_key: bool,
    /// This window booted the server: its printout (a trace) can be read.
    owner: bool,
}

/// "Meter its output" in a synth's menu: a meter on the buses it writes, in the Levels tab
/// (the core reads the bus from its `out` control and the width from its SynthDef).
fn meter_output_item(ui: &mut egui::Ui, row: &Row, actions: &mut ActionQueue) {
    if row.is_group {
        return;
    }
    if ui
        .button("Meter its output")
        .on_hover_text(
            "Add a meter on the bus this synth writes (its out control), shown in the Levels tab",
        )
        .clicked()
    {
        actions.push(Action::MeterNodeOutput { id: row.id });
        ui.close();
    }
    if ui
        .button("Scope its output")
        .on_hover_text("Show the buses this synth writes in the Scope tab")
        .clicked()
    {
        actions.push(Action::ScopeNodeOutput { id: row.id });
        ui.close();
    }
}

/// What a key on a focused row asked for.
enum RowKey {
    Up,
    Down,
    Left,
    Right,
    Menu,
    Free,
    PauseOrResume,
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

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        server: &scpanel_core::Server,
        actions: &mut ActionQueue,
    ) {
        let online = server.state().is_online();
        let owner = server.is_owner();
        let now = Instant::now();
        let marks = Marks {
            own_group: server.nodes().own(scpanel_core::Own::Group),
            session: server.attachment(),
        };
        let stale = server.with_tree(|t| {
            self.refresh(t, &marks);
            // Only the last few hundred changes are kept by the core: cheap to scan.
            self.fresh.clear();
            self.ended.clear();
            for c in t
                .recent
                .iter()
                .filter(|c| now.duration_since(c.at) < HIGHLIGHT)
            {
                if c.born {
                    self.fresh.insert(c.id, c.at);
                } else {
                    self.ended.push((c.id, c.label.clone(), c.at));
                }
            }
            t.stale()
        });
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("node id or SynthDef name")
                    .id(egui::Id::unique(TREE_FILTER))
                    .desired_width(180.0),
            )
            .labelled_by(label.id);
            if ui
                .checkbox(&mut self.show_own, "Show scpanel's nodes")
                .on_hover_text(
                    "The meters, volume, recorder and test tone, in a group of their own",
                )
                .changed()
            {
                self.built = None;
            }
            if ui.button("Expand all").clicked() {
                self.collapsed.clear();
                self.collapse_version += 1;
            }
            if ui
                .add_enabled(online, egui::Button::new("Re-read"))
                .on_hover_text("Read the whole tree from the server again")
                .clicked()
            {
                actions.push(Action::RefreshTree);
            }
            ui.weak(format!("{} nodes", self.rows.len()));
            if let Some(why) = &stale {
                ui.colored_label(tone(ui, Tone::Warning), "out of step: reading again")
                    .on_hover_text(printable(why));
            }
        });
        if !self.ended.is_empty() {
            ui.horizontal_wrapped(|ui| {
                ui.weak("ended:");
                for (id, label, _) in self.ended.iter().rev().take(12) {
                    ui.colored_label(tone(ui, Tone::Error), format!("{id} {}", printable(label)));
                }
            });
            ui.ctx().request_repaint_after(HIGHLIGHT);
        }
        if !online {
            ui.weak("Offline: boot or connect to see the node tree.");
        }
        let mut toggle = None;
        let mut any_new = false;
        // Synths on screen whose controls the core keeps re-reading (another client's
        // `x.set` sends no notification), except one being edited right now.
        let mut watched = Vec::new();
        let mut key: Option<(usize, RowKey)> = None;
        let mut scroll = egui::ScrollArea::both().auto_shrink([false, false]);
        // A row the keyboard was to move to that is gone (freed, filtered out) is forgotten,
        // so its id, if scsynth reuses it, doesn't take the keyboard later.
        if let Some(id) = self.focus_next
            && !self.rows.iter().any(|r| r.id == id)
        {
            self.focus_next = None;
        }
        // A row the keyboard moved to off screen is scrolled to, so that it is built.
        if let Some(i) = self
            .focus_next
            .and_then(|id| self.rows.iter().position(|r| r.id == id))
            .filter(|i| !self.visible.contains(i) || self.visible.end <= i + 1)
        {
            let step = ROW_HEIGHT + ui.spacing().item_spacing.y;
            let shown = self.visible.len().max(1);
            let above = if self.visible.start > i {
                0
            } else {
                3.min(shown - 1)
            };
            scroll = scroll.vertical_scroll_offset((i.saturating_sub(above)) as f32 * step);
        }
        scroll.show_rows(ui, ROW_HEIGHT, self.rows.len(), |ui, range| {
                self.visible = range.clone();
                for i in range {
                    let row = &self.rows[i];
                    // Paused state and controls are read for the visible rows only.
                    let (paused, mut controls) = server
                        .with_tree(|t| t.get(row.id).map(|n| (n.paused, n.controls.clone())))
                        .unwrap_or((Some(false), Vec::new()));
                    let mut editing = false;
                    let fresh = self.fresh.contains_key(&row.id);
                    any_new |= fresh;
                    let resp = ui
                        .horizontal(|ui| {
                            ui.set_height(ROW_HEIGHT);
                            ui.add_space(row.depth as f32 * 16.0);
                            // Every row keeps the toggle's column, so names at one depth line up.
                            let toggle_size = egui::vec2(18.0, 18.0);
                            if row.is_group && row.has_children {
                                let collapsed = self.collapsed.contains(&row.id);
                                let arrow = if collapsed { "+" } else { "-" };
                                let what = format!(
                                    "{} group {}",
                                    if collapsed { "Expand" } else { "Collapse" },
                                    row.id
                                );
                                let b = ui
                                    .add_sized(toggle_size, egui::Button::new(arrow).small())
                                    .on_hover_text(&what);
                                b.widget_info(|| {
                                    egui::WidgetInfo::labeled(egui::Role::Button, true, &what)
                                });
                                if b.clicked() {
                                    toggle = Some(row.id);
                                }
                            } else {
                                ui.allocate_exact_size(toggle_size, egui::Sense::hover());
                            }
                            let mut text = RichText::new(row_label(row)).monospace();
                            if fresh {
                                text = text.background_color(Color32::from_rgba_unmultiplied(80, 170, 80, 70));
                            }
                            let name = ui.add(egui::Label::new(text).sense(egui::Sense::click()));
                            if self.focus_next == Some(row.id) {
                                name.request_focus();
                                name.scroll_to_me(None);
                                self.focus_next = None;
                            }
                            if name.has_focus() {
                                // A row with the keyboard shows it, as a button does.
                                ui.painter().rect_stroke(
                                    name.rect.expand(2.0),
                                    2.0,
                                    ui.visuals().selection.stroke,
                                    egui::StrokeKind::Outside,
                                );
                                self.cursor = Some(row.id);
                                // The arrows move between rows here, not egui's focus.
                                ui.memory_mut(|m| {
                                    m.set_focus_lock_filter(
                                        name.id,
                                        egui::EventFilter {
                                            horizontal_arrows: true,
                                            vertical_arrows: true,
                                            tab: false,
                                            escape: false,
                                        },
                                    )
                                });
                                if let Some(k) = row_key(ui) {
                                    key = Some((i, k));
                                }
                            }
                            let expanded = (row.is_group && row.has_children)
                                .then(|| !self.collapsed.contains(&row.id));
                            let shown = row_label(row);
                            let more = row_description(row, paused);
                            ui.ctx().accesskit_node_builder(name.id, |n| {
                                n.set_role(egui::accesskit::Role::TreeItem);
                                n.set_label(shown);
                                if !more.is_empty() {
                                    n.set_description(more);
                                }
                                n.set_level(row.depth + 1);
                                n.set_position_in_set(row.position);
                                n.set_size_of_set(row.siblings);
                                if let Some(e) = expanded {
                                    n.set_expanded(e);
                                }
                            });
                            if let Some(mark) = &row.mark {
                                ui.label(RichText::new(mark).weak().italics());
                            }
                            match paused {
                                Some(true) => {
                                    ui.colored_label(tone(ui, Tone::Warning), "paused");
                                }
                                None => {
                                    ui.weak("?").on_hover_text(
                                        "This node existed before we connected: whether it is paused can't be known",
                                    );
                                }
                                Some(false) => {}
                            }
                            for (k, v) in controls.iter_mut() {
                                let label = ui.weak(printable(k));
                                match v {
                                    ControlValue::Value(x) => {
                                        let speed = (x.abs() * 0.01).max(0.001);
                                        // An id of its own: auto ids shift when the
                                        // "ended:" strip above comes or goes, and a value
                                        // being typed would lose its focus and be re-read.
                                        let stable = egui::Id::unique(("tree control", row.id, &*k));
                                        let r = ui
                                            .scope_builder(egui::UiBuilder::new().scope_id(stable), |ui| {
                                                ui.add(
                                                    egui::DragValue::new(x)
                                                        .speed(speed)
                                                        .max_decimals(4),
                                                )
                                            })
                                            .inner
                                            .labelled_by(label.id);
                                        editing |= r.dragged() || r.has_focus();
                                        if r.changed() {
                                            actions.push(Action::SetControl {
                                                node: row.id,
                                                name: k.clone(),
                                                value: *x,
                                            });
                                        }
                                    }
                                    ControlValue::Bus(b) => {
                                        ui.label(printable(b)).on_hover_text("mapped to a bus");
                                    }
                                }
                            }
                            name
                        })
                        .inner;
                    // A synth known by name only gets its controls read once it is on screen.
                    if !row.is_group && row.def.is_some() && !editing {
                        watched.push(row.id);
                    }
                    let row = row.clone();
                    let gated = controls.iter().any(|(k, _)| k == "gate");
                    let by_key = self.menu_by_key == Some(row.id);
                    if by_key {
                        self.menu_by_key = None;
                        self.menu_at_row = Some(row.id);
                    }
                    if resp.secondary_clicked() {
                        self.menu_at_row = None;
                    }
                    let open = if by_key || resp.secondary_clicked() {
                        Some(egui::SetOpenCommand::Bool(true))
                    } else if resp.clicked() {
                        Some(egui::SetOpenCommand::Bool(false))
                    } else {
                        None
                    };
                    // A right click's menu stays where the pointer was (the row may move as
                    // the tree changes under it); the keyboard's opens at its row.
                    let popup = egui::Popup::menu(&resp).open_memory(open);
                    let popup = if self.menu_at_row == Some(row.id) {
                        popup
                    } else {
                        popup.at_pointer_fixed()
                    };
                    popup.show(|ui| {
                            let about = NodeAbout {
                                paused,
                                gated,
                                by_key,
                                owner,
                            };
                            self.node_menu(ui, &row, about, actions)
                        });
                }
            });
        if let Some((i, k)) = key {
            self.on_key(i, k, server, actions);
        }
        // A setting of what the core polls, not a request: it costs nothing on this thread.
        server.controls().watch(watched);
        if any_new {
            ui.ctx().request_repaint_after(HIGHLIGHT);
        }
        if let Some(id) = toggle {
            if !self.collapsed.remove(&id) {
                self.collapsed.insert(id);
            }
            self.collapse_version += 1;
        }
        self.new_synth_window(ui.ctx(), server, actions);
        self.move_window(ui.ctx(), server, actions);
        self.trace_window(ui.ctx(), server);
    }

    /// The trace of [`Self::trace`], as the server printed it into the log.
    fn trace_window(&mut self, ctx: &egui::Context, server: &scpanel_core::Server) {
        let Some(id) = self.trace else {
            return;
        };
        let mut open = true;
        let lines = server.with_log(|l| l.trace_of(id));
        egui::Window::new(format!("Trace of node {id}"))
            .open(&mut open)
            .vscroll(true)
            .default_height(320.0)
            .show(ctx, |ui| match &lines {
                Some(lines) => {
                    for l in lines {
                        ui.label(RichText::new(printable(l)).monospace());
                    }
                }
                None => {
                    ui.weak("Waiting for the server's printout…");
                }
            });
        if !open {
            self.trace = None;
        }
    }

    fn move_window(
        &mut self,
        ctx: &egui::Context,
        server: &scpanel_core::Server,
        actions: &mut ActionQueue,
    ) {
        let Some(form) = self.move_form.as_mut() else {
            return;
        };
        let checked =
            server.with_tree(|t| check_move_target(t, form.node, &form.target, form.action));
        let mut open = true;
        let mut go = None;
        egui::Window::new(format!("Move node {}", form.node))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    let label = ui.label("Where");
                    egui::ComboBox::from_id_salt("move-action")
                        .selected_text(form.action.label())
                        .show_ui(ui, |ui| {
                            for a in [
                                AddAction::AddBefore,
                                AddAction::AddAfter,
                                AddAction::AddToHead,
                                AddAction::AddToTail,
                            ] {
                                ui.selectable_value(&mut form.action, a, a.label());
                            }
                        })
                        .response
                        .labelled_by(label.id);
                });
                ui.horizontal(|ui| {
                    let label = ui.label("Target node id");
                    ui.add(egui::TextEdit::singleline(&mut form.target).desired_width(100.0))
                        .labelled_by(label.id);
                });
                if let Err(why) = &checked {
                    ui.colored_label(tone(ui, Tone::Error), why);
                }
                if ui
                    .add_enabled(checked.is_ok(), egui::Button::new("Move"))
                    .clicked()
                    && let Ok(target) = checked
                {
                    go = Some((form.node, target, form.action));
                }
            });
        if let Some((node, target, action)) = go {
            actions.push(Action::MoveNode {
                node,
                target,
                action,
            });
            self.move_form = None;
        } else if !open {
            self.move_form = None;
        }
    }

    /// Runs a key pressed on row `i`.
    fn on_key(
        &mut self,
        i: usize,
        key: RowKey,
        server: &scpanel_core::Server,
        actions: &mut ActionQueue,
    ) {
        let Some(row) = self.rows.get(i).cloned() else {
            return;
        };
        let collapsed = self.collapsed.contains(&row.id);
        match key {
            RowKey::Up => self.focus_next = i.checked_sub(1).map(|j| self.rows[j].id),
            RowKey::Down => self.focus_next = self.rows.get(i + 1).map(|r| r.id),
            RowKey::Left if row.is_group && row.has_children && !collapsed => {
                self.collapsed.insert(row.id);
                self.collapse_version += 1;
                self.focus_next = Some(row.id);
            }
            RowKey::Left => {
                // To the parent: the nearest row above that is less deep.
                self.focus_next = self.rows[..i]
                    .iter()
                    .rev()
                    .find(|r| r.depth < row.depth)
                    .map(|r| r.id);
            }
            RowKey::Right if row.is_group && collapsed => {
                self.collapsed.remove(&row.id);
                self.collapse_version += 1;
                self.focus_next = Some(row.id);
            }
            RowKey::Right => {
                self.focus_next = self
                    .rows
                    .get(i + 1)
                    .filter(|r| r.depth > row.depth)
                    .map(|r| r.id)
            }
            RowKey::Menu => self.menu_by_key = Some(row.id),
            RowKey::Free => {
                actions.push(Action::FreeNode { id: row.id });
                // The keyboard stays in the list: on the next row, or the one before.
                self.focus_next = self
                    .rows
                    .get(i + 1)
                    .or_else(|| i.checked_sub(1).and_then(|j| self.rows.get(j)))
                    .map(|r| r.id);
            }
            RowKey::PauseOrResume => {
                let paused = server.with_tree(|t| t.get(row.id).and_then(|n| n.paused));
                actions.push(if paused == Some(true) {
                    Action::RunNode { id: row.id }
                } else {
                    Action::PauseNode { id: row.id }
                });
                self.focus_next = Some(row.id);
            }
        }
    }

    fn node_menu(
        &mut self,
        ui: &mut egui::Ui,
        row: &Row,
        about: NodeAbout,
        actions: &mut ActionQueue,
    ) {
        let NodeAbout {
            paused,
            gated,
            by_key,
            owner,
        } = about;
        let id = row.id;
        ui.label(RichText::new(format!("Node {id}")).strong());
        if by_key {
            // Opened from the keyboard: the keyboard goes into the menu, on its first item.
            ui.memory_mut(|m| m.request_focus(ui.next_auto_id()));
        }
        if gated
            && ui
                .button("Release")
                .on_hover_text("Set gate to 0: the synth's envelope ends it in its own time")
                .clicked()
        {
            actions.push(Action::SetControl {
                node: id,
                name: "gate".into(),
                value: 0.0,
            });
            ui.close();
        }
        if ui.button("Free").clicked() {
            actions.push(Action::FreeNode { id });
            ui.close();
        }
        if paused == Some(true) {
            if ui.button("Resume").clicked() {
                actions.push(Action::RunNode { id });
                ui.close();
            }
        } else if ui.button("Pause").clicked() {
            actions.push(Action::PauseNode { id });
            ui.close();
        }
        // scsynth prints a trace to its own output: only the program that booted it reads it.
        if ui
            .add_enabled(owner, egui::Button::new("Trace"))
            .on_hover_text("Print the node's UGens with their inputs and outputs (/n_trace)")
            .on_disabled_hover_text(
                "scsynth prints traces to its own output, which only the program that booted \
                 it can read: boot the server from scpanel to see them here",
            )
            .clicked()
        {
            actions.push(Action::TraceNode { id });
            self.trace = Some(id);
            ui.close();
        }
        meter_output_item(ui, row, actions);
        if ui.button("Move…").clicked() {
            self.move_form = Some(MoveForm {
                node: id,
                target: String::new(),
                action: AddAction::AddBefore,
            });
            ui.close();
        }
        if row.is_group && ui.button("Free all in group").clicked() {
            actions.push(Action::FreeGroupChildren { id });
            ui.close();
        }
        ui.separator();
        let places: &[AddAction] = if row.is_group {
            &[
                AddAction::AddToHead,
                AddAction::AddToTail,
                AddAction::AddBefore,
                AddAction::AddAfter,
            ]
        } else {
            &[AddAction::AddBefore, AddAction::AddAfter]
        };
        ui.menu_button("New group", |ui| {
            for &action in places {
                if ui.button(action.label()).clicked() {
                    actions.push(Action::AddGroup { target: id, action });
                    ui.close();
                }
            }
        });
        ui.menu_button("New synth", |ui| {
            for &action in places {
                if ui.button(action.label()).clicked() {
                    self.new_synth = Some(NewSynth {
                        target: id,
                        action,
                        def: "default".into(),
                        controls: Vec::new(),
                    });
                    ui.close();
                }
            }
        });
    }

    fn new_synth_window(
        &mut self,
        ctx: &egui::Context,
        server: &scpanel_core::Server,
        actions: &mut ActionQueue,
    ) {
        let Some(form) = self.new_synth.as_mut() else {
            return;
        };
        let known = server.synthdefs().list();
        let mut names: Vec<String> = known.iter().map(|d| d.name.clone()).collect();
        for b in scpanel_core::synthdef::builtins::all() {
            if !names.contains(&b.name) {
                names.push(b.name);
            }
        }
        let mut open = true;
        let mut create = false;
        egui::Window::new(format!("New synth {} {}", form.action.label(), form.target))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                let before = form.def.clone();
                ui.horizontal(|ui| {
                    let label = ui.label("SynthDef");
                    egui::ComboBox::from_id_salt("new-synth-def")
                        .selected_text(form.def.clone())
                        .show_ui(ui, |ui| {
                            for n in &names {
                                ui.selectable_value(&mut form.def, n.clone(), n);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                });
                if form.def != before || form.controls.is_empty() {
                    form.controls = known
                        .iter()
                        .find(|d| d.name == form.def)
                        .map(|d| d.controls.clone())
                        .or_else(|| {
                            scpanel_core::synthdef::builtins::builtin(&form.def).map(|d| {
                                d.controls()
                                    .into_iter()
                                    .map(|c| (c.name, c.default))
                                    .collect()
                            })
                        })
                        .unwrap_or_default();
                }
                for (name, value) in form.controls.iter_mut() {
                    ui.horizontal(|ui| {
                        let label = ui.label(name.as_str());
                        let range = slider_range(name, *value);
                        ui.add(
                            egui::Slider::new(value, range).clamping(egui::SliderClamping::Never),
                        )
                        .labelled_by(label.id);
                    });
                }
                if ui.button("Create").clicked() {
                    create = true;
                }
            });
        if create {
            actions.push(Action::AddSynth {
                def: form.def.clone(),
                target: form.target,
                action: form.action,
                controls: form.controls.clone(),
            });
            self.new_synth = None;
        } else if !open {
            self.new_synth = None;
        }
    }
}

/// A sensible slider range for a control, from its name and default.
fn slider_range(name: &str, default: f32) -> std::ops::RangeInclusive<f32> {
    match name {
        "freq" | "frequency" => 20.0..=20000.0,
        "amp" | "amplitude" => 0.0..=1.0,
        "pan" => -1.0..=1.0,
        "gate" => 0.0..=1.0,
        _ if default.abs() > 1.0 => 0.0..=(default.abs() * 4.0),
        _ => -1.0..=1.0,
    }
}

/// A key pressed on a focused row, taken so nothing else reacts to it too.
fn row_key(ui: &mut egui::Ui) -> Option<RowKey> {
    use egui::{Key, Modifiers};
    ui.input_mut(|i| {
        let mut take = |m: Modifiers, k: Key| i.consume_key(m, k);
        if take(Modifiers::NONE, Key::ArrowUp) {
            Some(RowKey::Up)
        } else if take(Modifiers::NONE, Key::ArrowDown) {
            Some(RowKey::Down)
        } else if take(Modifiers::NONE, Key::ArrowLeft) {
            Some(RowKey::Left)
        } else if take(Modifiers::NONE, Key::ArrowRight) {
            Some(RowKey::Right)
        } else if take(Modifiers::NONE, Key::Enter)
            || take(Modifiers::SHIFT, Key::F10)
            || take(Modifiers::NONE, Key::Menu)
        {
            Some(RowKey::Menu)
        } else if take(Modifiers::NONE, Key::Delete) {
            Some(RowKey::Free)
        } else if take(Modifiers::NONE, Key::Space) {
            Some(RowKey::PauseOrResume)
        } else {
            None
        }
    })
}

/// A row's name, as it is shown: "2000 group", "1001 default", "1002 (def unknown)".
pub fn row_label(row: &Row) -> String {
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
pub fn row_description(row: &Row, paused: Option<bool>) -> String {
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
