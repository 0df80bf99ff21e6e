//! "Join this server": on a server this window booted for other computers to reach, the
//! addresses students can type, each with a ready line to copy for sclang, supriya and
//! scpanel.

use std::net::{IpAddr, SocketAddr};

use scpanel_core::Protocol;
use scpanel_core::machine::{join_lines, reachable_addresses};

use crate::gui::session::Session;

#[derive(Default)]
pub struct JoinBox {
    /// This machine's addresses, read when the box first shows (and on Refresh), not every
    /// frame.
    addresses: Option<Vec<IpAddr>>,
}

impl JoinBox {
    /// Shows the box when this window owns a server bound to every interface.
    pub fn ui(&mut self, ui: &mut egui::Ui, session: &Session) {
        let options = session.server.options();
        let Some(session) = session.server.attachment() else {
            return;
        };
        if !session.is_owner || !options.listens_on_all_interfaces() {
            return;
        }
        egui::CollapsingHeader::new("Join this server")
            .default_open(true)
            .show(ui, |ui| {
                let addresses = self.addresses.get_or_insert_with(reachable_addresses);
                if addresses.is_empty() {
                    ui.label("This computer has no network address others can reach.");
                }
                for ip in addresses.iter() {
                    let addr = SocketAddr::new(*ip, session.addr.port());
                    ui.strong(addr.to_string());
                    for (who, line) in join_lines(addr, session.protocol == Protocol::Tcp) {
                        ui.horizontal(|ui| {
                            if ui
                                .small_button(format!("Copy {who}"))
                                .on_hover_text(line.as_str())
                                .clicked()
                            {
                                ui.ctx().copy_text(line.clone());
                            }
                            ui.monospace(line.as_str());
                        });
                    }
                }
                if ui.small_button("Refresh addresses").clicked() {
                    self.addresses = None;
                }
            });
    }
}
