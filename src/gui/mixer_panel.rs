//! Level meters, master volume and mute, recording, and the audio setup (JACK).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::{Color32, RichText};

use super::bridge::Bridge;
use crate::server::host::jack::{JackDriver, JackServer, JackStatus, JackTarget};
use crate::server::ops::mixer::{ChannelLevel, FLOOR_DB};
use crate::server::ops::recorder::{HeaderFormat, RecordOptions, SampleFormat};

pub struct MixerPanel {
    pub volume_db: f32,
    pub record_path: String,
    header: HeaderFormat,
    sample: SampleFormat,
    channels: u32,
    picked: Arc<Mutex<Option<PathBuf>>>,
    jack_status: Arc<Mutex<Option<JackStatus>>>,
    jack_checked: Option<Instant>,
    /// A JACK server this app started (stopped when the app closes).
    pub own_jack: Arc<Mutex<Option<JackServer>>>,
    /// Whether the levels are on screen, read by the meter waker (see [`MixerPanel::shown`]).
    levels_shown: Arc<std::sync::atomic::AtomicBool>,
    waker_started: bool,
}

/// The meters as drawn: whole decibels down to the floor of the bars, and the clip lights.
/// Two replies with the same picture need no frame.
pub fn meter_picture(m: &crate::server::ops::mixer::Meters) -> Vec<(i16, i16)> {
    let step = |db: f32| db.clamp(METER_FLOOR_DB, 0.0).round() as i16;
    m.inputs
        .iter()
        .chain(&m.outputs)
        .map(|l| (step(l.peak_db), step(l.rms_db)))
        .collect()
}

/// The bottom of a drawn meter bar: anything quieter looks the same.
const METER_FLOOR_DB: f32 = -60.0;

impl MixerPanel {
    /// Tells the meter waker whether the levels are on screen (the app calls this each frame).
    pub fn shown(&mut self, on: bool, bridge: &Bridge, ctx: &egui::Context) {
        self.levels_shown
            .store(on, std::sync::atomic::Ordering::Relaxed);
        if on && !self.waker_started {
            self.waker_started = true;
            let (server, shown, ctx) = (
                bridge.server.clone(),
                self.levels_shown.clone(),
                ctx.clone(),
            );
            // Meter replies come 20 times a second per meter and wake nobody by themselves:
            // this asks for a frame only when the picture changes, so silence costs nothing.
            bridge.spawn(async move {
                let mut ticks = server.watch_meters();
                let mut last = Vec::new();
                while ticks.changed().await.is_ok() {
                    if !shown.load(std::sync::atomic::Ordering::Relaxed) {
                        continue;
                    }
                    let picture = meter_picture(&server.meters());
                    if picture != last {
                        last = picture;
                        ctx.request_repaint();
                    }
                }
            });
        }
    }
}

impl Default for MixerPanel {
    fn default() -> Self {
        MixerPanel {
            volume_db: 0.0,
            // A folder: each recording gets a timestamped name in it.
            record_path: crate::server::ops::recorder::default_folder()
                .display()
                .to_string(),
            header: HeaderFormat::Wav,
            sample: SampleFormat::Int24,
            channels: 2,
            picked: Arc::new(Mutex::new(None)),
            jack_status: Arc::new(Mutex::new(None)),
            jack_checked: None,
            levels_shown: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            waker_started: false,
            own_jack: Arc::new(Mutex::new(None)),
        }
    }
}

fn meter(ui: &mut egui::Ui, label: &str, level: &ChannelLevel, now: Instant) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(18.0, 160.0), egui::Sense::hover());
    let p = ui.painter();
    p.rect_filled(rect, 2.0, Color32::from_gray(30));
    let frac = |db: f32| ((db - FLOOR_DB) / -FLOOR_DB).clamp(0.0, 1.0);
    let rms_top = rect.bottom() - rect.height() * frac(level.rms_db);
    let colour = if level.rms_db > -6.0 {
        Color32::from_rgb(230, 170, 40)
    } else {
        Color32::from_rgb(70, 190, 90)
    };
    p.rect_filled(
        egui::Rect::from_min_max(egui::pos2(rect.left(), rms_top), rect.max),
        2.0,
        colour,
    );
    let peak_y = rect.bottom() - rect.height() * frac(level.peak_db);
    p.hline(
        rect.x_range(),
        peak_y,
        egui::Stroke::new(2.0, Color32::WHITE),
    );
    if level.clipping(now) {
        p.rect_filled(
            egui::Rect::from_min_size(rect.min, egui::vec2(rect.width(), 6.0)),
            1.0,
            Color32::RED,
        );
    }
    let _ = label;
}

/// The dB marks beside the meters.
fn scale(ui: &mut egui::Ui) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(30.0, 160.0), egui::Sense::hover());
    let p = ui.painter();
    for db in [0.0f32, -6.0, -12.0, -24.0, -48.0, -90.0] {
        let y = rect.bottom() - rect.height() * ((db - FLOOR_DB) / -FLOOR_DB);
        p.text(
            egui::pos2(rect.right() - 2.0, y),
            egui::Align2::RIGHT_CENTER,
            format!("{db:.0}"),
            egui::FontId::proportional(10.0),
            ui.visuals().weak_text_color(),
        );
    }
}

impl MixerPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, bridge: &Bridge) {
        let server = &bridge.server;
        let online = server.state().is_online() && server.client_id().is_some();
        let settings = server.mixer_settings();
        ui.heading("Levels");
        ui.horizontal(|ui| {
            let mut on = settings.meters;
            if ui
                .add_enabled(online, egui::Checkbox::new(&mut on, "Meters"))
                .changed()
            {
                bridge.run("Meters", move |s| async move {
                    if on {
                        s.start_meters().await
                    } else {
                        s.stop_meters().await
                    }
                });
            }
            let label = ui.label("Volume (dB)");
            let slider = ui
                .add_enabled(
                    online,
                    egui::Slider::new(&mut self.volume_db, FLOOR_DB..=6.0),
                )
                .labelled_by(label.id);
            if slider.changed() {
                let db = self.volume_db;
                bridge.run("Volume", move |s| async move { s.set_volume(db).await });
            }
            let mut muted = settings.muted;
            if ui
                .add_enabled(online, egui::Checkbox::new(&mut muted, "Mute"))
                .changed()
            {
                bridge.run("Mute", move |s| async move { s.set_mute(muted).await });
            }
        });
        let meters = server.meters();
        if settings.meters && online {
            let now = Instant::now();
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
                                ui.vertical(|ui| {
                                    meter(ui, &format!("{group} {i}"), l, now);
                                    ui.small(format!("{}", i + 1)).on_hover_text(format!(
                                        "peak {:.1} dB, RMS {:.1} dB",
                                        l.peak_db, l.rms_db
                                    ));
                                });
                            }
                        });
                    });
                    ui.separator();
                }
            });
            // Frames come from the meter waker, only when a drawn value moves; a lit clip
            // light needs one more when its hold ends.
            if meters
                .inputs
                .iter()
                .chain(&meters.outputs)
                .any(|l| l.clipping(now))
            {
                ui.ctx().request_repaint_after(Duration::from_millis(250));
            }
        }
        ui.separator();
        self.record(ui, bridge, online);
        ui.separator();
        self.audio_setup(ui, bridge);
    }

    fn record(&mut self, ui: &mut egui::Ui, bridge: &Bridge, online: bool) {
        if let Ok(mut p) = self.picked.lock()
            && let Some(p) = p.take()
        {
            self.record_path = p.display().to_string();
        }
        ui.heading("Record");
        let rec = bridge.server.recording();
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
                let picked = self.picked.clone();
                let ext = self.header.extension();
                bridge.spawn_blocking(move || {
                    if let Some(p) = rfd::FileDialog::new()
                        .set_file_name(format!("recording.{ext}"))
                        .save_file()
                        && let Ok(mut slot) = picked.lock()
                    {
                        *slot = Some(p);
                    }
                });
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
                    bridge.run("Recording", move |s| async move {
                        s.start_recording(options).await
                    });
                }
            }
            Some(r) => {
                // The same words as the status bar's, which shows them on every tab.
                ui.label(
                    RichText::new(super::status_bar::rec_text(r, r.file_size()))
                        .color(Color32::from_rgb(230, 80, 60)),
                );
                if r.is_paused() {
                    if ui.button("Resume").clicked() {
                        bridge.run("Resuming the recording", |s| async move {
                            s.resume_recording().await
                        });
                    }
                } else if ui.button("Pause").clicked() {
                    bridge.run("Pausing the recording", |s| async move {
                        s.pause_recording().await
                    });
                }
                if ui.button("Stop").clicked() {
                    let inbox = bridge.inbox.clone();
                    bridge.run_then(
                        "Stopping the recording",
                        |s| async move { s.stop_recording().await },
                        move |path, _| {
                            super::bridge::push_notice(
                                &inbox,
                                "Recording saved",
                                path.display().to_string(),
                                false,
                            )
                        },
                    );
                }
                ui.ctx().request_repaint_after(Duration::from_millis(200));
            }
        });
    }

    fn audio_setup(&mut self, ui: &mut egui::Ui, bridge: &Bridge) {
        ui.heading("Audio setup (JACK)");
        if self
            .jack_checked
            .is_none_or(|t| t.elapsed() > Duration::from_secs(5))
        {
            self.jack_checked = Some(Instant::now());
            let slot = self.jack_status.clone();
            bridge.spawn(async move {
                let s = JackTarget::default().status().await;
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(s);
                }
            });
        }
        let status = self.jack_status.lock().ok().and_then(|s| s.clone());
        let running = matches!(status, Some(JackStatus::Running { .. }));
        match status {
            None => {
                ui.weak("Looking for JACK…");
            }
            Some(JackStatus::Running { playback_ports }) => {
                ui.colored_label(
                    Color32::from_rgb(70, 190, 90),
                    format!("JACK is running ({playback_ports} playback ports)"),
                );
            }
            Some(JackStatus::NotRunning) => {
                ui.colored_label(
                    Color32::from_rgb(230, 170, 40),
                    "No JACK server: scsynth can't boot without one. Start one for this session:",
                );
            }
            Some(JackStatus::Unknown(why)) => {
                ui.colored_label(Color32::from_rgb(230, 170, 40), why);
            }
        }
        ui.horizontal(|ui| {
            let have_own = self.own_jack.lock().is_ok_and(|j| j.is_some());
            for (label, driver) in [
                ("Start JACK (silent dummy)", JackDriver::Dummy),
                ("Start JACK (sound card)", JackDriver::Alsa),
            ] {
                if ui
                    .add_enabled(!have_own && !running, egui::Button::new(label))
                    .clicked()
                {
                    let own = self.own_jack.clone();
                    let inbox = bridge.inbox.clone();
                    self.jack_checked = None;
                    bridge.spawn(async move {
                        match JackServer::start(JackTarget::default(), driver).await {
                            Ok(j) => {
                                if let Ok(mut o) = own.lock() {
                                    *o = Some(j);
                                }
                            }
                            Err(e) => super::bridge::push_notice(
                                &inbox,
                                "JACK did not start",
                                e.to_string(),
                                true,
                            ),
                        }
                    });
                }
            }
            if have_own && ui.button("Stop our JACK").clicked() {
                let j = self.own_jack.lock().ok().and_then(|mut j| j.take());
                if let Some(j) = j {
                    bridge.spawn(async move { j.stop().await });
                }
                self.jack_checked = None;
            }
            if ui
                .add_enabled(
                    bridge.server.state().is_online(),
                    egui::Button::new("Connect outputs to speakers"),
                )
                .clicked()
            {
                bridge.run_then(
                    "Connecting to the speakers",
                    |_| async move {
                        JackTarget::default()
                            .connect_outputs_to_system("SuperCollider")
                            .await
                    },
                    |pairs, inbox| {
                        let text = pairs
                            .iter()
                            .map(|(a, b)| format!("{a} -> {b}"))
                            .collect::<Vec<_>>()
                            .join("\n");
                        super::bridge::push_notice(inbox, "Connected", text, false);
                    },
                );
            }
        });
    }
}
