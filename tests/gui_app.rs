//! The real app in an egui_kittest harness, driving a real scsynth: widgets are found by
//! their labels, clicked and typed into, and the server is checked behind them.

mod common;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel_core::{AddAction, Options, ServerState};

fn app(options: Options) -> Harness<'static, ScPanel> {
    // Profiles go to a folder of this test run's own, not the user's.
    scpanel::gui::profiles::set_folder(
        std::env::temp_dir().join(format!("scpanel-gui-{}", std::process::id())),
    );
    Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |_cc| ScPanel::new(options).expect("app"))
}

/// Runs frames until `done` holds, waking on the server's change notifications (no sleeps).
fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    mut done: impl FnMut(&ScPanel) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut changes = h.state().session().server.watch_changes();
    loop {
        h.step();
        if done(h.state()) {
            return;
        }
        if std::time::Instant::now() >= deadline {
            let a = h.state();
            let inbox = a.session().inbox.lock().unwrap();
            panic!(
                "timed out waiting for: {what}; state {:?}; busy {}; side {:?}; confirm {}; notices {:?}; events {:?}",
                a.session().server.state(),
                a.session().busy,
                a.side,
                a.connect.confirm_quit,
                inbox.notices,
                inbox.events
            );
        }
        let bridge = &h.state().bridge;
        bridge.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        });
    }
}

fn quit(h: &mut Harness<'static, ScPanel>) {
    h.get_by_label("Quit").click();
    step_until(h, "offline after Quit", |a| {
        a.session().server.state() == ServerState::Offline
    });
}

/// The app with a server booted by clicking Boot.
fn booted() -> Harness<'static, ScPanel> {
    let mut h = app(common::options());
    h.get_by_label("Boot").click();
    step_until(&mut h, "online", |a| {
        a.session().server.state() == ServerState::Online
    });
    h
}

/// A full-left sine of amplitude 0.5 has an RMS of 0.5 / sqrt 2: -9 dB.
const SINE_RMS_DB: f32 = -9.03;

/// Output 0's RMS on the meters, in dB.
fn output_rms(a: &ScPanel) -> f32 {
    a.session()
        .server
        .mixer()
        .meters()
        .outputs
        .first()
        .map_or(-90.0, |l| l.rms_db)
}

/// Opens the levels tab, switches the meters on with their checkbox, and plays a full-left
/// sine of amplitude 0.5 until output 0's meter shows it.
fn sine_on_the_output_meter(h: &mut Harness<'static, ScPanel>) {
    common::gui::show_tab(h, "Levels & record");
    h.run_steps(2);
    // A server the window boots has its meters on from the start.
    step_until(h, "meters running", |a| {
        a.session().server.mixer().meters().output_node.is_some()
    });
    let server = h.state().session().server.clone();
    h.state()
        .bridge
        .block_on(server.add_synth(
            "scpanel-sine",
            1,
            AddAction::AddToHead,
            &[("amp", 0.5), ("pan", -1.0)],
        ))
        .expect("a sine");
    step_until(h, "the sine on the meter", |a| {
        (output_rms(a) - SINE_RMS_DB).abs() < 1.0
    });
}

#[test]
fn boot_click_goes_online_and_quit_goes_offline() {
    let mut h = app(common::options());
    h.run_steps(2);
    assert_eq!(h.state().session().server.state(), ServerState::Offline);
    h.get_by_label("Boot").click();
    step_until(&mut h, "online after Boot", |a| {
        a.session().server.state() == ServerState::Online
    });
    h.run_steps(2);
    assert!(
        h.query_by_label("ONLINE").is_some(),
        "the status bar says online"
    );
    assert!(h.query_by_label_contains("client 0 / 4").is_some());
    quit(&mut h);
    h.run_steps(2);
    assert!(h.query_by_label("OFFLINE").is_some());
}

#[test]
fn a_bad_port_disables_boot_with_the_reason() {
    let mut h = app(common::options());
    h.run_steps(2);
    h.get_by_label("Port").focus();
    // The field takes keys from the frame after the one that focused it.
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Port").type_text("70000");
    h.run_steps(3);
    assert!(
        h.get_by_label("Boot").accesskit_node().is_disabled(),
        "Boot is disabled"
    );
    assert!(
        h.query_by_label("Port must be between 0 and 65535")
            .is_some(),
        "the reason is shown at the field"
    );
    assert!(
        h.query_by_label_contains("Boot is disabled: Port")
            .is_some()
    );
    // Fixing it enables Boot again.
    h.get_by_label("Port").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Port").type_text("57999");
    h.run_steps(3);
    assert!(
        !h.get_by_label("Boot").accesskit_node().is_disabled(),
        "{:?} {:?}",
        h.get_by_label("Port").accesskit_node().value(),
        h.state().boot.blocker()
    );
}

#[test]
fn console_creates_a_group_that_appears_in_the_tree_and_bad_lines_are_refused() {
    let mut h = booted();
    common::gui::show_tab(&mut h, "OSC console");
    h.run_steps(2);

    // A bad line: an error at the line, nothing sent.
    h.get_by_label("OSC").focus();
    h.run_steps(1);
    h.get_by_label("OSC").type_text("g_new 1");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let c = &h.state().console;
    assert!(
        h.query_by_label_contains("column 1").is_some(),
        "the parse error is shown: {:?} {:?}",
        c.line,
        c.error
    );
    assert_eq!(
        h.state().console.line,
        "g_new 1",
        "the line stays for fixing"
    );
    let sent_g_new =
        |a: &ScPanel| {
            a.session().inbox.lock().unwrap().traffic.iter().any(|t| {
                t.direction == scpanel_core::Direction::Sent && t.text.starts_with("/g_new")
            })
        };
    assert!(!sent_g_new(h.state()));

    h.get_by_label("OSC").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("OSC").type_text("/g_new 5000 0 1");
    h.key_press(egui::Key::Enter);
    step_until(&mut h, "group 5000 in the tree", |a| {
        a.session().server.with_tree(|t| t.contains(5000))
    });
    assert!(sent_g_new(h.state()));
    common::gui::show_tab(&mut h, "Node tree");
    h.run_steps(3);
    assert!(
        h.query_by_label("5000 group").is_some(),
        "the tree panel shows it"
    );
    quit(&mut h);
}

#[test]
fn editing_a_synth_control_changes_it_on_the_server() {
    let mut h = booted();
    let server = h.state().session().server.clone();
    let id = h
        .state()
        .bridge
        .block_on(server.add_synth("scpanel-sine", 1, AddAction::AddToHead, &[("amp", 0.0)]))
        .unwrap();
    step_until(&mut h, "the synth row", |a| {
        a.session().tree.rows.iter().any(|r| r.id == id)
    });
    h.run_steps(2);
    let freq = h.get_by_label("freq");
    freq.click();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("freq").type_text("220");
    h.key_press(egui::Key::Enter);
    let bridge_server = server.clone();
    step_until(&mut h, "freq 220 on the server", move |a| {
        a.bridge
            .block_on(bridge_server.nodes().get_control(id, "freq"))
            .is_ok_and(|v| v == 220.0)
    });
    quit(&mut h);
}

#[test]
fn every_tab_draws_while_online() {
    let mut h = booted();
    for tab in [
        Tab::Plots,
        Tab::Levels,
        Tab::Buffers,
        Tab::Console,
        Tab::Log,
        Tab::Tree,
    ] {
        h.state_mut().tab = tab;
        h.run_steps(3);
    }
    // A sine shows on the output meter; the Mute checkbox silences it.
    sine_on_the_output_meter(&mut h);
    h.get_by_label("Mute").click();
    step_until(&mut h, "muted", |a| output_rms(a) <= -89.0);
    assert!(h.state().session().server.mixer().settings().muted);
    h.get_by_label("Mute").click();
    step_until(&mut h, "unmuted", |a| {
        (output_rms(a) - SINE_RMS_DB).abs() < 1.0
    });
    common::gui::show_tab(&mut h, "Server log");
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("server ready").is_some(),
        "the log shows scsynth's output"
    );
    h.get_by_label("Connect to a server").click();
    h.run_steps(2);
    assert!(h.query_by_label("Server port").is_some());
    quit(&mut h);
}

/// The volume slider turns the outputs down by what it says; Record, Pause, Resume and Stop
/// make a complete file of what was heard.
#[test]
fn the_volume_slider_and_the_record_buttons_act_on_the_outputs() {
    let mut h = booted();
    sine_on_the_output_meter(&mut h);
    h.get_by_role_and_label(egui::accesskit::Role::Slider, "Volume (dB)")
        .set_value_accesskit(-20.0);
    step_until(&mut h, "20 dB quieter", |a| {
        (output_rms(a) - (SINE_RMS_DB - 20.0)).abs() < 1.0
    });
    assert_eq!(
        h.state().session().server.mixer().settings().volume_db,
        -20.0
    );

    let dir = std::env::temp_dir().join(format!("scpanel-gui-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("take.wav");
    // The field holds a default path; replace it, as selecting all and typing would.
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "File")
        .set_text_value_accesskit(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("WAV").click();
    h.get_by_label("int24").click();
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Record")
        .click();
    let recorded = |a: &ScPanel, at_least: Duration| {
        a.session()
            .server
            .recorder()
            .recording()
            .is_some_and(|r| r.elapsed() >= at_least)
    };
    step_until(&mut h, "recording", |a| {
        recorded(a, Duration::from_millis(200))
    });
    assert!(h.query_all_by_label_contains("REC 00:").next().is_some());
    h.get_by_label("Pause").click();
    step_until(&mut h, "paused", |a| {
        a.session()
            .server
            .recorder()
            .recording()
            .is_some_and(|r| r.is_paused())
    });
    h.get_by_label("Resume").click();
    step_until(&mut h, "resumed", |a| {
        a.session()
            .server
            .recorder()
            .recording()
            .is_some_and(|r| !r.is_paused())
    });
    step_until(&mut h, "more recorded", |a| {
        recorded(a, Duration::from_millis(400))
    });
    h.get_by_label("Stop").click();
    step_until(&mut h, "stopped", |a| {
        a.session().server.recorder().recording().is_none()
    });
    step_until(&mut h, "saved", |a| {
        a.session()
            .inbox
            .lock()
            .is_ok_and(|i| i.notices.iter().any(|n| n.title == "Recording saved"))
    });
    let mut reader = hound::WavReader::open(&path).expect("a readable WAV");
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (2, 24));
    assert!(
        reader.duration() > 48000 * 3 / 10,
        "{} frames",
        reader.duration()
    );
    // Recorded after the volume: 0.5, 20 dB down.
    let peak = reader
        .samples::<i32>()
        .step_by(2)
        .map(|s| s.map_or(0.0, |s| s.unsigned_abs() as f32 / 8_388_608.0))
        .fold(0.0, f32::max);
    assert!((peak - 0.05).abs() < 0.005, "left channel peak {peak}");
    std::fs::remove_dir_all(&dir).ok();
    quit(&mut h);
}

#[test]
fn closing_the_window_quits_the_server_it_owns() {
    let mut h = booted();
    let pid = h.state().session().server.pid().expect("owned");
    eframe::App::on_exit(h.state_mut(), None);
    assert_eq!(h.state().session().server.state(), ServerState::Offline);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "scsynth {pid} outlived the window"
    );
}

#[test]
fn too_many_users_offers_to_watch_without_logging_in() {
    let mut o = common::options();
    o.max_logins = 1;
    let owner = scpanel_core::Server::new();
    let port = o.port;
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(owner.boot(o)).unwrap();
    let mut h = app(common::options());
    h.get_by_label("Connect to a server").click();
    h.run_steps(2);
    h.get_by_label("Server port").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Server port").type_text(&port.to_string());
    h.run_steps(1);
    h.get_by_label("Connect").click();
    step_until(&mut h, "the offer", |a| {
        !a.session().inbox.lock().unwrap().offers.is_empty()
    });
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("too many clients").is_some(),
        "the notice says why"
    );
    h.get_by_label("Watch without logging in").click();
    step_until(&mut h, "watching", |a| {
        a.session().server.state() == ServerState::Online
    });
    h.run_steps(2);
    assert!(
        h.query_by_label_contains("watching (not logged in)")
            .is_some()
    );
    assert_eq!(h.state().session().server.client_id(), None);
    h.get_by_label("Disconnect").click();
    step_until(&mut h, "offline", |a| {
        a.session().server.state() == ServerState::Offline
    });
    rt.block_on(owner.quit(false)).unwrap();
}

#[test]
fn profiles_save_and_load_and_the_last_options_come_back() {
    let mut o = common::options();
    o.output_channels = 6;
    let port = o.port;
    let mut h = app(o);
    h.get_by_label("Profile:").focus();
    h.run_steps(1);
    h.get_by_label("Profile:").type_text("six-outs");
    h.run_steps(1);
    h.get_by_label("Save").click();
    h.run_steps(2);
    assert!(h.query_by_label_contains("Profile saved").is_some());
    // Change something, then load the profile back.
    h.get_by_label("Defaults").click();
    h.run_steps(2);
    h.get_by_label("Apply Defaults").click();
    h.run_steps(2);
    assert_eq!(h.state().boot.options.output_channels, 8);
    h.get_by_label("Load:").click();
    h.run_steps(2);
    h.get_by_label("six-outs").click();
    h.run_steps(2);
    assert_eq!(
        h.state().boot.options.output_channels,
        6,
        "the profile is back"
    );
    assert_eq!(h.state().boot.options.port, port);
    // Booting remembers the options for the next start of the app.
    h.get_by_label("Boot").click();
    step_until(&mut h, "online", |a| {
        a.session().server.state() == ServerState::Online
    });
    let last = scpanel::gui::profiles::load_last().unwrap();
    assert_eq!((last.output_channels, last.port), (6, port));
    quit(&mut h);
}
