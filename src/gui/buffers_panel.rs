//! This client's buffers (from `/b_query`) and buses, with control-bus values shown live.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::bridge::Bridge;
use crate::server::{BufferInfo, BusRate};

#[derive(Debug, Clone, PartialEq)]
pub struct BufferRow {
    pub info: BufferInfo,
    pub file: Option<PathBuf>,
}

#[derive(Default)]
pub struct BuffersPanel {
    pub buffers: Arc<Mutex<HashMap<i32, BufferRow>>>,
    frames: String,
    channels: String,
    pub path: String,
    picked: Arc<Mutex<Option<PathBuf>>>,
    bus_count: String,
    bus_values: Arc<Mutex<HashMap<u32, f32>>>,
    last_bus_read: Option<Instant>,
}

impl BuffersPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, bridge: &Bridge) {
        let online = bridge.server.state().is_online() && bridge.server.client_id().is_some();
        if !online {
            ui.weak("Buffers and buses belong to a logged-in client: boot or connect first.");
        }
        if let Ok(mut p) = self.picked.lock()
            && let Some(p) = p.take()
        {
            self.path = p.display().to_string();
        }
        ui.heading("Buffers");
        ui.horizontal(|ui| {
            let l = ui.label("Frames");
            if self.frames.is_empty() {
                self.frames = "44100".into();
                self.channels = "1".into();
                self.bus_count = "1".into();
            }
            ui.add(egui::TextEdit::singleline(&mut self.frames).desired_width(70.0))
                .labelled_by(l.id);
            let l = ui.label("Channels");
            ui.add(egui::TextEdit::singleline(&mut self.channels).desired_width(40.0))
                .labelled_by(l.id);
            if ui
                .add_enabled(online, egui::Button::new("Allocate"))
                .clicked()
            {
                match (
                    self.frames.trim().parse::<i32>(),
                    self.channels.trim().parse::<i32>(),
                ) {
                    (Ok(f), Ok(c)) if f > 0 && (1..=1024).contains(&c) => {
                        let rows = self.buffers.clone();
                        bridge.run_then(
                            "Allocating a buffer",
                            move |s| async move {
                                let id = s.add_buffer(f, c).await?;
                                s.query_buffer(id).await
                            },
                            move |info, _| {
                                if let Ok(mut r) = rows.lock() {
                                    r.insert(info.id, BufferRow { info, file: None });
                                }
                            },
                        );
                    }
                    _ => bridge.notice(
                        "Can't allocate",
                        "Frames must be a positive whole number and channels 1 to 1024",
                        true,
                    ),
                }
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label("Sound file");
            ui.add(
                egui::TextEdit::singleline(&mut self.path)
                    .desired_width(260.0)
                    .hint_text("/path/to/file.wav"),
            )
            .labelled_by(l.id);
            if ui.button("Browse…").clicked() {
                let picked = self.picked.clone();
                bridge.spawn_blocking(move || {
                    if let Some(p) = rfd::FileDialog::new()
                        .add_filter("Sound files", &["wav", "aiff", "aif", "flac", "ogg"])
                        .pick_file()
                        && let Ok(mut slot) = picked.lock()
                    {
                        *slot = Some(p);
                    }
                });
            }
            if ui
                .add_enabled(
                    online && !self.path.trim().is_empty(),
                    egui::Button::new("Read"),
                )
                .clicked()
            {
                let path = PathBuf::from(self.path.trim());
                let rows = self.buffers.clone();
                let file = path.clone();
                bridge.run_then(
                    "Reading a sound file",
                    move |s| async move {
                        let id = s.read_buffer(&path, 0, -1).await?;
                        s.query_buffer(id).await
                    },
                    move |info, _| {
                        if let Ok(mut r) = rows.lock() {
                            r.insert(
                                info.id,
                                BufferRow {
                                    info,
                                    file: Some(file),
                                },
                            );
                        }
                    },
                );
            }
        });
        let mut rows: Vec<BufferRow> = self
            .buffers
            .lock()
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default();
        rows.sort_by_key(|r| r.info.id);
        egui::Grid::new("buffers")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                for h in ["id", "frames", "channels", "sample rate", "file", ""] {
                    ui.strong(h);
                }
                ui.end_row();
                for row in rows {
                    let id = row.info.id;
                    ui.label(id.to_string());
                    ui.label(row.info.frames.to_string());
                    ui.label(row.info.channels.to_string());
                    ui.label(format!("{:.0}", row.info.sample_rate));
                    ui.label(
                        row.file
                            .as_ref()
                            .map_or("—".to_string(), |f| f.display().to_string()),
                    );
                    ui.horizontal(|ui| {
                        if ui.small_button("Zero").clicked() {
                            bridge.run("Zeroing a buffer", move |s| async move {
                                s.zero_buffer(id).await
                            });
                        }
                        if ui.small_button("Free").clicked() {
                            let rows = self.buffers.clone();
                            bridge.run_then(
                                "Freeing a buffer",
                                move |s| async move { s.free_buffer(id).await },
                                move |_, _| {
                                    if let Ok(mut r) = rows.lock() {
                                        r.remove(&id);
                                    }
                                },
                            );
                        }
                    });
                    ui.end_row();
                }
            });
        ui.separator();
        self.buses(ui, bridge, online);
    }

    fn buses(&mut self, ui: &mut egui::Ui, bridge: &Bridge, online: bool) {
        ui.heading("Buses");
        ui.horizontal(|ui| {
            let l = ui.label("Count");
            ui.add(egui::TextEdit::singleline(&mut self.bus_count).desired_width(40.0))
                .labelled_by(l.id);
            for (label, rate) in [
                ("Allocate audio", BusRate::Audio),
                ("Allocate control", BusRate::Control),
            ] {
                if ui.add_enabled(online, egui::Button::new(label)).clicked() {
                    match self.bus_count.trim().parse::<u32>() {
                        Ok(n) if n > 0 => bridge.run("Allocating buses", move |s| async move {
                            s.add_bus_group(rate, n).await
                        }),
                        _ => bridge.notice(
                            "Can't allocate",
                            "The count must be a positive whole number",
                            true,
                        ),
                    }
                }
            }
        });
        let groups = bridge.server.bus_groups();
        let controls: Vec<(u32, u32)> = groups
            .iter()
            .filter(|g| g.rate == BusRate::Control)
            .map(|g| (g.id, g.count))
            .collect();
        // Control-bus values, read about twice a second while this panel is open.
        if online
            && !controls.is_empty()
            && self
                .last_bus_read
                .is_none_or(|t| t.elapsed() > Duration::from_millis(500))
        {
            self.last_bus_read = Some(Instant::now());
            let values = self.bus_values.clone();
            let wanted = controls.clone();
            bridge.run_then(
                "Reading control buses",
                move |s| async move {
                    let mut out = Vec::new();
                    for (id, count) in wanted {
                        let v = s.get_control_buses(id as i32, count as i32).await?;
                        out.extend(v.into_iter().enumerate().map(|(i, x)| (id + i as u32, x)));
                    }
                    Ok(out)
                },
                move |v, _| {
                    if let Ok(mut m) = values.lock() {
                        m.extend(v);
                    }
                },
            );
        }
        if !controls.is_empty() {
            ui.ctx().request_repaint_after(Duration::from_millis(500));
        }
        for g in groups {
            ui.horizontal(|ui| {
                let kind = match g.rate {
                    BusRate::Audio => "audio",
                    BusRate::Control => "control",
                };
                ui.label(format!(
                    "{kind} {}-{} ({} bus{})",
                    g.id,
                    g.id + g.count - 1,
                    g.count,
                    if g.count == 1 { "" } else { "es" }
                ));
                if ui.small_button("Free").clicked()
                    && let Err(e) = bridge.server.free_bus_group(g)
                {
                    bridge.notice("Can't free the buses", e.to_string(), true);
                }
            });
            if g.rate == BusRate::Control {
                for bus in g.id..g.id + g.count {
                    ui.horizontal(|ui| {
                        let l = ui.label(format!("c{bus}"));
                        let mut v = self
                            .bus_values
                            .lock()
                            .ok()
                            .and_then(|m| m.get(&bus).copied())
                            .unwrap_or(0.0);
                        if ui
                            .add(
                                egui::Slider::new(&mut v, 0.0..=1.0)
                                    .clamping(egui::SliderClamping::Never),
                            )
                            .labelled_by(l.id)
                            .changed()
                        {
                            if let Ok(mut m) = self.bus_values.lock() {
                                m.insert(bus, v);
                            }
                            bridge.run("Setting a bus", move |s| async move {
                                s.set_control_bus(bus as i32, v).await
                            });
                        }
                    });
                }
            }
        }
    }
}
