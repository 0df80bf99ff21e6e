//! The boot panel's presets and profiles: what a preset would change, field by field,
//! applied only on the user's yes; and the saved profiles.

use super::BootPanel;
use egui::RichText;

use crate::gui::profiles;
use crate::gui::session::Session;
use scpanel_core::options::{OPTIONS, Options, PRESETS};

/// An empty value, shown so the reader sees it is empty.
fn shown(v: &str) -> &str {
    if v.is_empty() { "(none)" } else { v }
}

/// One field a preset would change: its label, the value now, the value after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// Every field that differs between two sets of options, in the option table's order.
pub(crate) fn changes(before: &Options, after: &Options) -> Vec<FieldChange> {
    OPTIONS
        .iter()
        .filter_map(|d| {
            let (b, a) = ((d.get)(before).to_string(), (d.get)(after).to_string());
            // A password is never shown, only that it changes.
            let hide = |v: String| {
                if d.key == "password" && !v.is_empty() {
                    "******".to_string()
                } else {
                    v
                }
            };
            (b != a).then(|| FieldChange {
                label: d.label,
                before: hide(b),
                after: hide(a),
            })
        })
        .collect()
}

impl BootPanel {
    /// The options a preset would give, from the ones now in the fields.
    pub(super) fn preset_result(&self, which: Option<usize>) -> Options {
        match which.and_then(|i| PRESETS.get(i)) {
            Some(p) => {
                let mut o = self.options.clone();
                (p.apply)(&mut o);
                o
            }
            None => Options::default(),
        }
    }

    /// What the chosen preset changes, field by field, with Apply and Cancel: nothing
    /// changes until the user has seen it.
    pub(super) fn preset_preview(&mut self, ui: &mut egui::Ui) {
        let Some(which) = self.preset_preview else {
            return;
        };
        let after = self.preset_result(which);
        let list = changes(&self.options, &after);
        let name = which
            .and_then(|i| PRESETS.get(i))
            .map_or("Defaults", |p| p.name);
        egui::Frame::group(ui.style()).show(ui, |ui| {
            if let Some(p) = which.and_then(|i| PRESETS.get(i)) {
                ui.weak(p.description);
            }
            if list.is_empty() {
                ui.label(format!("{name} changes nothing here."));
            } else {
                ui.label(RichText::new(format!("{name} changes:")).strong());
                egui::Grid::new("preset-changes")
                    .num_columns(2)
                    .spacing([8.0, 2.0])
                    .show(ui, |ui| {
                        for c in &list {
                            ui.label(c.label);
                            ui.label(format!("{} -> {}", shown(&c.before), shown(&c.after)));
                            ui.end_row();
                        }
                    });
                ui.weak("Every other field keeps its value.");
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!list.is_empty(), egui::Button::new(format!("Apply {name}")))
                    .clicked()
                {
                    self.set_options(after.clone());
                    self.preset_note = which.and_then(|i| PRESETS.get(i)).map(|p| p.description);
                    self.preset_preview = None;
                }
                if ui.button("Cancel").clicked() {
                    self.preset_preview = None;
                }
            });
        });
    }

    pub(super) fn presets_and_profiles(&mut self, ui: &mut egui::Ui, session: &Session) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Presets:");
            for (i, preset) in PRESETS.iter().enumerate() {
                if ui
                    .selectable_label(self.preset_preview == Some(Some(i)), preset.name)
                    .on_hover_text(preset.description)
                    .clicked()
                {
                    self.preset_preview = Some(Some(i));
                }
            }
            if ui
                .selectable_label(self.preset_preview == Some(None), "Defaults")
                .clicked()
            {
                self.preset_preview = Some(None);
            }
        });
        self.preset_preview(ui);
        if let Some(note) = self.preset_note {
            ui.label(RichText::new(note).weak());
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Profile:");
            ui.add(egui::TextEdit::singleline(&mut self.profile_name).desired_width(110.0))
                .labelled_by(label.id);
            let name = self.profile_name.trim().to_string();
            if ui
                .add_enabled(!name.is_empty(), egui::Button::new("Save"))
                .clicked()
            {
                match profiles::save(&name, &self.options) {
                    Ok(path) => {
                        session.notice("Profile saved", path.display().to_string(), false);
                        self.profiles = profiles::list();
                    }
                    Err(e) => session.notice("Could not save the profile", e, true),
                }
            }
            let mut load = None;
            let label = ui.label("Load:");
            egui::ComboBox::from_id_salt("profiles")
                .selected_text("a profile…")
                .show_ui(ui, |ui| {
                    for p in &self.profiles {
                        if ui.selectable_label(false, p).clicked() {
                            load = Some(p.clone());
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            if let Some(p) = load {
                match profiles::load(&p) {
                    Ok(o) => {
                        self.profile_name = p;
                        self.set_options(o);
                    }
                    Err(e) => {
                        session.notice("Could not load the profile", e, true);
                        // It was moved aside: drop it from the menu.
                        self.profiles = profiles::list();
                    }
                }
            }
        });
    }
}
