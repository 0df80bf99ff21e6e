//! Ctrl+M: a mark in tonight's show at the moment of the key, with a name if the performer
//! types one. The moment is taken when the key goes down; a small window then offers the
//! name (Enter sets it, Escape sets the mark without one). A mark left waiting is set as it
//! stands after [`NAME_WAIT`], so a press in the heat of a show is never lost to a window
//! nobody looks at.

use std::time::{Duration, Instant, SystemTime};

use egui::RichText;

use super::ScPanel;

/// How long a mark waits for its name before it is set without one.
pub const NAME_WAIT: Duration = Duration::from_secs(20);

/// A mark whose moment is taken, waiting for its name.
pub struct PendingMark {
    pub at: SystemTime,
    pub since: Instant,
    pub text: String,
    /// The field has been given the keyboard.
    focused: bool,
}

/// The name field's id (tests and the focus use it).
pub const MARK_FIELD: &str = "mark-name";

impl ScPanel {
    /// Ctrl+M: the moment is now; a mark already waiting is set first.
    pub fn mark(&mut self) {
        self.set_pending_mark();
        if self.flight.is_none() {
            self.session().notice(
                "Mark",
                "no show is kept: there is no folder for shows",
                true,
            );
            return;
        }
        self.pending_mark = Some(PendingMark {
            at: SystemTime::now(),
            since: Instant::now(),
            text: String::new(),
            focused: false,
        });
    }

    /// Sets the waiting mark, with what was typed.
    pub fn set_pending_mark(&mut self) {
        let (Some(m), Some(flight)) = (self.pending_mark.take(), &self.flight) else {
            return;
        };
        let text = m.text.trim().to_string();
        flight.mark_at(m.at, &text);
        let said = match flight.error() {
            Some(why) => (format!("not kept: {why}"), true),
            None if text.is_empty() => {
                (format!("set at {}", scpanel_core::clock::hms(m.at)), false)
            }
            None => (
                format!("'{text}' set at {}", scpanel_core::clock::hms(m.at)),
                false,
            ),
        };
        self.session().notice("Mark", said.0, said.1);
    }

    /// The name window, while a mark waits.
    pub(super) fn mark_window(&mut self, ctx: &egui::Context) {
        let Some(m) = &mut self.pending_mark else {
            return;
        };
        let waited = m.since.elapsed();
        if waited >= NAME_WAIT {
            self.set_pending_mark();
            return;
        }
        let mut set = false;
        egui::Window::new("Mark")
            .id(egui::Id::unique("mark-window"))
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 60.0))
            .show(ctx, |ui| {
                ui.label(format!(
                    "A mark at {}. Name it (optional):",
                    scpanel_core::clock::hms(m.at)
                ));
                let field = ui.add(
                    egui::TextEdit::singleline(&mut m.text)
                        .id(egui::Id::unique(MARK_FIELD))
                        .hint_text("verse 2")
                        .desired_width(220.0),
                );
                if !m.focused {
                    field.request_focus();
                    m.focused = true;
                }
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                let escape = ui.input(|i| i.key_pressed(egui::Key::Escape));
                ui.horizontal(|ui| {
                    if ui.button("Set mark").clicked() || enter {
                        set = true;
                    }
                    if ui.button("Without a name").clicked() || escape {
                        m.text.clear();
                        set = true;
                    }
                });
                ui.label(
                    RichText::new(format!(
                        "Set as it is in {} s",
                        NAME_WAIT.saturating_sub(waited).as_secs() + 1
                    ))
                    .weak(),
                );
            });
        if set {
            self.set_pending_mark();
        } else {
            // The countdown moves once a second, and the mark is set when it ends.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }
}
