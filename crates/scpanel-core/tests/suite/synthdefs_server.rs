//! The built-in SynthDefs and SynthDef files on a real scsynth.

use crate::common;

use common::{boot, options};
use scpanel_core::DefSource;
use scpanel_core::synthdef::{builtins, decode_file};
use scpanel_core::{AddAction, ControlValue};

/// A server with none of the SynthDefs scpanel loads at boot, so counts start from zero.
async fn bare() -> scpanel_core::Server {
    let server = boot(options()).await;
    server
        .synthdefs()
        .free_all()
        .await
        .expect("free the boot's SynthDefs");
    assert_eq!(server.status().await.unwrap().synthdefs, 0);
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_builtin_is_accepted_and_plays_with_its_defaults() {
    let server = bare().await;
    for def in builtins::all() {
        let before = server.status().await.unwrap();
        // /d_recv answers /done only when the server accepted the bytes.
        server
            .synthdefs()
            .send(std::slice::from_ref(&def), DefSource::BuiltIn)
            .await
            .unwrap();
        let id = server
            .add_synth(&def.name, 1, AddAction::AddToTail, &[])
            .await
            .unwrap();
        let status = server.status().await.unwrap();
        assert_eq!(status.synthdefs, before.synthdefs + 1, "{}", def.name);
        assert_eq!(
            status.ugens - before.ugens,
            def.ugens.len() as i32,
            "{}: the server runs every UGen of the def",
            def.name
        );
        let tree = server.query_tree(true).await.unwrap();
        let node = tree.get(id).expect("the synth is in the tree");
        assert_eq!(node.def_name(), Some(def.name.as_str()));
        let expected: Vec<(String, ControlValue)> = def
            .controls()
            .into_iter()
            .map(|c| (c.name, ControlValue::Value(c.default)))
            .collect();
        assert_eq!(
            node.controls, expected,
            "{}: controls and defaults",
            def.name
        );
        server.nodes().free(id).await.unwrap();
    }
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_synth_sends_a_builtin_on_first_use() {
    let server = bare().await;
    assert!(!server.synthdefs().knows("default"));
    let id = server
        .add_synth("default", 1, AddAction::AddToHead, &[("freq", 330.0)])
        .await
        .unwrap();
    assert!(server.synthdefs().knows("default"));
    assert_eq!(server.nodes().get_control(id, "freq").await.unwrap(), 330.0);
    assert_eq!(server.nodes().get_control(id, "amp").await.unwrap(), 0.1);
    let text = server.query_tree(true).await.unwrap().to_text(true);
    assert!(
        text.contains(&format!("        {id} default\n            out: 0.0, freq: 330.0, amp: 0.1, pan: 0.0, gate: 1.0\n")),
        "{text}"
    );
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_and_folders_load_and_free() {
    let server = bare().await;
    let dir = std::env::temp_dir().join(format!("scpanel-defs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["scpanel-sine", "default"] {
        let def = builtins::builtin(name).unwrap();
        std::fs::write(dir.join(format!("{name}.scsyndef")), def.encode()).unwrap();
    }
    let names = server
        .synthdefs()
        .load_file(&dir.join("scpanel-sine.scsyndef"))
        .await
        .unwrap();
    assert_eq!(names, ["scpanel-sine"]);
    let before = server.status().await.unwrap().synthdefs;
    let mut names = server.synthdefs().load_dir(&dir).await.unwrap();
    names.sort();
    assert_eq!(names, ["default", "scpanel-sine"]);
    assert_eq!(
        server.status().await.unwrap().synthdefs,
        before + 1,
        "one new def"
    );
    let info = server
        .synthdefs()
        .list()
        .into_iter()
        .find(|d| d.name == "scpanel-sine")
        .unwrap();
    assert!(
        info.controls
            .iter()
            .any(|(k, v)| k == "freq" && *v == 440.0),
        "{info:?}"
    );
    server.synthdefs().free(&["scpanel-sine"]).await.unwrap();
    assert_eq!(server.status().await.unwrap().synthdefs, before);
    assert!(!server.synthdefs().knows("scpanel-sine"));
    // A file that is not a SynthDef is refused with the reason, before the server sees it.
    std::fs::write(dir.join("bad.scsyndef"), b"SCgf\0\0\0\x02\0\x01\x05hel").unwrap();
    let err = server
        .synthdefs()
        .load_file(&dir.join("bad.scsyndef"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a SynthDef file"), "{err}");
    assert!(decode_file(b"nope").is_err());
    std::fs::remove_dir_all(&dir).ok();
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synths_of_other_clients_get_their_names_in_the_live_tree() {
    let a = boot(options()).await;
    let b = scpanel_core::Server::new();
    b.connect(common::connect_options(&a)).await.unwrap();
    let id = b
        .add_synth(
            "default",
            b.default_group(),
            AddAction::AddToHead,
            &[("freq", 220.0)],
        )
        .await
        .unwrap();
    // A learns of it from /n_go (no name), then asks the group for names; controls are
    // read for the synths a reader watches (the rows on screen).
    a.controls().watch(vec![id]);
    let mut changes = a.watch_changes();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while a
        .with_tree(|t| t.get(id).and_then(|n| n.def_name().map(String::from)))
        .is_none()
    {
        let _ = tokio::time::timeout_at(deadline, changes.changed()).await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "A never learnt the synth's SynthDef"
        );
    }
    let freq = || {
        a.with_tree(|t| {
            t.get(id)?
                .controls
                .iter()
                .find(|(k, _)| k == "freq")
                .cloned()
        })
    };
    while freq().is_none() {
        let _ = tokio::time::timeout_at(deadline, changes.changed()).await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "A never learnt the synth's controls"
        );
    }
    assert_eq!(
        freq(),
        Some(("freq".to_string(), ControlValue::Value(220.0)))
    );
    b.disconnect().await.unwrap();
    a.quit(false).await.unwrap();
}
