//! The Flow tab on a real scsynth: a reverb reading bus 16 placed before the source writing
//! it shows both synths in execution order with the link marked wrong ("reads bus 16
//! before … writes it"); moved after its source, the mark goes. A synth of a def sent
//! without a file is marked guessed. Hovering bus 16's lane meters the bus, and the meter
//! goes when the tab does.

mod common;

use std::time::Duration;

use common::gui::{app_sized, show_tab, step_until};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel_core::synthdef::{Graph, Rate, Sig, encode_file};
use scpanel_core::{AddAction, DefSource, ServerState};

const LIMIT: Duration = Duration::from_secs(20);

/// `Out.ar(out, SinOsc.ar(440) * 0.1)`.
fn source(name: &str) -> scpanel_core::synthdef::SynthDef {
    let mut g = Graph::new(name);
    let out = g.control("out", 0.0, Rate::Scalar);
    let out = g.param(out);
    let osc = g.ugen("SinOsc", Rate::Audio, &[Sig::Const(440.0), Sig::Const(0.0)]);
    let sig = g.mul(osc, Sig::Const(0.1));
    g.sink("Out", Rate::Audio, &[out, sig]);
    g.build()
}

/// `Out.ar(0, In.ar(in, 2))`: a "reverb" that passes its bus to the outputs.
fn reverb() -> scpanel_core::synthdef::SynthDef {
    let mut g = Graph::new("test-verb");
    let input = g.control("in", 16.0, Rate::Scalar);
    let input = g.param(input);
    let s = g.ugen_n("In", Rate::Audio, &[input], 2, 0);
    let mut outs = vec![Sig::Const(0.0)];
    outs.extend(s);
    g.sink("Out", Rate::Audio, &outs);
    g.build()
}

/// Every text on screen (labels carry theirs as a value) with where it is.
fn texts(h: &Harness<'static, ScPanel>) -> Vec<(String, egui::Rect)> {
    h.query_all_by_role(egui::accesskit::Role::Label)
        .filter_map(|n| {
            let a = n.accesskit_node();
            a.value()
                .or_else(|| a.label())
                .map(|t| (t.to_string(), n.rect()))
        })
        .collect()
}

/// Where the row whose screen-reader text starts with `start` is.
fn row(h: &Harness<'static, ScPanel>, start: &str) -> Option<egui::Rect> {
    texts(h)
        .into_iter()
        .find(|(t, _)| t.starts_with(start))
        .map(|(_, r)| r)
}

fn label_of(h: &Harness<'static, ScPanel>, start: &str) -> String {
    texts(h)
        .into_iter()
        .find(|(t, _)| t.starts_with(start))
        .map(|(t, _)| t)
        .unwrap_or_default()
}

fn shows(h: &Harness<'static, ScPanel>, part: &str) -> bool {
    texts(h).iter().any(|(t, _)| t.contains(part))
}

#[test]
fn a_reader_before_its_writer_is_marked_until_it_moves_after_it() {
    let mut h = app_sized(common::options(), "gui-flow", egui::vec2(900.0, 600.0));
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    let dir = std::env::temp_dir().join(format!("scpanel-gui-flow-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(
        dir.join("test-src.scsyndef"),
        encode_file(&[source("test-src")]),
    )
    .expect("write");
    std::fs::write(dir.join("test-verb.scsyndef"), encode_file(&[reverb()])).expect("write");
    let (src, verb, guess) = h.state().bridge.block_on(async {
        server.synthdefs().load_dir(&dir).await.expect("defs");
        // Sent without a file (as sclang's `.add` does): its buses can only be guessed.
        server
            .synthdefs()
            .send(&[source("test-guess")], DefSource::BuiltIn)
            .await
            .expect("guess def");
        let src = server
            .add_synth("test-src", 1, AddAction::AddToHead, &[("out", 16.0)])
            .await
            .expect("source");
        // The beginner's mistake: the reverb at the head, before its source.
        let verb = server
            .add_synth("test-verb", 1, AddAction::AddToHead, &[("in", 16.0)])
            .await
            .expect("reverb");
        let guess = server
            .add_synth("test-guess", 1, AddAction::AddToTail, &[("out", 20.0)])
            .await
            .expect("guessed");
        (src, verb, guess)
    });
    let verb_row = format!("{verb} test-verb:");
    let src_row = format!("{src} test-src:");
    let warning = format!("{verb} reads bus 16 before {src} test-src writes it");

    show_tab(&mut h, "Flow");
    step_until(&mut h, "both rows, the reverb marked", LIMIT, |h| {
        row(h, &verb_row).is_some()
            && row(h, &src_row).is_some()
            && label_of(h, &verb_row).contains(&warning)
    });
    let (v, s) = (
        row(&h, &verb_row).expect("reverb row"),
        row(&h, &src_row).expect("source row"),
    );
    assert!(v.top() < s.top(), "execution order: the reverb runs first");
    assert!(
        !label_of(&h, &src_row).contains("before"),
        "the source itself is not marked"
    );
    let guessed = label_of(&h, &format!("{guess} test-guess"));
    assert!(guessed.contains("guessed"), "{guessed}");
    assert!(
        shows(&h, &format!("{verb} test-verb reads bus 16 before")),
        "the wrong order is said above the picture too"
    );

    // Hovering bus 16's lane meters it; leaving the tab frees the meter.
    h.query_all_by_role(egui::accesskit::Role::Label)
        .find(|n| {
            n.accesskit_node()
                .value()
                .is_some_and(|v| v.starts_with("bus 16, private"))
        })
        .expect("bus 16's lane")
        .hover();
    step_until(&mut h, "a meter on bus 16", LIMIT, |h| {
        shows(h, "bus 16: peak")
    });

    // The reader moved after its writer, as the doctor's fix does.
    h.state()
        .bridge
        .block_on(server.nodes().move_to(verb, src, AddAction::AddAfter))
        .expect("move");
    // The tree changed: the tab reads the flow again by itself; Refresh asks at once.
    step_until(&mut h, "the read after the move to end", LIMIT, |h| {
        h.query_by_label("Refresh")
            .is_some_and(|n| !n.accesskit_node().is_disabled())
    });
    h.get_by_label("Refresh").click();
    step_until(
        &mut h,
        "the reverb after its source, unmarked",
        LIMIT,
        |h| match (row(h, &verb_row), row(h, &src_row)) {
            (Some(v), Some(s)) => v.top() > s.top() && !label_of(h, &verb_row).contains("before"),
            _ => false,
        },
    );
    assert!(
        !shows(&h, "reads bus 16 before"),
        "no wrong-order link is left"
    );

    show_tab(&mut h, "Node tree");
    step_until(&mut h, "the lane meter freed", LIMIT, |h| {
        h.state().session().server.mixer().meters().buses.is_empty()
    });
    let _ = std::fs::remove_dir_all(&dir);
    h.state().shutdown(Duration::from_secs(5));
}
