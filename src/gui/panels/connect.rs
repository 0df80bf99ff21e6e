//! Connect to a server someone else booted: address, port, UDP / TCP, password, and whether
//! to log in or only watch.

use std::net::{IpAddr, SocketAddr};

use crate::gui::actions::{Action, ActionQueue};
use crate::gui::session::Session;
use crate::gui::theme::{Tone, tone};
use scpanel_core::{ConnectOptions, Protocol};

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
    lookup: Lookup,
    /// One lookup at a time: typing a name letter by letter starts no pile of them.
    looking_up: bool,
}

/// An address typed as a number: `127.0.0.1`, `::1` or `[::1]`.
pub(crate) fn literal_address(host: &str) -> Option<IpAddr> {
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
            port: scpanel_core::DEFAULT_PORT.to_string(),
            protocol: Protocol::Udp,
            password: String::new(),
            login: true,
            confirm_quit: false,
            lookup: None,
            looking_up: false,
        }
    }
}

impl ConnectPanel {
    /// The host's address if it is a number or already looked up; otherwise asks for a
    /// lookup (the answer comes back through [`ConnectPanel::looked`]).
    fn resolve(&mut self, actions: &mut ActionQueue) -> Resolved {
        let host = self.host.trim().to_string();
        if host.is_empty() {
            return Resolved::Failed("type the server's address".into());
        }
        if let Some(ip) = literal_address(&host) {
            return Resolved::Addresses(vec![ip]);
        }
        if let Some((name, result)) = &self.lookup
            && *name == host
        {
            return match result {
                Ok(ips) => Resolved::Addresses(ips.clone()),
                Err(e) => Resolved::Failed(e.clone()),
            };
        }
        if !self.looking_up {
            self.looking_up = true;
            actions.push(Action::LookUpHost(host));
        }
        Resolved::Pending
    }

    /// A lookup's answer. A name typed since then is looked up on the next frame.
    pub fn looked(&mut self, host: String, result: Result<Vec<IpAddr>, String>) {
        self.lookup = Some((host, result));
        self.looking_up = false;
    }

    /// What to connect with, and every address to try in turn (`localhost` may be both
    /// 127.0.0.1 and ::1).
    fn options(
        &mut self,
        actions: &mut ActionQueue,
    ) -> Result<(ConnectOptions, Vec<SocketAddr>), String> {
        let port: u16 = self
            .port
            .trim()
            .parse()
            .map_err(|_| format!("the port must be 0–65535, not {:?}", self.port))?;
        let ips = match self.resolve(actions) {
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

    pub fn ui(&mut self, ui: &mut egui::Ui, session: &Session, actions: &mut ActionQueue) {
        let state = session.server.state();
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
        let err = self.options(actions).err();
        if let Some(e) = &err {
            ui.colored_label(tone(ui, Tone::Error), e);
        }
        ui.horizontal(|ui| {
            let offline = state == scpanel_core::ServerState::Offline;
            if ui
                .add_enabled(offline && err.is_none(), egui::Button::new("Connect"))
                .clicked()
                && let Ok((options, addrs)) = self.options(actions)
            {
                actions.push(Action::Connect { options, addrs });
            }
            let connected = session.server.attachment().is_some_and(|s| !s.is_owner);
            if ui
                .add_enabled(connected, egui::Button::new("Disconnect"))
                .clicked()
            {
                actions.push(Action::Disconnect);
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
                            actions.push(Action::QuitTheirs);
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

    /// Runs the frame's lookups the way the app does: on a runtime, answer back in the panel.
    fn run_lookups(panel: &mut ConnectPanel, actions: &mut ActionQueue) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = scpanel_core::Server::new();
        for (_, action) in actions.take() {
            let done = rt.block_on(crate::gui::actions::perform::perform(&server, &action));
            match done {
                Ok(crate::gui::actions::Outcome::Looked { host, result }) => {
                    panel.looked(host, result)
                }
                other => panic!("{action:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn a_host_name_is_looked_up_in_the_background_once() {
        let mut actions = ActionQueue::default();
        let mut panel = ConnectPanel {
            host: "localhost".into(),
            ..Default::default()
        };
        // The first frame asks; it does not wait for the answer, nor ask again meanwhile.
        assert!(matches!(panel.resolve(&mut actions), Resolved::Pending));
        assert!(matches!(panel.resolve(&mut actions), Resolved::Pending));
        assert_eq!(
            actions.pending().collect::<Vec<_>>(),
            vec![&Action::LookUpHost("localhost".into())]
        );
        run_lookups(&mut panel, &mut actions);
        let Resolved::Addresses(ip) = panel.resolve(&mut actions) else {
            panic!("no addresses for localhost");
        };
        assert!(
            !ip.is_empty() && ip.iter().all(|i| i.is_loopback()),
            "{ip:?}"
        );
        assert!(actions.is_empty(), "a known name is not looked up again");
        let mut typo = ConnectPanel {
            host: "no-such-host.invalid".into(),
            ..Default::default()
        };
        assert!(matches!(typo.resolve(&mut actions), Resolved::Pending));
        run_lookups(&mut typo, &mut actions);
        match typo.resolve(&mut actions) {
            Resolved::Failed(e) => assert!(e.contains("no-such-host.invalid"), "{e}"),
            _ => panic!("a name that does not exist resolved"),
        }
    }

    #[test]
    fn connect_pushes_the_address_typed_as_an_action() {
        let bridge = crate::gui::bridge::Bridge::new().unwrap();
        let session = Session::new(&bridge, 0);
        let mut panel = ConnectPanel {
            port: "57999".into(),
            login: false,
            ..Default::default()
        };
        let mut actions = ActionQueue::default();
        let mut harness = egui_kittest::Harness::new_ui(|ui| {
            panel.ui(ui, &session, &mut actions);
        });
        harness.run();
        use egui_kittest::kittest::Queryable;
        harness.get_by_label("Connect").click();
        harness.run();
        drop(harness);
        let addr: SocketAddr = "127.0.0.1:57999".parse().unwrap();
        let mut options = ConnectOptions::new(addr);
        options.login = false;
        assert_eq!(
            actions.take(),
            vec![(
                0,
                Action::Connect {
                    options,
                    addrs: vec![addr]
                }
            )]
        );
    }
}
