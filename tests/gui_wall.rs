//! The Servers wall in the real app, with real scsynth processes on the private JACK server:
//! eight servers booted from the window, one killed and started again, a roster saved and
//! loaded, servers pasted in, alerts in the title.

mod common;

use std::time::{Duration, Instant};

use common::gui::{app, show_tab};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel_core::roster::Roster;
use scpanel_core::{Options, Server, ServerState};

/// Generous: eight servers boot on two busy cores.
const BOOT_LIMIT: Duration = Duration::from_secs(60);
/// The "offline within 1 s", with a margin for busy CI machines (the benchmark
/// reports the real figure).
const OFFLINE_LIMIT: Duration = Duration::from_secs(10);
/// A rejoin tries at most every 4 s.
const REJOIN_LIMIT: Duration = Duration::from_secs(30);

/// Runs frames until `done` holds, waking at least every 50 ms (any server may change).
fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    limit: Duration,
    mut done: impl FnMut(&mut Harness<'static, ScPanel>) -> bool,
) -> Duration {
    let start = Instant::now();
    let mut changes: Vec<_> = h
        .state()
        .sessions
        .iter()
        .map(|s| s.server.watch_changes())
        .collect();
    loop {
        h.step();
        if done(h) {
            // What made it true may have come after the frame was drawn: draw it.
            h.step();
            return start.elapsed();
        }
        if start.elapsed() > limit {
            let states: Vec<String> = h
                .state()
                .sessions
                .iter()
                .map(|s| {
                    let notices = s
                        .inbox
                        .lock()
                        .map(|i| i.notices.iter().map(|n| n.text.clone()).collect::<Vec<_>>())
                        .unwrap_or_default();
                    format!("{} {:?} {notices:?}", s.addr, s.server.state())
                })
                .collect();
            panic!("timed out waiting for: {what}; sessions: {states:#?}");
        }
        h.state().bridge.block_on(async {
            let any = futures_like_any(&mut changes);
            let _ = tokio::time::timeout(Duration::from_millis(50), any).await;
        });
    }
}

/// Resolves when any of the receivers sees a change.
async fn futures_like_any(rx: &mut [tokio::sync::watch::Receiver<u64>]) {
    let mut set = tokio::task::JoinSet::new();
    for r in rx.iter() {
        let mut r = r.clone();
        set.spawn(async move {
            let _ = r.changed().await;
        });
    }
    let _ = set.join_next().await;
}

/// "Boot another" takes the next free ports after the boot options' port, which another
/// test of this binary may be about to use: one test at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn small() -> Options {
    let mut o = common::options();
    o.max_logins = 2;
    o
}

/// The tile's accessible label: "Open NAME: STATE…".
fn tile_label(h: &Harness<'static, ScPanel>, addr: &str) -> Option<String> {
    h.query_all_by_label_contains(&format!("Open {addr}: "))
        .next()
        .and_then(|n| n.accesskit_node().label())
}

fn paste_field<'a>(h: &'a Harness<'static, ScPanel>) -> egui_kittest::Node<'a> {
    h.query_all_by_label("Servers to add")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::MultilineTextInput)
        .expect("the paste field")
}

fn all_online(h: &Harness<'static, ScPanel>) -> bool {
    h.state()
        .sessions
        .iter()
        .all(|s| s.server.state() == ServerState::Online)
}

#[test]
fn eight_servers_booted_from_the_wall_one_killed_and_started_again() {
    let _one = one_at_a_time();
    let mut h = app(small(), "gui-wall-eight");
    h.step();
    show_tab(&mut h, "Servers");
    for _ in 0..8 {
        h.get_by_label("Boot another").click();
        h.run_steps(1);
    }
    assert_eq!(
        h.state().sessions.len(),
        8,
        "the empty first session took the first server"
    );
    step_until(&mut h, "eight servers online", BOOT_LIMIT, |h| {
        all_online(h)
    });
    let addrs: Vec<String> = h.state().sessions.iter().map(|s| s.addr.clone()).collect();
    let mut ports: Vec<u16> = h
        .state()
        .sessions
        .iter()
        .map(|s| s.server.options().port)
        .collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 8, "each on a port of its own: {addrs:?}");
    let clients: Vec<String> = h
        .state()
        .sessions
        .iter()
        .map(|s| s.server.options().device)
        .collect();
    for (c, s) in clients.iter().zip(&h.state().sessions) {
        assert_eq!(
            *c,
            format!("SuperCollider-{}", s.server.options().port),
            "a JACK client name of its own"
        );
    }
    h.step();
    for a in &addrs {
        let label = tile_label(&h, a).unwrap_or_else(|| panic!("no tile for {a}"));
        assert!(label.ends_with(": online"), "{label}");
    }
    assert_eq!(h.state().alert_count(), 0);
    assert_eq!(h.state().title(), "scpanel");

    // kill -9 the fourth server: its tile alone goes offline, at once.
    let victim = h.state().sessions[3].server.clone();
    let addr = addrs[3].clone();
    let options = victim.options();
    let pid = victim.pid().expect("pid");
    let killed = Instant::now();
    // Our own child, by its pid.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let took = step_until(
        &mut h,
        "the killed server's tile offline",
        OFFLINE_LIMIT,
        |h| tile_label(h, &addr).is_some_and(|l| l.contains("offline since")),
    );
    eprintln!(
        "tile offline {} ms after kill -9 (frames included)",
        killed.elapsed().max(took).as_millis()
    );
    let label = tile_label(&h, &addr).expect("tile");
    assert!(label.contains("retrying"), "{label}");
    assert!(label.contains("offline"), "the alert is named: {label}");
    h.run_steps(1);
    assert_eq!(h.state().alert_count(), 1);
    assert_eq!(h.state().title(), "scpanel \u{B7} 1 alert");
    for (i, s) in h.state().sessions.iter().enumerate() {
        if i != 3 {
            assert_eq!(s.server.state(), ServerState::Online, "{}", s.addr);
        }
    }

    // Someone starts a server on that port again: the tile rejoins by itself.
    let again = Server::new();
    h.state()
        .bridge
        .block_on(again.boot(options.clone()))
        .expect("a server on the same port");
    step_until(&mut h, "the tile rejoined", REJOIN_LIMIT, |h| {
        tile_label(h, &addr).is_some_and(|l| l.ends_with(": online"))
            && h.state().sessions[3].server.absence().returns == 1
    });
    // The title is set as a frame begins: one more frame shows the tile's state in it.
    h.run_steps(1);
    assert_eq!(h.state().alert_count(), 0);
    assert_eq!(h.state().title(), "scpanel");
    let rejoined = &h.state().sessions[3].server;
    assert!(
        !rejoined.is_owner(),
        "joined as a guest: the window did not boot it"
    );
    assert_eq!(rejoined.absence().returns, 1, "{:?}", rejoined.absence());

    // Clicking the tile opens that server's tabs.
    h.get_by_label_contains(&format!("Open {}: ", addrs[5]))
        .click();
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Tree);
    assert_eq!(h.state().session().addr, addrs[5]);

    h.state().shutdown(Duration::from_secs(10));
    h.state().bridge.block_on(again.quit(false)).expect("quit");
}

#[test]
fn a_roster_saved_and_loaded_gives_the_same_wall() {
    let _one = one_at_a_time();
    // Three servers someone else runs, watched; one booted by the window.
    let theirs: Vec<Server> = (0..3).map(|_| Server::new()).collect();
    let mut h = app(small(), "gui-wall-roster");
    for s in &theirs {
        h.state()
            .bridge
            .block_on(s.boot(small()))
            .expect("their server");
    }
    h.step();
    show_tab(&mut h, "Servers");
    for (i, s) in theirs.iter().enumerate() {
        let addr = format!("127.0.0.1:{}", s.options().port);
        h.state_mut()
            .add_server(addr, format!("student {}", i + 1), false);
    }
    h.get_by_label("Boot another").click();
    h.run_steps(1);
    step_until(&mut h, "four servers online", BOOT_LIMIT, |h| {
        h.state().sessions.len() == 4 && all_online(h)
    });
    let dir = std::env::temp_dir().join(format!("scpanel-wall-roster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("classroom.toml");
    let path_text = path.display().to_string();
    h.state_mut().wall.roster_path = path_text.clone();
    h.run_steps(1);
    h.get_by_label("Save roster").click();
    h.run_steps(1);
    let saved = Roster::load(&path).expect("the roster file");
    assert_eq!(saved.servers.len(), 4);
    let names: Vec<&str> = saved.servers.iter().map(|e| e.label()).collect();
    assert_eq!(names[..3], ["student 1", "student 2", "student 3"]);
    assert!(
        saved.servers[..3]
            .iter()
            .all(|e| e.boot.is_none() && !e.login)
    );
    assert!(
        saved.servers[3].boot.is_some(),
        "the booted one boots again"
    );
    let wall = |h: &Harness<'static, ScPanel>| -> Vec<(String, String, bool, bool)> {
        h.state()
            .sessions
            .iter()
            .map(|s| {
                (
                    scpanel::gui::panels::wall::summary::label(s),
                    s.addr.clone(),
                    s.server.is_owner(),
                    s.server.client_id().is_some(),
                )
            })
            .collect()
    };
    let before = wall(&h);
    // The window closes (its own server quits); a new one loads the file.
    h.state().shutdown(Duration::from_secs(10));
    drop(h);
    let mut h2 = app(small(), "gui-wall-roster-2");
    h2.step();
    show_tab(&mut h2, "Servers");
    h2.state_mut().wall.roster_path = path_text;
    h2.run_steps(1);
    h2.get_by_label("Load roster").click();
    h2.run_steps(1);
    step_until(&mut h2, "the loaded wall online", BOOT_LIMIT, |h| {
        h.state().sessions.len() == 4 && all_online(h)
    });
    assert_eq!(
        wall(&h2),
        before,
        "the same tiles, in the same order, the same roles"
    );
    h2.state().shutdown(Duration::from_secs(10));
    for s in &theirs {
        h2.state().bridge.block_on(s.quit(false)).expect("quit");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn pasted_servers_are_watched_and_bad_lines_say_what_to_fix() {
    let _one = one_at_a_time();
    let theirs = Server::new();
    let mut h = app(small(), "gui-wall-paste");
    h.state()
        .bridge
        .block_on(theirs.boot(small()))
        .expect("their server");
    h.step();
    show_tab(&mut h, "Servers");
    h.get_by_label("Paste a list…").click();
    h.run_steps(1);
    let text = format!(
        "# the class\n127.0.0.1:{} Ada\n127.0.0.1:99999 Bob\n",
        theirs.options().port
    );
    paste_field(&h).focus();
    h.run_steps(1);
    paste_field(&h).type_text(&text);
    h.run_steps(1);
    h.get_by_label("Add these").click();
    h.run_steps(1);
    step_until(&mut h, "the pasted server online", BOOT_LIMIT, |h| {
        h.state().sessions.len() == 1 && all_online(h)
    });
    let s = &h.state().sessions[0];
    assert_eq!(s.name, "Ada");
    assert_eq!(s.server.client_id(), None, "watching: no login slot taken");
    assert!(!s.server.is_owner());
    assert!(
        h.query_by_label_contains("line 3:").is_some(),
        "the bad line is named"
    );
    // "Log in" on the tile takes a login.
    h.get_by_label("Log in").click();
    h.run_steps(1);
    step_until(&mut h, "logged in", BOOT_LIMIT, |h| {
        h.state().sessions[0].server.client_id().is_some()
    });
    h.state().shutdown(Duration::from_secs(10));
    h.state().bridge.block_on(theirs.quit(false)).expect("quit");
}

#[test]
fn a_cpu_alert_marks_the_tile_and_the_title() {
    let _one = one_at_a_time();
    let mut h = app(small(), "gui-wall-cpu");
    h.step();
    show_tab(&mut h, "Servers");
    h.get_by_label("Boot another").click();
    h.run_steps(1);
    step_until(&mut h, "online with a status", BOOT_LIMIT, |h| {
        all_online(h) && h.state().session().server.latest_status().is_some()
    });
    // 0 %: any server is at or above it.
    h.state_mut().wall.cpu_threshold = 0.0;
    step_until(&mut h, "the CPU alert", OFFLINE_LIMIT, |h| {
        h.state().title().ends_with("1 alert")
    });
    h.run_steps(1);
    let addr = h.state().sessions[0].addr.clone();
    let label = tile_label(&h, &addr).expect("tile");
    assert!(label.contains("CPU high"), "{label}");
    // The status bar says it of the server the tabs show.
    step_until(&mut h, "the status bar's mark", OFFLINE_LIMIT, |h| {
        h.query_by_label_contains("CPU HIGH").is_some()
    });
    h.state_mut().wall.only_alerts = true;
    h.run_steps(1);
    assert!(
        tile_label(&h, &addr).is_some(),
        "an alerting tile passes the filter"
    );
    h.state_mut().wall.cpu_threshold = 100.0;
    step_until(&mut h, "the alert gone", OFFLINE_LIMIT, |h| {
        h.state().title() == "scpanel"
    });
    assert!(
        tile_label(&h, &addr).is_none(),
        "only alerts: the calm tile is filtered out"
    );
    h.state().shutdown(Duration::from_secs(10));
}

#[test]
fn auto_reboot_ticked_on_a_tile_boots_a_crashed_server_again_and_remove_quits_it() {
    let _one = one_at_a_time();
    let mut h = app(small(), "gui-wall-reboot");
    h.step();
    show_tab(&mut h, "Servers");
    h.get_by_label("Boot another").click();
    h.run_steps(1);
    step_until(&mut h, "online", BOOT_LIMIT, |h| all_online(h));
    let at = h.get_by_label("auto-reboot").rect();
    h.get_by_label("auto-reboot").click();
    h.run_steps(1);
    assert_eq!(
        h.state().tab,
        Tab::Servers,
        "the click went to the tile, not the box"
    );
    assert_eq!(at, h.get_by_label("auto-reboot").rect(), "the box moved");
    // The box shows the server's policy, which the click's action sets on the runtime: under
    // load that lands a frame or two later.
    step_until(&mut h, "one click ticked the box", OFFLINE_LIMIT, |h| {
        h.get_by_label("auto-reboot").accesskit_node().toggled()
            == Some(egui::accesskit::Toggled::True)
    });
    step_until(&mut h, "the policy set", OFFLINE_LIMIT, |h| {
        h.state().sessions[0].server.rejoin_policy().reboot
    });
    let server = h.state().sessions[0].server.clone();
    let first = server.pid().expect("pid");
    // Our own child, by its pid.
    unsafe { libc::kill(first as i32, libc::SIGKILL) };
    step_until(&mut h, "booted again", REJOIN_LIMIT, |h| {
        let s = &h.state().sessions[0].server;
        s.state() == ServerState::Online && s.pid() != Some(first) && s.absence().returns == 1
    });
    assert!(server.is_owner());
    h.run_steps(1);
    assert!(
        h.query_by_label_contains("crashed 1×").is_some(),
        "the tile counts the crash"
    );
    let second = server.pid().expect("pid");
    h.get_by_label("Remove").click();
    h.run_steps(1);
    step_until(&mut h, "the removed server quit", OFFLINE_LIMIT, |_| {
        !std::path::Path::new(&format!("/proc/{second}")).exists()
    });
    assert_eq!(
        h.state().sessions.len(),
        1,
        "the window keeps one, empty session"
    );
    assert!(h.state().sessions[0].addr.is_empty());
    assert_eq!(server.state(), ServerState::Offline);
}
