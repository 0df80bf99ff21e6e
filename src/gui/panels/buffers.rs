//! This client's buffers (from `/b_query`) and buses, with control-bus values shown live.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::gui::actions::{Action, ActionQueue, Pick};
use crate::gui::session::{BufferRow, Session};
use scpanel_core::BusRate;

/// The buffers and buses form; the buffers and bus values themselves are the session's.
#[derive(Default)]
pub struct BuffersPanel {
    frames: String,
    channels: String,
    pub path: String,
    bus_count: String,
    last_bus_read: Option<Instant>,
}

impl BuffersPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, session: &mut Session, actions: &mut ActionQueue) {
        let server = &session.server;
        let online = server.state().is_online() && server.client_id().is_some();
        if !online {
            ui.weak("Buffers and buses belong to a logged-in client: boot or connect first.");
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
                    (Ok(frames), Ok(channels)) if frames > 0 && (1..=1024).contains(&channels) => {
                        actions.push(Action::AllocBuffer { frames, channels });
                    }
                    _ => session.notice(
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
                actions.push(Action::PickFile(Pick::SoundFile));
            }
            if ui
                .add_enabled(
                    online && !self.path.trim().is_empty(),
                    egui::Button::new("Read"),
                )
                .clicked()
            {
                actions.push(Action::ReadBuffer {
                    path: PathBuf::from(self.path.trim()),
                });
            }
        });
        let mut rows: Vec<&BufferRow> = session.buffers.values().collect();
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
                            actions.push(Action::ZeroBuffer { id });
                        }
                        if ui.small_button("Free").clicked() {
                            actions.push(Action::FreeBuffer { id });
                        }
                    });
                    ui.end_row();
                }
            });
        ui.separator();
        self.buses(ui, session, actions, online);
    }

    fn buses(
        &mut self,
        ui: &mut egui::Ui,
        session: &mut Session,
        actions: &mut ActionQueue,
        online: bool,
    ) {
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
                        Ok(count) if count > 0 => actions.push(Action::AllocBuses { rate, count }),
                        _ => session.notice(
                            "Can't allocate",
                            "The count must be a positive whole number",
                            true,
                        ),
                    }
                }
            }
        });
        let groups = session.server.buses().groups();
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
            actions.push(Action::ReadControlBuses(controls.clone()));
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
                if ui.small_button("Free").clicked() {
                    actions.push(Action::FreeBuses(g));
                }
            });
            if g.rate == BusRate::Control {
                for bus in g.id..g.id + g.count {
                    ui.horizontal(|ui| {
                        let l = ui.label(format!("c{bus}"));
                        let mut v = session.bus_values.get(&bus).copied().unwrap_or(0.0);
                        if ui
                            .add(
                                egui::Slider::new(&mut v, 0.0..=1.0)
                                    .clamping(egui::SliderClamping::Never),
                            )
                            .labelled_by(l.id)
                            .changed()
                        {
                            session.bus_values.insert(bus, v);
                            actions.push(Action::SetControlBus { bus, value: v });
                        }
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::gui::bridge::Bridge;

    #[test]
    fn browse_asks_for_a_file_dialog_and_allocate_waits_for_a_login() {
        let bridge = Bridge::new().unwrap();
        let mut session = Session::new(&bridge, 7);
        let mut panel = BuffersPanel::default();
        let mut actions = ActionQueue::for_session(7);
        let mut h = Harness::new_ui(|ui| panel.ui(ui, &mut session, &mut actions));
        h.run();
        // Offline: nothing to allocate on, so the click asks for nothing.
        h.get_by_label("Allocate").click();
        h.run();
        h.get_by_label("Browse…").click();
        h.run();
        drop(h);
        assert_eq!(
            actions.take(),
            vec![(7, Action::PickFile(Pick::SoundFile))],
            "the dialog runs off the UI thread, through the app"
        );
    }
}
