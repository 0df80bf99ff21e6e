//! Connect to a server someone else booted: address, port, UDP / TCP, password, and whether
//! to log in or only watch.

use super::bridge::{Bridge, Offer};
use crate::server::{ConnectOptions, Protocol, ServerError};

pub struct ConnectPanel {
    pub host: String,
    pub port: String,
    pub protocol: Protocol,
    pub password: String,
    pub login: bool,
    pub confirm_quit: bool,
}

impl Default for ConnectPanel {
    fn default() -> Self {
        ConnectPanel {
            host: "127.0.0.1".into(),
            port: "57110".into(),
            protocol: Protocol::Udp,
            password: String::new(),
            login: true,
            confirm_quit: false,
        }
    }
}

impl ConnectPanel {
    fn options(&self) -> Result<ConnectOptions, String> {
        let port: u16 = self
            .port
            .trim()
            .parse()
            .map_err(|_| format!("the port must be 0–65535, not {:?}", self.port))?;
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&(self.host.trim(), port))
            .map_err(|e| format!("{}: {e}", self.host))?
            .next()
            .ok_or_else(|| format!("{}: no address", self.host))?;
        let mut o = ConnectOptions::new(addr);
        o.protocol = self.protocol;
        o.password = Some(self.password.clone()).filter(|p| !p.is_empty());
        o.login = self.login;
        Ok(o)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, bridge: &Bridge) {
        let state = bridge.server.state();
        egui::Grid::new("connect").num_columns(2).show(ui, |ui| {
            let l = ui.label("Address");
            ui.add(egui::TextEdit::singleline(&mut self.host).desired_width(140.0))
                .labelled_by(l.id);
            ui.end_row();
            let l = ui.label("Server port");
            ui.add(egui::TextEdit::singleline(&mut self.port).desired_width(70.0))
                .labelled_by(l.id);
            ui.end_row();
            ui.label("Protocol");
            ui.horizontal(|ui| {
                ui.radio_value(&mut self.protocol, Protocol::Udp, "UDP");
                ui.radio_value(&mut self.protocol, Protocol::Tcp, "TCP");
            });
            ui.end_row();
            let l = ui.label("Server password");
            ui.add(
                egui::TextEdit::singleline(&mut self.password)
                    .password(true)
                    .desired_width(140.0),
            )
            .labelled_by(l.id)
            .on_hover_text(
                "TCP only. A wrong one stalls scsynth's TCP service, so type it carefully",
            );
            ui.end_row();
            ui.label("");
            ui.checkbox(&mut self.login, "Log in (uncheck to only watch)");
            ui.end_row();
        });
        let err = self.options().err();
        if let Some(e) = &err {
            ui.colored_label(egui::Color32::from_rgb(230, 80, 60), e);
        }
        ui.horizontal(|ui| {
            let offline = state == crate::server::ServerState::Offline;
            if ui
                .add_enabled(offline && err.is_none(), egui::Button::new("Connect"))
                .clicked()
                && let Ok(o) = self.options()
            {
                let inbox = bridge.inbox.clone();
                bridge.run("Connecting", move |s| async move {
                    s.default_meters(false);
                    let r = s.connect(o.clone()).await;
                    if let Err(ServerError::TooManyClients { .. }) = &r
                        && let Ok(mut i) = inbox.lock()
                    {
                        let mut watch = o;
                        watch.login = false;
                        i.offers.push(Offer::WatchOnly(watch));
                    }
                    r
                });
            }
            let connected = bridge.server.session().is_some_and(|s| !s.is_owner);
            if ui
                .add_enabled(connected, egui::Button::new("Disconnect"))
                .clicked()
            {
                bridge.run("Disconnecting", |s| async move { s.disconnect().await });
            }
            if ui
                .add_enabled(connected, egui::Button::new("Quit that server…"))
                .on_hover_text("Stops the server for every client")
                .clicked()
            {
                self.confirm_quit = true;
            }
        });
        if self.confirm_quit {
            egui::Window::new("Quit a server you did not boot?")
                .collapsible(false)
                .show(ui.ctx(), |ui| {
                    ui.label("This stops the server for every client using it.");
                    ui.horizontal(|ui| {
                        if ui.button("Quit it").clicked() {
                            bridge.run("Quitting", |s| async move { s.quit(true).await });
                            self.confirm_quit = false;
                        }
                        if ui.button("Cancel").clicked() {
                            self.confirm_quit = false;
                        }
                    });
                });
        }
        ui.weak(
            "A connected client can't ask the server its bus and buffer counts: scpanel assumes scsynth's defaults.",
        );
    }
}
