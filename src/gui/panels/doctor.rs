//! "Why no sound?": the doctor's findings in a window of their own, most serious first, each
//! with its Fix button where the doctor has one; after a fix the doctor looks again. The
//! findings a show brings by itself (xruns, CPU, late bundles, a SynthDef asked for in vain)
//! are a quiet badge beside the status bar's button, never a window of their own.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::gui::actions::SessionId;
use crate::gui::theme::{self, TextRole, Tone, tone};
use scpanel_core::doctor::{Finding, Fix, Report, Severity, sclang_synthdef_dir};

/// What the window asked for this frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// Look (again).
    Examine,
    /// Apply this fix, then look again.
    Fix(Fix),
}

/// The folders of SynthDef files the user added, kept across starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Saved {
    #[serde(default)]
    synthdef_dirs: Vec<PathBuf>,
}

/// How often the badge's findings are looked at again, at most.
const BADGE_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct DoctorPanel {
    /// The window is open.
    pub open: bool,
    /// The last report, and the session it is about.
    report: Option<(SessionId, Report)>,
    /// A look is under way.
    pub running: bool,
    /// Why the last look failed.
    error: Option<(SessionId, String)>,
    /// A fix was applied: look again once it lands.
    pub awaiting_fix: bool,
    /// Folders of `.scsyndef` files to learn graphs from, beside sclang's own.
    pub folders: Folders,
    /// The show's own findings for the status bar's badge, and when they were read.
    badge: Vec<Finding>,
    badge_read: Option<(SessionId, Instant)>,
}

/// The folders of SynthDef files the user added (a setting, kept in `doctor.toml`).
#[derive(Default)]
pub struct Folders {
    pub dirs: Vec<PathBuf>,
    field: String,
    /// Why the folder typed was not added.
    field_error: Option<String>,
    loaded: bool,
}

impl Folders {
    fn path() -> Option<PathBuf> {
        crate::gui::profiles::folder().map(|d| d.join("doctor.toml"))
    }

    /// The folders the user added, read once.
    pub fn list(&mut self) -> Vec<PathBuf> {
        if !self.loaded {
            self.loaded = true;
            if let Some(path) = Self::path()
                && let Ok(bytes) =
                    scpanel_core::files::read_bounded(&path, 64 * 1024, "settings file")
            {
                let saved: Saved =
                    toml::from_str(&String::from_utf8_lossy(&bytes)).unwrap_or_default();
                self.dirs = saved.synthdef_dirs;
            }
        }
        self.dirs.clone()
    }

    fn save(&self) -> Result<(), String> {
        let path = Self::path().ok_or("no folder for settings")?;
        let text = toml::to_string(&Saved {
            synthdef_dirs: self.dirs.clone(),
        })
        .map_err(|e| e.to_string())?;
        scpanel_core::files::write_atomic(&path, text.as_bytes(), false, "settings file")
            .map_err(|e| e.to_string())
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        egui::CollapsingHeader::new("SynthDef folders")
            .id_salt("doctor-folders")
            .show(ui, |ui| {
                ui.label(
                    "Which buses a synth reads and writes comes from its SynthDef's graph: \
                     scpanel's own, files loaded here, sclang's folder and these. A SynthDef \
                     sent with .add and kept nowhere is judged by its control names.",
                );
                if let Some(d) = sclang_synthdef_dir() {
                    ui.label(format!("sclang's: {}", d.display()));
                }
                let mut remove = None;
                for (i, d) in self.dirs.iter().enumerate() {
                    ui.horizontal(|ui| {
                        ui.label(d.display().to_string());
                        if ui.small_button("Remove").clicked() {
                            remove = Some(i);
                        }
                    });
                }
                let mut changed = false;
                if let Some(i) = remove {
                    self.dirs.remove(i);
                    changed = true;
                }
                ui.horizontal(|ui| {
                    let label = ui.label("Add a folder");
                    ui.text_edit_singleline(&mut self.field)
                        .labelled_by(label.id);
                    let typed = !self.field.trim().is_empty();
                    if ui
                        .add_enabled(typed, egui::Button::new("Add"))
                        .on_disabled_hover_text("Type the path of an existing folder")
                        .clicked()
                    {
                        // Looked at on the click, not every frame the field shows.
                        let path = PathBuf::from(self.field.trim());
                        if path.is_dir() {
                            self.dirs.push(path);
                            self.field.clear();
                            self.field_error = None;
                            changed = true;
                        } else {
                            self.field_error = Some(format!("{} is not a folder", path.display()));
                        }
                    }
                });
                if let Some(why) = &self.field_error {
                    ui.colored_label(tone(ui, Tone::Error), why);
                }
                if changed && let Err(e) = self.save() {
                    ui.colored_label(tone(ui, Tone::Error), format!("Not saved: {e}"));
                }
            });
    }
}

impl DoctorPanel {
    /// A look began.
    pub fn started(&mut self) {
        self.running = true;
        self.open = true;
    }

    /// The doctor's answer for `session`.
    pub fn diagnosed(&mut self, session: SessionId, report: Report) {
        self.running = false;
        self.error = None;
        self.report = Some((session, report));
    }

    /// The look failed.
    pub fn failed(&mut self, session: SessionId, why: String) {
        self.running = false;
        self.error = Some((session, why));
    }

    /// The show's findings, read again when a second has passed (or the session changed).
    pub fn badge(&mut self, session: SessionId, read: impl FnOnce() -> Vec<Finding>) -> &[Finding] {
        let stale = self
            .badge_read
            .is_none_or(|(s, at)| s != session || at.elapsed() >= BADGE_EVERY);
        if stale {
            self.badge = read();
            self.badge_read = Some((session, Instant::now()));
        }
        &self.badge
    }

    /// The window, for the session the panels draw. Returns what was asked.
    pub fn ui(&mut self, ctx: &egui::Context, session: SessionId) -> Option<Asked> {
        if !self.open {
            return None;
        }
        let mut asked = None;
        let mut open = true;
        // Below the tabs and centred, clear of the status bar's buttons; as wide as the
        // findings read well, never wider than the window.
        let screen = ctx.content_rect();
        egui::Window::new("Why no sound?")
            .open(&mut open)
            .pivot(egui::Align2::CENTER_TOP)
            .default_pos(screen.center_top() + egui::vec2(0.0, screen.height() * 0.1))
            .default_width((screen.width() * 0.6).clamp(360.0, 640.0))
            .default_height(screen.height() * 0.6)
            .resizable(true)
            .vscroll(false)
            .show(ctx, |ui| {
                asked = self.body(ui, session);
            });
        self.open = open;
        asked
    }

    fn body(&mut self, ui: &mut egui::Ui, session: SessionId) -> Option<Asked> {
        let mut asked = None;
        let report = self
            .report
            .as_ref()
            .filter(|(s, _)| *s == session)
            .map(|(_, r)| r);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!self.running, egui::Button::new("Look again"))
                .on_hover_text("Run the doctor again")
                .clicked()
            {
                asked = Some(Asked::Examine);
            }
            if self.running {
                ui.spinner();
                ui.label("Looking at the server…");
            } else if let Some((_, why)) = self.error.as_ref().filter(|(s, _)| *s == session) {
                ui.colored_label(tone(ui, Tone::Error), format!("Could not look: {why}"));
            } else if let Some(r) = report {
                let blocking = r
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::BlocksSound)
                    .count();
                if blocking == 0 {
                    ui.colored_label(tone(ui, Tone::Good), "Nothing found that stops the sound.");
                } else {
                    ui.colored_label(
                        tone(ui, Tone::Error),
                        format!(
                            "{blocking} thing{} stop{} the sound.",
                            if blocking == 1 { "" } else { "s" },
                            if blocking == 1 { "s" } else { "" }
                        ),
                    );
                }
            }
        });
        // Above the findings, so a small window always reaches it.
        self.folders.ui(ui);
        ui.separator();
        let Some(report) = report else {
            return asked;
        };
        let running = self.running;
        // Everything below the headline scrolls, so a small window reaches all of it.
        egui::ScrollArea::vertical()
            .auto_shrink([false, true])
            .max_height(ui.ctx().content_rect().height() * 0.7)
            .show(ui, |ui| {
                for (i, f) in report.findings.iter().enumerate() {
                    ui.push_id(("finding", i), |ui| {
                        if let Some(fix) = finding(ui, f, !running) {
                            asked = Some(Asked::Fix(fix));
                        }
                    });
                    ui.add_space(theme::space::SMALL);
                }
                ui.label(theme::text(TextRole::Caption, report.looked_at()));
                if !report.unchecked.is_empty() {
                    egui::CollapsingHeader::new(format!(
                        "Not checked ({})",
                        report.unchecked.len()
                    ))
                    .id_salt("doctor-unchecked")
                    .show(ui, |ui| {
                        for u in &report.unchecked {
                            ui.label(u);
                        }
                    });
                }
            });
        asked
    }
}

/// One finding: its weight, its sentence, what to do, and its Fix button.
fn finding(ui: &mut egui::Ui, f: &Finding, can_fix: bool) -> Option<Fix> {
    let mut clicked = None;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let (word, colour) = match f.severity {
                Severity::BlocksSound => ("No sound", tone(ui, Tone::Error)),
                Severity::Warning => ("Warning", tone(ui, Tone::Warning)),
                Severity::Info => ("Note", ui.visuals().weak_text_color()),
            };
            ui.colored_label(colour, egui::RichText::new(word).strong());
            ui.label(theme::text(TextRole::Caption, f.kind.as_str()));
            if f.guessed {
                ui.label(theme::text(TextRole::Caption, "guessed"))
                    .on_hover_text(
                        "The buses were guessed from the synths' control names (out, in, bus): \
                         no graph of their SynthDef is at hand. Add the folder its file is in.",
                    );
            }
        });
        ui.label(&f.message);
        if let Some(a) = &f.advice {
            ui.label(egui::RichText::new(a).color(ui.visuals().weak_text_color()));
        }
        for b in &f.basis {
            ui.label(theme::text(TextRole::Caption, b));
        }
        if let Some(fix) = &f.fix
            && ui
                .add_enabled(can_fix, egui::Button::new(fix.label()))
                .clicked()
        {
            clicked = Some(fix.clone());
        }
    });
    clicked
}

/// The badge's words: how many, and each finding's sentence for its tooltip.
pub fn badge_text(findings: &[Finding]) -> Option<(String, String)> {
    if findings.is_empty() {
        return None;
    }
    let tip = findings
        .iter()
        .map(|f| f.message.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    Some((format!("!{}", findings.len()), tip))
}
