//! The studio meters on a real scsynth: a +3 dBFS burst lights the clip light, which stays
//! lit after the burst until it is clicked; the held peak reads as a number.

mod common;

use std::time::Duration;

use common::gui::{app, show_tab, step_until};
use egui_kittest::kittest::Queryable;
use scpanel::server::{AddAction, ServerState};

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_clip_stays_lit_until_clicked_and_the_peak_reads_as_a_number() {
    let mut h = app(common::options(), "gui-meters");
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online with meters", LIMIT, |h| {
        let s = &h.state().session().server;
        s.state() == ServerState::Online && !s.meters().outputs.is_empty()
    });
    show_tab(&mut h, "Levels & record");
    let server = h.state().session().server.clone();
    // +3 dBFS on the left output: Pan2 hard left passes the whole amplitude.
    let burst = h.state().bridge.block_on(async {
        server.send_builtin("scpanel-sine").await.expect("def");
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
                let a = egui_kittest::kittest::NodeT::accesskit_node(&n);
                a.label().or_else(|| a.value())
            })
            .filter_map(|t| t.trim().parse::<f32>().ok())
            .any(|db| (2.0..=3.5).contains(&db))
    });
    h.state()
        .bridge
        .block_on(server.free_node(burst))
        .expect("free");
    // Well past the core's own 2 s clip hold, the light is still lit.
    step_until(&mut h, "the level fallen back", LIMIT, |h| {
        h.state()
            .session()
            .server
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
