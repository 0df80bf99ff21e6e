//! The buses the Scope and Spectrum tabs look at, with the picker both draw, and the
//! capture's status line both show.

use crate::gui::scope_feed::ScopeView;
use scpanel_core::scope::MAX_CHANNELS;

/// The buses a scope (and the spectrum) looks at, shared by both tabs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopeSource {
    pub bus: u32,
    pub channels: usize,
    /// What the buses are, when picked from a node ("what synth 1005 writes").
    pub label: Option<String>,
    /// Set once the user (or a node's menu) chose; until then, the hardware outputs.
    pub chosen: bool,
}

impl Default for ScopeSource {
    fn default() -> Self {
        ScopeSource {
            bus: 0,
            channels: 2,
            label: None,
            chosen: false,
        }
    }
}

impl ScopeSource {
    /// The hardware outputs, up to 8 of them.
    pub fn outputs(output_channels: u32) -> Self {
        ScopeSource {
            bus: 0,
            channels: (output_channels as usize).clamp(1, MAX_CHANNELS),
            label: None,
            chosen: false,
        }
    }

    pub fn describe(&self) -> String {
        let buses = if self.channels == 1 {
            format!("bus {}", self.bus)
        } else {
            format!(
                "buses {}–{}",
                self.bus,
                self.bus as usize + self.channels - 1
            )
        };
        match &self.label {
            Some(l) => format!("{l} ({buses})"),
            None => buses,
        }
    }

    /// The bus range picker: first bus and channel count, and a way back to the outputs.
    pub fn ui(&mut self, ui: &mut egui::Ui, audio_buses: u32, output_channels: u32) {
        let label = ui.label("Bus");
        let mut bus = self.bus;
        let r = ui
            .add(egui::DragValue::new(&mut bus).range(0..=audio_buses.saturating_sub(1)))
            .labelled_by(label.id);
        let label = ui.label("Channels");
        let mut channels = self.channels;
        let c = ui
            .add(egui::DragValue::new(&mut channels).range(1..=MAX_CHANNELS))
            .labelled_by(label.id);
        if r.changed() || c.changed() {
            self.bus = bus;
            self.channels = channels;
            self.label = None;
            self.chosen = true;
        }
        if ui
            .button("Outputs")
            .on_hover_text("The hardware outputs (buses from 0)")
            .clicked()
        {
            *self = ScopeSource {
                chosen: true,
                ..ScopeSource::outputs(output_channels)
            };
        }
    }
}

/// The capture's figures: rate, network cost, losses; or why there is no picture.
pub(crate) fn status_line(source: &ScopeSource, view: &ScopeView) -> String {
    if let Some(p) = &view.problem {
        return p.clone();
    }
    if view.starting {
        return format!("Starting the scope on {}…", source.describe());
    }
    let Some(f) = &view.frame else {
        return format!("Waiting for {}…", source.describe());
    };
    let s = f.stats;
    let mut text = format!(
        "{} · {:.0} updates/s · {:.0} KB/s per channel over the network",
        source.describe(),
        s.updates_per_sec,
        s.bytes_per_sec_per_channel / 1000.0
    );
    if s.lost > 0 || s.skipped > 0 {
        text.push_str(&format!(
            " · {} reads lost, {} reports passed over",
            s.lost, s.skipped
        ));
    }
    if s.not_numbers > 0 {
        text.push_str(&format!(
            " · {} samples not numbers, shown as 0",
            s.not_numbers
        ));
    }
    if s.restarts > 0 {
        text.push_str(&format!(" · put back {}× after a reset", s.restarts));
    }
    text
}
