//! The audio setup inside the boot panel: which sound card or PipeWire to boot on, and the
//! JACK server to start for it.

use crate::gui::theme::{Tone, tone};
use egui::RichText;

use crate::gui::actions::{Action, ActionQueue};
use scpanel_core::audio::alsa::Card;
use scpanel_core::audio::jack::{JackDevice, JackSettings, JackStatus, PERIODS, RATES};
use scpanel_core::audio::pipewire::{PROVIDES_JACK, PipeWire, RUNS_WITHOUT_ITS_JACK};

/// What the audio setup knows of the machine, and the JACK server the user would start.
pub struct AudioSetup {
    /// The sound cards, or why they could not be read; `None` until looked for.
    pub cards: Option<Result<Vec<Card>, String>>,
    /// What points at PipeWire's JACK; `None` until looked for.
    pub pipewire: Option<PipeWire>,
    /// Whether a JACK server answers.
    pub jack_status: Option<JackStatus>,
    /// The app runs a JACK server of its own.
    pub own_jack: bool,
    /// The device, rate and period chosen for a JACK server started here.
    pub settings: JackSettings,
    checked: Option<std::time::Instant>,
}

impl Default for AudioSetup {
    fn default() -> Self {
        AudioSetup {
            cards: None,
            pipewire: None,
            jack_status: None,
            own_jack: false,
            settings: JackSettings::dummy(),
            checked: None,
        }
    }
}

/// Periods per buffer offered for a sound card.
const PERIODS_PER_BUFFER: [u32; 3] = [2, 3, 4];

impl AudioSetup {
    /// The sound cards and PipeWire, as looked for.
    pub fn found(&mut self, cards: Result<Vec<Card>, String>, pipewire: PipeWire) {
        self.cards = Some(cards);
        self.pipewire = Some(pipewire);
    }

    /// A JACK server of ours started (or stopped): look again at once.
    pub fn jack_changed(&mut self, own: bool) {
        self.own_jack = own;
        self.checked = None;
    }

    /// Asks for JACK's state now and then (every few seconds while the panel is drawn), and
    /// for the sound cards and PipeWire when the panel first shows or JACK changed.
    pub(super) fn check(&mut self, actions: &mut ActionQueue) {
        if self
            .checked
            .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(5))
        {
            return;
        }
        if self.checked.is_none() {
            actions.push(Action::CheckAudioDevices);
        }
        self.checked = Some(std::time::Instant::now());
        actions.push(Action::CheckJack);
    }

    /// The devices to pick from: the dummy driver, then every card, then each device of a
    /// card that has more than one (HDMI beside the speakers). Only the dummy while PipeWire
    /// holds the cards.
    pub fn devices(&self) -> Vec<(JackDevice, String)> {
        let mut out = vec![(JackDevice::Dummy, "dummy (no sound card)".to_string())];
        let pipewire_holds_cards = self
            .pipewire
            .as_ref()
            .is_some_and(PipeWire::runs_without_its_jack);
        let cards = match &self.cards {
            Some(Ok(cards)) if !pipewire_holds_cards => cards.as_slice(),
            _ => &[],
        };
        for card in cards {
            out.push((
                JackDevice::Alsa {
                    hw: Some(card.hw()),
                    playback: card.plays() || !card.records(),
                    capture: card.records() || !card.plays(),
                },
                format!("{}: {}", card.hw(), card.name),
            ));
            if card.devices.len() > 1 {
                for d in &card.devices {
                    let only = match (d.playback, d.capture) {
                        (true, false) => " (playback only)",
                        (false, true) => " (capture only)",
                        _ => "",
                    };
                    out.push((
                        JackDevice::Alsa {
                            hw: Some(d.hw()),
                            playback: d.playback,
                            capture: d.capture,
                        },
                        format!("{}: {}{only}", d.hw(), d.name),
                    ));
                }
            }
        }
        out
    }

    /// JACK's state, the device, rate and period to start one with, or PipeWire's word that
    /// it needs none.
    pub(super) fn ui(&mut self, ui: &mut egui::Ui, actions: &mut ActionQueue) {
        self.check(actions);
        ui.label(RichText::new("JACK server").strong());
        if let Some(pw) = self.pipewire.as_ref().filter(|pw| pw.provides_jack()) {
            ui.colored_label(tone(ui, Tone::Good), PROVIDES_JACK)
                .on_hover_text(pw.evidence());
            return;
        }
        let running = matches!(self.jack_status, Some(JackStatus::Running { .. }));
        match &self.jack_status {
            None => {
                // Nothing more until JACK has answered (a few milliseconds after the panel
                // first shows): the device grid drawn meanwhile would vanish when a running
                // JACK answers, and everything below it would move up under the pointer.
                ui.weak("Looking for JACK…");
                return;
            }
            Some(JackStatus::Running { playback_ports }) => {
                let ours = if self.own_jack { ", started here" } else { "" };
                ui.colored_label(
                    tone(ui, Tone::Good),
                    format!("JACK is running ({playback_ports} playback ports{ours})"),
                );
            }
            Some(JackStatus::NotRunning) => {
                ui.colored_label(
                    tone(ui, Tone::Warning),
                    "No JACK server runs: Boot starts one (the first sound card, else the dummy driver), or start one here:",
                );
            }
            Some(JackStatus::Unknown(why)) => {
                ui.colored_label(tone(ui, Tone::Warning), why);
            }
        }
        if running {
            // A running JACK's device, rate and period are its own: nothing here changes them.
            if self.own_jack && ui.button("Stop our JACK").clicked() {
                actions.push(Action::StopJack);
            }
            return;
        }
        if let Some(pw) = self
            .pipewire
            .as_ref()
            .filter(|pw| pw.runs_without_its_jack())
        {
            ui.colored_label(tone(ui, Tone::Warning), RUNS_WITHOUT_ITS_JACK)
                .on_hover_text(pw.evidence());
        }
        if let Some(Err(why)) = &self.cards {
            ui.colored_label(tone(ui, Tone::Warning), why);
        } else if let Some(Ok(cards)) = &self.cards
            && cards.is_empty()
        {
            ui.weak(
                "No sound card found (/proc/asound lists none): the dummy driver runs silently.",
            );
        }
        let devices = self.devices();
        let is_dummy = self.settings.device == JackDevice::Dummy;
        egui::Grid::new("jack-settings")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                let label = ui.label("Device");
                let shown = devices
                    .iter()
                    .find(|(d, _)| *d == self.settings.device)
                    .map_or("(gone)", |(_, name)| name.as_str());
                egui::ComboBox::from_id_salt("jack-device")
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        for (device, name) in &devices {
                            ui.selectable_value(&mut self.settings.device, device.clone(), name);
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text("Where JACK takes and sends sound (ALSA's hw:card[,device])");
                ui.end_row();
                let label = ui.label("Rate");
                egui::ComboBox::from_id_salt("jack-rate")
                    .selected_text(format!("{} Hz", self.settings.rate))
                    .show_ui(ui, |ui| {
                        for r in RATES {
                            ui.selectable_value(&mut self.settings.rate, r, format!("{r} Hz"));
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text("JACK's sample rate: scsynth runs at it, whatever -S says");
                ui.end_row();
                let label = ui.label("Period");
                egui::ComboBox::from_id_salt("jack-period")
                    .selected_text(format!("{} frames", self.settings.period))
                    .show_ui(ui, |ui| {
                        for p in PERIODS {
                            ui.selectable_value(
                                &mut self.settings.period,
                                p,
                                format!("{p} frames"),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text(
                        "Frames JACK handles at a time: fewer answer sooner, more are safer from dropouts",
                    );
                ui.end_row();
                let label = ui.label("Periods per buffer");
                ui.add_enabled_ui(!is_dummy, |ui| {
                    egui::ComboBox::from_id_salt("jack-periods")
                        .selected_text(self.settings.periods.to_string())
                        .show_ui(ui, |ui| {
                            for n in PERIODS_PER_BUFFER {
                                ui.selectable_value(&mut self.settings.periods, n, n.to_string());
                            }
                        })
                        .response
                        .labelled_by(label.id)
                        .on_hover_text("2 suits most built-in cards, 3 most USB ones");
                });
                ui.end_row();
            });
        let latency_ms = f64::from(self.settings.period)
            * f64::from(if is_dummy { 1 } else { self.settings.periods })
            / f64::from(self.settings.rate)
            * 1000.0;
        ui.weak(format!("Latency about {latency_ms:.1} ms"));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!self.own_jack && !running, egui::Button::new("Start JACK"))
                .on_hover_text(format!("jackd {}", self.settings.jackd_args().join(" ")))
                .clicked()
            {
                self.checked = None;
                actions.push(Action::StartJack(self.settings.clone()));
            }
            if self.own_jack && ui.button("Stop our JACK").clicked() {
                actions.push(Action::StopJack);
            }
        });
    }
}
