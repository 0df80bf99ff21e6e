//! The sound doctor on a busy server (issue 25's target: an answer in under 300 ms with 2,000
//! synths). 1,000 sources write private buses and 1,000 effects read them, in 20 groups of
//! 100, each effect after its source but one, placed before it (the doctor must find it).
//! Timed: `doctor().examine()` by the owner (the tree from scsynth's printout) and by a
//! logged-in visitor (the tree over OSC, plus its probe of pauses), without listening to the
//! meters, and by the owner while its meters run (what the window does).
//!
//! Run: `scripts/with-jack.sh cargo bench -p scpanel-core --bench doctor`
//! (`SCPANEL_BENCH_SYNTHS=N` for another size).

mod support;

use std::time::Instant;

use rosc::{OscMessage, OscType};
use scpanel_core::doctor::{Examination, Kind};
use scpanel_core::synthdef::{Graph, Rate, Sig};
use scpanel_core::{ConnectOptions, DefSource, Server, osc::bundle_of};

const RUNS: usize = 7;
const GROUPS: usize = 20;

/// A quiet source: `DC.ar(0.001)` to `out`.
fn source() -> scpanel_core::synthdef::SynthDef {
    let mut g = Graph::new("bench-src");
    let out = g.control("out", 16.0, Rate::Scalar);
    let out = g.param(out);
    let dc = g.ugen("DC", Rate::Audio, &[Sig::Const(0.001)]);
    g.sink("Out", Rate::Audio, &[out, dc]);
    g.build()
}

/// An effect: `in` to bus 0, halved.
fn effect() -> scpanel_core::synthdef::SynthDef {
    let mut g = Graph::new("bench-fx");
    let input = g.control("in", 16.0, Rate::Scalar);
    let input = g.param(input);
    let s = g.ugen("In", Rate::Audio, &[input]);
    let s = g.mul(s, Sig::Const(0.5));
    g.sink("Out", Rate::Audio, &[Sig::Const(0.0), s]);
    g.build()
}

fn s_new(def: &str, id: i32, action: i32, target: i32, control: &str, bus: f32) -> OscMessage {
    OscMessage {
        addr: "/s_new".into(),
        args: vec![
            OscType::String(def.into()),
            OscType::Int(id),
            OscType::Int(action),
            OscType::Int(target),
            OscType::String(control.into()),
            OscType::Float(bus),
        ],
    }
}

async fn run(n: usize) {
    let owner = Server::new();
    owner.boot(support::options(8192)).await.expect("boot");
    owner
        .synthdefs()
        .send(&[source(), effect()], DefSource::BuiltIn)
        .await
        .expect("SynthDefs");
    let first = owner.client_ranges().expect("logged in").nodes.start + 100_000;
    let pairs = n / 2;
    let per_group = pairs / GROUPS;
    let mut msgs = Vec::new();
    let mut id = first;
    for g in 0..GROUPS {
        let group = id;
        id += 1;
        msgs.push(OscMessage {
            addr: "/g_new".into(),
            args: vec![OscType::Int(group), OscType::Int(1), OscType::Int(1)],
        });
        for k in 0..per_group {
            // A private bus of each pair's own (16 … 1015 of scsynth's 1,024).
            let bus = 16.0 + (g * per_group + k) as f32;
            let src = id;
            // Tail of the group: each effect after its source; the very first effect at the
            // head, before its source.
            let wrong = g == 0 && k == 0;
            msgs.push(s_new("bench-src", src, 1, group, "out", bus));
            msgs.push(s_new(
                "bench-fx",
                src + 1,
                if wrong { 0 } else { 1 },
                group,
                "in",
                bus,
            ));
            id += 2;
        }
    }
    for chunk in msgs.chunks(200) {
        owner
            .send_checked(bundle_of(chunk.to_vec()))
            .await
            .expect("build");
    }
    owner.sync().await.expect("sync");
    let synths = GROUPS * per_group * 2;
    let mut changes = owner.watch_changes();
    while owner.with_tree(|t| t.nodes().filter(|n| !n.is_group()).count()) < synths {
        changes.changed().await.expect("server alive");
    }

    let quiet = Examination {
        listen: false,
        ..Examination::default()
    };
    let visitor = Server::new();
    let mut visit = ConnectOptions::new(scpanel_core::client_address(
        &owner.options().bind_address,
        owner.options().port,
    ));
    visit.monitor = false;
    visitor.connect(visit).await.expect("visit");

    let (mut owned, mut visited, mut listening) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = owner.doctor().examine(&quiet).await.expect("owner");
        owned.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.flow.synths.len() >= synths, "every synth judged");
        assert_eq!(
            r.findings.iter().filter(|f| f.kind == Kind::Order).count(),
            1,
            "the one effect before its source: {:?}",
            r.findings
                .iter()
                .take(3)
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );

        let t = Instant::now();
        let r = visitor.doctor().examine(&quiet).await.expect("visitor");
        visited.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(r.flow.synths.len() >= synths);
    }
    owner.mixer().start_meters().await.expect("meters");
    let listen = Examination {
        listen: true,
        ..Examination::default()
    };
    for _ in 0..RUNS {
        let t = Instant::now();
        owner.doctor().examine(&listen).await.expect("listening");
        listening.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("the doctor on {synths} synths in {GROUPS} groups (issue 25's target: under 300 ms):");
    println!(
        "  owner, tree from the printout:        {}",
        support::median(owned)
    );
    println!(
        "  visitor, tree over OSC, pause probe:  {}",
        support::median(visited)
    );
    println!(
        "  owner, listening to its meters too:   {}",
        support::median(listening)
    );
    visitor.disconnect().await.expect("leave");
    owner.quit(false).await.expect("quit");
}

fn main() {
    support::main_with(2_000, run);
}
