//! One frame of the window: shortcuts, display settings, the live region, the title, the
//! tabs, and [`eframe::App`] putting the status bar, the side panel and the tab together.

use super::{ScPanel, Side, Tab};
use std::time::Duration;

use crate::gui::actions::Action;
use crate::gui::bridge::StatusFrames;
use crate::gui::keys::{self, Command};
use crate::gui::panels::status_bar;
use crate::gui::panels::wall::summary;
use crate::gui::session::MetersShown;
use scpanel_core::ServerState;
use scpanel_core::recording::Recording;

/// How often the wall redraws for its servers' status alone. A minute of CPU is 236 px
/// wide: two seconds move it 8 px. At 2 frames a second, 32 servers took 6.5 % of a core
/// under software GL; at one every 2 s, about 2 % (`scripts/bench-wall-idle.sh`).
pub(crate) const WALL_REFRESH: Duration = Duration::from_secs(2);

/// A ring around whatever has the keyboard, drawn last on the widget's own layer (so a
/// window over it still covers it): egui shows focus on text fields, but on a check box, a
/// slider or a row only as a shade.
fn focus_ring(ctx: &egui::Context) {
    let Some(id) = ctx.memory(|m| m.focused()) else {
        return;
    };
    let Some(r) = ctx.read_response(id) else {
        return;
    };
    let stroke = ctx.global_style().visuals.selection.stroke;
    ctx.layer_painter(r.layer_id).rect_stroke(
        r.rect.expand(2.0),
        3.0,
        stroke,
        egui::StrokeKind::Outside,
    );
}

impl ScPanel {
    /// The window title as last set.
    pub fn title(&self) -> &str {
        &self.title
    }

    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        let labels: Vec<&'static str> = Tab::ALL.iter().map(|t| t.label()).collect();
        let pressed: Vec<Command> = ctx.input_mut(|i| {
            keys::bindings(&labels)
                .into_iter()
                .filter(|b| i.consume_shortcut(&b.shortcut))
                .map(|b| b.command)
                .collect()
        });
        let state = self.session().server.state();
        for command in pressed {
            match command {
                Command::Boot if state == ServerState::Offline => self.boot(),
                Command::Quit if state.is_online() => self.quit_key(),
                Command::Reboot if self.session().server.is_owner() => {
                    self.actions.push(Action::Reboot)
                }
                // Reset is the panic button: never asks.
                Command::Reset if state.is_online() => self.actions.push(Action::Reset),
                Command::ToggleSide => self.side_open = !self.side_open,
                Command::Tab(i) => {
                    if let Some(t) = Tab::ALL.get(i) {
                        self.tab = *t;
                    }
                }
                Command::ConsoleInput => {
                    self.tab = Tab::Console;
                    ctx.memory_mut(|m| {
                        m.request_focus(egui::Id::unique(
                            crate::gui::panels::console::CONSOLE_INPUT,
                        ))
                    });
                }
                Command::TreeFilter => {
                    self.tab = Tab::Tree;
                    ctx.memory_mut(|m| {
                        m.request_focus(egui::Id::unique(crate::gui::panels::tree::TREE_FILTER))
                    });
                }
                Command::Help => self.keys_open = !self.keys_open,
                Command::About => self.about.open(state.is_online(), &mut self.actions),
                Command::Doctor => self.ask_doctor(),
                Command::Mark => self.mark(),
                _ => {}
            }
        }
    }

    /// Puts the display settings on the window, and keeps a zoom changed with Ctrl + / −
    /// / 0 for the next start (written on the runtime, not on this thread).
    pub(super) fn apply_display(&mut self, ctx: &egui::Context) {
        // A zoom the keys changed since the last frame (egui's own Ctrl + / − / 0). A zoom
        // we set takes effect a frame later: until then the old one is no change of the keys.
        let zoom = ctx.zoom_factor();
        if let Some(applied) = self.display_applied
            && (zoom - applied.zoom).abs() > f32::EPSILON
            && !self.zoom_pending
        {
            self.display.zoom = zoom;
        }
        self.zoom_pending = false;
        if self.display_applied == Some(self.display) {
            return;
        }
        if self.display_applied.is_none() {
            crate::gui::icons::install(ctx);
        }
        crate::gui::theme::apply(ctx, &self.display);
        if (zoom - self.display.zoom).abs() > f32::EPSILON {
            ctx.set_zoom_factor(self.display.zoom);
            self.zoom_pending = true;
        }
        // The first frame only applies what was loaded; later changes are saved, by one
        // task, latest first (Ctrl + held down makes many changes in a row).
        if self.display_applied.is_some() {
            let saver = self.display_saver.get_or_insert_with(|| {
                let (tx, mut rx) = tokio::sync::watch::channel(self.display);
                let waker = self.bridge.waker();
                let inbox = self.sessions[self.current].inbox.clone();
                self.bridge.spawn(async move {
                    while rx.changed().await.is_ok() {
                        let d = *rx.borrow_and_update();
                        let saved = tokio::task::spawn_blocking(move || d.save()).await;
                        if let Ok(Err(e)) = saved {
                            if let Ok(mut i) = inbox.lock() {
                                i.notice("Display settings not saved", e, true);
                            }
                            waker.wake();
                        }
                    }
                });
                tx
            });
            saver.send_replace(self.display);
        }
        self.display_applied = Some(self.display);
    }

    /// Tells the live region what changed (see [`crate::gui::announce`]).
    pub(super) fn announce(&mut self, ctx: &egui::Context) {
        let now = std::time::Instant::now();
        let session = self.session();
        let server = &session.server;
        let away = server.absence();
        let name = summary::label(session);
        let meters = server.mixer().meters();
        let clips = meters
            .inputs
            .iter()
            .chain(&meters.outputs)
            .filter(|c| c.clipping(now))
            .count();
        let seen = crate::gui::announce::Seen {
            session: session.id,
            name: &name,
            state: server.state(),
            crashes: away.crashes,
            away: away.reason.as_deref(),
            alerts: self.alert_count(),
            clips,
        };
        if let Some(wait) = self.announcer.observe(now, &seen) {
            ctx.request_repaint_after(wait);
        }
    }

    /// Servers with an alert, as the window title counts them.
    pub fn alert_count(&self) -> usize {
        self.sessions
            .iter()
            .filter(|s| summary::alerts(s, self.wall.cpu_threshold).any())
            .count()
    }

    /// The window title names a running recording and counts the servers with an alert, so
    /// both show in the task bar too.
    pub(super) fn window_title(&mut self, ctx: &egui::Context, recording: Option<&Recording>) {
        let mut title = match recording {
            // The title is drawn by the window manager's font, which has the dot.
            Some(r) => format!(
                "\u{25CF} {} \u{B7} scpanel",
                crate::gui::format::rec_short(r)
            ),
            None => "scpanel".to_string(),
        };
        match self.alert_count() {
            0 => {}
            1 => title.push_str(" \u{B7} 1 alert"),
            n => title.push_str(&format!(" \u{B7} {n} alerts")),
        }
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The row of tab buttons; it wraps onto a second line when the window is narrow. With
    /// several servers it ends with the one the other tabs show, to switch between them.
    pub(super) fn tabs(&mut self, ui: &mut egui::Ui) {
        let mut show = None;
        ui.horizontal_wrapped(|ui| {
            for t in Tab::ALL {
                ui.selectable_value(&mut self.tab, t, t.label());
            }
            if self.sessions.len() > 1 && !matches!(self.tab, Tab::Servers | Tab::Shows) {
                ui.separator();
                let current = self.sessions[self.current].id;
                let label = ui.label("Server");
                egui::ComboBox::from_id_salt("current-server")
                    .selected_text(summary::label(&self.sessions[self.current]))
                    .show_ui(ui, |ui| {
                        for s in &self.sessions {
                            if ui
                                .selectable_label(s.id == current, summary::label(s))
                                .clicked()
                            {
                                show = Some(s.id);
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
        });
        if let Some(id) = show {
            self.show_session(id);
        }
    }
}

impl eframe::App for ScPanel {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        // The panels' colour: they paint none of their own (see `ui`).
        visuals.panel_fill.to_normalized_gamma_f32()
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.bridge.set_context(&ctx);
        // Pointer moves that change nothing get no frames of their own (from the next frame).
        crate::gui::hover::install(&ctx);
        if let Ok(mut w) = self.window.lock()
            && w.is_none()
        {
            *w = Some(ctx.clone());
        }
        // A signal that came before the first frame had no window to close yet.
        if self.terminated.lock().is_ok_and(|t| t.is_some()) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if self.frame_debug {
            // Why this frame ran: for checking that an idle app stays idle.
            eprintln!(
                "frame {:?} {:?}",
                std::time::Instant::now(),
                ctx.repaint_causes()
            );
        }
        self.apply_display(&ctx);
        self.apply_finished();
        self.keep_xruns();
        self.keep_alerts();
        self.watch_show();
        self.actions.target = self.session().id;
        self.close_request(&ctx);
        self.shortcuts(&ctx);
        if self.boot.network_question(&ctx) {
            self.boot();
        }
        let state = self.session().server.state();
        let session = self.session().server.attachment();
        let status = self.session().server.latest_status();
        let recording = self.session().server.recorder().recording();
        // Boot is offered: it needs to know whether the program is there.
        if !state.is_online() {
            self.boot.find_executable(&mut self.actions);
        }
        let blocker = self.boot.blocker();
        // The master meter shows while the meters run, on every tab.
        let master = (state.is_online() && self.session().server.mixer().settings().meters)
            .then(|| self.session().server.mixer().meters().outputs);
        let doctor_badge = self.badge();
        self.window_title(&ctx, recording.as_ref());
        self.announce(&ctx);
        // The panels paint no background of their own: the window is cleared to the panel
        // colour (`clear_color`). Under software GL each full-window fill cost as much as the
        // rest of a frame (scripts/bench-draw.sh).
        let style = ctx.global_style();
        egui::Panel::top("status-bar")
            .frame(egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT))
            .show(ui, |ui| {
                let a = status_bar::ui(
                    ui,
                    status_bar::View {
                        state,
                        session: session.as_ref(),
                        status,
                        boot_blocker: blocker.as_deref(),
                        recording: recording.as_ref(),
                        side_open: self.side_open,
                        own_synths: self.own_synths(),
                        last_reply: self.session().server.last_heard(),
                        cpu_alert: Some(self.wall.cpu_threshold),
                        large: self.display.large_figures,
                        master: master.as_deref(),
                        xruns: self.session().xruns(),
                        doctor_badge,
                        show: self.show_watch.cell(),
                    },
                );
                if a.doctor {
                    self.ask_doctor();
                }
                if a.test_tone {
                    self.actions.push(Action::TestTone);
                }
                if a.boot {
                    self.boot();
                }
                if a.quit {
                    self.quit();
                }
                if a.reboot {
                    self.actions.push(Action::Reboot);
                }
                if a.reset {
                    self.actions.push(Action::Reset);
                }
                if a.toggle_side {
                    self.side_open = !self.side_open;
                }
                if a.about {
                    self.about.open(state.is_online(), &mut self.actions);
                }
                self.announcer.ui(ui);
            });
        let side_width = (ctx.content_rect().width() * 0.35).clamp(240.0, 380.0);
        egui::Panel::left("side")
            .frame(egui::Frame::side_top_panel(&style).fill(egui::Color32::TRANSPARENT))
            .resizable(true)
            .default_size(side_width)
            .min_size(240.0)
            .show_collapsible(ui, &mut self.side_open, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.selectable_value(&mut self.side, Side::Boot, "Boot options");
                    ui.selectable_value(&mut self.side, Side::Connect, "Connect to a server");
                });
                ui.separator();
                // Both ways: a field wider than the panel scrolls instead of widening it.
                egui::ScrollArea::both()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        // Where students point their clients, while a class server runs.
                        let session = &self.sessions[self.current];
                        self.join.ui(ui, session);
                        match self.side {
                            Side::Boot => self.boot.ui(ui, session, &mut self.actions),
                            Side::Connect => self.connect.ui(ui, session, &mut self.actions),
                        }
                    });
            });
        let mut wall_asked = Vec::new();
        let mut shows_asked = None;
        // The Flow tab learns graphs from the SynthDef folders the doctor's window keeps.
        let flow_dirs = (self.tab == Tab::Flow).then(|| self.doctor.folders.list());
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(&style).fill(egui::Color32::TRANSPARENT))
            .show(ui, |ui| {
                self.tabs(ui);
                ui.separator();
                // The wall's tiles move with every server's status; the plots scroll with time,
                // and the console may be showing every status reply.
                let wall_shown = self.tab == Tab::Servers;
                for (i, s) in self.sessions.iter().enumerate() {
                    // On the wall the status bar, too, moves at the wall's pace.
                    s.set_status_frames(if i != self.current || wall_shown {
                        StatusFrames::Never
                    } else if matches!(self.tab, Tab::Plots)
                        || (self.tab == Tab::Console && self.console.show_status)
                    {
                        StatusFrames::Every
                    } else {
                        StatusFrames::Figures
                    });
                    // A running scope draws 25 frames a second: the status bar's master
                    // meter rides on them rather than ask for 20 more of its own.
                    let scope_frames = matches!(self.tab, Tab::Scope | Tab::Spectrum)
                        && s.scope.view().frame.is_some();
                    s.set_meters_shown(if i != self.current || wall_shown || scope_frames {
                        MetersShown::Hidden
                    } else if self.tab == Tab::Levels {
                        MetersShown::All
                    } else {
                        MetersShown::Master
                    });
                    let scope = (i == self.current && !wall_shown)
                        .then(|| match self.tab {
                            Tab::Scope => Some(self.scope.spec(&self.scope_source)),
                            Tab::Spectrum => Some(self.spectrum.spec(&self.scope_source)),
                            _ => None,
                        })
                        .flatten();
                    s.scope.want(scope);
                }
                if wall_shown {
                    // The tiles' figures and CPU lines move at this pace, not with each of the
                    // servers' replies; a server going away or coming back redraws at once.
                    ui.ctx().request_repaint_after(WALL_REFRESH);
                    let current = self.sessions[self.current].id;
                    wall_asked = self.wall.ui(ui, &self.sessions, current, &mut self.actions);
                    return;
                }
                if self.tab == Tab::Shows {
                    let live = self.flight.as_ref().map(crate::flight::Flight::path);
                    shows_asked = self.shows.ui(ui, live.as_deref());
                    return;
                }
                let session = &mut self.sessions[self.current];
                let actions = &mut self.actions;
                match self.tab {
                    Tab::Servers | Tab::Shows => {}
                    Tab::Tree => session.tree.ui(ui, &session.server, actions),
                    Tab::Plots => self.plots.ui(ui, &session.server, &session.xruns()),
                    Tab::Levels => self.mixer.ui(ui, session, self.own_jack.is_some(), actions),
                    Tab::Scope | Tab::Spectrum => {
                        let layout = session.server.attachment().map_or((1024, 2), |s| {
                            (s.layout.audio_buses, s.layout.output_channels)
                        });
                        if !self.scope_source.chosen {
                            self.scope_source =
                                crate::gui::widgets::scope_source::ScopeSource::outputs(layout.1);
                        }
                        let view = session.scope.view();
                        if self.tab == Tab::Scope {
                            self.scope.ui(ui, &mut self.scope_source, &view, layout);
                        } else {
                            self.spectrum.ui(ui, &mut self.scope_source, &view, layout);
                        }
                    }
                    Tab::Buffers => self.buffers.ui(ui, session, actions),
                    Tab::Console => self.console.ui(ui, session, actions, self.flight.is_some()),
                    Tab::Log => self.log.ui(ui, &session.server),
                    Tab::Flow => {
                        if let Some(dirs) = flow_dirs {
                            session.flow.synthdef_dirs = dirs;
                        }
                        crate::gui::panels::flow::ui(ui, session, actions)
                    }
                }
            });
        // A lane meter stops when its Flow tab is not shown.
        let flow_shown = (self.tab == Tab::Flow).then(|| self.sessions[self.current].id);
        for s in self
            .sessions
            .iter_mut()
            .filter(|s| Some(s.id) != flow_shown)
        {
            s.flow.hidden(s.id, &mut self.actions);
        }
        self.wall_requests(wall_asked);
        if let Some(asked) = shows_asked {
            self.shows_asked(asked);
        }
        self.shows_errands(&ctx, self.tab == Tab::Shows);
        focus_ring(&ctx);
        if self.keys_open {
            let labels: Vec<&'static str> = Tab::ALL.iter().map(|t| t.label()).collect();
            keys::help_window(&ctx, &mut self.keys_open, &labels, &mut self.display);
        }
        if std::mem::take(&mut self.mixer.why_asked) {
            self.ask_doctor();
        }
        if let Some(asked) = self.doctor.ui(&ctx, self.session().id) {
            self.doctor_asked(asked);
        }
        self.mark_window(&ctx);
        self.toasts(&ctx);
        self.quit_dialog(&ctx);
        let online = self.session().server.state().is_online();
        self.about.ui(&ctx, self.session().id, online);
        // The recording's clock and size in the status bar move once a second.
        if recording.is_some() {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        self.run_actions();
        // Busy work in the background: look again soon, without spinning.
        if self.sessions.iter().any(|s| s.busy > 0) || state == ServerState::Booting {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.set_pending_mark();
        self.shutdown(Duration::from_secs(5));
        if let Some(j) = self.own_jack.take() {
            self.bridge.block_on(j.stop());
        }
    }
}
