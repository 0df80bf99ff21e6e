//! The whole tree with every control, on a server scpanel booted: 20,000 running synths in
//! one group, read from scsynth's printout (`/g_dumpTree 0 1`, what `read_tree(0, true)` does
//! on an owned server) and over OSC (what a visitor does: the group is far too big for one
//! `/g_queryTree` reply, so a logged-in visitor walks it with `/n_query`, and its controls,
//! ~90 bytes a synth, fit no reply at all). Issue 25's target: the printout read under
//! 300 ms, against 1.75 s over OSC.
//!
//! Run: `scripts/with-jack.sh cargo bench -p scpanel-core --bench printed_tree`
//! (`SCPANEL_BENCH_SYNTHS=N` for another size).

mod support;

use std::time::Instant;

use rosc::{OscMessage, OscType};
use scpanel_core::synthdef::{Graph, Rate};
use scpanel_core::{AddAction, ConnectOptions, DefSource, Server, osc::bundle_of};

const RUNS: usize = 5;

/// Two controls and one control-rate `Out`: as little audio-thread work as a synth can do.
fn tiny() -> scpanel_core::synthdef::SynthDef {
    let mut g = Graph::new("bench-tiny");
    let bus = g.control("bus", 0.0, Rate::Control);
    let level = g.control("level", 0.25, Rate::Control);
    let (bus, level) = (g.param(bus), g.param(level));
    g.sink("Out", Rate::Control, &[bus, level]);
    g.build()
}

async fn run(n: usize) {
    let owner = Server::new();
    owner.boot(support::options(32768)).await.expect("boot");
    owner
        .synthdefs()
        .send(&[tiny()], DefSource::BuiltIn)
        .await
        .expect("SynthDef");
    let group = owner
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("group");
    let start = owner.client_ranges().expect("logged in").nodes.start + 100_000;
    let msgs: Vec<OscMessage> = (0..n as i32)
        .map(|k| OscMessage {
            addr: "/s_new".into(),
            args: vec![
                OscType::String("bench-tiny".into()),
                OscType::Int(start + k),
                OscType::Int(1),
                OscType::Int(group),
                OscType::String("bus".into()),
                OscType::Float((k % 64) as f32),
                OscType::String("level".into()),
                OscType::Float(k as f32 / 8.0),
            ],
        })
        .collect();
    let t = Instant::now();
    for chunk in msgs.chunks(200) {
        owner
            .send_checked(bundle_of(chunk.to_vec()))
            .await
            .expect("build");
    }
    owner.sync().await.expect("sync");
    let built = t.elapsed();
    // The owner's mirror hears of every synth by `/n_go`; the printout's line count is the
    // mirror's, so the read waits for it to catch up.
    let mut changes = owner.watch_changes();
    while owner.with_tree(|t| t.children(group).count()) < n {
        changes.changed().await.expect("server alive");
    }

    let mut visit = ConnectOptions::new(scpanel_core::client_address(
        &owner.options().bind_address,
        owner.options().port,
    ));
    // Logged in, so the group too big to list can be walked; nothing left behind.
    visit.monitor = false;
    visit.ask_layout = false;
    let guest = Server::new();
    guest.connect(visit).await.expect("visit");

    let (mut printed, mut osc) = (Vec::new(), Vec::new());
    let mut osc_controls = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let read = owner.read_tree(0, true).await.expect("owner read");
        printed.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(read.from_printout, "the owner read the printout");
        let synths = read.tree.children(group).count();
        assert_eq!(synths, n, "every synth printed");
        assert!(
            read.tree
                .children(group)
                .all(|s| s.controls.len() == 2 && s.def_name() == Some("bench-tiny")),
            "every synth with its controls"
        );

        let t = Instant::now();
        let read = guest.read_tree(0, true).await.expect("guest read");
        osc.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(!read.from_printout);
        assert!(read.is_complete(), "{:?}", read.unlisted);
        assert_eq!(read.tree.children(group).count(), n);
        osc_controls = read
            .tree
            .children(group)
            .filter(|s| s.controls.len() == 2)
            .count();
    }
    println!(
        "{n} running synths of a 2-control SynthDef in one group (built in {:.0} ms), \
         read with every control:",
        built.as_secs_f64() * 1000.0
    );
    println!(
        "  from the printout (/g_dumpTree 0 1): {}",
        support::median(printed)
    );
    println!(
        "  over OSC (/g_queryTree, /n_query):    {} ({osc_controls} of {n} synths with controls)",
        support::median(osc)
    );
    guest.disconnect().await.expect("leave");
    owner.quit(false).await.expect("quit");
}

fn main() {
    support::main_with(20_000, run);
}
