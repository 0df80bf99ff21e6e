//! Connect to a server someone else booted: address, port, UDP / TCP, password, and whether
//! to log in or only watch.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::bridge::{Bridge, Offer};
use crate::server::{ConnectOptions, Protocol, ServerError};

/// A host name looked up in the background: (the name, its addresses or why not).
type Lookup = Option<(String, Result<Vec<IpAddr>, String>)>;

pub struct ConnectPanel {
    pub host: String,
    pub port: String,
    pub protocol: Protocol,
    pub password: String,
    pub login: bool,
    pub confirm_quit: bool,
    /// The latest finished lookup. Name lookups can take seconds (a dead DNS server), so
    /// they never run on the UI thread.
    lookup: Arc<Mutex<Lookup>>,
    /// One lookup at a time: typing a name letter by letter starts no pile of them.
    looking_up: Arc<AtomicBool>,
}

/// An address typed as a number: `127.0.0.1`, `::1` or `[::1]`.
pub fn literal_address(host: &str) -> Option<IpAddr> {
    let host = host.trim();
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Where the host stands: known (every address, in the resolver's order), being looked
/// up, or failed.
enum Resolved {
    Addresses(Vec<IpAddr>),
    Pending,
    Failed(String),
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
            lookup: Arc::new(Mutex::new(None)),
            looking_up: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl ConnectPanel {
    /// The host's address if it is a number or already looked up; otherwise starts a
    /// lookup in the background (the bridge asks for a frame when it is done).
    fn resolve(&self, bridge: &Bridge) -> Resolved {
        let host = self.host.trim().to_string();
        if host.is_empty() {
            return Resolved::Failed("type the server's address".into());
        }
        if let Some(ip) = literal_address(&host) {
            return Resolved::Addresses(vec![ip]);
        }
        if let Ok(l) = self.lookup.lock()
            && let Some((name, result)) = l.as_ref()
            && *name == host
        {
            return match result {
                Ok(ips) => Resolved::Addresses(ips.clone()),
                Err(e) => Resolved::Failed(e.clone()),
            };
        }
        if !self.looking_up.swap(true, Ordering::AcqRel) {
            let slot = self.lookup.clone();
            let busy = self.looking_up.clone();
            bridge.spawn_blocking(move || {
                let result = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 0))
                    .map_err(|e| format!("{host}: {e}"))
                    .and_then(|a| {
                        let mut ips: Vec<IpAddr> = Vec::new();
                        for ip in a.map(|a| a.ip()) {
                            if !ips.contains(&ip) {
                                ips.push(ip);
                            }
                        }
                        Some(ips)
                            .filter(|i| !i.is_empty())
                            .ok_or_else(|| format!("{host}: no address"))
                    });
                if let Ok(mut l) = slot.lock() {
                    *l = Some((host, result));
                }
                busy.store(false, Ordering::Release);
            });
        }
        Resolved::Pending
    }

    /// What to connect with, and every address to try in turn (`localhost` may be both
    /// 127.0.0.1 and ::1).
    fn options(&self, bridge: &Bridge) -> Result<(ConnectOptions, Vec<SocketAddr>), String> {
        let port: u16 = self
            .port
            .trim()
            .parse()
            .map_err(|_| format!("the port must be 0–65535, not {:?}", self.port))?;
        let ips = match self.resolve(bridge) {
            Resolved::Addresses(ips) => ips,
            Resolved::Pending => return Err(format!("looking up {}…", self.host.trim())),
            Resolved::Failed(e) => return Err(e),
        };
        let addrs: Vec<SocketAddr> = ips.iter().map(|ip| SocketAddr::new(*ip, port)).collect();
        let mut o = ConnectOptions::new(addrs[0]);
        o.protocol = self.protocol;
        o.password = Some(self.password.clone()).filter(|p| !p.is_empty());
        o.login = self.login;
        Ok((o, addrs))
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
        let err = self.options(bridge).err();
        if let Some(e) = &err {
            ui.colored_label(egui::Color32::from_rgb(230, 80, 60), e);
        }
        ui.horizontal(|ui| {
            let offline = state == crate::server::ServerState::Offline;
            if ui
                .add_enabled(offline && err.is_none(), egui::Button::new("Connect"))
                .clicked()
                && let Ok((mut o, addrs)) = self.options(bridge)
            {
                let inbox = bridge.inbox.clone();
                bridge.run("Connecting", move |s| async move {
                    s.default_meters(false);
                    // `o` ends at the address that answered, for a watch-only offer.
                    let r = s.connect_any(&mut o, &addrs).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_addresses_need_no_lookup() {
        assert_eq!(
            literal_address("::1"),
            Some(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]))
        );
        assert_eq!(literal_address(" [::1] "), literal_address("::1"));
        assert_eq!(
            literal_address("127.0.0.1"),
            Some(IpAddr::from([127, 0, 0, 1]))
        );
        assert_eq!(literal_address("localhost"), None);
    }

    #[test]
    fn a_host_name_is_looked_up_in_the_background_once() {
        let bridge = Bridge::new().unwrap();
        let panel = ConnectPanel {
            host: "localhost".into(),
            ..Default::default()
        };
        // The first frame asks; it does not wait for the answer.
        assert!(matches!(panel.resolve(&bridge), Resolved::Pending));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let ip = loop {
            match panel.resolve(&bridge) {
                Resolved::Addresses(ips) => break ips,
                Resolved::Pending => {
                    assert!(std::time::Instant::now() < deadline, "no answer");
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Resolved::Failed(e) => panic!("{e}"),
            }
        };
        assert!(
            !ip.is_empty() && ip.iter().all(|i| i.is_loopback()),
            "{ip:?}"
        );
        let typo = ConnectPanel {
            host: "no-such-host.invalid".into(),
            ..Default::default()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            match typo.resolve(&bridge) {
                Resolved::Failed(e) => {
                    assert!(e.contains("no-such-host.invalid"), "{e}");
                    break;
                }
                Resolved::Pending => {
                    assert!(std::time::Instant::now() < deadline, "no answer");
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Resolved::Addresses(ip) => panic!("{ip:?}"),
            }
        }
    }
}
