//! The whole tree with controls from the server's printout (issue 25, point 1): on a server
//! scpanel booted, `read_tree(0, true)` reads scsynth's `/g_dumpTree 0 1` and reads over OSC
//! only what the printout leaves out (a paused group's children). It must say what an OSC
//! read says: the same ids in the same order, SynthDef names, control values and mapped
//! controls. A server scpanel only visits still reads over OSC.

use crate::common;

use std::time::Duration;

use rosc::{OscMessage, OscType};
use scpanel_core::{ConnectOptions, NodeTree, Server, osc::bundle_of};

fn m(addr: &str, args: Vec<OscType>) -> OscMessage {
    OscMessage {
        addr: addr.into(),
        args,
    }
}

fn i(v: i32) -> OscType {
    OscType::Int(v)
}

fn s(v: &str) -> OscType {
    OscType::String(v.into())
}

/// Waits until `f` holds of the live mirror, failing after 20 s.
async fn until_mirror(server: &Server, what: &str, f: impl Fn(&NodeTree) -> bool) {
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !server.with_tree(&f) {
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .unwrap_or_else(|_| panic!("{what}: not within 20 s"))
            .expect("server handle alive");
    }
}

/// Every node in order with its parent, SynthDef and controls.
fn described(tree: &NodeTree) -> Vec<String> {
    let mut out = Vec::new();
    tree.walk(|depth, n| {
        out.push(format!(
            "{depth} {} in {} {:?} {:?}",
            n.id,
            n.parent,
            n.def_name(),
            n.controls
        ))
    });
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owned_servers_printout_reads_as_its_osc_read_with_every_control() {
    let owner = common::boot(common::options()).await;
    for def in ["scpanel-sine", "default"] {
        owner.synthdefs().send_builtin(def).await.expect("SynthDef");
    }
    let base = owner.client_ranges().expect("logged in").nodes.start + 500;
    let (outer, inner, paused, paused_inner, empty) =
        (base, base + 1, base + 2, base + 3, base + 4);
    let (sine, mapped, held, deep, audio_mapped, paused_synth) = (
        base + 10,
        base + 11,
        base + 12,
        base + 13,
        base + 14,
        base + 15,
    );
    owner
        .send_checked(bundle_of(vec![
            m("/g_new", vec![i(outer), i(1), i(1)]),
            m("/g_new", vec![i(inner), i(1), i(outer)]),
            m("/g_new", vec![i(paused), i(1), i(outer)]),
            m("/g_new", vec![i(paused_inner), i(1), i(paused)]),
            m("/g_new", vec![i(empty), i(1), i(1)]),
            m(
                "/s_new",
                vec![
                    s("scpanel-sine"),
                    i(sine),
                    i(1),
                    i(inner),
                    s("freq"),
                    OscType::Float(440.5),
                    s("pan"),
                    OscType::Float(-0.25),
                    s("amp"),
                    OscType::Float(0.0),
                ],
            ),
            m(
                "/s_new",
                vec![
                    s("default"),
                    i(mapped),
                    i(1),
                    i(inner),
                    s("amp"),
                    OscType::Float(0.0),
                ],
            ),
            m("/n_map", vec![i(mapped), s("amp"), i(5)]),
            m(
                "/s_new",
                vec![
                    s("scpanel-sine"),
                    i(held),
                    i(1),
                    i(paused),
                    s("freq"),
                    OscType::Float(123.25),
                    s("amp"),
                    OscType::Float(0.0),
                ],
            ),
            m(
                "/s_new",
                vec![
                    s("default"),
                    i(deep),
                    i(1),
                    i(paused_inner),
                    s("amp"),
                    OscType::Float(0.0),
                ],
            ),
            m("/n_map", vec![i(deep), s("pan"), i(7)]),
            m(
                "/s_new",
                vec![
                    s("scpanel-sine"),
                    i(audio_mapped),
                    i(1),
                    i(outer),
                    s("amp"),
                    OscType::Float(0.0),
                ],
            ),
            m("/n_mapa", vec![i(audio_mapped), s("freq"), i(20)]),
            m(
                "/s_new",
                vec![
                    s("scpanel-sine"),
                    i(paused_synth),
                    i(1),
                    i(outer),
                    s("amp"),
                    OscType::Float(0.0),
                ],
            ),
            m("/n_run", vec![i(paused_synth), i(0)]),
            m("/n_run", vec![i(paused), i(0)]),
        ]))
        .await
        .expect("build");
    owner.sync().await.expect("sync");
    until_mirror(&owner, "the mirror knows the tree and the pause", |t| {
        t.contains(audio_mapped)
            && t.contains(deep)
            && t.get(paused).and_then(|n| n.paused) == Some(true)
            && t.get(paused_synth).and_then(|n| n.paused) == Some(true)
    })
    .await;

    // A visitor (watch-only: it adds nothing to the tree) reads over OSC.
    let mut visit = ConnectOptions::new(common::connect_options(&owner).addr);
    visit.login = false;
    visit.monitor = false;
    let guest = Server::new();
    guest.connect(visit).await.expect("visit");
    let by_osc = guest.read_tree(0, true).await.expect("guest read");
    assert!(!by_osc.from_printout, "a visited server is read over OSC");
    assert!(by_osc.is_complete());

    let printed = owner.read_tree(0, true).await.expect("owner read");
    assert!(printed.from_printout, "an owned server's tree is printed");
    assert!(printed.is_complete(), "{:?}", printed.unlisted);
    assert!(printed.without_controls.is_empty());
    let notes = owner.with_log(|l| {
        l.lines()
            .filter(|l| l.text.contains("read from the server's printout"))
            .count()
    });
    assert!(notes >= 1, "the log says where the tree came from");
    let fell_back = owner.with_log(|l| {
        l.lines()
            .filter(|l| l.text.contains("read over OSC instead"))
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
    });
    assert!(fell_back.is_empty(), "{fell_back:?}");
    let leaked = owner.with_log(|l| {
        l.lines()
            .filter(|l| {
                scpanel_core::machine::is_printout_line(&l.text) || l.text.contains("freq:")
            })
            .count()
    });
    assert_eq!(
        leaked, 0,
        "the printout, controls lines too, stays out of the log"
    );

    assert_eq!(printed.tree.ids(), by_osc.tree.ids(), "ids and order");
    assert_eq!(described(&printed.tree), described(&by_osc.tree));

    // What the test built is there, paused group's children and mapped controls included.
    let control = |id: i32, name: &str| {
        printed.tree.get(id).and_then(|n| {
            n.controls
                .iter()
                .find(|(k, _)| k == name)
                .map(|c| c.1.to_string())
        })
    };
    assert_eq!(control(sine, "freq").as_deref(), Some("440.5"));
    assert_eq!(control(sine, "pan").as_deref(), Some("-0.25"));
    assert_eq!(control(mapped, "amp").as_deref(), Some("c5"));
    assert_eq!(control(held, "freq").as_deref(), Some("123.25"));
    assert_eq!(control(deep, "pan").as_deref(), Some("c7"));
    assert_eq!(control(audio_mapped, "freq").as_deref(), Some("a20"));
    assert_eq!(
        printed.tree.get(deep).map(|n| n.parent),
        Some(paused_inner),
        "a paused group's subtree is read in"
    );
    assert!(printed.tree.get(empty).is_some_and(|n| n.head == -1));

    // The watched tree's refresh takes the same road and keeps the pause states it knew.
    owner.refresh_tree().await.expect("refresh");
    owner.with_tree(|t| {
        assert_eq!(t.get(paused).and_then(|n| n.paused), Some(true));
        assert_eq!(t.get(paused_synth).and_then(|n| n.paused), Some(true));
        assert_eq!(
            t.get(held).and_then(|n| n.def_name().map(str::to_string)),
            Some("scpanel-sine".to_string())
        );
    });
    let printed_reads = owner.with_log(|l| {
        l.lines()
            .filter(|l| l.text.contains("read from the server's printout"))
            .count()
    });
    assert!(printed_reads > notes, "the refresh read the printout");

    // Without controls the read stays over OSC.
    assert!(!owner.read_tree(0, false).await.expect("read").from_printout);
    // So does a group's own subtree.
    assert!(
        !owner
            .read_tree(outer, true)
            .await
            .expect("read")
            .from_printout
    );

    guest.disconnect().await.expect("leave");
    owner.quit(false).await.expect("quit");
}
