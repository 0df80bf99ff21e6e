//! The boot panel on a real server: once it is online the panel folds to one line that says
//! what runs (program and version, rate, channels, protocol and port); "Edit…" opens it, and
//! the server going away opens it again.

mod common;

use std::time::Duration;

use common::gui::{app_sized, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::ServerState;

const LIMIT: Duration = Duration::from_secs(20);

/// A text shown in the window that contains `part` (a label's text is its accessible value).
fn text_containing(
    h: &egui_kittest::Harness<'static, scpanel::gui::ScPanel>,
    part: &str,
) -> Option<String> {
    h.query_all(egui_kittest::kittest::By::new().predicate(|n| {
        n.value().is_some_and(|v| v.contains(part)) || n.label().is_some_and(|l| l.contains(part))
    }))
    .next()
    .and_then(|n| {
        let a = egui_kittest::kittest::NodeT::accesskit_node(&n);
        a.value().or_else(|| a.label()).map(|t| t.to_string())
    })
}

#[test]
fn the_panel_folds_to_one_line_once_online_and_opens_on_edit_and_when_the_server_goes() {
    let mut options = common::options();
    options.input_channels = 2;
    options.output_channels = 2;
    let port = options.port;
    let mut h = app_sized(options, "gui-boot-panel", egui::vec2(900.0, 600.0));
    h.run_steps(2);
    assert!(
        h.query_by_label("Input channels").is_some(),
        "open while offline"
    );
    h.state_mut().boot();
    let folded = format!("2 in / 2 out \u{B7} UDP {port}");
    step_until(&mut h, "the folded line with the version", LIMIT, |h| {
        text_containing(h, &folded)
            .is_some_and(|t| t.starts_with("scsynth 3.") || t.starts_with("supernova "))
    });
    assert!(h.query_by_label("Input channels").is_none(), "folded");
    assert!(h.query_by_label("All scsynth options").is_none(), "folded");
    h.get_by_label("Edit\u{2026}").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Input channels").is_some(),
        "Edit… opens it"
    );
    h.get_by_label("Fold").click();
    h.run_steps(2);
    assert!(
        h.query_by_label("Input channels").is_none(),
        "Fold folds it"
    );
    h.state().shutdown(Duration::from_secs(5));
    step_until(&mut h, "open again once the server is gone", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Offline
            && h.query_by_label("Input channels").is_some()
    });
}
