//! Xrun watchers opened and closed on many threads at once, as several servers' watchers
//! come and go, against a private dummy jackd of this test's own. A binary of its own: its
//! load would make the other xrun tests' timings flake.

mod common;

use std::time::{Duration, Instant};

use scpanel_core::audio::jack::{JackServer, JackSettings, JackTarget};
use scpanel_core::audio::xruns::XrunWatcher;

/// Watchers opened and closed on many threads at once, as several servers' come and go: a
/// close on one thread and an open on another once deadlocked inside libjack and hung the
/// window's blocking threads for good. Each thread's work must end within the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watchers_opened_and_closed_on_many_threads_at_once_never_hang() {
    let name = format!("scpanel-xruns-many-{}", std::process::id());
    let target = JackTarget {
        server_name: Some(name.clone()),
    };
    let jack = JackServer::start(target.clone(), &JackSettings::dummy())
        .await
        .expect("a private dummy jackd");
    let (done, ends) = std::sync::mpsc::channel();
    // Other clients joining and leaving meanwhile, as scsynths do.
    for t in 6..8 {
        let name = name.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            for _ in 0..15 {
                drop(common::jack_client::SlowClient::open(
                    Some(&name),
                    &format!("scpanel-other-{t}"),
                ));
            }
            let _ = done.send(t);
        });
    }
    for t in 0..6 {
        let target = target.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            for _ in 0..15 {
                let w = XrunWatcher::open(&target, &format!("scpanel-many-{t}"));
                assert!(w.is_ok(), "open: {:?}", w.err());
                drop(w);
            }
            let _ = done.send(t);
        });
    }
    drop(done);
    let deadline = Instant::now() + Duration::from_secs(60);
    for _ in 0..8 {
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::task::block_in_place(|| ends.recv_timeout(left))
            .expect("a thread opening and closing watchers hung (libjack deadlock)");
    }
    jack.stop().await;
}
