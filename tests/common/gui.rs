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

/// Shows a tab by its label. The status bar may wrap to a second line as its figures arrive
/// and move the tabs from under a click, so it clicks until the tab is the one shown.
pub fn show_tab(h: &mut Harness<'static, ScPanel>, label: &str) {
    for _ in 0..50 {
        if h.state().tab.label() == label {
            h.run_steps(1);
            return;
        }
        h.get_by_label(label).click();
        h.run_steps(1);
    }
    panic!("the {label} tab would not show");
}

/// Opens the menu of the row labelled `row` (or containing it) with a right click, again
/// when the harness lost the click (it does now and then on a loaded machine), until `item`
/// shows in it.
pub fn open_menu(h: &mut Harness<'static, ScPanel>, row: &str, item: &str) {
    for _ in 0..3 {
        h.get_by_label_contains(row).click_secondary();
        h.run_steps(2);
        if h.query_by_label(item).is_some() {
            return;
        }
        h.key_press(egui::Key::Escape);
        h.run_steps(1);
    }
    panic!("the menu of {row} never showed {item}");
}
