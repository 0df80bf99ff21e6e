//! The server's output with time stamps, errors highlighted, a count of `late` lines, and
//! copy to the clipboard.

use egui::{Color32, RichText};

use crate::server::Server;
use crate::server::log::Stream;
use crate::server::printable::printable;
use crate::server::process::LineKind;

#[derive(Default)]
pub struct LogPanel {
    pub errors_only: bool,
}

fn clock(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let ms = secs % 1000;
    let s = (secs / 1000) % 86400;
    format!(
        "{:02}:{:02}:{:02}.{ms:03} UTC",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

impl LogPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, server: &Server) {
        let (late, errors) = server.with_log(|l| (l.late, l.errors));
        ui.horizontal(|ui| {
            ui.label(format!("{errors} error line(s)"));
            let late_text = RichText::new(format!("{late} late")).color(if late > 0 {
                Color32::from_rgb(230, 170, 40)
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
        });
        ui.separator();
        let lines: Vec<(String, LineKind, Stream)> = server.with_log(|l| {
            l.lines()
                .filter(|l| {
                    !self.errors_only
                        || matches!(
                            l.kind,
                            LineKind::Error | LineKind::PortInUse | LineKind::NoAudio
                        )
                })
                .map(|l| (format!("{}  {}", clock(l.at), l.text), l.kind, l.stream))
                .collect()
        });
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show_rows(ui, 18.0, lines.len(), |ui, range| {
                for (text, kind, stream) in &lines[range] {
                    let colour = match kind {
                        LineKind::Error | LineKind::PortInUse | LineKind::NoAudio => {
                            Color32::from_rgb(230, 80, 60)
                        }
                        LineKind::Warning | LineKind::Late => Color32::from_rgb(230, 170, 40),
                        LineKind::Ready => Color32::from_rgb(70, 190, 90),
                        LineKind::Normal if *stream == Stream::App => {
                            Color32::from_rgb(140, 160, 200)
                        }
                        LineKind::Normal => ui.visuals().text_color(),
                    };
                    ui.label(RichText::new(printable(text)).monospace().color(colour));
                }
            });
    }
}
