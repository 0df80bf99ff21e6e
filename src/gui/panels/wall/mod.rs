//! The "Servers" wall: one tile per server the window holds, with its state, a minute of
//! CPU, its counts and its alerts, sorted and filtered; and the ways to add servers.

pub(crate) mod found;
pub mod summary;
pub(crate) mod tile;

use egui::RichText;

use crate::gui::actions::{ActionQueue, SessionId};
use crate::gui::panels::wall::found::FoundPanel;
use crate::gui::session::Session;
use crate::gui::theme::{Tone, tone};
use summary::{Alerts, address, alerts, label};
use tile::{TileAction, tile};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// The order servers were added in.
    Added,
    Name,
    /// Busiest first.
    Cpu,
    /// Alerts first, then offline, then the rest.
    Alerts,
}

impl SortBy {
    const ALL: [SortBy; 4] = [SortBy::Added, SortBy::Name, SortBy::Cpu, SortBy::Alerts];
    fn label(self) -> &'static str {
        match self {
            SortBy::Added => "as added",
            SortBy::Name => "by name",
            SortBy::Cpu => "by CPU",
            SortBy::Alerts => "alerts first",
        }
    }
}

/// The wall's settings and its forms.
pub struct Wall {
    pub sort: SortBy,
    pub filter: String,
    pub only_alerts: bool,
    /// Average CPU at or above this marks a tile (percent).
    pub cpu_threshold: f32,
    /// The "add a server" form: `host:port`.
    pub add_addr: String,
    pub add_login: bool,
    /// Pasted `host:port` lines, one server each.
    pub paste: String,
    pub paste_open: bool,
    /// The roster file to save to or load from.
    pub roster_path: String,
    /// Why the last paste or roster failed, line by line.
    pub problems: Vec<String>,
    /// Servers found on the network (Zeroconf, scans).
    pub found: FoundPanel,
    /// Whether the "Found on the network" section is open.
    pub found_open: bool,
}

impl Default for Wall {
    fn default() -> Self {
        Wall {
            sort: SortBy::Added,
            filter: String::new(),
            only_alerts: false,
            cpu_threshold: 80.0,
            add_addr: String::new(),
            add_login: false,
            paste: String::new(),
            paste_open: false,
            roster_path: default_roster_path(),
            problems: Vec::new(),
            found: FoundPanel::default(),
            found_open: false,
        }
    }
}

fn default_roster_path() -> String {
    dirs::config_dir()
        .map(|d| d.join("scpanel").join("classroom.toml"))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "classroom.toml".into())
}

/// What the wall's toolbar asked the app for.
#[derive(Debug, Clone, PartialEq)]
pub enum WallRequest {
    /// Boot one more server with the boot panel's options on the next free port.
    BootAnother,
    /// Add a server at `addr`, watching or logged in.
    Add {
        addr: String,
        name: String,
        protocol: scpanel_core::Protocol,
        login: bool,
    },
    /// Add every server in the pasted text.
    Paste(String),
    SaveRoster(String),
    LoadRoster(String),
    /// Choose the roster file with a dialog.
    PickRoster,
    Tile(TileAction),
}

impl Wall {
    /// The order tiles are drawn in: sorted, filtered.
    pub fn order(&self, sessions: &[Session]) -> Vec<usize> {
        let needle = self.filter.trim().to_lowercase();
        let mut shown: Vec<(usize, Alerts)> = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| (i, alerts(s, self.cpu_threshold)))
            .filter(|(i, a)| {
                let s = &sessions[*i];
                (!self.only_alerts || a.any())
                    && (needle.is_empty()
                        || label(s).to_lowercase().contains(&needle)
                        || address(s).to_lowercase().contains(&needle))
            })
            .collect();
        let cpu = |i: usize| {
            sessions[i]
                .server
                .latest_status()
                .filter(|_| sessions[i].server.state().is_online())
                .map_or(-1.0, |s| s.average_cpu)
        };
        match self.sort {
            SortBy::Added => shown.sort_by_key(|(i, _)| sessions[*i].added),
            SortBy::Name => shown.sort_by_key(|(i, _)| label(&sessions[*i]).to_lowercase()),
            SortBy::Cpu => shown.sort_by(|(a, _), (b, _)| cpu(*b).total_cmp(&cpu(*a))),
            SortBy::Alerts => shown.sort_by_key(|(i, a)| {
                let online = sessions[*i].server.state().is_online();
                (!a.any(), online, sessions[*i].added)
            }),
        }
        shown.into_iter().map(|(i, _)| i).collect()
    }

    /// Draws the toolbar and the tiles; returns what was asked for. `current` is the
    /// session the other tabs show.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        sessions: &[Session],
        current: SessionId,
        actions: &mut ActionQueue,
    ) -> Vec<WallRequest> {
        let mut asked = Vec::new();
        self.found.refresh();
        self.toolbar(ui, sessions, actions, &mut asked);
        ui.separator();
        let order = self.order(sessions);
        if order.is_empty() {
            ui.label(if sessions.is_empty() {
                "No servers yet: boot one, or add one above."
            } else {
                "No server matches the filter."
            });
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.spacing_mut().item_spacing =
                        egui::Vec2::splat(crate::gui::theme::space::MEDIUM);
                    for i in order {
                        let s = &sessions[i];
                        if let Some(a) = tile(ui, s, s.id == current, self.cpu_threshold, actions) {
                            asked.push(WallRequest::Tile(a));
                        }
                    }
                });
            });
        asked
    }

    fn toolbar(
        &mut self,
        ui: &mut egui::Ui,
        sessions: &[Session],
        actions: &mut ActionQueue,
        asked: &mut Vec<WallRequest>,
    ) {
        ui.horizontal_wrapped(|ui| {
            if ui
                .button("Boot another")
                .on_hover_text("Boot one more server with the boot options, on the next free port")
                .clicked()
            {
                asked.push(WallRequest::BootAnother);
            }
            ui.separator();
            let label = ui.label("Add a server at");
            ui.add(
                egui::TextEdit::singleline(&mut self.add_addr)
                    .hint_text("host:port")
                    .desired_width(150.0),
            )
            .labelled_by(label.id);
            ui.checkbox(&mut self.add_login, "log in");
            let addr = self.add_addr.trim().to_string();
            if ui
                .add_enabled(!addr.is_empty(), egui::Button::new("Add server"))
                .clicked()
            {
                asked.push(WallRequest::Add {
                    addr,
                    name: String::new(),
                    protocol: scpanel_core::Protocol::Udp,
                    login: self.add_login,
                });
                self.add_addr.clear();
            }
            if ui
                .selectable_label(self.paste_open, "Paste a list…")
                .clicked()
            {
                self.paste_open = !self.paste_open;
            }
            let found = self.found.all().len();
            let title = match found {
                0 => "Found on the network…".to_string(),
                n => format!("Found on the network ({n})…"),
            };
            if ui.selectable_label(self.found_open, title).clicked() {
                self.found_open = !self.found_open;
            }
        });
        if self.found_open {
            let on_wall: Vec<String> = sessions.iter().map(address).collect();
            for f in self.found.ui(ui, &on_wall, actions) {
                asked.push(WallRequest::Add {
                    addr: f.addr,
                    name: f.name,
                    protocol: f.protocol,
                    login: false,
                });
            }
        }
        if self.paste_open {
            let paste_label = ui.label("Servers to add");
            ui.label(
                RichText::new("One host:port per line, a name after it if you like; a bare host means port 57110; # starts a comment.")
                    .weak()
                    .small(),
            );
            ui.add(
                egui::TextEdit::multiline(&mut self.paste)
                    .desired_rows(4)
                    .desired_width(f32::INFINITY)
                    .hint_text("127.0.0.1:57110\n127.0.0.1:57111 Ada"),
            )
            .labelled_by(paste_label.id);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(
                        !self.paste.trim().is_empty(),
                        egui::Button::new("Add these"),
                    )
                    .clicked()
                {
                    asked.push(WallRequest::Paste(std::mem::take(&mut self.paste)));
                    self.paste_open = false;
                }
                if ui.button("Cancel").clicked() {
                    self.paste_open = false;
                }
            });
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Roster file");
            ui.add(egui::TextEdit::singleline(&mut self.roster_path).desired_width(220.0))
                .labelled_by(label.id);
            if ui.button("Browse…").clicked() {
                asked.push(WallRequest::PickRoster);
            }
            let path = self.roster_path.trim().to_string();
            if ui
                .add_enabled(
                    !sessions.is_empty() && !path.is_empty(),
                    egui::Button::new("Save roster"),
                )
                .clicked()
            {
                asked.push(WallRequest::SaveRoster(path.clone()));
            }
            if ui
                .add_enabled(!path.is_empty(), egui::Button::new("Load roster"))
                .clicked()
            {
                asked.push(WallRequest::LoadRoster(path));
            }
        });
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Sort");
            egui::ComboBox::from_id_salt("wall-sort")
                .selected_text(self.sort.label())
                .show_ui(ui, |ui| {
                    for s in SortBy::ALL {
                        ui.selectable_value(&mut self.sort, s, s.label());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("name or address")
                    .desired_width(120.0),
            )
            .labelled_by(label.id);
            ui.checkbox(&mut self.only_alerts, "only alerts");
            let label = ui.label("CPU alert at");
            ui.add(
                egui::DragValue::new(&mut self.cpu_threshold)
                    .range(0.0..=100.0)
                    .suffix(" %")
                    .speed(1.0),
            )
            .labelled_by(label.id);
        });
        if !self.problems.is_empty() {
            let mut dismiss = false;
            ui.horizontal_wrapped(|ui| {
                for p in self.problems.iter().take(8) {
                    ui.colored_label(tone(ui, Tone::Error), p);
                }
                if self.problems.len() > 8 {
                    ui.label(format!("… and {} more", self.problems.len() - 8));
                }
                dismiss = ui.small_button("Dismiss").clicked();
            });
            if dismiss {
                self.problems.clear();
            }
        }
    }
}
