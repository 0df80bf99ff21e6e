//! Boot options, drawn entirely from the core's option table: one field per row, grouped,
//! each with its help as a tooltip, checked as you type, with the exact command line.

use std::collections::HashMap;
use std::path::PathBuf;

use super::theme::{Tone, tone};
use egui::RichText;

use super::actions::{Action, ActionQueue, Pick};
use super::profiles;
use super::session::Session;
use crate::server::host::find;
use crate::server::model::options::{
    Kind, OPEN_NETWORK_RISK, OPTIONS, OptionGroup, Options, PRESETS, TCP_PASSWORD_RISK, Value,
};

/// An empty value, shown so the reader sees it is empty.
fn shown(v: &str) -> &str {
    if v.is_empty() { "(none)" } else { v }
}

pub struct BootPanel {
    /// The options as last parsed from the fields (only valid fields are applied).
    pub options: Options,
    /// Each field's text, as typed.
    texts: HashMap<&'static str, String>,
    /// Per-field parse errors.
    field_errors: HashMap<&'static str, String>,
    pub executable_text: String,
    profile_name: String,
    profiles: Vec<String>,
    /// What the last preset applied is for, shown until other options are loaded.
    preset_note: Option<&'static str>,
    /// The 0.0.0.0 question is open (see [`BootPanel::ask_about_network`]).
    asking_network: bool,
    /// A preset (by its place in `PRESETS`; `None` inside for the defaults) waiting for Apply.
    pub preset_preview: Option<Option<usize>>,
    /// The rate the running JACK server has (scsynth runs at it whatever `-S` says).
    pub jack_rate: Option<u32>,
    jack_rate_checked: Option<std::time::Instant>,
}

/// One field a preset would change: its label, the value now, the value after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub label: &'static str,
    pub before: String,
    pub after: String,
}

/// Every field that differs between two sets of options, in the option table's order.
pub fn changes(before: &Options, after: &Options) -> Vec<FieldChange> {
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

/// The warning for a `-S` JACK will not honour, if it differs from JACK's rate.
pub fn sample_rate_warning(asked: u32, jack: Option<u32>) -> Option<String> {
    let jack = jack?;
    (asked != 0 && asked != jack).then(|| {
        format!(
            "JACK runs at {jack} Hz: scsynth ignores -S {asked} under JACK and will run at \
             {jack} Hz. Restart JACK at {asked} Hz, or set 0 to follow JACK."
        )
    })
}

impl BootPanel {
    pub fn new(options: Options) -> Self {
        let mut p = BootPanel {
            executable_text: options
                .executable
                .as_ref()
                .map(|e| e.display().to_string())
                .unwrap_or_default(),
            options,
            texts: HashMap::new(),
            field_errors: HashMap::new(),
            profile_name: String::new(),
            profiles: profiles::list(),
            preset_note: None,
            asking_network: false,
            preset_preview: None,
            jack_rate: None,
            jack_rate_checked: None,
        };
        p.reload_texts();
        p
    }

    fn reload_texts(&mut self) {
        self.texts = OPTIONS
            .iter()
            .map(|d| (d.key, (d.get)(&self.options).to_string()))
            .collect();
        self.field_errors.clear();
        self.executable_text = self
            .options
            .executable
            .as_ref()
            .map(|e| e.display().to_string())
            .unwrap_or_default();
    }

    pub fn set_options(&mut self, options: Options) {
        self.options = options;
        self.preset_note = None;
        self.reload_texts();
    }

    /// Before booting on every interface without a password, asks once whether that is meant;
    /// the answer is kept in the options (and so in `last.toml` and profiles). True while the
    /// question is open: boot waits for [`BootPanel::network_question`].
    pub fn ask_about_network(&mut self) -> bool {
        self.asking_network = self.options.open_to_anyone() && !self.options.open_network_accepted;
        self.asking_network
    }

    /// Draws the 0.0.0.0 question while it is open; true in the frame the user agrees.
    pub fn network_question(&mut self, ctx: &egui::Context) -> bool {
        if !self.asking_network {
            return false;
        }
        let mut agreed = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::unique("open-network-question")).show(ctx, |ui| {
            ui.heading("Boot on every network?");
            ui.label(format!("{}.", capitalised(OPEN_NETWORK_RISK)));
            ui.label(
                "Do this only on a network you trust, such as a classroom's. \
                 You are asked once: the answer is kept with these options.",
            );
            ui.horizontal(|ui| {
                agreed = ui.button("Boot on every network").clicked();
                cancel = ui.button("Cancel").clicked();
            });
        });
        if agreed {
            self.options.open_network_accepted = true;
        }
        // Escape or a click beside the question is a "no", as Cancel.
        if agreed || cancel || modal.should_close() {
            self.asking_network = false;
        }
        agreed
    }

    /// Why Boot is not possible, if it isn't.
    pub fn blocker(&self) -> Option<String> {
        if let Some((key, e)) = self.field_errors.iter().next() {
            let label = Options::def(key).map_or(*key, |d| d.label);
            return Some(format!("{label}: {e}"));
        }
        if let Some(p) = self.options.problems().into_iter().next() {
            return Some(p.message);
        }
        if let Err(e) = find::find_executable(self.options.executable.as_deref()) {
            return Some(e.to_string());
        }
        None
    }

    /// What the user should know before booting, though it does not stop the boot.
    pub fn warning(&self) -> Option<String> {
        sample_rate_warning(self.options.sample_rate, self.jack_rate)
    }

    /// Asks JACK for its rate now and then (every few seconds while the panel is drawn).
    fn check_jack_rate(&mut self, actions: &mut ActionQueue) {
        if self
            .jack_rate_checked
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(5))
        {
            return;
        }
        self.jack_rate_checked = Some(std::time::Instant::now());
        actions.push(Action::CheckJackRate);
    }

    fn problem_for(&self, key: &str) -> Option<String> {
        self.field_errors.get(key).cloned().or_else(|| {
            self.options
                .problems()
                .into_iter()
                .find(|p| p.key == key)
                .map(|p| p.message)
        })
    }

    /// The server program chosen in the Browse… dialog.
    pub fn picked(&mut self, path: PathBuf) {
        self.executable_text = path.display().to_string();
        self.options.executable = Some(path);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &Session, actions: &mut ActionQueue) {
        if self.options.sample_rate != 0 {
            self.check_jack_rate(actions);
        }
        self.presets_and_profiles(ui, session);
        ui.separator();
        self.executable(ui, actions);
        for group in OptionGroup::ALL {
            egui::CollapsingHeader::new(group.label())
                .default_open(matches!(group, OptionGroup::Network | OptionGroup::Audio))
                .show(ui, |ui| {
                    egui::Grid::new(("boot-grid", group.label()))
                        .num_columns(2)
                        .spacing([8.0, 4.0])
                        .show(ui, |ui| {
                            for def in OPTIONS.iter().filter(|d| d.group == group) {
                                self.field(ui, def, session);
                            }
                        });
                    if group == OptionGroup::Audio {
                        ui.checkbox(
                            &mut self.options.connect_jack_ports,
                            "Connect to the system's speakers and inputs (JACK)",
                        )
                        .on_hover_text(
                            "At boot, scsynth's outputs go to the system's playback ports and its \
                             inputs come from the capture ports, as sclang does \
                             (SC_JACK_DEFAULT_OUTPUTS / SC_JACK_DEFAULT_INPUTS). The log says \
                             what was connected.",
                        );
                    }
                });
        }
        ui.separator();
        ui.label(RichText::new("Command line").strong());
        let program = self.executable_text.clone();
        let program = if program.is_empty() {
            find::find_executable(None)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "scsynth".into())
        } else {
            program
        };
        let mut preview = self.options.command_line(&program);
        ui.add(
            egui::TextEdit::multiline(&mut preview)
                .code_editor()
                .desired_rows(2)
                .desired_width(f32::INFINITY)
                .interactive(false),
        )
        .on_hover_text("Exactly what will be run");
    }

    fn field(
        &mut self,
        ui: &mut egui::Ui,
        def: &'static crate::server::model::options::OptionDef,
        session: &Session,
    ) {
        let label = ui.label(def.label).on_hover_text(def.help);
        let supernova_only = def.supernova_only && !self.options.is_supernova();
        ui.horizontal(|ui| {
            ui.add_enabled_ui(!supernova_only, |ui| match def.kind {
                Kind::Bool => {
                    let mut on = matches!((def.get)(&self.options), Value::Bool(true));
                    if ui
                        .checkbox(&mut on, "")
                        .labelled_by(label.id)
                        .on_hover_text(def.help)
                        .changed()
                    {
                        let _ = (def.set)(&mut self.options, Value::Bool(on));
                        self.texts.insert(def.key, Value::Bool(on).to_string());
                    }
                }
                Kind::Protocol => {
                    let mut current = self.options.protocol;
                    let before = current;
                    egui::ComboBox::from_id_salt(def.key)
                        .selected_text(current.as_str().to_uppercase())
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut current, crate::server::Protocol::Udp, "UDP");
                            ui.selectable_value(&mut current, crate::server::Protocol::Tcp, "TCP");
                        })
                        .response
                        .labelled_by(label.id)
                        .on_hover_text(def.help);
                    if current != before {
                        self.options.protocol = current;
                        self.texts.insert(def.key, current.as_str().into());
                    }
                }
                Kind::Int { .. } | Kind::Text => {
                    let text = self.texts.entry(def.key).or_default();
                    let width = if matches!(def.kind, Kind::Int { .. }) {
                        90.0
                    } else {
                        180.0
                    };
                    let edit = egui::TextEdit::singleline(text)
                        .desired_width(width)
                        .password(def.secret);
                    let resp = ui.add(edit).labelled_by(label.id).on_hover_text(def.help);
                    if resp.changed() {
                        let text = text.clone();
                        match def
                            .parse(&text)
                            .and_then(|v| (def.set)(&mut self.options, v))
                        {
                            Ok(()) => {
                                self.field_errors.remove(def.key);
                            }
                            Err(e) => {
                                self.field_errors.insert(def.key, e);
                            }
                        }
                    }
                    if def.key == "port" && ui.button("Find a free port").clicked() {
                        match crate::server::wire::transport::find_free_port() {
                            Some(p) => {
                                self.options.port = p;
                                self.texts.insert("port", p.to_string());
                                self.field_errors.remove("port");
                            }
                            None => {
                                session.notice("No free port", "Could not find a free port", true)
                            }
                        }
                    }
                }
            });
        });
        ui.end_row();
        if let Some(problem) = self.problem_for(def.key) {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Error), problem);
            ui.end_row();
        }
        if def.key == "bind_address" && self.options.open_to_anyone() {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Warning), capitalised(OPEN_NETWORK_RISK));
            ui.end_row();
        }
        if def.key == "password" {
            ui.label("");
            ui.checkbox(&mut self.options.remember_password, "Remember password")
                .on_hover_text(
                    "Keep the password in the saved options (a file only you can read). \
                     Off: it is left out, and typed again after a restart.",
                );
            ui.end_row();
            if self.options.protocol == crate::server::Protocol::Tcp
                && !self.options.password.is_empty()
            {
                ui.label("");
                ui.colored_label(tone(ui, Tone::Warning), capitalised(TCP_PASSWORD_RISK));
                ui.end_row();
            }
        }
        if def.key == "sample_rate"
            && let Some(w) = self.warning()
        {
            ui.label("");
            ui.colored_label(tone(ui, Tone::Warning), w);
            ui.end_row();
        }
        if supernova_only {
            ui.label("");
            ui.weak("(supernova only)");
            ui.end_row();
        }
    }

    fn executable(&mut self, ui: &mut egui::Ui, actions: &mut ActionQueue) {
        ui.horizontal(|ui| {
            let label = ui.label("Server program");
            let resp = ui
                .add(
                    egui::TextEdit::singleline(&mut self.executable_text)
                        .hint_text("found automatically")
                        .desired_width(220.0),
                )
                .labelled_by(label.id)
                .on_hover_text(
                    "scsynth or supernova; empty finds one ($SCPANEL_SCSYNTH, PATH, usual places)",
                );
            if resp.changed() {
                let t = self.executable_text.trim();
                self.options.executable = (!t.is_empty()).then(|| PathBuf::from(t));
            }
            if ui.button("Browse…").clicked() {
                actions.push(Action::PickFile(Pick::Executable));
            }
        });
        match find::find_executable(self.options.executable.as_deref()) {
            Ok(p) => {
                let kind = if p.to_string_lossy().contains("supernova") {
                    "supernova"
                } else {
                    "scsynth"
                };
                ui.weak(format!("Using {} ({kind})", p.display()));
            }
            Err(e) => {
                ui.colored_label(tone(ui, Tone::Error), e.to_string());
            }
        }
    }

    /// The options a preset would give, from the ones now in the fields.
    fn preset_result(&self, which: Option<usize>) -> Options {
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
    fn preset_preview(&mut self, ui: &mut egui::Ui) {
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

    fn presets_and_profiles(&mut self, ui: &mut egui::Ui, session: &Session) {
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

fn capitalised(sentence: &str) -> String {
    let mut chars = sentence.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
