//! Xruns in the window, on a real scsynth booted on the test's dummy JACK: a JACK client of
//! the test's own that blocks one cycle forces one; the status bar counts it and says how long
//! ago it was, the CPU plot's summary counts its mark, and booting again starts from zero.

mod common;

use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use common::jack_client::SlowClient;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::session::XrunsShown;
use scpanel_core::ServerState;

const LIMIT: Duration = Duration::from_secs(20);

fn counting(h: &egui_kittest::Harness<'static, scpanel::gui::ScPanel>) -> Option<(u64, bool)> {
    match h.state().session().xruns() {
        XrunsShown::Counting(x) => Some((x.count(), x.last().is_some())),
        _ => None,
    }
}

/// The status bar's xrun label, as shown.
fn bar_text(h: &egui_kittest::Harness<'static, scpanel::gui::ScPanel>) -> Option<String> {
    h.query_all_by_label_contains("xruns")
        .filter_map(|n| {
            let a = n.accesskit_node();
            a.label().or_else(|| a.value())
        })
        .find(|t| t.starts_with("xruns"))
}

#[test]
fn a_forced_xrun_is_counted_in_the_status_bar_and_marked_on_the_cpu_plot() {
    let mut h = app(common::options(), "gui-xruns");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online and counting xruns", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online && counting(h).is_some()
    });
    step_until(&mut h, "the bar's xrun count", LIMIT, |h| {
        bar_text(h).is_some_and(|t| t.starts_with("xruns "))
    });

    // A JACK client of the test's own on the server scsynth runs on blocks one cycle.
    let slow = SlowClient::open(None, "scpanel-gui-slow");
    // Five, one after another: a reboot costs an xrun or two of its own (one measured), and
    // the count after it must still be lower than before.
    for _ in 0..5 {
        let base = counting(&h).map_or(0, |(n, _)| n);
        slow.stall(Duration::from_millis(50));
        step_until(&mut h, "an xrun counted", LIMIT, |h| {
            counting(h).is_some_and(|(n, last)| n > base && last)
        });
    }
    drop(slow);
    step_until(&mut h, "the bar's count and age", LIMIT, |h| {
        bar_text(h).is_some_and(|t| t.contains("\u{B7} last ") && t.ends_with(" s ago"))
    });

    show_tab(&mut h, "CPU & sample rate");
    h.run_steps(2);
    let cpu = h.get_by_role_and_label(egui::accesskit::Role::Figure, "CPU plot");
    let value = cpu.accesskit_node().value().unwrap_or_default().to_string();
    let marked: u64 = value
        .split("; ")
        .nth(1)
        .and_then(|m| m.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no xrun count in {value:?}"));
    assert!(marked >= 1, "{value}");
    assert!(value.contains(" xrun"), "{value}");
    assert!(value.ends_with("in the last 60 s"), "{value}");

    // Booted again: counted from the new boot (what the boot itself cost), not from before.
    let Some((before, _)) = counting(&h) else {
        unreachable!("still counting")
    };
    let since = match h.state().session().xruns() {
        XrunsShown::Counting(x) => x.since(),
        _ => unreachable!("still counting"),
    };
    h.state_mut()
        .actions
        .push(scpanel::gui::actions::Action::Reboot);
    step_until(&mut h, "a new count after the reboot", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
            && matches!(h.state().session().xruns(), XrunsShown::Counting(x) if x.since() > since)
    });
    let Some((after, _)) = counting(&h) else {
        unreachable!("counting again")
    };
    assert!(after < before, "the count went on: {before} then {after}");
    h.state().shutdown(Duration::from_secs(5));
}
