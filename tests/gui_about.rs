//! The About box and the window's identity (icon, app id): opened from the status bar or Shift+F1,
//! it shows scpanel's version and, with a server online, the server's (`/version`).

mod common;

use std::time::Duration;

use egui_kittest::kittest::{NodeT, Queryable};
use scpanel_core::ServerState;

use common::gui::{app, step_until};

fn version_line() -> String {
    format!("scpanel {}", env!("CARGO_PKG_VERSION"))
}

#[test]
fn the_window_icon_is_the_256_px_png_and_its_app_id_names_the_desktop_file() {
    let icon = scpanel::gui::icon().expect("the embedded icon decodes");
    assert_eq!((icon.width, icon.height), (256, 256));
    assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    let desktop = format!(
        "{}/assets/{}.desktop",
        env!("CARGO_MANIFEST_DIR"),
        scpanel::gui::APP_ID
    );
    assert!(
        std::path::Path::new(&desktop).is_file(),
        "{desktop} is the app id's .desktop file"
    );
}

#[test]
fn about_shows_scpanel_version_and_offline_without_a_server() {
    let mut h = app(scpanel_core::Options::default(), "about-offline");
    h.run_steps(2);
    assert!(
        h.query_by_label(&version_line()).is_none(),
        "closed at first"
    );
    h.get_by_label("About").click();
    h.run_steps(3);
    assert!(h.state().about.open);
    h.get_by_label(&version_line());
    h.get_by_label("Server: offline");
    // Offline, nothing is asked of a server.
    assert!(h.state().about.server.is_none());
    h.get_by_label("Close").click();
    h.run_steps(3);
    assert!(!h.state().about.open);
    assert!(h.query_by_label(&version_line()).is_none(), "closed");

    // Shift+F1 opens it too.
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::F1);
    h.run_steps(3);
    assert!(h.state().about.open, "Shift+F1 opens the About box");
    h.get_by_label(&version_line());
}

#[test]
fn about_shows_the_server_version_when_online() {
    let mut h = app(common::options(), "about-online");
    h.get_by_label("Boot").click();
    step_until(&mut h, "online", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Online
    });
    h.get_by_label("About").click();
    step_until(
        &mut h,
        "the server's version in the About box",
        Duration::from_secs(10),
        |h| h.query_by_label_contains("Server: scsynth ").is_some(),
    );
    h.get_by_label(&version_line());
    let node = h.get_by_label_contains("Server: scsynth ");
    let node = node.accesskit_node();
    // A label's text is its accessible value or label, depending on the role.
    let line = node.label().or_else(|| node.value()).unwrap_or_default();
    // e.g. "Server: scsynth 3.13.0 (Version-3.13.0 3a…)": a major.minor number follows.
    let number = line
        .trim_start_matches("Server: scsynth ")
        .split(['.', ' '])
        .next()
        .unwrap_or_default();
    assert!(number.parse::<u32>().is_ok(), "a version number: {line:?}");
    h.get_by_label("Close").click();
    h.run_steps(2);
    h.get_by_label("Quit").click();
    step_until(&mut h, "offline", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Offline
    });
}
