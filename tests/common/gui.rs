//! The real app in an egui_kittest harness, and waiting on it without sleeps.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::ScPanel;
use scpanel_core::Options;

/// The app with `options`, its profiles in a folder of this test binary's own.
pub fn app(options: Options, tag: &str) -> Harness<'static, ScPanel> {
    app_sized(options, tag, egui::vec2(1400.0, 900.0))
}

/// The app in a window of `size`.
pub fn app_sized(options: Options, tag: &str, size: egui::Vec2) -> Harness<'static, ScPanel> {
    scpanel::gui::profiles::set_folder(
        std::env::temp_dir().join(format!("scpanel-{tag}-{}", std::process::id())),
    );
    Harness::builder()
        .with_size(size)
        .build_eframe(move |_cc| ScPanel::new(options).expect("app"))
}

/// Runs frames until `done` holds, waking on the server's changes and meter replies.
pub fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    limit: Duration,
    mut done: impl FnMut(&mut Harness<'static, ScPanel>) -> bool,
) {
    let deadline = Instant::now() + limit;
    let mut changes = h.state().session().server.watch_changes();
    let mut meters = h.state().session().server.mixer().watch_meters();
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        let bridge = &h.state().bridge;
        bridge.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), async {
                tokio::select! {
                    _ = changes.changed() => {}
                    _ = meters.changed() => {}
                }
            })
            .await;
        });
    }
}

/// Shows a tab by its label, with one click: the tabs hold still (tests/gui_layout.rs).
pub fn show_tab(h: &mut Harness<'static, ScPanel>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(1);
    assert_eq!(h.state().tab.label(), label, "one click on the {label} tab");
    h.run_steps(1);
}

/// Opens the menu of the row labelled `row` (or containing it) with one right click.
pub fn open_menu(h: &mut Harness<'static, ScPanel>, row: &str, item: &str) {
    h.get_by_label_contains(row).click_secondary();
    h.run_steps(2);
    assert!(
        h.query_by_label(item).is_some(),
        "one right click on {row} opened no menu with {item}"
    );
}

/// The notices the window shows now (copied out of the session's inbox).
pub fn notices(h: &Harness<'static, ScPanel>) -> Vec<scpanel::gui::bridge::Notice> {
    h.state()
        .session()
        .inbox
        .lock()
        .map(|i| i.notices.clone())
        .unwrap_or_default()
}
