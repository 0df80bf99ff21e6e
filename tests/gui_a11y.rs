//! What a screen reader gets from the window, read from the AccessKit tree the app builds:
//! every interactive widget named, plots and meters with values, and the live region that
//! announces the server coming online, going away and crashing.

mod common;

use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use egui::accesskit::{Live, Role};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel_core::ServerState;

const LIMIT: Duration = Duration::from_secs(20);

/// The live region's text.
fn announced(h: &Harness<'static, ScPanel>) -> String {
    let region = h.get_by_role(Role::Status);
    assert_eq!(region.accesskit_node().live(), Live::Polite);
    region.accesskit_node().label().unwrap_or_default()
}

/// Every button, box, field, slider, menu and tree item on screen has a name.
fn all_named(h: &Harness<'static, ScPanel>, tab: &str) {
    for role in [
        Role::Button,
        Role::CheckBox,
        Role::TextInput,
        Role::MultilineTextInput,
        Role::Slider,
        Role::SpinButton,
        Role::ComboBox,
        Role::TreeItem,
        Role::Meter,
        Role::Figure,
        Role::DisclosureTriangle,
    ] {
        for n in h.query_all_by_role(role) {
            let a = n.accesskit_node();
            let name = a.label().or_else(|| a.value()).unwrap_or_default();
            assert!(
                !name.trim().is_empty(),
                "{tab}: a {role:?} without a name: {a:?}"
            );
        }
    }
}

#[test]
fn a_screen_reader_hears_the_server_and_reads_every_control() {
    let mut h = app(common::options(), "gui-a11y");
    h.run_steps(2);
    all_named(&h, "offline");
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
            && h.state().session().server.latest_status().is_some()
    });
    step_until(&mut h, "announced online", LIMIT, |h| {
        announced(h).ends_with("server online")
    });
    // The window's name leads with the same news: Orca 43 says a new window name, not a
    // live region (src/gui/announce.rs; scripts/orca-check.sh hears it).
    let window = h.root().accesskit_node().label().unwrap_or_default();
    assert_eq!(window, format!("{} \u{B7} scpanel", announced(&h)));
    for tab in [
        "Servers",
        "Node tree",
        "CPU & sample rate",
        "Levels & record",
        "Scope",
        "Spectrum",
        "Buffers & buses",
        "OSC console",
        "Server log",
    ] {
        show_tab(&mut h, tab);
        h.run_steps(2);
        all_named(&h, tab);
    }
    // The plots say what they show.
    show_tab(&mut h, "CPU & sample rate");
    h.run_steps(2);
    let cpu = h.get_by_role_and_label(Role::Figure, "CPU plot");
    let value = cpu.accesskit_node().value().unwrap_or_default();
    assert!(value.starts_with("CPU average "), "{value}");
    let sr = h.get_by_role_and_label(Role::Figure, "Sample rate plot");
    assert!(
        sr.accesskit_node()
            .value()
            .unwrap_or_default()
            .starts_with("nominal 48000 Hz")
    );
    // The meters, focusable, with their levels.
    show_tab(&mut h, "Levels & record");
    step_until(&mut h, "meters", LIMIT, |h| {
        h.query_all_by_role(Role::Meter).count() >= 2
    });
    // The Levels tab's own meters (the status bar's master meter is one too).
    let meter = h
        .query_all_by_role(Role::Meter)
        .find(|m| m.accesskit_node().label().as_deref() != Some("Master level"))
        .expect("a meter");
    let level = meter.accesskit_node().value().unwrap_or_default();
    assert!(level.starts_with("peak "), "{level}");
    assert!(
        meter
            .accesskit_node()
            .label()
            .is_some_and(|l| l.ends_with("level"))
    );

    // The server crashes: the live region says so.
    let pid = h.state().session().server.pid().expect("pid");
    // Our own child, by its pid.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    step_until(&mut h, "the crash announced", LIMIT, |h| {
        announced(h).contains("the server crashed")
    });
    // Booted again and quit by the user: "server offline".
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    step_until(&mut h, "online again", LIMIT, |h| {
        announced(h).ends_with("server online")
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    step_until(&mut h, "offline announced", LIMIT, |h| {
        announced(h).ends_with("server offline")
    });
}

#[test]
fn zoom_and_high_contrast_survive_a_restart() {
    // Its own settings folder: the file is read back by a second app.
    let mut h = app(common::options(), "gui-a11y-display");
    h.run_steps(2);
    h.key_press(Key::F1);
    h.run_steps(2);
    h.get_by_label("High contrast").click();
    h.run_steps(1);
    h.get_by_label("Larger").click();
    h.run_steps(3);
    h.get_by_label("light").click();
    h.run_steps(2);
    h.get_by_label("Large figures").click();
    h.run_steps(2);
    // The projector's row: the state again, in large type.
    assert_eq!(h.query_all_by_label("OFFLINE").count(), 2);
    let zoom = h.ctx.zoom_factor();
    assert!((zoom - 1.1).abs() < 0.01, "zoomed to {zoom}");
    // The file is written on the runtime: wait for it to say what we chose.
    let path = scpanel::gui::profiles::folder()
        .expect("folder")
        .join("display.toml");
    step_until(&mut h, "the settings saved", LIMIT, |_| {
        std::fs::read_to_string(&path).is_ok_and(|t| {
            t.contains("high_contrast = true")
                && t.contains("1.1")
                && t.contains("theme = \"light\"")
                && t.contains("large_figures = true")
        })
    });
    drop(h);
    let mut again = app(common::options(), "gui-a11y-display");
    again.run_steps(3);
    assert!(again.state().display.high_contrast);
    assert!(again.state().display.large_figures);
    assert_eq!(again.ctx.theme(), egui::Theme::Light);
    assert!((again.ctx.zoom_factor() - 1.1).abs() < 0.01);
    let theme = again.ctx.theme();
    assert!(
        again
            .ctx
            .style_of(theme)
            .visuals
            .override_text_color
            .is_some(),
        "high contrast applied"
    );
}
