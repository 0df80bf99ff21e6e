//! The first five minutes on a real scsynth: `default` is there after boot and after reset,
//! scpanel's own synths keep out of the user's way, and the test tone plays left then right.

use crate::common;

use std::time::Duration;

use common::{boot, connect_options, options};
use rosc::OscType;
use scpanel_core::Own;
use scpanel_core::osc::msg;
use scpanel_core::{AddAction, Server, osc::bundle_of};

/// The README's console example.
async fn readme_example(server: &Server) {
    let s_new = msg(
        "/s_new",
        [
            OscType::String("default".into()),
            OscType::Int(1000),
            OscType::Int(0),
            OscType::Int(1),
            OscType::String("amp".into()),
            OscType::Float(0.0),
        ],
    );
    server
        .send_checked(bundle_of(vec![s_new]))
        .await
        .expect("/s_new default 1000 0 1 is accepted");
    assert!(
        server.with_tree(|t| t.get(1000).is_some_and(|n| n.parent == 1)),
        "the /n_go put 1000 in group 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_example_plays_after_boot_and_after_reset() {
    let server = boot(options()).await;
    readme_example(&server).await;
    server.mixer().start_meters().await.expect("meters");
    server.mixer().set_volume(-6.0).await.expect("volume");
    let own: Vec<i32> = [Own::InputMeter, Own::OutputMeter, Own::Volume]
        .iter()
        .map(|s| server.nodes().own(*s).expect("logged in"))
        .collect();
    assert!(
        own.iter().all(|id| *id > 1_000_000),
        "{own:?}: ids nobody types"
    );
    server.reset().await.expect("reset");
    readme_example(&server).await;
    let after: Vec<Option<i32>> = {
        let m = server.mixer().meters();
        vec![m.input_node, m.output_node]
    };
    assert_eq!(
        after,
        vec![Some(own[0]), Some(own[1])],
        "same ids after reset"
    );
    // scpanel's nodes sit in their own group, last in the root, apart from the user's.
    let group = server.nodes().own(Own::Group).unwrap();
    server.with_tree(|t| {
        assert_eq!(t.get(0).unwrap().tail, group);
        for id in &own {
            assert_eq!(t.get(*id).unwrap().parent, group);
        }
    });
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scpanels_group_stays_last_so_the_volume_hears_everything() {
    let server = boot(options()).await;
    server.mixer().set_volume(-6.0).await.expect("volume");
    let group = server.nodes().own(Own::Group).unwrap();
    // Another client adds a group at the root's tail, after scpanel's.
    let other = Server::new();
    other
        .connect(connect_options(&server))
        .await
        .expect("connect");
    let late = other
        .add_group(0, AddAction::AddToTail, false)
        .await
        .expect("group at the tail");
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.with_tree(|t| t.get(0).map(|r| r.tail)) != Some(group) {
        assert!(
            tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_ok(),
            "scpanel's group was not moved back to the tail after {late}"
        );
    }
    other.disconnect().await.unwrap();
    server.quit(false).await.unwrap();
}

/// Waits until the output meters satisfy `ok`.
async fn meters_until(server: &Server, what: &str, ok: impl Fn(f32, f32) -> bool) {
    let mut ticks = server.mixer().watch_meters();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let m = server.mixer().meters();
        if let [l, r, ..] = m.outputs.as_slice()
            && ok(l.rms_db, r.rms_db)
        {
            return;
        }
        assert!(
            tokio::time::timeout_at(deadline, ticks.changed())
                .await
                .is_ok(),
            "{what}: outputs {:?}",
            m.outputs
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_test_tone_plays_left_then_right() {
    let server = boot(options()).await;
    server.mixer().start_meters().await.expect("meters");
    server.test_tone().play().await.expect("tone");
    // A sine peaking at -20 dBFS has an RMS of -23 dB.
    let near = |db: f32| (db - -23.0).abs() < 1.5;
    meters_until(&server, "left", |l, r| near(l) && r < -60.0).await;
    meters_until(&server, "right", |l, r| near(r) && l < -60.0).await;
    meters_until(&server, "silence", |l, r| l < -60.0 && r < -60.0).await;
    // The sines free themselves after their release.
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.test_tone().side().is_some() {
        assert!(
            tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_ok(),
            "the tone did not stop by itself"
        );
    }
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_never_replaces_someone_elses_default() {
    let owner = boot(options()).await;
    // The owner's own "default": a graph with other controls.
    let mut mine = scpanel_core::synthdef::builtins::builtin("scpanel-sine").unwrap();
    mine.name = "default".into();
    owner
        .synthdefs()
        .send(&[mine], scpanel_core::DefSource::BuiltIn)
        .await
        .unwrap();
    let guest = Server::new();
    guest.connect(connect_options(&owner)).await.expect("join");
    assert!(
        guest.synthdefs().knows("scpanel-sine"),
        "the guest loaded its own"
    );
    assert!(!guest.synthdefs().knows("default"), "and not default");
    let id = owner
        .add_synth("default", 1, AddAction::AddToHead, &[("amp", 0.0)])
        .await
        .unwrap();
    let tree = owner.query_tree(true).await.unwrap();
    let names: Vec<String> = tree
        .get(id)
        .unwrap()
        .controls
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(
        names,
        ["freq", "amp", "pan", "out", "gate"],
        "the owner's default"
    );
    guest.disconnect().await.unwrap();
    owner.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_and_inputs_are_connected_to_the_system_at_boot_unless_turned_off() {
    let server = boot(options()).await;
    let lines = server.with_log(|l| l.lines().map(|l| l.text.clone()).collect::<Vec<_>>());
    let connected: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("JackDriver: connected"))
        .collect();
    assert!(
        connected
            .iter()
            .any(|l| l.contains(":out_1 to system:playback_1"))
            && connected
                .iter()
                .any(|l| l.contains(":out_2 to system:playback_2"))
            && connected.iter().any(|l| l.contains("system:capture_1 to ")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("JACK: 4 port(s) connected")),
        "{lines:#?}"
    );
    server.quit(false).await.unwrap();

    let mut o = options();
    o.connect_jack_ports = false;
    let server = boot(o).await;
    let lines = server.with_log(|l| l.lines().map(|l| l.text.clone()).collect::<Vec<_>>());
    assert!(
        lines.iter().all(|l| !l.contains("JackDriver: connected")),
        "{lines:#?}"
    );
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scpanels_own_reads_stay_off_the_console() {
    let server = boot(options()).await;
    let id = server
        .add_synth("scpanel-sine", 1, AddAction::AddToHead, &[("amp", 0.0)])
        .await
        .unwrap();
    let mut tap = server.subscribe_osc();
    server.read_tree(0, true).await.expect("tree");
    server.controls().refresh(&[id]).await.expect("controls");
    // Something the user sends does show, after them.
    server
        .send_checked(bundle_of(vec![msg("/status", [])]))
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Ok(t) = tap.try_recv() {
        seen.push(scpanel_core::osc::format_packet(&t.packet));
    }
    assert!(
        seen.iter().all(|l| !l.contains("/g_queryTree")
            && !l.contains("/s_getn")
            && !l.contains("/n_setn")),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|l| l.contains("/status")), "{seen:#?}");
    server.quit(false).await.unwrap();
}
