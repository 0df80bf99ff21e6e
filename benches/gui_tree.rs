//! Frame time of the node-tree panel with a 20,000-node tree from a real scsynth (run:
//! `scripts/bench.sh --bench gui_tree`). Target: ≤ 8 ms a frame on the project's machine.
//!
//! The whole app runs in an egui_kittest harness (no GPU: this measures building the UI and
//! tessellating it, which is what the UI thread spends; drawing is the GPU's).

#[path = "support/stats.rs"]
mod stats;
use stats::stats;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use rosc::{OscMessage, OscType};
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel_core::machine as transport;
use scpanel_core::{AddAction, Options, ServerState, osc::bundle_of};

fn g_new(id: i32, target: i32) -> OscMessage {
    OscMessage {
        addr: "/g_new".into(),
        args: vec![OscType::Int(id), OscType::Int(1), OscType::Int(target)],
    }
}

fn main() {
    if std::env::var_os("JACK_DEFAULT_SERVER").is_none() {
        eprintln!("run with scripts/bench.sh (it starts a JACK server)");
        std::process::exit(2);
    }
    let options = Options {
        port: transport::find_free_port().expect("port"),
        input_channels: 2,
        output_channels: 2,
        max_nodes: 32768,
        memory_kib: 65536,
        load_synthdefs: false,
        ..Options::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |_cc| ScPanel::new(options).expect("app"));
    h.state_mut().boot();
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.state().session().server.state() != ServerState::Online {
        h.step();
        assert!(Instant::now() < deadline, "the server did not boot");
        let server = h.state().session().server.clone();
        h.state().bridge.block_on(async move {
            let mut c = server.watch_changes();
            let _ = tokio::time::timeout(Duration::from_millis(50), c.changed()).await;
        });
    }
    let server = h.state().session().server.clone();
    let built = h.state().bridge.block_on(async {
        let holder = server.add_group(1, AddAction::AddToTail, false).await?;
        server.nodes().pause(holder).await?;
        let base = server.client_ranges().expect("ranges").nodes.start + 100_000;
        let mut next = base;
        for _ in 0..40 {
            let outer = next;
            next += 1;
            let mut msgs = vec![g_new(outer, holder)];
            for _ in 0..499 {
                msgs.push(g_new(next, outer));
                next += 1;
            }
            server.send_checked(bundle_of(msgs)).await?;
        }
        // Some synths with controls among them, as a real tree has.
        for i in 0..200 {
            server
                .add_synth(
                    "scpanel-sine",
                    holder,
                    AddAction::AddToHead,
                    &[("amp", 0.0), ("freq", 200.0 + i as f32)],
                )
                .await?;
        }
        Ok::<_, scpanel_core::ServerError>(())
    });
    built.expect("build the tree");
    h.state_mut().tab = Tab::Tree;
    let nodes = server.with_tree(|t| t.len());
    // First frame flattens the tree.
    let t = Instant::now();
    h.step();
    let first = t.elapsed().as_secs_f64() * 1000.0;
    let mut steady = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        h.step();
        steady.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // Scrolling through the middle of the tree.
    let mut scrolling = Vec::new();
    for i in 0..100 {
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, if i < 50 { -2000.0 } else { 1000.0 }),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        let t = Instant::now();
        h.step();
        scrolling.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // A tree that changes every frame (a node added each time) re-flattens every frame.
    let mut changing = Vec::new();
    for i in 0..30 {
        let s = server.clone();
        h.state()
            .bridge
            .block_on(async move { s.add_group(1, AddAction::AddToHead, false).await })
            .expect("group");
        let t = Instant::now();
        h.step();
        changing.push(t.elapsed().as_secs_f64() * 1000.0);
        let _ = i;
    }
    println!("tree panel with {nodes} nodes (20,040 groups + 200 synths with controls):");
    println!("  first frame (flatten): {first:.2} ms");
    println!("  steady frames:         {}", stats(steady));
    println!("  scrolling frames:      {}", stats(scrolling));
    println!("  frames after a change: {}", stats(changing));
    h.state().shutdown(Duration::from_secs(5));
}
