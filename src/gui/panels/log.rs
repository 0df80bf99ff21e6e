//! The server's output with time stamps, one separator per server run, failures in red and
//! `late` lines in amber, a count of each, and copy to the clipboard. It follows new lines
//! until the user scrolls up; then a button says how many arrived and jumps back down.

use crate::gui::theme::{Tone, tone};
use egui::{Color32, RichText};

use scpanel_core::Server;
use scpanel_core::clock::utc_millis as clock;
use scpanel_core::log::LineKind;
use scpanel_core::log::{LogLine, Mark, Stream};
use scpanel_core::osc::printable;

pub(crate) const ROW_HEIGHT: f32 = 18.0;

pub struct LogPanel {
    pub errors_only: bool,
    /// Whether the view stays on the newest line.
    pub following: bool,
    /// The log's line count when the user scrolled away from the bottom.
    left_at: u64,
    /// Scroll to the bottom on the next frame (the catch-up button).
    jump: bool,
    /// How many lines the view held last frame: more means new lines to follow.
    last_len: usize,
}

impl Default for LogPanel {
    fn default() -> Self {
        LogPanel {
            errors_only: false,
            following: true,
            left_at: 0,
            jump: false,
            last_len: 0,
        }
    }
}

/// The button that brings a reader who scrolled up back to the newest line.
pub fn catch_up_label(new_lines: u64) -> String {
    match new_lines {
        1 => "\u{2193} 1 new line".to_string(),
        n => format!("\u{2193} {n} new lines"),
    }
}

fn colour(ui: &egui::Ui, line: &LogLine) -> Color32 {
    if line.is_error() {
        return tone(ui, Tone::Error);
    }
    match line.kind {
        LineKind::Warning | LineKind::Late => tone(ui, Tone::Warning),
        LineKind::Ready => tone(ui, Tone::Good),
        _ if line.mark == Mark::RunStart => ui.visuals().strong_text_color(),
        _ if line.stream == Stream::App => tone(ui, Tone::Note),
        _ => ui.visuals().text_color(),
    }
}

impl LogPanel {
    /// Lines that arrived since the reader scrolled up (0 while following).
    pub fn new_lines(&self, total: u64) -> u64 {
        if self.following {
            0
        } else {
            total.saturating_sub(self.left_at)
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, server: &Server) {
        let (late, errors, total) = server.with_log(|l| (l.late, l.errors, l.total));
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("{errors} error line(s)"));
            let late_text = RichText::new(format!("{late} late")).color(if late > 0 {
                tone(ui, Tone::Warning)
            } else {
                ui.visuals().text_color()
            });
            ui.label(late_text).on_hover_text(
                "Bundles that arrived after their time: raise the latency of the sender",
            );
            ui.checkbox(&mut self.errors_only, "Errors only");
            if ui.button("Copy all").clicked() {
                let text = server.with_log(|l| {
                    l.lines()
                        .map(|l| format!("{} {}", clock(l.at), l.text))
                        .collect::<Vec<_>>()
                        .join("\n")
                });
                ui.ctx().copy_text(text);
            }
            let new = self.new_lines(total);
            if !self.following
                // Monospace: the proportional font has no U+2193.
                && ui
                    .button(RichText::new(catch_up_label(new)).monospace())
                    .on_hover_text("Jump to the newest line and follow again")
                    .clicked()
            {
                self.following = true;
                self.jump = true;
            }
        });
        ui.separator();
        let errors_only = self.errors_only;
        let lines: Vec<LogLine> = server.with_log(|l| {
            l.lines()
                .filter(|l| !errors_only || l.is_error() || l.mark == Mark::RunStart)
                .cloned()
                .collect()
        });
        let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
        // Following moves the view to the end when the list changes, and only then: a view
        // moved every frame would undo the wheel of a reader scrolling up. (egui's
        // stick_to_bottom did not keep this view at the end: the "does not follow" of issue 13.)
        let forced = self.jump || (self.following && lines.len() != self.last_len);
        if forced {
            let row = ROW_HEIGHT + ui.spacing().item_spacing.y;
            area = area.vertical_scroll_offset(lines.len() as f32 * row);
            self.jump = false;
        }
        self.last_len = lines.len();
        let out = area.show_rows(ui, ROW_HEIGHT, lines.len(), |ui, range| {
            for line in &lines[range] {
                let text = format!("{}  {}", clock(line.at), printable(&line.text));
                let mut rich = RichText::new(text).monospace().color(colour(ui, line));
                if line.mark == Mark::RunStart {
                    rich = rich.strong().background_color(ui.visuals().faint_bg_color);
                }
                ui.label(rich);
            }
        });
        // At the bottom (within a row): follow. Away from it in a frame we did not move: the
        // reader scrolled up; stop, and count what arrives from now on.
        let bottom = (out.content_size.y - out.inner_rect.height()).max(0.0);
        let offset = out.state.unclamped_offset().y.min(bottom);
        if offset >= bottom - ROW_HEIGHT {
            self.following = true;
        } else if self.following && !forced {
            self.following = false;
            self.left_at = total;
        }
    }
}
