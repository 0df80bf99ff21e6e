//! Finding servers: the subnet scan and the Zeroconf browser, against real scsynth servers.
//! Nothing here sends outside 127.0.0.0/8: the scan targets loopback only, and the Zeroconf
//! test runs in a network namespace of its own that has nothing but `lo`.

use crate::common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use scpanel_core::Protocol;
use scpanel_core::discover::{Browser, Found, MAX_PROBES, ScanTargets, Via, probe_status, scan};
use scpanel_core::machine::port_is_free;

use common::{boot, options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_finds_a_booted_server_with_its_status() {
    let server = boot(options()).await;
    let port = server.options().port;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (lo, hi) = (port - 3, port + 3);
    let targets: ScanTargets = format!("127.0.0.1/32:{lo}-{hi}").parse().unwrap();
    assert_eq!(targets.probe_count(), 7);

    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let found = scan(targets, 100, timeout).await.unwrap();
    let took = started.elapsed();
    println!("scan of 7 ports at 100/s took {took:?}: {found:?}");

    let ours = found
        .iter()
        .find(|f| f.addrs == [addr])
        .unwrap_or_else(|| panic!("{addr} not found in {found:?}"));
    assert_eq!((ours.via, ours.protocol), (Via::Scan, Protocol::Udp));
    assert_eq!(ours.host, "127.0.0.1");
    let status = ours.status.expect("a scanned server has its status");
    // Root and the default group of a server booted by scpanel.
    assert!(status.groups >= 1, "{status:?}");
    assert!(status.nominal_sample_rate > 0.0, "{status:?}");
    // 7 probes at 100/s take 60 ms to send; the silent ports are waited for one time-out.
    assert!(
        took >= timeout && took < timeout * 3,
        "took {took:?} for a {timeout:?} time-out"
    );

    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_of_ports_where_nothing_listens_is_empty_and_paced() {
    const PORTS: u16 = 10;
    let lo = loop {
        let p = common::test_port();
        if p < u16::MAX - PORTS && (p..p + PORTS).all(port_is_free) {
            break p;
        }
    };
    let targets: ScanTargets = format!("127.0.0.1:{lo}-{}", lo + PORTS - 1)
        .parse()
        .unwrap();
    let (rate, timeout) = (20, Duration::from_millis(300));
    let started = Instant::now();
    let found = scan(targets, rate, timeout).await.unwrap();
    let took = started.elapsed();
    println!("FIGURE {PORTS} silent ports at {rate}/s with a {timeout:?} time-out took {took:?}");
    assert_eq!(found, Vec::<Found>::new());
    // 10 probes at 20 a second: the first at once, the last 450 ms later; then the time-out.
    let sending = Duration::from_secs(1) * u32::from(PORTS - 1) / rate;
    assert!(
        took >= sending + timeout && took < (sending + timeout) * 3,
        "took {took:?}, expected about {:?}",
        sending + timeout
    );
}

#[tokio::test]
async fn scan_refuses_too_many_probes_and_a_zero_rate() {
    // 2^24 - 2 hosts × 10 ports: refused before anything is sent.
    let targets: ScanTargets = "127.0.0.0/8:57110-57119".parse().unwrap();
    let err = scan(targets, 100, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(
        err.contains(&format!("at most {MAX_PROBES}")) && err.contains("167772140 probes"),
        "{err}"
    );
    // Exactly the limit is allowed: 2 hosts × 32,768 ports (not sent: the rate is refused).
    let at_limit: ScanTargets = "127.0.0.1/31:1-32768".parse().unwrap();
    assert_eq!(at_limit.probe_count(), MAX_PROBES);
    let err = scan(at_limit, 0, Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(err.contains("rate"), "{err}");
}

/// The Zeroconf test proper runs in a network namespace with only loopback (see
/// [`zeroconf_in_namespace`]); this runs it there and fails with its output if it fails.
#[test]
fn zeroconf_browser_lists_an_announced_server() {
    common::run_in_net_namespace("discover::zeroconf_in_namespace");
}

/// Run only by [`zeroconf_browser_lists_an_announced_server`], inside `unshare --net`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs inside its own network namespace: see zeroconf_browser_lists_an_announced_server"]
async fn zeroconf_in_namespace() {
    common::assert_loopback_only();

    // JACK is reached through unix sockets, which a network namespace does not hide.
    let server = boot(options()).await;
    let port = server.options().port;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    // Announce it as scsynth's -R 1 does through Avahi.
    let publisher = mdns_sd::ServiceDaemon::new().expect("mDNS publisher");
    let info = mdns_sd::ServiceInfo::new(
        "_osc._udp.local.",
        "SuperCollider",
        "scpanel-test.local.",
        "127.0.0.1",
        port,
        None::<HashMap<String, String>>,
    )
    .expect("service info");
    let fullname = info.get_fullname().to_string();
    // The same name over TCP (what -t publishes) is a second entry, never probed.
    let tcp = mdns_sd::ServiceInfo::new(
        "_osc._tcp.local.",
        "SuperCollider",
        "scpanel-test.local.",
        "127.0.0.1",
        port,
        None::<HashMap<String, String>>,
    )
    .expect("service info");
    let started = Instant::now();
    publisher.register(info).expect("register");
    publisher.register(tcp).expect("register tcp");

    let browser = Browser::start().expect("browser");
    let mut list = browser.watch();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let found = loop {
        let current = list.borrow_and_update().clone();
        let ours = current
            .iter()
            .filter(|f| f.name == "SuperCollider" && f.addrs.contains(&addr))
            .count();
        if ours == 2 {
            break current;
        }
        match tokio::time::timeout_at(deadline, list.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("the browser's list closed: {e}"),
            Err(_) => panic!("not announced within 15 s; the list: {current:?}"),
        }
    };
    println!(
        "FIGURE announcement listed {:?} after registering: {found:?}",
        started.elapsed()
    );
    let mut protocols: Vec<&str> = found.iter().map(|f| f.protocol.as_str()).collect();
    protocols.sort();
    assert_eq!(protocols, ["tcp", "udp"], "{found:?}");
    for f in &found {
        assert_eq!(f.host, "scpanel-test.local.");
        assert_eq!((f.via, f.status), (Via::Zeroconf, None));
    }
    assert_eq!(browser.dropped(), 0);

    // Its status answers at the announced address; the TCP entry is not asked.
    let asked = Instant::now();
    let with_status = probe_status(found, Duration::from_secs(2))
        .await
        .expect("probe");
    for f in &with_status {
        match f.protocol {
            Protocol::Udp => {
                let status = f.status.expect("the announced server answers /status");
                assert!(status.nominal_sample_rate > 0.0, "{status:?}");
            }
            Protocol::Tcp => assert_eq!(f.status, None, "a TCP server is never probed"),
        }
    }
    println!("FIGURE status answered in {:?}", asked.elapsed());

    // A goodbye takes it off the list.
    let removed = Instant::now();
    let _ = publisher.unregister(&fullname).expect("unregister");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let current = list.borrow_and_update().clone();
        if !current
            .iter()
            .any(|f| f.addrs.contains(&addr) && f.protocol == Protocol::Udp)
        {
            break;
        }
        match tokio::time::timeout_at(deadline, list.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("the browser's list closed: {e}"),
            Err(_) => panic!("still listed 15 s after its goodbye: {current:?}"),
        }
    }
    println!(
        "FIGURE goodbye took it off the list in {:?}",
        removed.elapsed()
    );

    drop(browser);
    let _ = publisher.shutdown();
    server.quit(false).await.unwrap();
}
