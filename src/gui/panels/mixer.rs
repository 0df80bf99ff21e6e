//! Level meters, master volume and mute, recording, and the audio setup (JACK).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::gui::icons;
use crate::gui::theme::{self, Tone, tone};
use egui::{Color32, RichText};

use crate::gui::actions::{Action, ActionQueue, Pick};
use crate::gui::session::Session;

use scpanel_core::levels::{
    BusMeter, BusMeterSpec, ChannelLevel, FLOOR_DB, MAX_BUS_METER_CHANNELS, MAX_BUS_METERS,
};
use scpanel_core::recording::{HeaderFormat, RecordOptions, SampleFormat};

pub struct MixerPanel {
    pub record_path: String,
    header: HeaderFormat,
    sample: SampleFormat,
    channels: u32,
    /// Each meter's held peak and when it was reached.
    held: HashMap<MeterKey, (f32, Instant)>,
    /// Each meter's last clip, lit until the light is clicked.
    clips: HashMap<MeterKey, Instant>,
    /// When each light was last cleared: clips up to then are seen.
    cleared: HashMap<MeterKey, Instant>,
    /// The "Add a meter" form.
    new_meter: NewBusMeter,
    /// "Why no sound?" was clicked here: the app opens the doctor.
    pub why_asked: bool,
}

/// One meter bar: a hardware input or output channel, or a channel of a bus meter's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum MeterKey {
    In(usize),
    Out(usize),
    Bus { slot: usize, channel: usize },
}

/// What the "Add a meter" form holds.
struct NewBusMeter {
    bus: u32,
    channels: usize,
    name: String,
}

impl Default for NewBusMeter {
    fn default() -> Self {
        NewBusMeter {
            bus: 0,
            channels: 2,
            name: String::new(),
        }
    }
}

/// How long a peak is held on a meter before the line falls back.
pub(crate) const PEAK_HOLD: Duration = Duration::from_secs(2);

impl Default for MixerPanel {
    fn default() -> Self {
        MixerPanel {
            // A folder: each recording gets a timestamped name in it.
            record_path: scpanel_core::recording::default_folder()
                .display()
                .to_string(),
            header: HeaderFormat::Wav,
            sample: SampleFormat::Int24,
            channels: 2,
            held: Default::default(),
            clips: Default::default(),
            cleared: Default::default(),
            new_meter: NewBusMeter::default(),
            why_asked: false,
        }
    }
}

fn meter(ui: &mut egui::Ui, label: &str, level: &ChannelLevel, held: f32, now: Instant) {
    // Focusable, so the keyboard and a screen reader can stop on it and read its level.
    let (rect, resp) = ui.allocate_exact_size(
        egui::vec2(18.0, 160.0),
        egui::Sense::focusable_noninteractive(),
    );
    let value = level.describe(now);
    ui.ctx().accesskit_node_builder(resp.id, |n| {
        n.set_role(egui::accesskit::Role::Meter);
        n.set_label(format!("{label} level"));
        n.set_value(value);
        n.set_min_numeric_value(f64::from(FLOOR_DB));
        n.set_max_numeric_value(0.0);
        n.set_numeric_value(f64::from(level.peak_db.max(FLOOR_DB)));
    });
    if resp.has_focus() {
        ui.painter().rect_stroke(
            rect.expand(2.0),
            2.0,
            ui.visuals().selection.stroke,
            egui::StrokeKind::Outside,
        );
    }
    let p = ui.painter();
    p.rect_filled(rect, theme::radius::SMALL, theme::METER_BACK);
    let frac = |db: f32| ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0);
    let rms_top = rect.bottom() - rect.height() * frac(level.rms_db);
    let colour = theme::level_colour(level.rms_db, false);
    p.rect_filled(
        egui::Rect::from_min_max(egui::pos2(rect.left(), rms_top), rect.max),
        2.0,
        colour,
    );
    let peak_y = rect.bottom() - rect.height() * frac(level.peak_db);
    p.hline(
        rect.x_range(),
        peak_y,
        egui::Stroke::new(2.0, theme::LEVEL_PEAK),
    );
    // The held peak: a thin line that stays where the peak was for a moment.
    if held > FLOOR_DB {
        let y = rect.bottom() - rect.height() * frac(held);
        p.hline(rect.x_range(), y, egui::Stroke::new(1.0, theme::LEVEL_HELD));
    }
    // Ticks every 6 dB over the bar.
    let mut db = 0.0f32;
    while db > FLOOR_DB {
        let y = rect.bottom() - rect.height() * frac(db);
        p.hline(
            egui::Rangef::new(rect.right() - 4.0, rect.right()),
            y,
            egui::Stroke::new(1.0, theme::METER_TICK),
        );
        db -= 6.0;
    }
}

/// The dB marks beside the meters: the marks that fit at least a caption's height apart,
/// from 0 dB down (at 160 px, 6 dB is 11 px: 0, −6 and −12 ran into each other).
fn scale(ui: &mut egui::Ui) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(30.0, 160.0), egui::Sense::hover());
    let p = ui.painter();
    for (db, y) in scale_marks(rect.top(), rect.bottom(), theme::size::CAPTION + 2.0) {
        p.text(
            egui::pos2(rect.right() - 2.0, y),
            egui::Align2::RIGHT_CENTER,
            format!("{db:.0}"),
            theme::caption_font(),
            ui.visuals().weak_text_color(),
        );
    }
}

/// The marks of the dB scale between `top` (0 dB) and `bottom` (the floor) that are at least
/// `gap` apart, each with its height.
pub(crate) fn scale_marks(top: f32, bottom: f32, gap: f32) -> Vec<(f32, f32)> {
    let mut out: Vec<(f32, f32)> = Vec::new();
    for db in [
        0.0f32, -6.0, -12.0, -18.0, -24.0, -30.0, -36.0, -48.0, -60.0, -72.0, -90.0,
    ] {
        let y = bottom - (bottom - top) * ((db - FLOOR_DB) / -FLOOR_DB);
        if out.last().is_none_or(|&(_, last)| y - last >= gap) {
            out.push((db, y));
        }
    }
    out
}

impl MixerPanel {
    /// `own_jack`: whether this app started the JACK server that runs.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        session: &mut Session,
        own_jack: bool,
        actions: &mut ActionQueue,
    ) {
        let server = &session.server;
        let online = server.state().is_online() && server.client_id().is_some();
        let settings = server.mixer().settings();
        ui.horizontal(|ui| {
            ui.heading("Levels");
            if icons::button(ui, true, icons::STETHOSCOPE, "Why no sound?")
                .on_hover_text(
                    "The doctor looks for what stands between the server and the speakers",
                )
                .clicked()
            {
                self.why_asked = true;
            }
        });
        ui.horizontal(|ui| {
            let mut on = settings.meters;
            if ui
                .add_enabled(online, egui::Checkbox::new(&mut on, "Meters"))
                .changed()
            {
                actions.push(Action::Meters(on));
            }
            let label = ui.label("Volume (dB)");
            let slider = ui
                .add_enabled(
                    online,
                    egui::Slider::new(&mut session.volume_db, FLOOR_DB..=6.0),
                )
                .labelled_by(label.id);
            if slider.changed() {
                actions.push(Action::SetVolume(session.volume_db));
            }
            let mut muted = settings.muted;
            if ui
                .add_enabled(online, egui::Checkbox::new(&mut muted, "Mute"))
                .changed()
            {
                actions.push(Action::SetMute(muted));
            }
        });
        let meters = server.mixer().meters();
        let now = Instant::now();
        if settings.meters && online {
            ui.horizontal(|ui| {
                ui.vertical(|ui| {
                    ui.label("dB");
                    scale(ui);
                });
                for (group, levels) in [("in", &meters.inputs), ("out", &meters.outputs)] {
                    ui.vertical(|ui| {
                        ui.label(group);
                        ui.horizontal(|ui| {
                            for (i, l) in levels.iter().enumerate() {
                                let key = if group == "in" {
                                    MeterKey::In(i)
                                } else {
                                    MeterKey::Out(i)
                                };
                                self.meter_column(ui, key, &format!("{group} {}", i + 1), l, now);
                            }
                        });
                    });
                    ui.separator();
                }
            });
        }
        if online {
            self.bus_meters(ui, &meters.buses, now, actions);
        }
        if online && (settings.meters || !meters.buses.is_empty()) {
            let all = || {
                meters
                    .inputs
                    .iter()
                    .chain(&meters.outputs)
                    .chain(meters.buses.iter().flat_map(|b| &b.levels))
            };
            // A held peak above the level falls back after its hold: one frame then.
            if all().any(|l| l.peak_db < 0.0 && l.peak_db > FLOOR_DB)
                || self.held.values().any(|(db, _)| *db > FLOOR_DB)
            {
                ui.ctx().request_repaint_after(PEAK_HOLD);
            }
            if let Some(last) = self.clips.values().max() {
                ui.colored_label(
                    tone(ui, Tone::Error),
                    format!(
                        "last clip {} s ago (click a CLIP light to clear it)",
                        now.saturating_duration_since(*last).as_secs()
                    ),
                );
                // The "s ago" moves once a second.
                ui.ctx().request_repaint_after(Duration::from_secs(1));
            }
            // Frames come from the meter waker, only when a drawn value moves; a lit clip
            // light needs one more when its hold ends.
            if all().any(|l| l.clipping(now)) {
                ui.ctx().request_repaint_after(Duration::from_millis(250));
            }
        }
        ui.separator();
        self.record(ui, session, actions, online);
        ui.separator();
        self.speakers(ui, session, own_jack, actions);
    }

    /// One meter with its held peak as a number, its channel number and its clip light.
    fn meter_column(
        &mut self,
        ui: &mut egui::Ui,
        key: MeterKey,
        label: &str,
        l: &ChannelLevel,
        now: Instant,
    ) {
        let held = hold(&mut self.held, key, l.peak_db, now);
        if let Some(at) = l.clipped_at
            && self.cleared.get(&key).is_none_or(|c| at > *c)
        {
            let last = self.clips.entry(key).or_insert(at);
            *last = (*last).max(at);
        }
        ui.vertical(|ui| {
            meter(ui, label, l, held, now);
            // The held peak as a number, to read a level exactly.
            ui.small(if held > FLOOR_DB {
                format!("{held:.1}")
            } else {
                "-inf".to_string()
            });
            let channel = match key {
                MeterKey::In(i) | MeterKey::Out(i) | MeterKey::Bus { channel: i, .. } => i,
            };
            ui.small(format!("{}", channel + 1));
            if let Some(at) = self.clips.get(&key).copied() {
                let ago = now.saturating_duration_since(at).as_secs();
                if ui
                    .add(
                        egui::Button::new(RichText::new("CLIP").small().color(Color32::WHITE))
                            .fill(theme::CLIP_LIGHT),
                    )
                    .on_hover_text(format!("{label}: last clip {ago} s ago; click to clear"))
                    .clicked()
                {
                    self.clips.remove(&key);
                    self.cleared.insert(key, now);
                }
            }
        });
    }

    /// Meters on any audio bus range: each with its name and a Remove button, and the form
    /// that adds one.
    fn bus_meters(
        &mut self,
        ui: &mut egui::Ui,
        buses: &[BusMeter],
        now: Instant,
        actions: &mut ActionQueue,
    ) {
        ui.horizontal_wrapped(|ui| {
            for b in buses {
                ui.group(|ui| {
                    ui.vertical(|ui| {
                        let spec = &b.spec;
                        let range = if spec.channels == 1 {
                            format!("bus {}", spec.bus)
                        } else {
                            format!("buses {}–{}", spec.bus, spec.bus + spec.channels as u32 - 1)
                        };
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(&spec.name).strong());
                            if ui
                                .small_button("Remove")
                                .on_hover_text(format!("Stop the meter on {range}"))
                                .clicked()
                            {
                                actions.push(Action::RemoveBusMeter(b.slot));
                            }
                        });
                        ui.small(&range);
                        if let Some(note) = &spec.note {
                            ui.small(RichText::new(note).color(tone(ui, Tone::Warning)));
                        }
                        ui.horizontal(|ui| {
                            for (i, l) in b.levels.iter().enumerate() {
                                let key = MeterKey::Bus {
                                    slot: b.slot,
                                    channel: i,
                                };
                                let label = format!("{} {}", spec.name, i + 1);
                                self.meter_column(ui, key, &label, l, now);
                            }
                        });
                    });
                });
            }
        });
        ui.horizontal(|ui| {
            ui.label("Add a meter:");
            let l = ui.label("first bus");
            ui.add(egui::DragValue::new(&mut self.new_meter.bus).range(0..=65535))
                .labelled_by(l.id);
            let l = ui.label("channels");
            ui.add(
                egui::DragValue::new(&mut self.new_meter.channels)
                    .range(1..=MAX_BUS_METER_CHANNELS),
            )
            .labelled_by(l.id);
            let l = ui.label("name");
            ui.add(egui::TextEdit::singleline(&mut self.new_meter.name).desired_width(120.0))
                .labelled_by(l.id);
            let full = buses.len() >= MAX_BUS_METERS;
            if ui
                .add_enabled(!full, egui::Button::new("Add meter"))
                .on_hover_text("Meter any audio bus range (a synth's output, an effect's input)")
                .on_disabled_hover_text(format!(
                    "{MAX_BUS_METERS} meters at most: remove one first"
                ))
                .clicked()
            {
                actions.push(Action::AddBusMeter(BusMeterSpec {
                    name: self.new_meter.name.trim().to_string(),
                    bus: self.new_meter.bus,
                    channels: self.new_meter.channels,
                    note: None,
                }));
                self.new_meter.name.clear();
            }
        });
    }

    fn record(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        actions: &mut ActionQueue,
        online: bool,
    ) {
        ui.heading("Record");
        let rec = session.server.recorder().recording();
        ui.horizontal(|ui| {
            let l = ui.label("File");
            ui.add_enabled(
                rec.is_none(),
                egui::TextEdit::singleline(&mut self.record_path).desired_width(280.0),
            )
            .labelled_by(l.id);
            if ui
                .add_enabled(rec.is_none(), egui::Button::new("Browse…"))
                .clicked()
            {
                actions.push(Action::PickFile(Pick::Recording {
                    extension: self.header.extension(),
                }));
            }
        });
        ui.horizontal(|ui| {
            ui.add_enabled_ui(rec.is_none(), |ui| {
                for h in HeaderFormat::ALL {
                    ui.radio_value(&mut self.header, h, h.as_str().to_uppercase());
                }
                ui.separator();
                for s in SampleFormat::ALL {
                    ui.radio_value(&mut self.sample, s, s.as_str());
                }
                ui.separator();
                let l = ui.label("Channels");
                ui.add(egui::DragValue::new(&mut self.channels).range(1..=128))
                    .labelled_by(l.id);
            });
        });
        ui.horizontal(|ui| match &rec {
            None => {
                if ui
                    .add_enabled(online, egui::Button::new("Record"))
                    .clicked()
                {
                    let options = RecordOptions {
                        path: PathBuf::from(self.record_path.trim()),
                        header: self.header,
                        sample: self.sample,
                        channels: self.channels,
                    };
                    actions.push(Action::StartRecording(options));
                }
            }
            Some(r) => {
                // The same words as the status bar's, which shows them on every tab.
                ui.label(
                    RichText::new(crate::gui::format::rec_text(r, r.file_size()))
                        .color(tone(ui, Tone::Error)),
                );
                if r.is_paused() {
                    if ui.button("Resume").clicked() {
                        actions.push(Action::ResumeRecording);
                    }
                } else if ui.button("Pause").clicked() {
                    actions.push(Action::PauseRecording);
                }
                if ui.button("Stop").clicked() {
                    actions.push(Action::StopRecording);
                }
                ui.ctx().request_repaint_after(Duration::from_millis(200));
            }
        });
    }

    /// Where the outputs go. JACK itself is started and stopped in one place, the boot
    /// panel's audio setup (Options); this only says so.
    fn speakers(
        &mut self,
        ui: &mut egui::Ui,
        session: &Session,
        have_own: bool,
        actions: &mut ActionQueue,
    ) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(
                    session.server.state().is_online(),
                    egui::Button::new("Connect outputs to speakers"),
                )
                .on_hover_text("Connect scsynth's outputs to the system's playback ports (JACK)")
                .clicked()
            {
                actions.push(Action::ConnectSpeakers);
            }
            let whose = if have_own { ", started by scpanel" } else { "" };
            ui.weak(format!(
                "JACK{whose} is started and stopped in the boot options (F9)"
            ));
        });
    }
}

/// The peak to hold for a meter: the new one when higher or when the held one is older
/// than [`PEAK_HOLD`].
fn hold(
    held: &mut HashMap<MeterKey, (f32, Instant)>,
    key: MeterKey,
    peak: f32,
    now: Instant,
) -> f32 {
    let slot = held.entry(key).or_insert((peak, now));
    if peak >= slot.0 || now.saturating_duration_since(slot.1) > PEAK_HOLD {
        *slot = (peak, now);
    }
    slot.0
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;

    #[test]
    fn the_meter_scale_s_marks_never_run_into_each_other() {
        let marks = scale_marks(0.0, 160.0, theme::size::CAPTION + 2.0);
        assert_eq!(marks.first().map(|m| m.0), Some(0.0));
        assert_eq!(marks.last().map(|m| m.0), Some(FLOOR_DB));
        for w in marks.windows(2) {
            assert!(w[1].1 - w[0].1 >= theme::size::CAPTION + 2.0, "{marks:?}");
        }
        assert!(
            marks.len() >= 6,
            "enough marks to read a level by: {marks:?}"
        );
    }
    use crate::gui::bridge::Bridge;

    #[test]
    fn the_panel_leaves_jack_to_the_boot_panel_and_browse_names_the_header_format() {
        let bridge = Bridge::new().unwrap();
        let mut session = Session::new(&bridge, 0);
        let mut panel = MixerPanel::default();
        let mut actions = ActionQueue::default();
        let mut h = Harness::new_ui(|ui| {
            crate::gui::icons::install(ui.ctx());
            panel.ui(ui, &mut session, false, &mut actions)
        });
        h.run();
        assert!(h.query_by_label_contains("Start JACK").is_none());
        h.get_by_label("Browse…").click();
        h.run();
        drop(h);
        let asked: Vec<Action> = actions.take().into_iter().map(|(_, a)| a).collect();
        assert_eq!(
            asked,
            vec![Action::PickFile(Pick::Recording { extension: "wav" })],
            "JACK is looked at by the boot panel only"
        );
    }
}
