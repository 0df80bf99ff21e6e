//! The window: status bar on top, boot / connect on the left, the live views in tabs.

use std::time::Duration;

use egui::{Color32, RichText};

use super::boot_panel::BootPanel;
use super::bridge::{Bridge, Offer};
use super::buffers_panel::BuffersPanel;
use super::connect_panel::ConnectPanel;
use super::console::Console;
use super::log_panel::LogPanel;
use super::mixer_panel::MixerPanel;
use super::plots::Plots;
use super::tree_panel::TreePanel;
use super::{profiles, status_bar};
use crate::server::{Options, ServerState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Tree,
    Plots,
    Levels,
    Buffers,
    Console,
    Log,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Tree,
        Tab::Plots,
        Tab::Levels,
        Tab::Buffers,
        Tab::Console,
        Tab::Log,
    ];
    fn label(self) -> &'static str {
        match self {
            Tab::Tree => "Node tree",
            Tab::Plots => "CPU & sample rate",
            Tab::Levels => "Levels & record",
            Tab::Buffers => "Buffers & buses",
            Tab::Console => "OSC console",
            Tab::Log => "Server log",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Boot,
    Connect,
}

pub struct ScPanel {
    pub bridge: Bridge,
    pub boot: BootPanel,
    pub connect: ConnectPanel,
    pub plots: Plots,
    pub tree: TreePanel,
    pub buffers: BuffersPanel,
    pub console: Console,
    pub log: LogPanel,
    pub mixer: MixerPanel,
    pub tab: Tab,
    pub side: Side,
    confirm_stop: Option<crate::server::ports::PortHolder>,
    /// `SCPANEL_FRAME_DEBUG` set: log every frame and its cause to stderr.
    frame_debug: bool,
}

impl ScPanel {
    pub fn new(options: Options) -> Result<ScPanel, String> {
        Ok(ScPanel {
            bridge: Bridge::new()?,
            boot: BootPanel::new(options),
            connect: ConnectPanel::default(),
            plots: Plots::default(),
            tree: TreePanel::default(),
            buffers: BuffersPanel::default(),
            console: Console::default(),
            log: LogPanel::default(),
            mixer: MixerPanel::default(),
            tab: Tab::Tree,
            side: Side::Boot,
            confirm_stop: None,
            frame_debug: std::env::var_os("SCPANEL_FRAME_DEBUG").is_some(),
        })
    }

    pub fn boot(&mut self) {
        if let Some(why) = self.boot.blocker() {
            self.bridge.notice("Can't boot", why, true);
            return;
        }
        if self.boot.ask_about_network() {
            return;
        }
        let options = self.boot.options.clone();
        if let Err(e) = profiles::save_last(&options) {
            self.bridge.notice("Options not saved", e, true);
        }
        self.bridge
            .run("Boot failed", move |s| async move { s.boot(options).await });
    }

    fn quit(&mut self) {
        if self.bridge.server.is_owner() {
            self.bridge
                .run("Quit failed", |s| async move { s.quit(false).await });
        } else {
            self.side = Side::Connect;
            self.connect.confirm_quit = true;
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let b = KeyboardShortcut::new(Modifiers::COMMAND, Key::B);
        let q = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
        let r = KeyboardShortcut::new(Modifiers::COMMAND, Key::R);
        let dot = KeyboardShortcut::new(Modifiers::COMMAND, Key::Period);
        let (boot, quit, reboot, reset) = ctx.input_mut(|i| {
            (
                i.consume_shortcut(&b),
                i.consume_shortcut(&q),
                i.consume_shortcut(&r),
                i.consume_shortcut(&dot),
            )
        });
        let state = self.bridge.server.state();
        if boot && state == ServerState::Offline {
            self.boot();
        }
        if quit && state.is_online() {
            self.quit();
        }
        if reboot && self.bridge.server.is_owner() {
            self.bridge
                .run("Reboot failed", |s| async move { s.reboot().await });
        }
        if reset && state.is_online() {
            self.bridge
                .run("Reset failed", |s| async move { s.reset().await });
        }
    }

    fn notices(&mut self, ui: &mut egui::Ui) {
        let (notices, offers) = match self.bridge.inbox.lock() {
            Ok(i) => (i.notices.clone(), i.offers.clone()),
            Err(_) => return,
        };
        if notices.is_empty() && offers.is_empty() {
            return;
        }
        let mut dismiss = None;
        let mut take_offer = None;
        for (i, n) in notices.iter().enumerate().rev().take(3) {
            ui.horizontal_wrapped(|ui| {
                let colour = if n.error {
                    Color32::from_rgb(230, 80, 60)
                } else {
                    Color32::from_rgb(70, 190, 90)
                };
                ui.label(RichText::new(&n.title).strong().color(colour));
                ui.label(&n.text);
                if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                    dismiss = Some(i);
                }
            });
        }
        for (i, o) in offers.iter().enumerate() {
            ui.horizontal_wrapped(|ui| match o {
                Offer::WatchOnly(c) => {
                    ui.label("Every login of that server is taken.");
                    if ui.button("Watch without logging in").clicked() {
                        let c = c.clone();
                        self.bridge
                            .run("Watching", move |s| async move { s.connect(c).await });
                        take_offer = Some(i);
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
                        take_offer = Some(i);
                    }
                    if ui.button(format!("Stop pid {}…", holder.pid)).clicked() {
                        self.confirm_stop = Some(holder.clone());
                        take_offer = Some(i);
                    }
                    if let Some(p) = suggestion
                        && ui.button(format!("Use port {p}")).clicked()
                    {
                        let mut o = self.boot.options.clone();
                        o.port = *p;
                        self.boot.set_options(o);
                        take_offer = Some(i);
                    }
                }
            });
        }
        if let Ok(mut inbox) = self.bridge.inbox.lock() {
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
        ui.horizontal(|ui| {
            if ui.small_button("Dismiss all").clicked()
                && let Ok(mut inbox) = self.bridge.inbox.lock()
            {
                inbox.notices.clear();
                inbox.offers.clear();
            }
        });
        if let Some(holder) = self.confirm_stop.clone() {
            egui::Window::new("Stop that process?")
                .collapsible(false)
                .show(ui.ctx(), |ui| {
                    ui.label(format!("pid {}: {}", holder.pid, holder.command));
                    ui.label("Only this one process is stopped (SIGTERM, then SIGKILL).");
                    ui.horizontal(|ui| {
                        if ui.button("Stop it").clicked() {
                            let inbox = self.bridge.inbox.clone();
                            self.bridge.spawn(async move {
                                let gone = crate::server::ports::stop_process(
                                    &holder,
                                    Duration::from_secs(2),
                                )
                                .await;
                                let (title, text) = if gone {
                                    ("Stopped", format!("pid {} is gone: boot again", holder.pid))
                                } else {
                                    (
                                        "Could not stop it",
                                        format!(
                                            "pid {} is still running (permission?)",
                                            holder.pid
                                        ),
                                    )
                                };
                                super::bridge::push_notice(&inbox, title, text, !gone);
                            });
                            self.confirm_stop = None;
                        }
                        if ui.button("Cancel").clicked() {
                            self.confirm_stop = None;
                        }
                    });
                });
        }
    }
}

impl eframe::App for ScPanel {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.bridge.set_context(&ctx);
        if self.frame_debug {
            // Why this frame ran: for checking that an idle app stays idle.
            eprintln!(
                "frame {:?} {:?}",
                std::time::Instant::now(),
                ctx.repaint_causes()
            );
        }
        self.shortcuts(&ctx);
        if self.boot.network_question(&ctx) {
            self.boot();
        }
        let state = self.bridge.server.state();
        let session = self.bridge.server.session();
        let status = self.bridge.server.latest_status();
        let blocker = self.boot.blocker();
        egui::Panel::top("status-bar").show(ui, |ui| {
            let a = status_bar::ui(ui, state, session.as_ref(), status, blocker.as_deref());
            if a.boot {
                self.boot();
            }
            if a.quit {
                self.quit();
            }
            if a.reboot {
                self.bridge
                    .run("Reboot failed", |s| async move { s.reboot().await });
            }
            if a.reset {
                self.bridge
                    .run("Reset failed", |s| async move { s.reset().await });
            }
            if state == ServerState::Offline
                && let Some(why) = &blocker
            {
                ui.colored_label(
                    Color32::from_rgb(230, 80, 60),
                    format!("Boot is disabled: {why}"),
                );
            }
            self.notices(ui);
        });
        egui::Panel::left("side")
            .resizable(true)
            .default_size(360.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.selectable_value(&mut self.side, Side::Boot, "Boot options");
                    ui.selectable_value(&mut self.side, Side::Connect, "Connect to a server");
                });
                ui.separator();
                egui::ScrollArea::vertical().show(ui, |ui| match self.side {
                    Side::Boot => self.boot.ui(ui, &self.bridge),
                    Side::Connect => self.connect.ui(ui, &self.bridge),
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                for t in Tab::ALL {
                    ui.selectable_value(&mut self.tab, t, t.label());
                }
            });
            ui.separator();
            // The plots scroll with time, and the console may be showing every status reply.
            self.bridge.set_status_frames(match self.tab {
                Tab::Plots => true,
                Tab::Console => self.console.show_status,
                _ => false,
            });
            match self.tab {
                Tab::Tree => self.tree.ui(ui, &self.bridge),
                Tab::Plots => self.plots.ui(ui, &self.bridge.server),
                Tab::Levels => self.mixer.ui(ui, &self.bridge),
                Tab::Buffers => self.buffers.ui(ui, &self.bridge),
                Tab::Console => self.console.ui(ui, &self.bridge),
                Tab::Log => self.log.ui(ui, &self.bridge.server),
            }
        });
        // Busy work in the background: look again soon, without spinning.
        if self.bridge.inbox.lock().is_ok_and(|i| i.busy > 0) || state == ServerState::Booting {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.bridge.shutdown(Duration::from_secs(5));
        let jack = self.mixer.own_jack.lock().ok().and_then(|mut j| j.take());
        if let Some(j) = jack {
            self.bridge.block_on(j.stop());
        }
    }
}
