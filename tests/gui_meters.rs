//! The studio meters on a real scsynth: a +3 dBFS burst lights the clip light, which stays
//! lit after the burst until it is clicked; the held peak reads as a number.

mod common;

use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel_core::{AddAction, ServerState};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_clip_stays_lit_until_clicked_and_the_peak_reads_as_a_number() {
    let mut h = app(common::options(), "gui-meters");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online with meters", LIMIT, |h| {
        let s = &h.state().session().server;
        s.state() == ServerState::Online && !s.mixer().meters().outputs.is_empty()
    });
    show_tab(&mut h, "Levels & record");
    let server = h.state().session().server.clone();
    // +3 dBFS on the left output: Pan2 hard left passes the whole amplitude.
    let burst = h.state().bridge.block_on(async {
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
                &[("amp", 1.41), ("pan", -1.0)],
            )
            .await
            .expect("burst")
    });
    step_until(&mut h, "the clip light", LIMIT, |h| {
        h.query_by_label("CLIP").is_some()
    });
    // The held peak as a number under the meter: +3 dBFS (1.41 is +2.98 dB).
    step_until(&mut h, "the peak readout", LIMIT, |h| {
        h.query_all_by_label_contains(".")
            .filter_map(|n| {
                let a = n.accesskit_node();
                a.label().or_else(|| a.value())
            })
            .filter_map(|t| t.trim().parse::<f32>().ok())
            .any(|db| (2.0..=3.5).contains(&db))
    });
    h.state()
        .bridge
        .block_on(server.nodes().free(burst))
        .expect("free");
    // Well past the core's own 2 s clip hold, the light is still lit.
    step_until(&mut h, "the level fallen back", LIMIT, |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .outputs
            .first()
            .is_some_and(|l| !l.clipping(std::time::Instant::now()) && l.peak_db < -60.0)
    });
    h.run_steps(2);
    assert!(h.query_by_label("CLIP").is_some(), "latched until clicked");
    assert!(h.query_by_label_contains("last clip").is_some());
    h.get_by_label("CLIP").click();
    h.run_steps(2);
    assert!(h.query_by_label("CLIP").is_none(), "cleared by the click");
    h.state().shutdown(Duration::from_secs(5));
}

/// The meter on `bus` named `name`, as the core holds it.
fn bus_meter(
    h: &egui_kittest::Harness<'static, scpanel::gui::ScPanel>,
    name: &str,
) -> Option<scpanel_core::levels::BusMeter> {
    h.state()
        .session()
        .server
        .mixer()
        .bus_meters()
        .into_iter()
        .find(|b| b.spec.name == name)
}

#[test]
fn meter_its_output_follows_a_synth_on_bus_4_and_a_silent_bus_stays_at_the_floor() {
    let mut h = app(common::options(), "gui-bus-meters");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    // Made by raw OSC, as another client would: the mirror learns of it from /n_go, which
    // carries no controls, so its `out` must be read from the server.
    let synth = 900;
    h.state().bridge.block_on(async {
        server
            .synthdefs()
            .send_builtin("scpanel-sine")
            .await
            .expect("def");
        let packet =
            scpanel_core::osc::parse(&format!("/s_new scpanel-sine {synth} 0 1 out 4 amp 0.5"))
                .expect("packet");
        server.send(packet).await.expect("s_new");
    });
    show_tab(&mut h, "Node tree");
    let row = format!("{synth} scpanel-sine");
    step_until(&mut h, "the synth's row", LIMIT, |h| {
        h.query_by_label(&row).is_some()
    });
    common::gui::open_menu(&mut h, &row, "Meter its output");
    h.get_by_label("Meter its output").click();
    h.run_steps(2);
    let name = format!("node {synth} (scpanel-sine)");
    step_until(&mut h, "a meter on the synth's bus", LIMIT, |h| {
        bus_meter(h, &name).is_some()
    });
    let meter = bus_meter(&h, &name).expect("meter");
    assert_eq!(meter.spec.bus, 4, "read from its out control");
    assert_eq!(meter.spec.channels, 2, "from its SynthDef's Out");
    assert_eq!(
        meter.spec.note, None,
        "nothing assumed: {:?}",
        meter.spec.note
    );
    // Pan2 at the centre: 0.5 × 0.707 on each channel, −9 dBFS.
    step_until(&mut h, "the synth's level on bus 4", LIMIT, |h| {
        bus_meter(h, &name).is_some_and(|m| {
            m.levels.len() == 2 && m.levels.iter().all(|l| (-10.0..-8.0).contains(&l.peak_db))
        })
    });
    // The Levels tab shows it, and a screen reader hears its level.
    show_tab(&mut h, "Levels & record");
    let level = format!("{name} 1 level");
    step_until(&mut h, "the meter on screen", LIMIT, |h| {
        h.query_by_label(&level).is_some()
    });
    let value = h
        .get_by_label(&level)
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        value.starts_with("peak -9.") || value.starts_with("peak -8."),
        "{value}"
    );

    // A meter on a bus nobody writes, from the form.
    // The harness now and then loses a click: type again until the field reads 40.
    let bus_reads_40 = |h: &egui_kittest::Harness<'static, scpanel::gui::app::ScPanel>| {
        h.query_by_label("first bus").is_some_and(|n| {
            let a = egui_kittest::kittest::NodeT::accesskit_node(&n);
            a.numeric_value() == Some(40.0) || a.value().as_deref() == Some("40")
        })
    };
    h.get_by_label("first bus").click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("first bus").type_text("40");
    h.key_press(egui::Key::Enter);
    h.run_steps(1);
    assert!(bus_reads_40(&h), "the first bus field reads 40");
    h.get_by_label("name").click();
    h.run_steps(1);
    h.get_by_label("name").type_text("quiet");
    h.run_steps(1);
    h.get_by_label("Add meter").click();
    h.run_steps(2);
    step_until(&mut h, "the quiet meter", LIMIT, |h| {
        bus_meter(h, "quiet").is_some_and(|m| m.node.is_some())
    });
    let quiet = bus_meter(&h, "quiet").expect("quiet");
    assert_eq!((quiet.spec.bus, quiet.spec.channels), (40, 2));
    let quiet_node = quiet.node.expect("node");
    // Its synth runs and reports: wait for replies to come for both meters a few times.
    let mut ticks = server.mixer().watch_meters();
    for _ in 0..10 {
        h.state()
            .bridge
            .block_on(async { tokio::time::timeout(LIMIT, ticks.changed()).await })
            .expect("meter replies")
            .expect("meters");
    }
    let quiet = bus_meter(&h, "quiet").expect("quiet");
    assert!(
        quiet
            .levels
            .iter()
            .all(|l| l.peak_db == scpanel_core::levels::FLOOR_DB),
        "a silent bus stays at the floor: {:?}",
        quiet.levels
    );
    assert!(
        server.with_tree(|t| t.contains(quiet_node)),
        "its synth is in the tree"
    );
    // Both meters live in scpanel's own group, at ids nobody else's allocator gives out.
    let meter_node = bus_meter(&h, &name).and_then(|m| m.node).expect("node");
    assert!(server.nodes().is_own(meter_node) && server.nodes().is_own(quiet_node));

    // Removing it frees its synth on the server.
    let removes = h.query_all_by_label("Remove").count();
    assert_eq!(removes, 2, "one Remove per bus meter");
    h.query_all_by_label("Remove")
        .last()
        .expect("remove")
        .click();
    h.run_steps(2);
    step_until(&mut h, "the quiet meter's synth freed", LIMIT, |h| {
        bus_meter(h, "quiet").is_none() && !server.with_tree(|t| t.contains(quiet_node))
    });
    let tree = h
        .state()
        .bridge
        .block_on(server.query_tree(false))
        .expect("the server's tree");
    assert!(!tree.contains(quiet_node), "gone from the server itself");
    assert!(tree.contains(meter_node), "the other meter runs on");

    // A reset frees everything; the bus meter comes back in its slot.
    h.state().bridge.block_on(server.reset()).expect("reset");
    step_until(&mut h, "the meter back after the reset", LIMIT, |h| {
        bus_meter(h, &name).is_some_and(|m| m.node == Some(meter_node))
            && server.with_tree(|t| t.contains(meter_node))
    });
    h.state().shutdown(Duration::from_secs(5));
}

#[test]
fn the_status_bar_has_a_master_meter_while_the_meters_run() {
    let mut h = app(common::options(), "gui-master-meter");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online with meters", LIMIT, |h| {
        let s = &h.state().session().server;
        s.state() == ServerState::Online && !s.mixer().meters().outputs.is_empty()
    });
    // On a tab without meters of its own: the master meter is in the status bar.
    show_tab(&mut h, "Node tree");
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
                &[("amp", 0.5), ("pan", -1.0)],
            )
            .await
            .expect("synth")
    });
    // Hard left at 0.5: −6 dBFS on out 1, silence on out 2.
    step_until(&mut h, "the master meter's level", LIMIT, |h| {
        h.query_by_label("Master level").is_some_and(|n| {
            n.accesskit_node().value().is_some_and(|v| {
                v.starts_with("out 1: peak -6.") && v.contains("out 2: peak silent")
            })
        })
    });
    h.state()
        .bridge
        .block_on(server.mixer().stop_meters())
        .expect("off");
    step_until(&mut h, "no master meter with the meters off", LIMIT, |h| {
        h.query_by_label("Master level").is_none()
    });
    h.state()
        .bridge
        .block_on(server.mixer().start_meters())
        .expect("on");
    step_until(&mut h, "the master meter back", LIMIT, |h| {
        h.query_by_label("Master level").is_some()
    });
    h.state().shutdown(Duration::from_secs(5));
}
