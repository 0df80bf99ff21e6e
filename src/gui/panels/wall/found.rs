//! "Found on the network": servers that announce themselves over Zeroconf, and the ones an
//! opt-in scan of an address range finds by asking each address for `/status`. Both are off
//! until the user turns them on: browsing speaks on every network the machine is on.

use crate::gui::theme::{Tone, tone};
use egui::RichText;

use crate::gui::actions::{Action, ActionQueue};
use scpanel_core::discover::{Browser, Found};

/// A scan's pace when the user does not change it: gentle on a school's network.
pub(crate) const DEFAULT_RATE: u32 = 100;

pub struct FoundPanel {
    /// The user asked to browse (the browser may still be starting).
    pub browsing: bool,
    browser: Option<Browser>,
    /// What a scan covers: `NETWORK/PREFIX:FIRST-LAST`.
    pub scan_targets: String,
    pub scan_rate: u32,
    pub scanning: bool,
    /// The last scan's answers.
    pub scanned: Vec<Found>,
    /// Why browsing or the last scan failed.
    pub error: Option<String>,
    /// Everything found, as of this frame (see [`FoundPanel::refresh`]).
    found: Vec<Found>,
    /// The session a scan or the browser was asked for, while it is under way.
    pub asked_by: Option<crate::gui::actions::SessionId>,
}

impl Default for FoundPanel {
    fn default() -> Self {
        FoundPanel {
            browsing: false,
            browser: None,
            scan_targets: String::new(),
            scan_rate: DEFAULT_RATE,
            scanning: false,
            scanned: Vec::new(),
            error: None,
            found: Vec::new(),
            asked_by: None,
        }
    }
}

/// What the list asks the wall for: a server to add.
pub struct AddFound {
    pub addr: String,
    pub name: String,
    pub protocol: scpanel_core::Protocol,
}

impl FoundPanel {
    /// The browser started on the runtime; it lists from now on.
    pub fn browser_started(&mut self, browser: Browser) {
        self.asked_by = None;
        if self.browsing {
            self.browser = Some(browser);
            self.error = None;
        }
    }

    /// The session that asked for a scan or the browser is gone with its answer: the
    /// buttons must not wait for it.
    pub fn session_removed(&mut self, id: crate::gui::actions::SessionId) {
        if self.asked_by == Some(id) {
            self.asked_by = None;
            self.scanning = false;
            if self.browser.is_none() {
                self.browsing = false;
            }
        }
    }

    /// Whether a browser is listing, for the frame waker.
    pub fn browser(&self) -> Option<&Browser> {
        self.browser.as_ref()
    }

    pub fn scan_done(&mut self, result: Result<Vec<Found>, String>) {
        self.scanning = false;
        self.asked_by = None;
        match result {
            Ok(found) => {
                self.scanned = found;
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Gathers what was found, once a frame: announced first, then scanned servers not
    /// announced at the same address (a set, not nested loops: a busy network announces
    /// hundreds).
    pub fn refresh(&mut self) {
        let mut all = self
            .browser
            .as_ref()
            .map(Browser::found)
            .unwrap_or_default();
        let announced: std::collections::HashSet<std::net::SocketAddr> =
            all.iter().flat_map(|a| a.addrs.iter().copied()).collect();
        all.extend(
            self.scanned
                .iter()
                .filter(|s| !s.addrs.iter().any(|x| announced.contains(x)))
                .cloned(),
        );
        self.found = all;
    }

    /// Everything found, as of the last [`FoundPanel::refresh`].
    pub fn all(&self) -> &[Found] {
        &self.found
    }

    /// The section: browse toggle, scan form, and the list with an "Add" for each server
    /// not on the wall yet (`on_wall` holds the wall's addresses).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        on_wall: &[String],
        actions: &mut ActionQueue,
    ) -> Vec<AddFound> {
        let mut add = Vec::new();
        ui.horizontal_wrapped(|ui| {
            let was = self.browsing;
            ui.checkbox(&mut self.browsing, "Look for announced servers (Zeroconf)")
                .on_hover_text("Lists servers that announce themselves (scsynth -R 1) on the networks this machine is on");
            if self.browsing && !was {
                actions.push(Action::Browse);
                self.asked_by = Some(actions.target);
            }
            if !self.browsing && was {
                // Dropping the browser shuts its daemon down.
                self.browser = None;
            }
        });
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Scan");
            ui.add(
                egui::TextEdit::singleline(&mut self.scan_targets)
                    .hint_text("192.168.1.0/24:57110-57120")
                    .desired_width(190.0),
            )
            .labelled_by(label.id)
            .on_hover_text(
                "Asks every address and port in the range for /status, at the rate below",
            );
            let rate = ui.label("at");
            ui.add(
                egui::DragValue::new(&mut self.scan_rate)
                    .range(1..=scpanel_core::discover::MAX_RATE)
                    .suffix(" / s"),
            )
            .labelled_by(rate.id);
            let ready = !self.scanning && !self.scan_targets.trim().is_empty();
            if ui
                .add_enabled(
                    ready,
                    egui::Button::new(if self.scanning {
                        "Scanning…"
                    } else {
                        "Scan now"
                    }),
                )
                .clicked()
            {
                self.scanning = true;
                self.asked_by = Some(actions.target);
                actions.push(Action::Scan {
                    targets: self.scan_targets.trim().to_string(),
                    rate: self.scan_rate,
                });
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(tone(ui, Tone::Error), e);
        }
        let all = self.found.clone();
        if all.is_empty() {
            if self.browsing || !self.scanned.is_empty() {
                ui.label(RichText::new("Nothing found yet.").weak());
            }
            return add;
        }
        egui::Grid::new("found-list")
            .num_columns(5)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for f in all.iter().take(scpanel_core::discover::MAX_FOUND) {
                    let Some(addr) = f.addr() else { continue };
                    let addr_text = addr.to_string();
                    ui.label(&f.name);
                    ui.label(&addr_text);
                    ui.label(format!("{} · {}", f.protocol.as_str(), f.via.as_str()));
                    ui.label(match &f.status {
                        Some(s) => format!("CPU {:.0}%  {} synths", s.average_cpu, s.synths),
                        None => String::new(),
                    });
                    if on_wall.contains(&addr_text) {
                        ui.label(RichText::new("on the wall").weak());
                    } else if ui
                        .button(format!("Add {addr_text}"))
                        .on_hover_text(format!("Watch {} on the wall", f.name))
                        .clicked()
                    {
                        add.push(AddFound {
                            addr: addr_text,
                            name: if f.via == scpanel_core::discover::Via::Zeroconf {
                                f.name.clone()
                            } else {
                                String::new()
                            },
                            protocol: f.protocol,
                        });
                    }
                    ui.end_row();
                }
            });
        add
    }
}
