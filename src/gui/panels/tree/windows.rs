//! The tree panel's windows and menus: a node's menu, the new-synth and move forms, and a
//! node's trace.

use super::*;

impl TreePanel {
    /// The trace of [`Self::trace`], as the server printed it into the log.
    pub(super) fn trace_window(&mut self, ctx: &egui::Context, server: &scpanel_core::Server) {
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

    pub(super) fn move_window(
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

    pub(super) fn node_menu(
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
            && icons::button(ui, true, icons::SIGN_OUT, "Release")
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
        if icons::button(ui, true, icons::TRASH, "Free").clicked() {
            actions.push(Action::FreeNode { id });
            ui.close();
        }
        if paused == Some(true) {
            if icons::button(ui, true, icons::PLAY, "Resume").clicked() {
                actions.push(Action::RunNode { id });
                ui.close();
            }
        } else if icons::button(ui, true, icons::PAUSE, "Pause").clicked() {
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
        if icons::button(ui, true, icons::ARROWS_OUT_CARDINAL, "Move…").clicked() {
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

    pub(super) fn new_synth_window(
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
