//! The window at small sizes, notices that never move the layout, a quit that asks first,
//! a recording visible on every tab, a log that follows, and the small things: each driven
//! through the real app in an egui_kittest harness, against a real scsynth where one is named.

mod common;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel::gui::bridge::Notice;
use scpanel_core::recording::{HeaderFormat, RecordOptions, SampleFormat};
use scpanel_core::{AddAction, Options, ServerState};

const TAB_LABELS: [&str; 6] = [
    "Node tree",
    "CPU & sample rate",
    "Levels & record",
    "Buffers & buses",
    "OSC console",
    "Server log",
];

fn app_sized(options: Options, w: f32, h: f32) -> Harness<'static, ScPanel> {
    // Profiles go to a folder of this test run's own, not the user's.
    scpanel::gui::profiles::set_folder(
        std::env::temp_dir().join(format!("scpanel-gui-window-{}", std::process::id())),
    );
    Harness::builder()
        .with_size(egui::vec2(w, h))
        .build_eframe(move |_cc| ScPanel::new(options).expect("app"))
}

/// Runs frames until `done` holds, waking on the server's change notifications (no sleeps).
fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    mut done: impl FnMut(&mut Harness<'static, ScPanel>) -> bool,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut changes = h.state().session().server.watch_changes();
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}; state {:?}; notices {:?}",
            h.state().session().server.state(),
            h.state().session().inbox.lock().unwrap().notices
        );
        let bridge = &h.state().bridge;
        bridge.block_on(async {
            let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
        });
    }
}

fn booted(w: f32, h: f32) -> Harness<'static, ScPanel> {
    let mut h = app_sized(common::options(), w, h);
    h.get_by_label("Boot").click();
    step_until(&mut h, "online", |h| {
        h.state().session().server.state() == ServerState::Online
    });
    h
}

fn quit(h: &mut Harness<'static, ScPanel>) {
    h.get_by_label("Quit").click();
    step_until(h, "offline after Quit", |h| {
        h.state().session().server.state() == ServerState::Offline
    });
}

/// What a node says: a button's label, or a text label's value.
fn text_of(n: &egui_kittest::Node<'_>) -> Option<String> {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value())
}

fn inside(rect: egui::Rect, w: f32, h: f32) -> bool {
    rect.min.x >= 0.0 && rect.min.y >= 0.0 && rect.max.x <= w && rect.max.y <= h
}

/// Every tab label and the console's Send button lie inside the window.
fn assert_reachable(h: &mut Harness<'static, ScPanel>, w: f32, ht: f32) {
    for label in TAB_LABELS {
        let r = h.get_by_label(label).rect();
        assert!(inside(r, w, ht), "{label} at {r:?} is outside {w}x{ht}");
    }
    common::gui::show_tab(h, "OSC console");
    h.run_steps(3);
    let send = h.get_by_label("Send").rect();
    assert!(inside(send, w, ht), "Send at {send:?} is outside {w}x{ht}");
    let osc = h.get_by_label("OSC").rect();
    assert!(
        osc.width() >= 40.0,
        "the OSC line keeps room to type: {osc:?}"
    );
    for label in ["Boot", "Quit", "Reboot", "Reset"] {
        let r = h.get_by_label(label).rect();
        assert!(inside(r, w, ht), "{label} at {r:?} is outside {w}x{ht}");
    }
}

#[test]
fn every_tab_and_the_send_button_are_inside_the_window_at_800x500_and_900x600() {
    for (w, ht) in [(800.0, 500.0), (900.0, 600.0)] {
        let mut h = app_sized(Options::default(), w, ht);
        h.run_steps(3);
        assert_reachable(&mut h, w, ht);
        // The status bar's buttons and its text never overlap.
        let reset = h.get_by_label("Reset").rect();
        let state = h.get_by_label("OFFLINE").rect();
        assert!(
            !reset.intersects(state),
            "Reset {reset:?} over OFFLINE {state:?}"
        );
    }
}

#[test]
fn the_side_panel_hides_with_f9_and_its_button_and_narrows_to_240() {
    let (w, ht) = (900.0, 600.0);
    let mut h = app_sized(Options::default(), w, ht);
    h.run_steps(3);
    let tab_x = |h: &Harness<'static, ScPanel>| h.get_by_label("Servers").rect().min.x;
    let open_x = tab_x(&h);
    assert!(
        open_x <= 0.35 * w + 30.0,
        "the panel starts at most a third of a small window wide: tabs at {open_x}"
    );
    assert!(h.query_by_label("Boot options").is_some());

    h.key_press(egui::Key::F9);
    h.run_steps(20);
    assert!(!h.state().side_open);
    assert!(h.query_by_label("Boot options").is_none(), "hidden by F9");
    assert!(tab_x(&h) < 40.0, "the tabs take the room: {}", tab_x(&h));

    h.get_by_label("Options").click();
    h.run_steps(20);
    assert!(
        h.state().side_open,
        "the status bar's button shows it again"
    );
    assert!(h.query_by_label("Boot options").is_some());

    // Drag the panel's edge to the left: it narrows to about 240 px, its content scrolls.
    let drag = |h: &mut Harness<'static, ScPanel>, from: f32, to: f32| {
        h.drag_at(egui::pos2(from, 300.0));
        h.run_steps(1);
        h.hover_at(egui::pos2(to, 300.0));
        h.run_steps(1);
        h.drop_at(egui::pos2(to, 300.0));
        h.run_steps(20);
    };
    let edge = tab_x(&h) - 9.0;
    drag(&mut h, edge, 250.0);
    let narrow_x = tab_x(&h);
    assert!(
        narrow_x < open_x && (240.0..=275.0).contains(&narrow_x),
        "narrowed from {open_x} to {narrow_x}"
    );
    assert!(h.state().side_open);
    assert_reachable(&mut h, w, ht);
    // Past its minimum, the drag hides it.
    let edge = tab_x(&h) - 9.0;
    drag(&mut h, edge, 100.0);
    assert!(!h.state().side_open, "dragged shut: tabs at {}", tab_x(&h));
    assert_reachable(&mut h, w, ht);
}

#[test]
fn notices_float_over_the_layout_and_errors_stay_until_dismissed() {
    let mut h = app_sized(Options::default(), 900.0, 600.0);
    h.run_steps(3);
    let before = h.get_by_label("Node tree").rect();
    let inbox = h.state().session().inbox.clone();
    inbox
        .lock()
        .unwrap()
        .notice("Boot failed", "the port is taken".into(), true);
    // A confirmation that has been on screen longer than its time is gone.
    inbox.lock().unwrap().notices.push(Notice {
        at: std::time::SystemTime::now() - Duration::from_secs(60),
        title: "Old news".into(),
        text: "saved".into(),
        error: false,
    });
    inbox
        .lock()
        .unwrap()
        .notice("Profile saved", "/tmp/x.toml".into(), false);
    h.run_steps(3);
    assert_eq!(
        h.get_by_label("Node tree").rect(),
        before,
        "a notice moves nothing"
    );
    assert!(h.query_by_label("Boot failed").is_some());
    assert!(h.query_by_label("Profile saved").is_some());
    assert!(h.query_by_label("Old news").is_none(), "expired");
    let toast = h.get_by_label("the port is taken").rect();
    assert!(inside(toast, 900.0, 600.0), "in the window: {toast:?}");
    assert!(
        toast.center().x > 450.0 && toast.center().y > 300.0,
        "bottom right"
    );
    // An error outlives its time on screen.
    inbox.lock().unwrap().notices[0].at = std::time::SystemTime::now() - Duration::from_secs(60);
    h.run_steps(3);
    assert!(h.query_by_label("Boot failed").is_some(), "errors stay");
    // Dismiss buttons are listed newest first: the error is the last.
    let dismiss: Vec<_> = h.query_all_by_label("Dismiss").collect();
    assert_eq!(dismiss.len(), 2);
    dismiss[1].click();
    h.run_steps(3);
    assert!(h.query_by_label("Boot failed").is_none(), "dismissed");
}

fn ctrl_q(h: &mut Harness<'static, ScPanel>) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Q);
    h.run_steps(3);
}

fn silent_synth(h: &mut Harness<'static, ScPanel>) -> i32 {
    let server = h.state().session().server.clone();
    let id = h
        .state()
        .bridge
        .block_on(server.add_synth("scpanel-sine", 1, AddAction::AddToHead, &[("amp", 0.0)]))
        .expect("a synth");
    step_until(h, "the synth in the tree", |h| {
        h.state().session().server.with_tree(|t| t.contains(id))
    });
    id
}

#[test]
fn ctrl_q_asks_first_while_synths_play_and_dont_ask_again_is_kept() {
    let mut h = booted(900.0, 600.0);
    silent_synth(&mut h);
    silent_synth(&mut h);
    ctrl_q(&mut h);
    assert!(
        h.query_by_label("2 synths playing: stop and quit?")
            .is_some(),
        "asked: {:?}",
        h.state().quit_question()
    );
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert_eq!(h.state().session().server.state(), ServerState::Online);
    assert!(
        h.query_by_label("2 synths playing: stop and quit?")
            .is_none()
    );

    ctrl_q(&mut h);
    h.get_by_label("Don't ask again").click();
    h.run_steps(1);
    h.get_by_label("Stop and quit").click();
    step_until(&mut h, "offline after the yes", |h| {
        h.state().session().server.state() == ServerState::Offline
    });
    assert!(h.state().quit_without_asking);

    // Reset stays instant, and with "don't ask again" Ctrl+Q quits at once.
    h.get_by_label("Boot").click();
    step_until(&mut h, "online again", |h| {
        h.state().session().server.state() == ServerState::Online
    });
    silent_synth(&mut h);
    ctrl_q(&mut h);
    assert!(
        h.query_by_label("Stop and quit").is_none(),
        "not asked again"
    );
    step_until(&mut h, "offline at once", |h| {
        h.state().session().server.state() == ServerState::Offline
    });
}

#[test]
fn ctrl_period_resets_without_asking() {
    let mut h = booted(900.0, 600.0);
    let id = silent_synth(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Period);
    h.run_steps(1);
    assert!(h.query_by_label("Stop and quit").is_none());
    step_until(&mut h, "the synth freed by Reset", |h| {
        !h.state().session().server.with_tree(|t| t.contains(id))
    });
    quit(&mut h);
}

fn request_close(h: &mut Harness<'static, ScPanel>) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
}

fn sent(h: &Harness<'static, ScPanel>, f: impl Fn(&egui::ViewportCommand) -> bool) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.commands.iter().any(f))
}

fn record_to(h: &mut Harness<'static, ScPanel>, path: &std::path::Path) {
    let server = h.state().session().server.clone();
    let options = RecordOptions {
        path: path.to_path_buf(),
        header: HeaderFormat::Wav,
        sample: SampleFormat::Int16,
        channels: 2,
    };
    h.state()
        .bridge
        .block_on(server.recorder().start(options))
        .expect("recording");
}

#[test]
fn closing_the_window_while_recording_asks_and_a_yes_closes() {
    let mut h = booted(900.0, 600.0);
    let dir = std::env::temp_dir().join(format!("scpanel-close-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    record_to(&mut h, &dir.join("take.wav"));
    h.run_steps(2);
    request_close(&mut h);
    assert!(
        sent(&h, |c| *c == egui::ViewportCommand::CancelClose),
        "the close is held"
    );
    h.run_steps(2);
    let question = h.state().quit_question().expect("a question");
    assert!(
        question.starts_with("recording 00:") && question.ends_with(": stop and quit?"),
        "{question}"
    );
    assert!(h.query_by_label_contains("stop and quit?").is_some());
    h.get_by_label("Stop and quit").click();
    h.step();
    assert!(
        sent(&h, |c| *c == egui::ViewportCommand::Close),
        "the window closes after the yes"
    );
    // eframe then runs on_exit, which finishes the recording and quits the server.
    request_close(&mut h);
    assert!(!sent(&h, |c| *c == egui::ViewportCommand::CancelClose));
    eframe::App::on_exit(h.state_mut(), None);
    assert_eq!(h.state().session().server.state(), ServerState::Offline);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn closing_an_idle_window_does_not_ask() {
    let mut h = booted(900.0, 600.0);
    request_close(&mut h);
    assert!(!sent(&h, |c| *c == egui::ViewportCommand::CancelClose));
    assert!(h.state().confirm_quit.is_none());
    eframe::App::on_exit(h.state_mut(), None);
}

#[test]
fn a_recording_shows_in_the_status_bar_on_every_tab_and_in_the_title() {
    let mut h = booted(900.0, 600.0);
    let dir = std::env::temp_dir().join(format!("scpanel-rec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    record_to(&mut h, &dir.join("set-one.wav"));
    step_until(&mut h, "REC in the status bar", |h| {
        h.query_all_by_label_contains("REC 00:").next().is_some()
    });
    for tab in [
        Tab::Tree,
        Tab::Plots,
        Tab::Levels,
        Tab::Buffers,
        Tab::Console,
        Tab::Log,
    ] {
        h.state_mut().tab = tab;
        h.run_steps(2);
        let bar = h
            .query_all_by_label_contains("REC 00:")
            .filter_map(|n| text_of(&n))
            .find(|l| l.contains("set-one.wav"));
        let bar = bar.unwrap_or_else(|| {
            let seen: Vec<_> = h
                .query_all_by_label_contains("REC")
                .filter_map(|n| text_of(&n))
                .collect();
            panic!(
                "no REC on the {tab:?} tab: {seen:?}; recording {:?}; notices {:?}",
                h.state().session().server.recorder().recording(),
                h.state().session().inbox.lock().unwrap().notices
            )
        });
        assert!(bar.contains(" MB \u{B7} "), "size shown: {bar}");
    }
    assert!(
        h.state().title().starts_with("\u{25CF} REC 00:"),
        "title: {}",
        h.state().title()
    );
    let server = h.state().session().server.clone();
    h.state()
        .bridge
        .block_on(server.recorder().stop())
        .expect("stop");
    h.run_steps(3);
    assert_eq!(h.state().title(), "scpanel");
    assert!(h.query_all_by_label_contains("REC 00:").next().is_none());
    quit(&mut h);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_log_follows_until_scrolled_up_then_counts_new_lines() {
    let mut h = booted(900.0, 600.0);
    // The meters a booted window starts come in the background; let them settle first, so
    // only the lines this test makes arrive while it scrolls.
    step_until(&mut h, "meters running", |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .output_node
            .is_some()
    });
    let server = h.state().session().server.clone();
    // With dumpOSC the server prints each message it gets: real lines, as many as we send.
    h.state()
        .bridge
        .block_on(server.dump_osc(true))
        .expect("dumpOSC");
    let send_some = |h: &mut Harness<'static, ScPanel>, n: usize| {
        let server = h.state().session().server.clone();
        h.state().bridge.block_on(async move {
            for _ in 0..n {
                server
                    .send_msg(rosc::OscMessage {
                        addr: "/sync".into(),
                        args: vec![rosc::OscType::Int(7)],
                    })
                    .await
                    .expect("send");
            }
        });
    };
    send_some(&mut h, 60);
    step_until(&mut h, "60 more lines", |h| {
        h.state().session().server.with_log(|l| l.total) > 60
    });
    common::gui::show_tab(&mut h, "Server log");
    h.run_steps(5);
    assert!(h.state().log.following);
    let before = h.state().session().server.with_log(|l| l.total);
    let newest = |h: &Harness<'static, ScPanel>| {
        h.state()
            .session()
            .server
            .with_log(|l| l.lines().last().map(|l| l.text.clone()).unwrap_or_default())
    };
    // Following: the newest line is on screen.
    let last = newest(&h);
    assert!(h.query_all_by_label_contains(&last).next().is_some());

    // Scroll up: following stops, and what arrives is counted on the catch-up button.
    // The mouse wheel over the log, as a person scrolls up.
    let row = h
        .query_all_by_label_contains(" UTC  ")
        .last()
        .expect("a log row")
        .rect();
    h.hover_at(row.center());
    h.run_steps(1);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, 10.0),
        modifiers: egui::Modifiers::NONE,
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
    });
    h.run_steps(10);
    assert!(!h.state().log.following, "scrolling up stops following");
    send_some(&mut h, 5);
    // The server keeps printing (dumpOSC shows the status polls too), and the button counts
    // what had come by the frame that drew it: at least our 5, at most what has come by now.
    let counted = |h: &Harness<'static, ScPanel>| {
        let total = h.state().session().server.with_log(|l| l.total);
        let most = h.state().log.new_lines(total);
        (5..=most).find(|n| {
            h.query_by_label(&scpanel::gui::panels::log::catch_up_label(*n))
                .is_some()
        })
    };
    step_until(&mut h, "a catch-up button counting our 5 new lines", |h| {
        h.state().session().server.with_log(|l| l.total) >= before + 5 && counted(h).is_some()
    });
    h.get_by_label_contains("new line").click();
    h.run_steps(5);
    assert!(h.state().log.following, "the button catches up");
    assert!(h.query_by_label_contains("new line").is_none());
    let last = newest(&h);
    assert!(
        h.query_all_by_label_contains(&last).next().is_some(),
        "the newest line is shown again: {last}"
    );
    h.state()
        .bridge
        .block_on(server.dump_osc(false))
        .expect("dumpOSC off");
    quit(&mut h);
}

#[test]
fn each_server_run_starts_with_a_separator_and_a_crash_is_an_error_line() {
    let mut h = booted(900.0, 600.0);
    let pid = h.state().session().server.pid().expect("owned");
    let separator = h.state().session().server.with_log(|l| {
        l.lines()
            .find(|l| l.mark == scpanel_core::log::Mark::RunStart)
            .map(|l| l.text.clone())
    });
    let separator = separator.expect("a run separator");
    assert!(separator.contains(&format!("pid {pid}")), "{separator}");
    assert!(separator.contains("scsynth") || separator.contains("supernova"));
    common::gui::show_tab(&mut h, "Server log");
    h.run_steps(3);
    assert!(h.query_all_by_label_contains(&separator).next().is_some());
    // The server we started dies: the log says so as an error.
    // SAFETY: kill() on a pid we spawned and that is still ours.
    assert_eq!(unsafe { libc::kill(pid as i32, libc::SIGKILL) }, 0);
    step_until(&mut h, "offline after the crash", |h| {
        h.state().session().server.state() == ServerState::Offline
    });
    let crash = h.state().session().server.with_log(|l| {
        l.lines()
            .find(|l| l.mark == scpanel_core::log::Mark::Crash)
            .map(|l| (l.text.clone(), l.is_error()))
    });
    let (text, is_error) = crash.expect("a crash line");
    assert!(is_error && text.contains("ended by itself"), "{text}");
    h.run_steps(3);
    assert!(h.query_all_by_label_contains(&text).next().is_some());
    // The next run has its own separator.
    h.get_by_label("Boot").click();
    step_until(&mut h, "online again", |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let runs = h.state().session().server.with_log(|l| {
        l.lines()
            .filter(|l| l.mark == scpanel_core::log::Mark::RunStart)
            .count()
    });
    assert_eq!(runs, 2);
    quit(&mut h);
}

#[test]
fn use_port_n_boots_on_that_port() {
    let mut o = common::options();
    let taken = o.port;
    // A socket of our own holds the port: the offer names this process.
    let holder = std::net::UdpSocket::bind(("127.0.0.1", taken)).expect("hold the port");
    o.port = taken;
    let mut h = app_sized(o, 900.0, 600.0);
    h.get_by_label("Boot").click();
    step_until(&mut h, "the port offer", |h| {
        h.query_by_label_contains("Use port").is_some()
    });
    let button = h.get_by_label_contains("Use port");
    let label = button.accesskit_node().label().unwrap_or_default();
    let port: u16 = label
        .trim_start_matches("Use port ")
        .parse()
        .expect("a port");
    assert_ne!(port, taken);
    button.click();
    step_until(&mut h, "online on the suggested port", |h| {
        h.state().session().server.state() == ServerState::Online
    });
    assert_eq!(h.state().session().server.options().port, port);
    drop(holder);
    quit(&mut h);
}

#[test]
fn a_preset_lists_its_changes_before_it_applies_them() {
    let o = Options {
        output_channels: 6,
        ..Options::default()
    };
    let mut h = app_sized(o, 900.0, 600.0);
    h.run_steps(2);
    h.get_by_label("Defaults").click();
    h.run_steps(3);
    assert!(h.query_by_label("Defaults changes:").is_some());
    assert!(
        h.query_by_label("6 -> 8").is_some(),
        "output channels 6 -> 8 listed"
    );
    assert_eq!(h.state().boot.options.output_channels, 6, "not yet applied");
    h.get_by_label("Cancel").click();
    h.run_steps(2);
    assert_eq!(h.state().boot.options.output_channels, 6);
    assert!(h.query_by_label("Defaults changes:").is_none());
    h.get_by_label("Defaults").click();
    h.run_steps(2);
    h.get_by_label("Apply Defaults").click();
    h.run_steps(2);
    assert_eq!(h.state().boot.options.output_channels, 8);
}

#[test]
fn a_sample_rate_jack_will_not_run_is_warned_before_boot() {
    let mut o = common::options();
    o.sample_rate = 44_100;
    let mut h = app_sized(o, 1200.0, 900.0);
    // scripts/with-jack.sh runs JACK at 48 kHz.
    step_until(&mut h, "the -S warning", |h| {
        h.query_by_label_contains("JACK runs at 48000 Hz").is_some()
    });
    assert!(
        h.state()
            .boot
            .warning()
            .is_some_and(|w| w.contains("-S 44100"))
    );
    // Following JACK (0) or matching it is fine.
    let mut same = common::options();
    same.sample_rate = 48_000;
    h.state_mut().boot.set_options(same);
    h.run_steps(3);
    assert!(h.query_by_label_contains("JACK runs at").is_none());
}

#[test]
fn release_ends_a_gated_synth_and_a_typed_node_id_is_checked() {
    let mut h = booted(1200.0, 800.0);
    let server = h.state().session().server.clone();
    let synth = h
        .state()
        .bridge
        .block_on(server.add_synth("default", 1, AddAction::AddToHead, &[("amp", 0.0)]))
        .expect("a default synth");
    let group = h
        .state()
        .bridge
        .block_on(server.add_group(1, AddAction::AddToTail, false))
        .expect("a group");
    step_until(&mut h, "both rows", |h| {
        let rows = &h.state().session().tree.rows;
        rows.iter().any(|r| r.id == synth) && rows.iter().any(|r| r.id == group)
    });
    h.run_steps(2);

    // Move: a typed id is checked as it is typed; nothing is sent until it names a place.
    common::gui::open_menu(&mut h, &format!("{synth} default"), "Move…");
    h.get_by_label("Move…").click();
    h.run_steps(2);
    h.get_by_label("Target node id").focus();
    h.get_by_label("Target node id").type_text("12ab");
    h.run_steps(2);
    assert!(h.query_by_label_contains("is not a node id").is_some());
    assert!(h.get_by_label("Move").accesskit_node().is_disabled());
    h.get_by_label("Target node id").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Target node id").type_text("424242");
    h.run_steps(2);
    assert!(h.query_by_label_contains("no node 424242").is_some());
    h.get_by_label("Target node id").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Target node id")
        .type_text(&group.to_string());
    h.run_steps(2);
    assert!(!h.get_by_label("Move").accesskit_node().is_disabled());
    h.get_by_label("Move").click();
    step_until(&mut h, "the synth moved before the group", |h| {
        h.state()
            .session()
            .server
            .with_tree(|t| t.get(synth).is_some_and(|n| n.next == group))
    });

    // Release: gate 0, and the synth's envelope ends it.
    common::gui::open_menu(&mut h, &format!("{synth} default"), "Release");
    h.get_by_label("Release").click();
    step_until(&mut h, "the released synth ends", |h| {
        !h.state().session().server.with_tree(|t| t.contains(synth))
    });
    // A group has no gate: no Release in its menu.
    common::gui::open_menu(&mut h, &format!("{group} group"), "Free");
    assert!(h.query_by_label("Release").is_none());
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    quit(&mut h);
}

#[test]
fn the_cpu_axis_stays_at_0_to_100_unless_auto_is_chosen() {
    let mut h = booted(900.0, 600.0);
    common::gui::show_tab(&mut h, "CPU & sample rate");
    step_until(&mut h, "a few status replies plotted", |h| {
        h.state().session().server.with_status_history(|s| s.len()) >= 3
    });
    step_until(&mut h, "the CPU plot drawn", |h| {
        h.state().plots.cpu_y.is_some()
    });
    assert_eq!(h.state().plots.cpu_y, Some([0.0, 100.0]));
    h.get_by_label("CPU axis follows the load").click();
    h.run_steps(3);
    let [_, top] = h.state().plots.cpu_y.expect("drawn");
    assert!(top < 100.0, "auto: the idle load's scale, top {top}");
    quit(&mut h);
}

#[test]
fn the_server_program_is_looked_for_on_the_runtime_and_a_missing_one_stops_boot() {
    let missing = std::env::temp_dir().join(format!("no-scsynth-here-{}", std::process::id()));
    let options = Options {
        executable: Some(missing.clone()),
        ..common::options()
    };
    let mut h = app_sized(options, 1280.0, 800.0);
    // The answer comes from the runtime (Action::FindExecutable), a frame or more later.
    let shown = missing.display().to_string();
    step_until(&mut h, "the missing program named", |h| {
        h.query_all_by_label_contains(&shown).next().is_some()
            && h.state().boot.blocker().is_some_and(|b| b.contains(&shown))
    });
    // A click on the disabled Boot starts nothing.
    h.get_by_label("Boot").click();
    h.run_steps(2);
    assert_eq!(h.state().session().server.state(), ServerState::Offline);
    // Back to "found automatically": the program on this machine, then Boot is free.
    h.state_mut().boot.executable_text.clear();
    h.state_mut().boot.options.executable = None;
    step_until(&mut h, "the found program shown", |h| {
        h.query_all_by_label_contains("Using /").next().is_some()
            && h.state().boot.blocker().is_none()
    });
}
