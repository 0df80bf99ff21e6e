//! The boot panel once a server is online: none of its options change a running server, so
//! it folds to one line saying what runs, with "Edit…" to open it again.

use super::BootPanel;
use crate::gui::actions::SessionId;
use crate::gui::actions::{Action, ActionQueue};
use crate::gui::session::Session;

/// `scsynth 3.13.0 · 48 kHz · 2 in / 2 out · UDP 57110`.
pub(crate) fn summary(
    program: &str,
    rate: Option<f64>,
    inputs: u32,
    outputs: u32,
    protocol: &str,
    port: u16,
) -> String {
    let mut parts = vec![program.to_string()];
    if let Some(r) = rate.filter(|r| r.is_finite() && *r > 0.0) {
        parts.push(if (r / 1000.0).fract() == 0.0 {
            format!("{:.0} kHz", r / 1000.0)
        } else {
            format!("{:.1} kHz", r / 1000.0)
        });
    }
    parts.push(format!("{inputs} in / {outputs} out"));
    parts.push(format!("{} {port}", protocol.to_uppercase()));
    parts.join(" \u{B7} ")
}

impl BootPanel {
    /// The server's version, answered for the session that asked.
    pub fn version_known(&mut self, session: SessionId, version: String) {
        self.version = Some((session, version));
    }

    pub(super) fn folded(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        actions: &mut ActionQueue,
    ) {
        let known = self
            .version
            .as_ref()
            .filter(|(id, _)| *id == session.id)
            .map(|(_, v)| v.clone());
        if known.is_none() && self.version_asked != Some(session.id) {
            self.version_asked = Some(session.id);
            actions.push(Action::Version);
        }
        let program = known.unwrap_or_else(|| {
            if self.options.is_supernova() {
                "supernova".into()
            } else {
                "scsynth".into()
            }
        });
        let server = &session.server;
        let rate = server.latest_status().map(|s| s.nominal_sample_rate);
        let text = match server.attachment() {
            Some(a) => summary(
                &program,
                rate,
                a.layout.input_channels,
                a.layout.output_channels,
                a.protocol.as_str(),
                a.addr.port(),
            ),
            None => program,
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(text);
            if ui
                .button("Edit\u{2026}")
                .on_hover_text(
                    "Show the boot options: they take effect when the server boots again",
                )
                .clicked()
            {
                self.editing = true;
            }
        });
        // What the last boot found about the running server stays in sight, folded or not.
        if let Some(why) = &self.rate_mismatch {
            ui.colored_label(
                crate::gui::theme::tone(ui, crate::gui::theme::Tone::Warning),
                format!("Last boot: {why}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn the_folded_line_says_what_runs() {
        assert_eq!(
            summary("scsynth 3.13.0", Some(48_000.0), 2, 2, "udp", 57110),
            "scsynth 3.13.0 \u{B7} 48 kHz \u{B7} 2 in / 2 out \u{B7} UDP 57110"
        );
        assert_eq!(
            summary("supernova", Some(44_100.0), 0, 8, "tcp", 57111),
            "supernova \u{B7} 44.1 kHz \u{B7} 0 in / 8 out \u{B7} TCP 57111"
        );
        assert_eq!(
            summary("scsynth", None, 2, 2, "udp", 57110),
            "scsynth \u{B7} 2 in / 2 out \u{B7} UDP 57110"
        );
    }
}
