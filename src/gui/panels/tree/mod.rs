//! The live node tree: collapsible groups, synths with editable controls, a menu per node,
//! a filter, and new / ended nodes briefly highlighted. Rows are flattened once per tree
//! change and only the visible ones are built, so 20,000 nodes scroll smoothly.

use std::time::Instant;

use crate::gui::theme::{Tone, tone};
use egui::RichText;

mod control_field;
mod windows;

use crate::gui::actions::{Action, ActionQueue};
use crate::gui::icons;
use crate::gui::tree_view::{
    HIGHLIGHT, Marks, MoveForm, NewSynth, Row, TreePanel, check_move_target, row_description,
    row_label,
};
use scpanel_core::osc::printable;
use scpanel_core::{AddAction, ControlValue};

/// The filter field's id, so a shortcut can put the keyboard in it.
pub(crate) const TREE_FILTER: &str = "tree-filter";
pub(crate) const ROW_HEIGHT: f32 = 22.0;

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
    if icons::button(ui, true, icons::GAUGE, "Meter its output")
        .on_hover_text(
            "Add a meter on the bus this synth writes (its out control), shown in the Levels tab",
        )
        .clicked()
    {
        actions.push(Action::MeterNodeOutput { id: row.id });
        ui.close();
    }
    if icons::button(ui, true, icons::WAVE_SINE, "Scope its output")
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
        // The keyboard leaving a control for a row: (this row, -1 above, 0 itself, 1 below).
        let mut to_row: Option<(usize, i8)> = None;
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
                                text = text.background_color(crate::gui::theme::FRESH);
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
                                        // An id of its own: auto ids shift when the
                                        // "ended:" strip above comes or goes, and a value
                                        // being typed would lose its focus and be re-read.
                                        let stable = egui::Id::unique(("tree control", row.id, &*k));
                                        let (r, field) = ui
                                            .scope_builder(egui::UiBuilder::new().scope_id(stable), |ui| {
                                                control_field::ui(ui, row.id, k, *x, label.id, &mut self.control_edit)
                                            })
                                            .inner;
                                        editing |= r.dragged()
                                            || self.control_edit.as_ref().is_some_and(|e| e.node == row.id);
                                        match field {
                                            control_field::Field::Set(v) => actions.push(Action::SetControl {
                                                node: row.id,
                                                name: k.clone(),
                                                value: v,
                                            }),
                                            control_field::Field::ToRow(d) => to_row = Some((i, d)),
                                            control_field::Field::Nothing => {}
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
        if let Some((i, d)) = to_row {
            let j = match d {
                -1 => i.saturating_sub(1),
                1 => (i + 1).min(self.rows.len().saturating_sub(1)),
                _ => i,
            };
            self.focus_next = self.rows.get(j).map(|r| r.id);
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
