//! The window holds still: while a real server comes online, its meters start, an xrun
//! arrives, the CPU alert fires and a notice shows, every tab and every status bar button
//! stays on the same rectangle, at 900×600 and at 1920×1080. A click aimed at one of them
//! lands on it whatever the figures did between two frames.

mod common;

use std::time::Duration;

use common::gui::{app_sized, step_until};
use common::jack_client::SlowClient;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::ScPanel;
use scpanel::gui::session::XrunsShown;
use scpanel_core::ServerState;

const LIMIT: Duration = Duration::from_secs(20);

const BUTTONS: [&str; 7] = [
    "Options",
    "Boot",
    "Quit",
    "Reboot",
    "Reset",
    "Test tone",
    "About",
];

/// Where each tab and each status bar button is.
fn places(h: &Harness<'static, ScPanel>) -> Vec<(String, egui::Rect)> {
    let tabs = scpanel::gui::Tab::ALL.map(|t| t.label());
    tabs.iter()
        .chain(BUTTONS.iter())
        .map(|label| (label.to_string(), h.get_by_label(label).rect()))
        .collect()
}

fn assert_still(h: &Harness<'static, ScPanel>, before: &[(String, egui::Rect)], when: &str) {
    let now = places(h);
    for ((label, was), (_, is)) in before.iter().zip(&now) {
        assert_eq!(was, is, "{label} moved {when}");
    }
}

fn xruns(h: &Harness<'static, ScPanel>) -> Option<u64> {
    match h.state().session().xruns() {
        XrunsShown::Counting(x) => Some(x.count()),
        _ => None,
    }
}

fn holds_still(size: egui::Vec2, tag: &str) {
    let mut h = app_sized(common::options(), tag, size);
    h.run_steps(2);
    let first = places(&h);

    // The side panel too, while JACK's state arrives: what is below the audio setup stays.
    let folded = h.get_by_label("All scsynth options").rect();
    step_until(&mut h, "JACK's state", LIMIT, |h| {
        h.state().boot.audio.jack_status.is_some()
    });
    h.run_steps(2);
    assert_eq!(
        folded,
        h.get_by_label("All scsynth options").rect(),
        "All scsynth options moved when JACK's state arrived"
    );
    assert_still(&h, &first, "when JACK's state arrived");

    h.state_mut().boot();
    step_until(
        &mut h,
        "online, with the master meter and the xrun count",
        LIMIT,
        |h| {
            h.state().session().server.state() == ServerState::Online
                && h.query_by_label("Master level").is_some()
                && xruns(h).is_some()
                && h.state().session().server.latest_status().is_some()
        },
    );
    h.run_steps(2);
    assert_still(
        &h,
        &first,
        "when the server came online and the meters started",
    );

    let slow = SlowClient::open(None, &format!("scpanel-{tag}"));
    let base = xruns(&h).unwrap_or(0);
    slow.stall(Duration::from_millis(50));
    step_until(&mut h, "an xrun counted", LIMIT, |h| {
        xruns(h).is_some_and(|n| n > base)
    });
    drop(slow);
    h.run_steps(2);
    assert_still(&h, &first, "when an xrun arrived");

    h.state_mut().wall.cpu_threshold = 0.0;
    h.run_steps(2);
    assert!(h.query_by_label_contains("CPU HIGH").is_some());
    assert_still(&h, &first, "when the CPU alert fired");

    h.state().session().notice(
        "A notice",
        "that floats over the window and moves nothing",
        false,
    );
    h.run_steps(2);
    assert!(h.query_by_label("A notice").is_some());
    assert_still(&h, &first, "when a notice showed");

    h.state().shutdown(Duration::from_secs(5));
    step_until(&mut h, "offline again", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Offline
    });
    assert_still(&h, &first, "when the server went away");
}

#[test]
fn the_tabs_and_the_status_bar_hold_still_at_900_by_600() {
    holds_still(egui::vec2(900.0, 600.0), "gui-layout-small");
}

#[test]
fn the_tabs_and_the_status_bar_hold_still_at_1920_by_1080() {
    holds_still(egui::vec2(1920.0, 1080.0), "gui-layout-large");
}

/// Where the old bar first wrapped onto a second line.
#[test]
fn the_tabs_and_the_status_bar_hold_still_at_1280_by_800() {
    holds_still(egui::vec2(1280.0, 800.0), "gui-layout-medium");
}
