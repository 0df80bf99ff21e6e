//! "Found on the network" in the real window: a server announced over Zeroconf (published
//! here with mdns-sd, pointing at a real scsynth) shows in the list, and "Add" puts it on the
//! wall, watched. It runs in a network namespace of its own, so nothing is announced on a
//! real network; an opt-in scan of 127.0.0.1 finds a server that announces nothing.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::gui::{app, show_tab};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::ScPanel;
use scpanel_core::{Server, ServerState};

/// Frames until `done`, waking every 50 ms (the browser's list changes on its own threads).
fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    limit: Duration,
    done: impl Fn(&Harness<'static, ScPanel>) -> bool,
) -> Duration {
    let start = std::time::Instant::now();
    loop {
        h.step();
        if done(h) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "timed out waiting for: {what}");
        let mut changes = h.state().session().server.watch_changes();
        h.state().bridge.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        });
    }
}

#[test]
fn an_announced_server_appears_in_found_and_is_added_watching() {
    common::run_in_net_namespace("found_in_namespace");
}

/// Run only by [`an_announced_server_appears_in_found_and_is_added_watching`].
#[test]
#[ignore = "runs inside its own network namespace: see an_announced_server_appears_in_found_and_is_added_watching"]
fn found_in_namespace() {
    common::assert_loopback_only();
    let mut h = app(common::options(), "gui-found");
    let theirs = Server::new();
    h.state()
        .bridge
        .block_on(theirs.boot(common::options()))
        .expect("their server");
    let port = theirs.options().port;
    let publisher = mdns_sd::ServiceDaemon::new().expect("mDNS publisher");
    let info = mdns_sd::ServiceInfo::new(
        "_osc._udp.local.",
        "Studio B",
        "studio-b.local.",
        "127.0.0.1",
        port,
        None::<HashMap<String, String>>,
    )
    .expect("service info");
    publisher.register(info).expect("register");

    h.step();
    show_tab(&mut h, "Servers");
    h.get_by_label_contains("Found on the network").click();
    h.run_steps(1);
    h.get_by_label("Look for announced servers (Zeroconf)")
        .click();
    h.run_steps(1);
    let addr = format!("127.0.0.1:{port}");
    let took = step_until(
        &mut h,
        "the announcement in Found",
        Duration::from_secs(30),
        |h| h.query_by_label(&format!("Add {addr}")).is_some(),
    );
    println!("FIGURE announcement in the Found list after {took:?}");
    assert!(
        h.query_by_label("Studio B").is_some(),
        "the announced name is shown"
    );
    h.get_by_label(&format!("Add {addr}")).click();
    h.run_steps(1);
    step_until(
        &mut h,
        "the found server on the wall",
        Duration::from_secs(20),
        |h| {
            let a = h.state();
            a.sessions.len() == 1 && a.sessions[0].server.state() == ServerState::Online
        },
    );
    let s = &h.state().sessions[0];
    assert_eq!(s.name, "Studio B");
    assert_eq!(s.server.client_id(), None, "added watching");
    h.run_steps(1);
    assert!(h.query_by_label("on the wall").is_some());
    h.state().shutdown(Duration::from_secs(5));
    let _ = publisher.shutdown();
    h.state().bridge.block_on(theirs.quit(false)).expect("quit");
}

#[test]
fn a_scan_of_loopback_finds_a_server_that_announces_nothing() {
    let mut h = app(common::options(), "gui-found-scan");
    let theirs = Server::new();
    // Booted with -R 0 (the default): it announces nothing.
    h.state()
        .bridge
        .block_on(theirs.boot(common::options()))
        .expect("their server");
    let port = theirs.options().port;
    h.step();
    show_tab(&mut h, "Servers");
    h.get_by_label_contains("Found on the network").click();
    h.run_steps(1);
    h.state_mut().wall.found.scan_targets = format!("127.0.0.1/32:{}-{}", port - 2, port + 2);
    h.run_steps(1);
    h.get_by_label("Scan now").click();
    h.run_steps(1);
    let addr = format!("127.0.0.1:{port}");
    step_until(&mut h, "the scan's answer", Duration::from_secs(20), |h| {
        h.query_by_label(&format!("Add {addr}")).is_some()
    });
    assert_eq!(
        h.state().wall.found.scanned.len(),
        1,
        "only the server answers"
    );
    h.state().bridge.block_on(theirs.quit(false)).expect("quit");
}
