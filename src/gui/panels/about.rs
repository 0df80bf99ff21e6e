//! The About box (Shift+F1, or "About" in the status bar): scpanel's version and, when a server is
//! online, the server's own (`/version`, asked each time the box opens).

use egui::RichText;

use crate::gui::actions::{Action, ActionQueue, SessionId};
use scpanel_core::VersionInfo;

/// scpanel's version, as the box and `scpanel --version` say it.
pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the server said to `/version`, for the session that asked.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerVersion {
    Asked,
    Known(String),
    Failed(String),
}

#[derive(Debug, Default)]
pub struct About {
    pub open: bool,
    /// The session the server's version was asked of, and its answer so far.
    pub server: Option<(SessionId, ServerVersion)>,
}

impl About {
    /// Opens the box; asks an online server for its version.
    pub fn open(&mut self, online: bool, actions: &mut ActionQueue) {
        self.open = true;
        self.server = None;
        if online {
            self.server = Some((actions.target, ServerVersion::Asked));
            actions.push(Action::Version);
        }
    }

    /// The answer to [`Action::Version`] for session `id`.
    pub fn answered(&mut self, id: SessionId, answer: Result<VersionInfo, String>) {
        if let Some((asked, v)) = &mut self.server
            && *asked == id
        {
            *v = match answer {
                Ok(info) => ServerVersion::Known(info.to_string()),
                Err(e) => ServerVersion::Failed(e),
            };
        }
    }

    /// Draws the box while it is open; Escape or "Close" closes it. `current` is the session
    /// the window shows, `online` whether its server is.
    pub fn ui(&mut self, ctx: &egui::Context, current: SessionId, online: bool) {
        if !self.open {
            return;
        }
        let mut close = false;
        let modal = egui::Modal::new(egui::Id::unique("about-scpanel")).show(ctx, |ui| {
            ui.set_max_width(380.0);
            ui.heading("scpanel");
            ui.label(format!("scpanel {VERSION}"));
            ui.label("A control panel for SuperCollider's synthesis server (scsynth, supernova).");
            ui.label(RichText::new("MIT OR Apache-2.0").weak());
            ui.separator();
            let server = match &self.server {
                Some((id, v)) if *id == current && online => match v {
                    ServerVersion::Asked => "Server: asking\u{2026}".to_string(),
                    ServerVersion::Known(v) => format!("Server: {v}"),
                    ServerVersion::Failed(e) => format!("Server: no version ({e})"),
                },
                _ => "Server: offline".to_string(),
            };
            ui.label(server);
            ui.add_space(crate::gui::theme::space::MEDIUM);
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        if close || modal.should_close() {
            self.open = false;
        }
    }
}
