//! Servers that go away by themselves and come back: a watched server killed and started
//! again on its port is rejoined without being asked; a booted one that crashes is booted
//! again with its mixer; a user's disconnect ends the rejoining.

use crate::common;

use std::time::{Duration, Instant};

use common::{boot, connect_options, options, wait_for};
use scpanel_core::{RejoinPolicy, Server, ServerEvent, ServerState};

/// Deadlines for what takes well under a second here: 10× and more, for busy CI machines.
const NOTICE_LIMIT: Duration = Duration::from_secs(10);
/// A rejoin waits up to 4 s between tries; a reboot boots a whole server.
const RETURN_LIMIT: Duration = Duration::from_secs(30);

/// Well past several tries' worth of backoff (the first comes 250 ms after a loss).
const QUIET: Duration = Duration::from_secs(3);

/// Whether the handle starts connecting within `limit`.
async fn connects_within(
    events: &mut tokio::sync::broadcast::Receiver<ServerEvent>,
    limit: Duration,
) -> bool {
    tokio::time::timeout(limit, async {
        loop {
            match events.recv().await {
                Ok(ServerEvent::Connecting) => return,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    std::future::pending::<()>().await
                }
                _ => {}
            }
        }
    })
    .await
    .is_ok()
}

fn kill9(pid: u32) {
    // Our own child, by its pid.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
}

async fn watcher_of(owner: &Server, policy: RejoinPolicy) -> Server {
    let w = Server::new();
    w.set_rejoin_policy(policy);
    let mut c = connect_options(owner);
    c.login = false;
    w.connect(c).await.expect("watch");
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watched_server_killed_and_started_again_is_rejoined_without_a_click() {
    let o = options();
    let owner = boot(o.clone()).await;
    let watcher = watcher_of(
        &owner,
        RejoinPolicy {
            rejoin: true,
            reboot: false,
        },
    )
    .await;
    let mut events = watcher.subscribe();
    let killed = Instant::now();
    kill9(owner.pid().expect("pid"));
    wait_for(&mut events, NOTICE_LIMIT, |e| {
        matches!(e, ServerEvent::Offline).then_some(())
    })
    .await;
    let noticed = killed.elapsed();
    let away = watcher.absence();
    assert!(away.offline_since.is_some(), "{away:?}");
    assert!(away.retrying, "{away:?}");
    assert_eq!(
        away.crashes, 0,
        "a watched server's crash is not ours to count"
    );
    eprintln!("offline {} ms after kill -9", noticed.as_millis());

    // Tries against the empty port fail and back off; the tile says so meanwhile.
    let again = boot(o.clone()).await;
    wait_for(&mut events, RETURN_LIMIT, |e| {
        matches!(e, ServerEvent::Rejoined { rebooted: false }).then_some(())
    })
    .await;
    assert_eq!(watcher.state(), ServerState::Online);
    let back = watcher.absence();
    assert_eq!(back.offline_since, None, "{back:?}");
    assert!(!back.retrying);
    assert_eq!(back.returns, 1);
    assert!(!watcher.is_owner());
    assert_eq!(watcher.client_id(), None, "still watching without a login");
    assert!(watcher.status().await.is_ok());
    watcher.disconnect().await.ok();
    again.quit(false).await.expect("quit");
    drop(owner);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_in_client_gets_its_client_id_back() {
    let o = options();
    let owner = boot(o.clone()).await;
    let guest = Server::new();
    guest.set_rejoin_policy(RejoinPolicy {
        rejoin: true,
        reboot: false,
    });
    guest.connect(connect_options(&owner)).await.expect("login");
    let id = guest.client_id().expect("logged in");
    let mut events = guest.subscribe();
    kill9(owner.pid().expect("pid"));
    wait_for(&mut events, NOTICE_LIMIT, |e| {
        matches!(e, ServerEvent::Offline).then_some(())
    })
    .await;
    let again = boot(o).await;
    wait_for(&mut events, RETURN_LIMIT, |e| {
        matches!(e, ServerEvent::Rejoined { .. }).then_some(())
    })
    .await;
    assert_eq!(
        guest.client_id(),
        Some(id),
        "the same client id, as it was free"
    );
    guest.disconnect().await.expect("log out");
    again.quit(false).await.expect("quit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_server_is_rebooted_with_its_volume_mute_and_meters() {
    let server = Server::new();
    server.set_rejoin_policy(RejoinPolicy {
        rejoin: true,
        reboot: true,
    });
    server.boot(options()).await.expect("boot");
    server.mixer().set_volume(-12.0).await.expect("volume");
    server.mixer().set_mute(true).await.expect("mute");
    server.mixer().start_meters().await.expect("meters");
    let first_pid = server.pid().expect("pid");
    let mut events = server.subscribe();
    kill9(first_pid);
    wait_for(&mut events, NOTICE_LIMIT, |e| {
        matches!(e, ServerEvent::ProcessPanicked { .. }).then_some(())
    })
    .await;
    assert_eq!(server.absence().crashes, 1);
    wait_for(&mut events, RETURN_LIMIT, |e| {
        matches!(e, ServerEvent::Rejoined { rebooted: true }).then_some(())
    })
    .await;
    assert!(server.is_owner());
    assert_ne!(server.pid(), Some(first_pid), "a new process");
    let settings = server.mixer().settings();
    assert_eq!(settings.volume_db, -12.0);
    assert!(settings.muted);
    assert!(settings.meters);
    // The meters report again: they were put back, not just remembered.
    let mut ticks = server.mixer().watch_meters();
    tokio::time::timeout(NOTICE_LIMIT, ticks.changed())
        .await
        .expect("meter replies after the reboot")
        .expect("meters");
    let away = server.absence();
    assert_eq!((away.crashes, away.returns), (1, 1), "{away:?}");
    assert_eq!(away.offline_since, None);
    let pid = server.pid().expect("pid");
    server.quit(false).await.expect("quit");
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_rejoin_leaves_the_server_alone() {
    let o = options();
    let owner = boot(o.clone()).await;
    let watcher = watcher_of(
        &owner,
        RejoinPolicy {
            rejoin: true,
            reboot: false,
        },
    )
    .await;
    let mut events = watcher.subscribe();
    kill9(owner.pid().expect("pid"));
    wait_for(&mut events, NOTICE_LIMIT, |e| {
        matches!(e, ServerEvent::Offline).then_some(())
    })
    .await;
    assert!(watcher.absence().retrying);
    watcher.stop_rejoining();
    assert!(!watcher.absence().retrying);
    let again = boot(o).await;
    assert!(
        !connects_within(&mut events, QUIET).await,
        "a stopped rejoin connected anyway"
    );
    assert_eq!(watcher.state(), ServerState::Offline);
    again.quit(false).await.expect("quit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_policy_a_lost_server_stays_lost() {
    let owner = boot(options()).await;
    let watcher = watcher_of(&owner, RejoinPolicy::default()).await;
    let mut events = watcher.subscribe();
    kill9(owner.pid().expect("pid"));
    wait_for(&mut events, NOTICE_LIMIT, |e| {
        matches!(e, ServerEvent::Offline).then_some(())
    })
    .await;
    let away = watcher.absence();
    assert!(away.offline_since.is_some());
    assert!(!away.retrying);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_policy_off_ends_the_tries() {
    let o = options();
    let owner = boot(o.clone()).await;
    let watcher = watcher_of(
        &owner,
        RejoinPolicy {
            rejoin: true,
            reboot: false,
        },
    )
    .await;
    let mut events = watcher.subscribe();
    kill9(owner.pid().expect("pid"));
    wait_for(&mut events, NOTICE_LIMIT, |e| {
        matches!(e, ServerEvent::Offline).then_some(())
    })
    .await;
    watcher.set_rejoin_policy(RejoinPolicy::default());
    let again = boot(o).await;
    assert!(
        !connects_within(&mut events, QUIET).await,
        "a rejoin the policy no longer wants connected"
    );
    assert!(
        !watcher.absence().retrying,
        "the tile no longer says retrying"
    );
    again.quit(false).await.expect("quit");
}
