//! Starting and ending: boot, quit (asked first when it would stop sound or a recording),
//! the stop-JACK question, the signals that end the app, and shutting every server down.

use super::{QuitKind, ScPanel, Side};
use std::time::Duration;

use egui::RichText;

use crate::gui::actions::Action;
use crate::gui::profiles;
use crate::signals::Signals;

/// How long a signal waits for the server to quit (a recording to close) before the window
/// closes anyway.
const SIGNAL_SHUTDOWN_LIMIT: Duration = Duration::from_secs(8);

/// Quits (or logs out of) every server at once, so one slow server doesn't hold up the rest.
/// What a signal does to the servers online: those this window booted are quit, the others
/// only logged out of (said, so nobody fears for a server someone else runs).
fn leaving(owned: usize, visited: usize) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    match (owned, visited) {
        (0, 0) => "closing".into(),
        (0, v) => format!("logging out, leaving the server{} running", s(v)),
        (o, 0) => format!("quitting the server{} this window booted…", s(o)),
        (o, v) => format!(
            "quitting the server{} this window booted, logging out of the other{}…",
            s(o),
            s(v)
        ),
    }
}

async fn shutdown_all(servers: Vec<scpanel_core::Server>) {
    let mut all = tokio::task::JoinSet::new();
    for s in servers {
        all.spawn(async move { s.shutdown().await });
    }
    while all.join_next().await.is_some() {}
}

impl ScPanel {
    /// Quits every server this window owns (finishing recordings) and logs out of the
    /// others, waiting at most `limit` in all. For closing the app.
    pub fn shutdown(&self, limit: Duration) {
        let servers = self.sessions.iter().map(|s| s.server.clone()).collect();
        let _ = self
            .bridge
            .block_on(async { tokio::time::timeout(limit, shutdown_all(servers)).await });
    }

    /// Makes SIGTERM, SIGHUP and SIGINT quit the owned server (finishing a recording first)
    /// or log out of another's, then close the window. A second signal ends the process at
    /// once (the server's parent-death signal then stops it).
    pub fn handle_signals(&self) -> Result<(), String> {
        let mut signals = self
            .bridge
            .block_on(async { Signals::install() })
            .map_err(|e| format!("cannot listen for signals: {e}"))?;
        let servers = self.servers.clone();
        let terminated = self.terminated.clone();
        let window = self.window.clone();
        self.bridge.spawn(async move {
            let sig = signals.recv().await;
            // Every session's server is quit (or logged out of) before the window closes.
            let servers = servers.lock().map(|s| s.clone()).unwrap_or_default();
            let online: Vec<bool> = servers
                .iter()
                .filter_map(|s| s.attachment().map(|s| s.is_owner))
                .collect();
            let owned = online.iter().filter(|o| **o).count();
            eprintln!("scpanel: {sig}: {}", leaving(owned, online.len() - owned));
            let all = shutdown_all(servers);
            tokio::select! {
                _ = tokio::time::timeout(SIGNAL_SHUTDOWN_LIMIT, all) => {}
                again = signals.recv() => std::process::exit(128 + again.number()),
            }
            if let Ok(mut t) = terminated.lock() {
                *t = Some(sig);
            }
            if let Some(ctx) = window.lock().ok().and_then(|w| w.clone()) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            let again = signals.recv().await;
            std::process::exit(128 + again.number());
        });
        Ok(())
    }

    /// Ctrl+M: a mark in the show at this moment, said in a notice.
    pub fn boot(&mut self) {
        if let Some(why) = self.boot.blocker() {
            self.session().notice("Can't boot", why, true);
            return;
        }
        if self.boot.ask_about_network() {
            return;
        }
        if let Some(w) = self.boot.warning() {
            self.session().notice("Sample rate", w, false);
        }
        let options = self.boot.options.clone();
        if let Err(e) = profiles::save_last(&options) {
            self.session().notice("Options not saved", e, true);
        }
        self.session_mut().booted = true;
        self.actions.push(Action::Boot(options));
    }

    pub(super) fn quit(&mut self) {
        if self.session().server.is_owner() {
            self.actions.push(Action::Quit);
        } else {
            self.side = Side::Connect;
            self.side_open = true;
            self.connect.confirm_quit = true;
        }
    }

    /// What a quit would stop, as the question to ask; `None` when there is nothing to lose
    /// (or the user said not to ask).
    pub fn quit_question(&self) -> Option<String> {
        if self.quit_without_asking {
            return None;
        }
        // Quitting or closing only ends the synths of a server we own; a guest just leaves.
        let synths =
            if self.session().server.is_owner() && self.session().server.state().is_online() {
                self.user_synths()
            } else {
                0
            };
        let recording = self.session().server.recorder().recording();
        let mut parts = Vec::new();
        match synths {
            0 => {}
            1 => parts.push("1 synth playing".to_string()),
            n => parts.push(format!("{n} synths playing")),
        }
        if let Some(r) = &recording {
            parts.push(format!(
                "recording {}",
                crate::gui::format::mm_ss(r.elapsed())
            ));
        }
        if parts.is_empty() {
            None
        } else {
            Some(format!("{}: stop and quit?", parts.join(", ")))
        }
    }

    /// Ctrl+Q: quit at once when nothing would be lost, otherwise ask.
    pub(super) fn quit_key(&mut self) {
        if self.session().server.is_owner() && self.quit_question().is_some() {
            self.confirm_quit = Some(QuitKind::Server);
        } else {
            self.quit();
        }
    }

    /// The window's close button: asks first when synths or a recording would stop.
    pub(super) fn close_request(&mut self, ctx: &egui::Context) {
        if !ctx.input(|i| i.viewport().close_requested()) || self.close_confirmed {
            return;
        }
        if self.quit_question().is_some() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.confirm_quit = Some(QuitKind::Window);
        }
    }

    pub(super) fn quit_dialog(&mut self, ctx: &egui::Context) {
        let Some(kind) = self.confirm_quit else {
            return;
        };
        let Some(question) = self.quit_question() else {
            // Nothing left to lose (the synths ended meanwhile): no need to ask.
            self.confirm_quit = None;
            self.confirmed_quit(ctx, kind);
            return;
        };
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("confirm-quit")).show(ctx, |ui| {
            ui.set_max_width(360.0);
            ui.label(RichText::new(question).strong());
            ui.checkbox(&mut self.dont_ask_ticked, "Don't ask again");
            ui.horizontal(|ui| {
                if ui.button("Stop and quit").clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        if let Some(yes) = answer {
            self.confirm_quit = None;
            if yes {
                self.quit_without_asking = self.dont_ask_ticked;
                self.confirmed_quit(ctx, kind);
            }
            self.dont_ask_ticked = false;
        }
    }

    pub(super) fn confirmed_quit(&mut self, ctx: &egui::Context, kind: QuitKind) {
        match kind {
            QuitKind::Server => self.quit(),
            QuitKind::Window => {
                self.close_confirmed = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    pub(super) fn stop_dialog(&mut self, ctx: &egui::Context) {
        let Some(holder) = self.confirm_stop.clone() else {
            return;
        };
        egui::Window::new("Stop that process?")
            .collapsible(false)
            .show(ctx, |ui| {
                ui.label(format!("pid {}: {}", holder.pid, holder.command));
                ui.label("Only this one process is stopped (SIGTERM, then SIGKILL).");
                ui.horizontal(|ui| {
                    if ui.button("Stop it").clicked() {
                        self.actions.push(Action::StopProcess(holder.clone()));
                        self.confirm_stop = None;
                    }
                    if ui.button("Cancel").clicked() {
                        self.confirm_stop = None;
                    }
                });
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_says_which_servers_it_quits_and_which_it_leaves_running() {
        assert_eq!(leaving(0, 0), "closing");
        assert_eq!(leaving(0, 1), "logging out, leaving the server running");
        assert_eq!(leaving(1, 0), "quitting the server this window booted…");
        assert_eq!(
            leaving(2, 3),
            "quitting the servers this window booted, logging out of the others…"
        );
    }
}
