//! Nodes, trees and id allocation against a real scsynth.

use crate::common;

use std::collections::HashMap;

use common::{boot, connect_options, options};
use rosc::{OscMessage, OscType};
use scpanel_core::{AddAction, BusRate, Server, ServerError, osc::bundle_of};

fn g_new(id: i32, action: i32, target: i32) -> OscMessage {
    OscMessage {
        addr: "/g_new".into(),
        args: vec![OscType::Int(id), OscType::Int(action), OscType::Int(target)],
    }
}

/// Builds `outer` groups of `inner` groups each under a paused group, alternating head and
/// tail adds; returns the expected (id, parent) list in depth-first order.
async fn build_big_tree(server: &Server, outer: i32, inner: i32) -> (i32, Vec<(i32, i32)>) {
    let base = server.client_ranges().unwrap().nodes.start + 50_000;
    let holder = server
        .add_group(server.default_group(), AddAction::AddToTail, false)
        .await
        .unwrap();
    // Paused: 20,000 running groups would cost the audio thread a lot of CPU.
    server.nodes().pause(holder).await.unwrap();
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut next = base;
    for o in 0..outer {
        let gid = next;
        next += 1;
        let action = if o % 2 == 0 { 1 } else { 0 };
        let mut bundle = vec![g_new(gid, action, holder)];
        let list = children.entry(holder).or_default();
        if action == 0 {
            list.insert(0, gid)
        } else {
            list.push(gid)
        }
        for i in 0..inner {
            let id = next;
            next += 1;
            let action = if i % 3 == 0 { 0 } else { 1 };
            bundle.push(g_new(id, action, gid));
            let list = children.entry(gid).or_default();
            if action == 0 {
                list.insert(0, id)
            } else {
                list.push(id)
            }
        }
        server.send_checked(bundle_of(bundle)).await.unwrap();
    }
    let mut expected = vec![(holder, server.default_group())];
    for &g in &children[&holder] {
        expected.push((g, holder));
        for &c in &children[&g] {
            expected.push((c, g));
        }
    }
    (holder, expected)
}

fn big_options() -> scpanel_core::Options {
    let mut o = options();
    o.max_nodes = 32768;
    o.memory_kib = 65536;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20000_node_tree_reads_back_whole() {
    let server = boot(big_options()).await;
    let (holder, expected) = build_big_tree(&server, 40, 499).await;
    assert_eq!(expected.len(), 1 + 40 * 500);
    let status = server.status().await.unwrap();
    assert_eq!(status.groups as usize, 1 + 4 + expected.len());
    let tree = server.query_tree(false).await.unwrap();
    let got: Vec<(i32, i32)> = {
        let mut v = Vec::new();
        tree.walk(|_, n| v.push((n.id, n.parent)));
        v.into_iter()
            .skip_while(|(id, _)| *id != holder)
            .take(expected.len())
            .collect()
    };
    assert_eq!(got.len(), expected.len(), "node count");
    assert_eq!(got, expected, "ids, parents and order");
    assert_eq!(tree.len(), 1 + 4 + expected.len(), "nothing extra");
    // The live mirror, kept from /n_go notifications alone, agrees.
    let mirror: Vec<i32> = server.with_tree(|t| t.ids());
    assert_eq!(mirror, tree.ids(), "live mirror matches the server");
    assert!(tree.to_text(false).lines().count() == tree.len());
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flat_group_past_64k_is_walked_child_by_child() {
    let server = boot(big_options()).await;
    let base = server.client_ranges().unwrap().nodes.start + 50_000;
    let holder = server
        .add_group(1, AddAction::AddToTail, false)
        .await
        .unwrap();
    server.nodes().pause(holder).await.unwrap();
    // 8,000 empty groups in one group: more than one 64 KiB reply can hold.
    for chunk in 0..8 {
        let msgs = (0..1000)
            .map(|i| g_new(base + chunk * 1000 + i, 1, holder))
            .collect();
        server.send_checked(bundle_of(msgs)).await.unwrap();
    }
    let tree = server.query_tree(false).await.unwrap();
    let kids: Vec<i32> = tree.children(holder).map(|n| n.id).collect();
    assert_eq!(kids, (base..base + 8000).collect::<Vec<_>>());
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tree_text_is_in_supriyas_format() {
    let server = boot(options()).await;
    let g = server
        .add_group(1, AddAction::AddToHead, false)
        .await
        .unwrap();
    let inner = server
        .add_group(g, AddAction::AddToTail, false)
        .await
        .unwrap();
    // supriya asks the same server and prints the tree its own way: the judge of the format.
    let port = server.options().port;
    let theirs = tokio::task::spawn_blocking(move || common::supriya::query_tree_of(port))
        .await
        .unwrap();
    let text = server.query_tree(false).await.unwrap().to_text(false);
    assert_eq!(text, theirs);
    // Not an empty agreement: the nested groups are in it.
    assert!(
        text.contains(&format!("\n        {g} group\n            {inner} group\n")),
        "{text}"
    );
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocations_stay_in_each_clients_range() {
    let a = boot(options()).await;
    let b = Server::new();
    b.connect(connect_options(&a)).await.unwrap();
    for server in [&a, &b] {
        let r = server.client_ranges().unwrap();
        let g = server
            .add_group(server.default_group(), AddAction::AddToHead, false)
            .await
            .unwrap();
        assert!(r.nodes.contains(&g), "{g} outside {:?}", r.nodes);
        let buf = server.add_buffer(1024, 2).await.unwrap();
        assert!(
            r.buffers.contains(&(buf as u32)),
            "{buf} outside {:?}",
            r.buffers
        );
        let info = server.buffers().query(buf).await.unwrap();
        assert_eq!((info.frames, info.channels), (1024, 2));
        let audio = server.add_bus_group(BusRate::Audio, 2).await.unwrap();
        assert!(r.audio_buses.contains(&audio.id) && r.audio_buses.contains(&(audio.id + 1)));
        assert!(audio.id >= 4, "private audio buses come after 2 in + 2 out");
        let control = server.add_bus_group(BusRate::Control, 4).await.unwrap();
        assert!(r.control_buses.contains(&control.id));
        server
            .buses()
            .set_control(control.id as i32, 0.25)
            .await
            .unwrap();
        assert_eq!(
            server.buses().get_control(control.id as i32).await.unwrap(),
            0.25
        );
        // Freed ids are reused.
        server.buffers().free(buf).await.unwrap();
        assert_eq!(server.add_buffer(16, 1).await.unwrap(), buf);
        server.nodes().free(g).await.unwrap();
        assert_eq!(
            server
                .add_group(server.default_group(), AddAction::AddToHead, false)
                .await
                .unwrap(),
            g
        );
    }
    let (ra, rb) = (a.client_ranges().unwrap(), b.client_ranges().unwrap());
    assert!(ra.nodes.end <= rb.nodes.start || rb.nodes.end <= ra.nodes.start);
    assert!(ra.buffers.end <= rb.buffers.start || rb.buffers.end <= ra.buffers.start);
    // B's reset frees only B's nodes; A's reset (Cmd-period) frees everything.
    let a_group = a
        .add_group(a.default_group(), AddAction::AddToHead, false)
        .await
        .unwrap();
    let b_group = b
        .add_group(b.default_group(), AddAction::AddToHead, false)
        .await
        .unwrap();
    b.reset().await.unwrap();
    assert!(a.nodes().query(a_group).await.is_ok());
    assert!(a.nodes().query(b_group).await.is_err());
    a.reset().await.unwrap();
    assert!(a.nodes().query(a_group).await.is_err());
    assert!(
        a.nodes().query(b.default_group()).await.is_ok(),
        "default groups are re-created"
    );
    b.disconnect().await.unwrap();
    a.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_nodes_is_an_error_with_the_servers_text() {
    let mut o = options();
    o.max_nodes = 64;
    let server = boot(o).await;
    let mut last = Ok(0);
    for _ in 0..100 {
        last = server.add_group(1, AddAction::AddToTail, false).await;
        if last.is_err() {
            break;
        }
    }
    match last {
        Err(ServerError::Fail { command, message }) => {
            assert_eq!(command, "/g_new");
            assert!(message.contains("too many nodes"), "{message}");
        }
        other => panic!("expected a /fail, got {other:?}"),
    }
    assert!(server.status().await.is_ok(), "the server keeps running");
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_replies_become_errors() {
    let server = boot(options()).await;
    let err = server.nodes().free(999_999).await.unwrap_err();
    assert!(err.to_string().contains("not found"), "{err}");
    let err = server.nodes().query(999_999).await.unwrap_err();
    assert!(matches!(err, ServerError::Fail { .. }), "{err:?}");
    let err = server
        .buffers()
        .read(std::path::Path::new("/nonexistent/file.wav"), 0, -1)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/file.wav"), "{err}");
    server.quit(false).await.unwrap();
}
