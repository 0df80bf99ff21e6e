//! Frame time of the Flow tab with 500 synths (run: `scripts/bench.sh --bench gui_flow`).
//! The flow is made up (125 chains of two sources, an effect and a mix on private buses,
//! every tenth chain's effect placed before its sources), so no server is needed: this
//! measures what the UI thread spends on the tab (layout and tessellation, in an
//! egui_kittest harness without a GPU), at 900×600 and at 1920×1080.

#[path = "support/stats.rs"]
mod stats;
use stats::stats;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel::gui::flow_view::FlowRead;
use scpanel_core::synthdef::flow::{Flow, Hardware};
use scpanel_core::synthdef::{BusUse, Graph, Rate, Sig, SynthDef, bus_use};
use scpanel_core::{ControlValue, Node, NodeKind, NodeTree, Options};

/// `Out.ar(out, [a, b])` of a sine.
fn source() -> SynthDef {
    let mut g = Graph::new("bench-src");
    let out = g.control("out", 0.0, Rate::Scalar);
    let out = g.param(out);
    let s = g.ugen("SinOsc", Rate::Audio, &[Sig::Const(440.0), Sig::Const(0.0)]);
    g.sink("Out", Rate::Audio, &[out, s, s]);
    g.build()
}

/// `Out.ar(out, In.ar(in, 2))`.
fn effect() -> SynthDef {
    let mut g = Graph::new("bench-fx");
    let input = g.control("in", 16.0, Rate::Scalar);
    let out = g.control("out", 0.0, Rate::Scalar);
    let input = g.param(input);
    let out = g.param(out);
    let s = g.ugen_n("In", Rate::Audio, &[input], 2, 0);
    let mut ins = vec![out];
    ins.extend(s);
    g.sink("Out", Rate::Audio, &ins);
    g.build()
}

fn synth(tree: &mut NodeTree, group: i32, id: i32, def: &str, controls: &[(&str, f32)]) {
    let mut n = Node::new(
        id,
        group,
        NodeKind::Synth {
            def: Some(def.into()),
        },
    );
    n.controls = controls
        .iter()
        .map(|(k, v)| ((*k).to_string(), ControlValue::Value(*v)))
        .collect();
    tree.push_child(group, n);
}

/// 500 synths in 10 groups.
fn flow() -> Flow {
    let mut t = NodeTree::new(0);
    for g in 0..10 {
        t.push_child(0, Node::new(100 + g, 0, NodeKind::Group));
    }
    let mut id = 1000;
    for c in 0..125 {
        let group = 100 + c / 13;
        let send = 16.0 + f32::from((c % 60) as u8) * 2.0;
        let bus = 200.0 + f32::from((c % 60) as u8) * 2.0;
        let wrong = c % 10 == 0;
        let fx = [("in", send), ("out", bus)];
        if wrong {
            synth(&mut t, group, id, "bench-fx", &fx);
            id += 1;
        }
        for _ in 0..2 {
            synth(&mut t, group, id, "bench-src", &[("out", send)]);
            id += 1;
        }
        if !wrong {
            synth(&mut t, group, id, "bench-fx", &fx);
            id += 1;
        }
        synth(&mut t, group, id, "bench-fx", &[("in", bus), ("out", 0.0)]);
        id += 1;
    }
    let (src, fx) = (bus_use(&source()), bus_use(&effect()));
    let defs = move |name: &str| -> Option<(BusUse, String)> {
        match name {
            "bench-src" => Some((src.clone(), "bench".into())),
            "bench-fx" => Some((fx.clone(), "bench".into())),
            _ => None,
        }
    };
    Flow::of(
        &t,
        &defs,
        Hardware {
            outputs: 2,
            inputs: 2,
        },
    )
}

fn wheel(h: &mut Harness<'static, ScPanel>, dy: f32) {
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
}

fn main() {
    let flow = flow();
    let (synths, feeds) = (flow.synths.len(), flow.feeds.len());
    for (w, hgt) in [(900.0, 600.0), (1920.0, 1080.0)] {
        let mut h = Harness::builder()
            .with_size(egui::vec2(w, hgt))
            .build_eframe(|_cc| ScPanel::new(Options::default()).expect("app"));
        h.run_steps(2);
        h.state_mut().tab = Tab::Flow;
        // On the runtime, where the flow is read.
        let t = Instant::now();
        let read = FlowRead::new(flow.clone(), None, Duration::ZERO);
        let worked_out = t.elapsed().as_secs_f64() * 1000.0;
        h.state_mut().session_mut().flow.landed(read);
        let t = Instant::now();
        h.step();
        let first = t.elapsed().as_secs_f64() * 1000.0;
        // The rows on screen are drawn (and only those: 500 would be far more).
        let rows = h
            .query_all_by_role(egui::accesskit::Role::Label)
            .filter(|n| {
                n.accesskit_node()
                    .value()
                    .is_some_and(|v| v.contains(" bench-"))
            })
            .count();
        assert!(rows > 5 && rows < 100, "{rows} rows drawn");
        let mut steady = Vec::new();
        for _ in 0..100 {
            let t = Instant::now();
            h.step();
            steady.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // The pointer over the picture, scrolling down through the synths and back.
        h.event(egui::Event::PointerMoved(egui::pos2(w * 0.6, hgt * 0.6)));
        h.step();
        let mut scrolling = Vec::new();
        for i in 0..100 {
            wheel(&mut h, if i < 50 { -400.0 } else { 300.0 });
            let t = Instant::now();
            h.step();
            scrolling.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!("Flow tab, {w}x{hgt}, {synths} synths, {feeds} links:");
        println!("  working out the picture (runtime): {worked_out:.2} ms");
        println!("  rows drawn in the first frame: {rows}");
        println!("  first frame:            {first:.2} ms");
        println!("  steady frames:          {}", stats(steady));
        println!("  scrolling frames:       {}", stats(scrolling));
        h.state().shutdown(Duration::from_secs(5));
    }
}
