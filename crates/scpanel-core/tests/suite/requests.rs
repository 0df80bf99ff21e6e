//! Requests and commands matched to their replies on a real scsynth.

use crate::common;

use std::time::Duration;

use common::{boot, options};
use rosc::{OscMessage, OscPacket, OscType};
use scpanel_core::AddAction;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_status_history_and_poll_interval() {
    let server = boot(options()).await;
    let v = server.version().await.unwrap();
    assert_eq!(v.program, "scsynth");
    assert!(v.major >= 3, "{v}");
    // The poller fills a history; a faster interval fills it faster.
    server.set_poll_interval(Duration::from_millis(100));
    let start = server.with_status_history(|h| h.len());
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.with_status_history(|h| h.len()) < start + 5 {
        let _ = tokio::time::timeout_at(deadline, changes.changed()).await;
        assert!(tokio::time::Instant::now() < deadline, "the poller stopped");
    }
    let (first, last) = server.with_status_history(|h| (h[start].at, h[h.len() - 1].at));
    let per = (last - first) / 4;
    assert!(per < Duration::from_millis(400), "polled every {per:?}");
    let latest = server.latest_status().unwrap();
    assert!(latest.nominal_sample_rate == 48000.0, "{latest:?}");
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_move_pause_run_and_parallel_groups() {
    let server = boot(options()).await;
    let a = server
        .add_group(1, AddAction::AddToTail, false)
        .await
        .unwrap();
    let b = server
        .add_group(1, AddAction::AddToTail, true)
        .await
        .unwrap();
    assert!(
        server.nodes().query(b).await.unwrap().is_group,
        "/p_new makes a (parallel) group"
    );
    server
        .nodes()
        .move_to(b, a, AddAction::AddBefore)
        .await
        .unwrap();
    let tree = server.query_tree(false).await.unwrap();
    assert_eq!(tree.children(1).map(|n| n.id).collect::<Vec<_>>(), [b, a]);
    server.nodes().pause(a).await.unwrap();
    server.sync().await.unwrap();
    assert_eq!(
        server.with_tree(|t| t.get(a).and_then(|n| n.paused)),
        Some(true),
        "/n_off seen"
    );
    server.nodes().resume(a).await.unwrap();
    server.sync().await.unwrap();
    assert_eq!(
        server.with_tree(|t| t.get(a).and_then(|n| n.paused)),
        Some(false),
        "/n_on seen"
    );
    server
        .nodes()
        .move_to(b, a, AddAction::AddToHead)
        .await
        .unwrap();
    server.sync().await.unwrap();
    assert_eq!(
        server.with_tree(|t| t.get(b).map(|n| n.parent)),
        Some(a),
        "/n_move seen"
    );
    server.nodes().free_children(a).await.unwrap();
    assert!(server.nodes().query(b).await.is_err());
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffers_read_sound_files_and_zero() {
    let server = boot(options()).await;
    let path = std::env::temp_dir().join(format!("scpanel-read-{}.wav", std::process::id()));
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&path, spec).unwrap();
    for i in 0..1000 {
        w.write_sample((i % 100) as i16 * 100).unwrap();
        w.write_sample(0i16).unwrap();
    }
    w.finalize().unwrap();
    let id = server.buffers().read(&path, 0, -1).await.unwrap();
    let info = server.buffers().query(id).await.unwrap();
    assert_eq!(
        (info.frames, info.channels, info.sample_rate),
        (1000, 2, 44100.0)
    );
    server.buffers().zero(id).await.unwrap();
    server.buffers().free(id).await.unwrap();
    assert_eq!(server.buffers().query(id).await.unwrap().frames, 0, "freed");
    std::fs::remove_file(&path).ok();
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_osc_bundles_and_dump_osc() {
    let server = boot(options()).await;
    let mut osc = server.subscribe_osc();
    server.dump_osc(true).await.unwrap();
    // /dumpOSC takes effect in the audio thread: wait for it.
    server.sync().await.unwrap();
    let bundle = scpanel_core::osc::bundle_of(vec![OscMessage {
        addr: "/g_new".into(),
        args: vec![OscType::Int(4242), OscType::Int(0), OscType::Int(1)],
    }]);
    server.send(bundle).await.unwrap();
    server.sync().await.unwrap();
    assert!(server.nodes().query(4242).await.is_ok());
    // The server printed what it received (it prints from its network thread).
    server
        .send_msg(OscMessage {
            addr: "/n_query".into(),
            args: vec![OscType::Int(4242)],
        })
        .await
        .unwrap();
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !server.with_log(|l| {
        l.lines()
            .any(|l| l.text.contains("/n_query") && l.text.contains("4242"))
    }) {
        let _ = tokio::time::timeout_at(deadline, changes.changed()).await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "no dumpOSC line in the log: {:?}",
            server.with_log(|l| l.tail(10))
        );
    }
    server.dump_osc(false).await.unwrap();
    // The console's tap saw the bundle go out and the /n_go come back.
    let mut saw_out = false;
    let mut saw_in = false;
    while let Ok(t) = osc.try_recv() {
        match (&t.direction, &t.packet) {
            (scpanel_core::Direction::Sent, OscPacket::Bundle(_)) => saw_out = true,
            (scpanel_core::Direction::Received, OscPacket::Message(m)) if m.addr == "/n_go" => {
                saw_in = true
            }
            _ => {}
        }
    }
    assert!(saw_out && saw_in);
    server.quit(false).await.unwrap();
}
