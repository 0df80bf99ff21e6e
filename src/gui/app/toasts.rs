//! Notices and offers, shown as toasts over the window's corner.

use super::{ScPanel, Side};
use std::time::Duration;

use crate::gui::theme::{Tone, tone};
use egui::RichText;

use crate::gui::actions::Action;
use crate::gui::bridge::Offer;

/// How long a notice that is not an error stays on screen.
const NOTICE_SECONDS: u64 = 8;

impl ScPanel {
    /// Notices and offers float in the bottom right corner, over the panels: they never move
    /// the layout, so a click can't land on a widget that slid under the pointer. Errors and
    /// offers stay until dismissed; confirmations fade after a few seconds.
    pub(super) fn toasts(&mut self, ctx: &egui::Context) {
        let expiry = Duration::from_secs(NOTICE_SECONDS);
        let (notices, offers) = match self.session().inbox.lock() {
            Ok(mut i) => {
                let now = std::time::SystemTime::now();
                i.notices.retain(|n| {
                    n.error || now.duration_since(n.at).map_or(true, |age| age < expiry)
                });
                (i.notices.clone(), i.offers.clone())
            }
            Err(_) => return,
        };
        if notices.iter().any(|n| !n.error) {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        if notices.is_empty() && offers.is_empty() {
            self.stop_dialog(ctx);
            return;
        }
        let mut dismiss = None;
        let mut take_offer = None;
        let mut dismiss_all = false;
        let width = (ctx.content_rect().width() - 24.0).clamp(200.0, 420.0);
        egui::Area::new(egui::Id::unique("toasts"))
            .order(egui::Order::Foreground)
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -12.0))
            .show(ctx, |ui| {
                ui.set_max_width(width);
                for (i, n) in notices.iter().enumerate().rev().take(4) {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_width(width);
                        let colour = if n.error {
                            tone(ui, Tone::Error)
                        } else {
                            tone(ui, Tone::Good)
                        };
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(&n.title).strong().color(colour));
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    if ui.small_button("Dismiss").clicked() {
                                        dismiss = Some(i);
                                    }
                                },
                            );
                        });
                        ui.label(&n.text);
                    });
                }
                for (i, o) in offers.iter().enumerate() {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_width(width);
                        ui.horizontal_wrapped(|ui| {
                            if self.offer(ui, o) {
                                take_offer = Some(i);
                            }
                            if ui.small_button("Not now").clicked() {
                                take_offer = Some(i);
                            }
                        });
                    });
                }
                if notices.len() + offers.len() > 1 && ui.small_button("Dismiss all").clicked() {
                    dismiss_all = true;
                }
            });
        if let Ok(mut inbox) = self.session().inbox.lock() {
            if dismiss_all {
                inbox.notices.clear();
                inbox.offers.clear();
            }
            if let Some(i) = dismiss
                && i < inbox.notices.len()
            {
                inbox.notices.remove(i);
            }
            if let Some(i) = take_offer
                && i < inbox.offers.len()
            {
                inbox.offers.remove(i);
            }
        }
        self.stop_dialog(ctx);
    }

    /// One offer's buttons; true when the offer was taken.
    pub(super) fn offer(&mut self, ui: &mut egui::Ui, o: &Offer) -> bool {
        let mut taken = false;
        match o {
            Offer::WatchOnly(c) => {
                ui.label("Every login of that server is taken.");
                if ui.button("Watch without logging in").clicked() {
                    self.actions.push(Action::Watch(c.clone()));
                    taken = true;
                }
            }
            Offer::PortHeld {
                port,
                holder,
                suggestion,
            } => {
                ui.label(format!(
                    "Port {port} is held by {} (pid {}).",
                    holder.command, holder.pid
                ));
                if holder.is_scsynth() && ui.button("Connect to it").clicked() {
                    self.connect.port = port.to_string();
                    self.side = Side::Connect;
                    self.side_open = true;
                    taken = true;
                }
                if ui.button(format!("Stop pid {}…", holder.pid)).clicked() {
                    self.confirm_stop = Some(holder.clone());
                    taken = true;
                }
                if let Some(p) = suggestion
                    && ui.button(format!("Use port {p}")).clicked()
                {
                    let mut o = self.boot.options.clone();
                    o.port = *p;
                    self.boot.set_options(o);
                    // The user asked to boot, and this is the one way it can: do it now.
                    self.boot();
                    taken = true;
                }
            }
        }
        taken
    }
}
