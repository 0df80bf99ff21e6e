//! The boot panel's safety parts in the real app, driving a real scsynth: the Classroom preset
//! and the one-time question before booting on every network, and the password kept out of
//! the command-line preview. Its own test binary, so its `last.toml` is its own.

mod common;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::ScPanel;
use scpanel_core::{Options, Protocol, ServerState};

/// Both tests boot and read back the one `last.toml` of this process: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn app(options: Options) -> Harness<'static, ScPanel> {
    let dir = std::env::temp_dir().join(format!("scpanel-gui-classroom-{}", std::process::id()));
    let _ = std::fs::remove_file(dir.join("last.toml"));
    scpanel::gui::profiles::set_folder(dir);
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |_cc| ScPanel::new(options).expect("app"))
}

/// Runs frames until `done` holds, waking on the server's change notifications (no sleeps).
fn step_until(h: &mut Harness<'static, ScPanel>, what: &str, done: impl Fn(&ScPanel) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut changes = h.state().session().server.watch_changes();
    loop {
        h.step();
        if done(h.state()) {
            return;
        }
        if std::time::Instant::now() >= deadline {
            let inbox = h.state().session().inbox.lock().unwrap();
            panic!(
                "timed out waiting for: {what}; state {:?}; notices {:?}",
                h.state().session().server.state(),
                inbox.notices
            );
        }
        let bridge = &h.state().bridge;
        bridge.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        });
    }
}

fn state(h: &Harness<'static, ScPanel>) -> ServerState {
    h.state().session().server.state()
}

const QUESTION: &str = "Boot on every network?";

#[test]
fn the_classroom_preset_says_why_and_every_network_is_confirmed_once() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut h = app(common::options());
    h.run_steps(2);
    h.get_by_label("Classroom server").click();
    h.run_steps(2);
    // The preset lists what it changes first; Apply applies it.
    h.get_by_label("Apply Classroom server").click();
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("aborts on a wrong one over TCP")
            .is_some(),
        "the preset says why in one line"
    );
    let o = &h.state().boot.options;
    assert_eq!(
        (o.bind_address.as_str(), o.protocol, o.max_logins),
        ("0.0.0.0", Protocol::Udp, 32)
    );
    assert!(o.password.is_empty());

    // The first Boot asks, naming the risk; Cancel boots nothing.
    h.get_by_label("Boot").click();
    // A click, a sizing pass for the new modal, then the modal itself.
    h.run_steps(3);
    assert!(
        h.query_by_label(QUESTION).is_some(),
        "Boot asks first; state {:?}, notices {:?}, options {:?}",
        state(&h),
        h.state().session().inbox.lock().unwrap().notices,
        h.state().boot.options
    );
    assert!(
        h.query_by_label_contains("can play and free nodes on this server.")
            .is_some(),
        "the question names the risk"
    );
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert!(h.query_by_label(QUESTION).is_none());
    assert_eq!(state(&h), ServerState::Offline, "Cancel boots nothing");

    // Asked again, since nothing was agreed; agreeing boots.
    h.get_by_label("Boot").click();
    // A click, a sizing pass for the new modal, then the modal itself.
    h.run_steps(3);
    assert!(h.query_by_label(QUESTION).is_some());
    h.get_by_label("Boot on every network").click();
    step_until(&mut h, "online on 0.0.0.0", |a| {
        a.session().server.state() == ServerState::Online
    });
    assert_eq!(h.state().session().server.options().bind_address, "0.0.0.0");
    // "Join this server": every address of this machine others can reach, with ready lines.
    h.run_steps(2);
    assert!(h.query_by_label("Join this server").is_some());
    let port = h.state().session().server.options().port;
    let addresses = scpanel_core::machine::reachable_addresses();
    for ip in &addresses {
        let line = format!("s = Server.remote(\\class, NetAddr(\"{ip}\", {port})); s.makeWindow;");
        assert!(
            h.query_by_label(&line).is_some(),
            "the sclang line for {ip} is shown"
        );
    }
    assert_eq!(
        h.query_all_by_label("Copy supriya").count(),
        addresses.len(),
        "a copy button per address"
    );
    if addresses.is_empty() {
        assert!(h.query_by_label_contains("no network address").is_some());
    }
    let last = scpanel::gui::profiles::load_last().unwrap();
    assert!(last.open_network_accepted, "the answer is kept");
    assert_eq!(last.max_logins, 32);

    h.get_by_label("Quit").click();
    step_until(&mut h, "offline after Quit", |a| {
        a.session().server.state() == ServerState::Offline
    });

    // The second Boot does not ask again.
    h.get_by_label("Boot").click();
    // A click, a sizing pass for the new modal, then the modal itself.
    h.run_steps(3);
    assert!(h.query_by_label(QUESTION).is_none(), "asked once only");
    step_until(&mut h, "online again", |a| {
        a.session().server.state() == ServerState::Online
    });
    h.get_by_label("Quit").click();
    step_until(&mut h, "offline after the second Quit", |a| {
        a.session().server.state() == ServerState::Offline
    });
}

#[test]
fn the_password_is_masked_in_the_preview_and_left_out_of_last_toml() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let secret = "pw-in-preview-7";
    let mut o = common::options();
    o.protocol = Protocol::Tcp;
    let mut h = app(o);
    h.run_steps(2);
    // The password is among "All scsynth options", under Network.
    h.get_by_label("All scsynth options").click();
    h.run_steps(2);
    h.get_by_label("Network").click();
    h.run_steps(2);
    h.get_by_label("Password").focus();
    h.run_steps(1);
    h.get_by_label("Password").type_text(secret);
    h.run_steps(2);
    assert_eq!(h.state().boot.options.password, secret);
    assert!(
        h.query_all_by(|n| {
            n.value()
                .is_some_and(|v| v.contains(" -t ") && v.contains("-p ******"))
        })
        .count()
            > 0,
        "the preview shows the password masked"
    );
    assert!(
        h.query_by(|n| n.value().is_some_and(|v| v.contains(secret)))
            .is_none(),
        "no widget shows the password"
    );
    assert!(
        h.query_by_label_contains("a wrong password makes scsynth abort")
            .is_some(),
        "the TCP abort warning is beside the field"
    );
    h.get_by_label("Boot").click();
    step_until(&mut h, "online over TCP with a password", |a| {
        a.session().server.state() == ServerState::Online
    });
    let last = scpanel::gui::profiles::load_last().unwrap();
    assert_eq!(last.protocol, Protocol::Tcp);
    assert_eq!(last.password, "", "not remembered unless ticked");
    let logged: Vec<String> = h
        .state()
        .session()
        .server
        .with_log(|l| l.lines().map(|l| l.text.clone()).collect());
    assert!(
        logged.iter().any(|l| l.contains("-p ******")),
        "the logged command line is masked: {logged:?}"
    );
    assert!(logged.iter().all(|l| !l.contains(secret)), "{logged:?}");
    h.get_by_label("Quit").click();
    step_until(&mut h, "offline", |a| {
        a.session().server.state() == ServerState::Offline
    });
}
