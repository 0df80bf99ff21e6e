//! The flight recorder in the window (issue 26): a server the window boots is followed into
//! this run's show from its boot, and Ctrl+M sets a mark in it.

mod common;

use std::time::Duration;

use common::gui::{app_sized, notices, show_tab, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::ServerState;
use scpanel_core::journal::{Event, Show};

#[test]
fn the_window_keeps_its_server_in_the_show_and_ctrl_m_marks_it() {
    let mut h = app_sized(common::options(), "gui-flight", egui::vec2(900.0, 600.0));
    h.run_steps(2);
    let flight = h.state().flight.clone().expect("a show for this run");
    assert_eq!(flight.error(), None);
    h.state_mut().boot();
    step_until(
        &mut h,
        "online with a few status replies",
        Duration::from_secs(30),
        |h| {
            let s = &h.state().session().server;
            s.state() == ServerState::Online && s.with_status_history(|x| x.len()) >= 2
        },
    );
    // Ctrl+M takes the moment; the mark's name is typed into the window it opens.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::M);
    h.run_steps(2);
    assert!(
        h.state().pending_mark.is_some(),
        "the mark waits for its name"
    );
    h.event(egui::Event::Text("verse 2".into()));
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(h.state().pending_mark.is_none(), "Enter set the mark");
    assert!(
        notices(&h)
            .iter()
            .any(|n| n.title == "Mark" && n.text.contains("'verse 2' set at")),
        "the mark is said: {:?}",
        notices(&h)
    );
    // What the doctor finds goes into the show too.
    let server = h.state().session().server.clone();
    h.state()
        .bridge
        .block_on(server.mixer().set_mute(true))
        .expect("mute");
    h.key_press(egui::Key::F8);
    step_until(&mut h, "the doctor's look", Duration::from_secs(30), |h| {
        !h.state().doctor.running && h.query_by_label("Unmute").is_some()
    });
    flight.flush().expect("the show on disk");
    let show = Show::open(flight.path()).expect("the show");
    let events = show.events(..).expect("events");
    assert!(
        events.iter().any(|e| e.event == Event::Booting),
        "{events:#?}"
    );
    assert!(
        events.iter().any(|e| e.event == Event::Online),
        "{events:#?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.event, Event::Mark { text } if text == "verse 2")),
        "{events:#?}"
    );
    assert!(!show.samples(..).expect("samples").is_empty());
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.event, Event::Doctor { kind, .. } if kind == "muted")),
        "{events:#?}"
    );
    assert_eq!(show.info().servers.len(), 1, "{:?}", show.info().servers);
    h.state().shutdown(Duration::from_secs(5));
}

#[path = "../benches/support/demo_show.rs"]
mod demo_show;

/// "Keep shows" in the Shows tab: room for fewer shows than the folder holds drops the oldest
/// first (never a show being recorded), says so, and is kept for the next start.
#[test]
fn keeping_less_room_drops_the_oldest_show_first() {
    let mut h = app_sized(common::options(), "gui-flight", egui::vec2(900.0, 600.0));
    h.run_steps(2);
    let flight = h.state().flight.clone().expect("a show for this run");
    let folder = flight.path().parent().expect("a folder").to_path_buf();
    // Three made-up shows of about 4.7 MB each, one after another: the first is the oldest.
    let shows: Vec<_> = (0..3)
        .map(|_| {
            demo_show::write(&folder, 2, Duration::from_secs(4 * 3600)).expect("a made-up show")
        })
        .collect();
    h.state_mut().side_open = false;
    h.run_steps(2);
    show_tab(&mut h, "Shows");
    step_until(
        &mut h,
        "the made-up shows listed",
        Duration::from_secs(30),
        |h| h.query_all_by_label_contains("main, drums").count() == 3,
    );
    h.get_by_label_contains("Keep shows: 30 days, 1 GB").click();
    h.run_steps(2);
    // 10 MB: room for two of them beside the shows being recorded.
    h.get_by_label("Room on disk").click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.event(egui::Event::Text("10".into()));
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    h.get_by_label("Keep so").click();
    step_until(
        &mut h,
        "the oldest show removed",
        Duration::from_secs(30),
        |h| {
            h.state()
                .shows
                .said
                .as_ref()
                .is_some_and(|(t, _)| t.contains("removed"))
                && h.query_all_by_label_contains("main, drums").count() == 2
        },
    );
    let said = h.state().shows.said.clone().expect("said");
    assert!(said.0.contains("1 old show removed"), "{said:?}");
    assert!(!shows[0].exists(), "the oldest went");
    assert!(shows[1].exists() && shows[2].exists(), "the newer stayed");
    assert!(flight.path().exists(), "never the show being recorded");
    assert_eq!(
        scpanel::keeping::Keeping::load(),
        scpanel::keeping::Keeping {
            days: 30,
            megabytes: 10
        },
        "kept for the next start"
    );
    assert!(
        h.query_by_label_contains("Keep shows: 30 days, 10 MB")
            .is_some(),
        "the header says it"
    );
    h.state().shutdown(Duration::from_secs(5));
}
