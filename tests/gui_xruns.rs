//! Xruns in the window, on a real scsynth booted on the test's dummy JACK: a JACK client of
//! the test's own stopped with SIGSTOP forces one; the status bar counts it and says how long
//! ago it was, the CPU plot's summary counts its mark, and booting again starts from zero.

mod common;

use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use common::jack_client::{StoppableClient, has_ports, poll};
use egui_kittest::kittest::Queryable;
use scpanel::gui::session::XrunsShown;
use scpanel::server::ServerState;

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
            let a = egui_kittest::kittest::NodeT::accesskit_node(&n);
            a.label().or_else(|| a.value()).map(String::from)
        })
        .find(|t| t.starts_with("xruns"))
}

#[test]
fn a_forced_xrun_is_counted_in_the_status_bar_and_marked_on_the_cpu_plot() {
    let server = std::env::var("JACK_DEFAULT_SERVER")
        .expect("these tests need a JACK server: run them with scripts/test.sh");
    let mut h = app(common::options(), "gui-xruns");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online and counting xruns", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online && counting(h).is_some()
    });
    let Some((base, _)) = counting(&h) else {
        unreachable!("counting, as waited for")
    };
    h.run_steps(2);
    assert!(
        bar_text(&h).is_some_and(|t| t.starts_with(&format!("xruns {base}"))),
        "{:?}",
        bar_text(&h)
    );

    let metro = StoppableClient::start(&server, "scpanel-gui-metro");
    poll("jack_metro's ports", || has_ports(&server, "scpanel-gui-metro"));
    metro.stop();
    step_until(&mut h, "an xrun counted", LIMIT, |h| {
        counting(h).is_some_and(|(n, last)| n > base && last)
    });
    metro.go_on();
    drop(metro);
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

    // Booted again: counted from zero (or from what the new boot itself cost), not from before.
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
