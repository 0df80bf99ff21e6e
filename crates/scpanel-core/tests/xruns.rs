//! The xrun watcher on a real JACK server: a private dummy jackd of this test's own, named
//! (so the server-name path is the one tested), and an xrun forced by stopping a JACK client
//! this test started (`jack_metro`) with SIGSTOP: its cycle can't finish, and jackd reports
//! "client was not finished" as an xrun to every client. Measured: the first xrun comes
//! within a few periods (5.3 ms each) of the stop.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::jack_client::{LIMIT, StoppableClient, has_ports, poll};

use scpanel_core::host::jack::{JackDriver, JackServer, JackTarget};
use scpanel_core::host::xruns::{NoJack, XrunWatcher, Xruns};

fn open(target: &JackTarget) -> (XrunWatcher, Xruns) {
    let watcher = XrunWatcher::open(target, "scpanel-xruns-test").expect("watcher");
    let xruns = watcher.xruns();
    (watcher, xruns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xrun_is_counted_when_a_client_misses_its_cycle() {
    let name = format!("scpanel-xruns-{}", std::process::id());
    let target = JackTarget {
        server_name: Some(name.clone()),
    };
    let jack = JackServer::start(target.clone(), JackDriver::Dummy)
        .await
        .expect("a private dummy jackd");
    let (watcher, xruns) = tokio::task::block_in_place(|| open(&target));
    let before = SystemTime::now();
    assert!(xruns.since() <= before);
    let metro = StoppableClient::start(&name, "scpanel-metro");
    tokio::task::block_in_place(|| {
        poll("jack_metro's ports", || has_ports(&name, "scpanel-metro"));
        // Nothing forced yet: what JACK counted so far (a client joining may itself cost a
        // cycle on a loaded machine) is the base.
        let base = xruns.count();
        let stopped = SystemTime::now();
        metro.stop();
        poll("an xrun counted", || xruns.count() > base);
        metro.go_on();
        let last = xruns.last().expect("the last xrun's time");
        assert!(
            last >= stopped && last <= SystemTime::now(),
            "last xrun at {last:?}, stopped at {stopped:?}"
        );
        assert!(xruns.recent().contains(&last));
        assert!(!xruns.jack_stopped());
    });
    drop(metro);
    // The server going away is seen as such, not as silence.
    jack.stop().await;
    tokio::task::block_in_place(|| poll("JACK stopped", || xruns.jack_stopped()));
    tokio::task::block_in_place(|| drop(watcher));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_jack_server_the_watcher_says_so_and_starts_none() {
    let name = format!("scpanel-xruns-nobody-{}", std::process::id());
    let target = JackTarget {
        server_name: Some(name.clone()),
    };
    let started = Instant::now();
    let err = tokio::task::block_in_place(|| XrunWatcher::open(&target, "scpanel-xruns-test"))
        .err()
        .expect("no server to join");
    assert!(matches!(err, NoJack::Server(_)), "{err}");
    assert!(
        err.to_string().starts_with("no JACK server answers"),
        "{err}"
    );
    assert!(started.elapsed() < LIMIT, "gave up quickly");
    // JackNoStartServer: still no server of that name.
    assert_eq!(
        target.status().await,
        scpanel_core::host::jack::JackStatus::NotRunning
    );
}
