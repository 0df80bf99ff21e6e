//! Always visible: state, who we are on the server, load, counts, and the lifecycle buttons.

use egui::{Color32, RichText};

use crate::server::{ServerState, Session, StatusInfo};

pub fn state_colour(state: ServerState) -> Color32 {
    match state {
        ServerState::Online => Color32::from_rgb(70, 190, 90),
        ServerState::Booting | ServerState::Connecting => Color32::from_rgb(230, 180, 40),
        ServerState::Unresponsive => Color32::from_rgb(240, 120, 30),
        ServerState::Quitting => Color32::from_rgb(200, 140, 60),
        ServerState::Offline => Color32::from_rgb(150, 150, 150),
    }
}

/// The bar's figures as shown. A status reply that leaves them as they were needs no frame.
/// Whole percents: an idle scsynth's load wanders by tenths of a percent every poll, which
/// would cost a frame each time and tell a musician nothing (the plots show the detail).
pub fn figures(st: &StatusInfo) -> [String; 2] {
    [
        format!("CPU {:.0}% (peak {:.0}%)", st.average_cpu, st.peak_cpu),
        format!(
            "{} UGens  {} synths  {} groups  {} SynthDefs",
            st.ugens, st.synths, st.groups, st.synthdefs
        ),
    ]
}

/// What the user clicked this frame.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Actions {
    pub boot: bool,
    pub quit: bool,
    pub reboot: bool,
    pub reset: bool,
}

pub fn ui(
    ui: &mut egui::Ui,
    state: ServerState,
    session: Option<&Session>,
    status: Option<StatusInfo>,
    boot_blocker: Option<&str>,
) -> Actions {
    let mut a = Actions::default();
    // Buttons first (right to left), then the text: the buttons' ids then never move when
    // the status text appears or changes, so a click between two frames is never lost.
    ui.horizontal(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let online = state.is_online();
            let owner = session.is_some_and(|s| s.is_owner);
            if ui
                .add_enabled(online, egui::Button::new("Reset"))
                .on_hover_text("Cmd-period: free nodes and clear the schedule (Ctrl+.)")
                .clicked()
            {
                a.reset = true;
            }
            if ui
                .add_enabled(online && owner, egui::Button::new("Reboot"))
                .on_hover_text("Quit and boot again with the same options (Ctrl+R)")
                .clicked()
            {
                a.reboot = true;
            }
            if ui
                .add_enabled(online, egui::Button::new("Quit"))
                .on_hover_text("Quit the server (Ctrl+Q)")
                .clicked()
            {
                a.quit = true;
            }
            let can_boot = state == ServerState::Offline && boot_blocker.is_none();
            let boot = ui.add_enabled(can_boot, egui::Button::new("Boot"));
            let boot = match (state, boot_blocker) {
                (ServerState::Offline, Some(why)) => {
                    boot.on_disabled_hover_text(format!("Can't boot: {why}"))
                }
                (ServerState::Offline, None) => boot.on_hover_text("Boot the server (Ctrl+B)"),
                _ => boot.on_disabled_hover_text("The server is already running"),
            };
            if boot.clicked() {
                a.boot = true;
            }
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                ui.label(
                    RichText::new(state.label().to_uppercase())
                        .color(state_colour(state))
                        .strong(),
                );
                if let Some(s) = session {
                    ui.separator();
                    ui.label(if s.is_owner { "owner" } else { "connected" });
                    ui.label(format!("{}://{}", s.protocol.as_str(), s.addr));
                    match s.login {
                        Some(l) => ui.label(format!("client {} / {}", l.client_id, l.max_logins)),
                        None => ui.label("watching (not logged in)"),
                    };
                }
                if let Some(st) = status.filter(|_| state.is_online()) {
                    ui.separator();
                    let [load, counts] = figures(&st);
                    ui.label(load).on_hover_text(format!(
                        "average {:.2}%, peak {:.2}% of the audio thread's time; \
                         the \"CPU & sample rate\" tab plots them",
                        st.average_cpu, st.peak_cpu
                    ));
                    ui.label(counts);
                }
            });
        });
    });
    a
}
