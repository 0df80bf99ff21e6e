//! The Scope tab on a real scsynth: a 100 Hz tone on the outputs shows as a triggered
//! picture with its peak in words and the network cost in the status line; the scope's
//! synth lives only while the tab is shown; stacked and Lissajous views draw.

mod common;

use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::Own;
use scpanel_core::{AddAction, ServerState};

const LIMIT: Duration = Duration::from_secs(20);

fn figure_value(h: &egui_kittest::Harness<'static, scpanel::gui::app::ScPanel>) -> String {
    h.query_by_label("Scope picture")
        .and_then(|n| {
            egui_kittest::kittest::NodeT::accesskit_node(&n)
                .value()
                .map(|v| v.to_string())
        })
        .unwrap_or_default()
}

#[test]
fn the_scope_tab_shows_a_still_tone_and_its_network_cost_and_frees_its_synth_when_hidden() {
    let mut h = app(common::options(), "gui-scope");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    h.state().bridge.block_on(async {
        server
            .synthdefs()
            .send_builtin("scpanel-sine")
            .await
            .expect("def");
        server
            .add_synth(
                "scpanel-sine",
                1,
                AddAction::AddToHead,
                &[("freq", 100.0), ("amp", 0.5), ("pan", -1.0)],
            )
            .await
            .expect("tone")
    });
    show_tab(&mut h, "Scope");
    // Hard left at 0.5: −6 dB on channel 1, nothing on channel 2.
    step_until(&mut h, "a triggered picture of the tone", LIMIT, |h| {
        let v = figure_value(h);
        v.contains("channel 1 peak -6.0 dB")
            && v.contains("channel 2 peak silent")
            && v.contains("triggered")
    });
    step_until(&mut h, "the network cost", LIMIT, |h| {
        h.query_all_by_label_contains("KB/s per channel")
            .next()
            .is_some()
    });
    let scope = server.nodes().own(Own::Scope).expect("logged in");
    assert!(
        server.with_tree(|t| t.get(scope).is_some()),
        "the scope synth runs"
    );

    // Two channels shown: each layout draws them its own way, and the figure says which.
    for (view, drawn) in [
        ("Stacked", "drawn stacked in 2 lanes"),
        (
            "Lissajous",
            "drawn as a Lissajous figure of channels 1 and 2",
        ),
        ("Overlaid", "drawn overlaid in one lane"),
    ] {
        h.get_by_label(view).click();
        step_until(&mut h, view, LIMIT, |h| figure_value(h).contains(drawn));
        assert!(figure_value(&h).contains("channel 1 peak"), "{view} draws");
    }

    show_tab(&mut h, "Node tree");
    step_until(&mut h, "the scope synth freed", LIMIT, |h| {
        h.state()
            .session()
            .server
            .with_tree(|t| t.get(scope).is_none())
    });
}

#[test]
fn scope_its_output_follows_a_synth_writing_to_bus_4() {
    let mut h = app(common::options(), "gui-scope-node");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    // Made by raw OSC, as another client would; buses 4 and 5 are private (2 in, 2 out).
    let synth = 901;
    h.state().bridge.block_on(async {
        server
            .synthdefs()
            .send_builtin("scpanel-sine")
            .await
            .expect("def");
        let packet = scpanel_core::osc::parse(&format!(
            "/s_new scpanel-sine {synth} 0 1 out 4 amp 0.5 pan -1 freq 100"
        ))
        .expect("packet");
        server.send(packet).await.expect("s_new");
    });
    show_tab(&mut h, "Node tree");
    let row = format!("{synth} scpanel-sine");
    step_until(&mut h, "the synth's row", LIMIT, |h| {
        h.query_by_label(&row).is_some()
    });
    common::gui::open_menu(&mut h, &row, "Scope its output");
    h.get_by_label("Scope its output").click();
    // The Scope tab opens on buses 4–5, named after the node: -6 dB on the first.
    step_until(&mut h, "the scope on the synth's buses", LIMIT, |h| {
        let v = figure_value(h);
        v.contains("buses 4–5")
            && v.contains(&format!("node {synth}"))
            && v.contains("channel 1 peak -6.0 dB")
    });
}
