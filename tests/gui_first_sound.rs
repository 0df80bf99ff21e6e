//! The first five minutes in the window, on a real scsynth: Boot, the README's console
//! example, Reset (Ctrl+.), the example again; the Test tone button on the output meters;
//! a missing built-in offered by the console.

mod common;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::ScPanel;
use scpanel_core::{Direction, Options, ServerState};

const README_EXAMPLE: &str = "/s_new default 1000 0 1 amp 0";

fn app(options: Options) -> Harness<'static, ScPanel> {
    common::gui::app(options, "gui-first")
}

fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    done: impl FnMut(&mut Harness<'static, ScPanel>) -> bool,
) {
    common::gui::step_until(h, what, Duration::from_secs(20), done)
}

/// The window with a server booted by clicking Boot.
fn booted() -> Harness<'static, ScPanel> {
    let mut h = app(common::options());
    h.get_by_label("Boot").click();
    // Online, and the meters the window starts are in place: a test that frees SynthDefs
    // right after must not race the mixer making its synths.
    step_until(&mut h, "online with meters", |h| {
        h.state().session().server.state() == ServerState::Online
            && h.state()
                .session()
                .server
                .mixer()
                .meters()
                .output_node
                .is_some()
    });
    h
}

fn quit(h: &mut Harness<'static, ScPanel>) {
    h.get_by_label("Quit").click();
    step_until(h, "offline", |h| {
        h.state().session().server.state() == ServerState::Offline
    });
}

fn fails(h: &Harness<'static, ScPanel>) -> Vec<String> {
    h.state()
        .session()
        .inbox
        .lock()
        .expect("inbox")
        .traffic
        .iter()
        .filter(|t| t.direction == Direction::Received && t.text.starts_with("/fail"))
        .map(|t| t.text.clone())
        .collect()
}

fn received(h: &Harness<'static, ScPanel>, start: &str) -> usize {
    h.state()
        .session()
        .inbox
        .lock()
        .expect("inbox")
        .traffic
        .iter()
        .filter(|t| t.direction == Direction::Received && t.text.starts_with(start))
        .count()
}

fn type_line(h: &mut Harness<'static, ScPanel>, line: &str) {
    h.get_by_label("OSC").focus();
    // The field takes the keys from the frame after the one that focused it.
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("OSC").type_text(line);
    h.key_press(egui::Key::Enter);
}

#[test]
fn the_readme_example_plays_after_boot_and_after_reset_and_the_test_tone_goes_left_then_right() {
    let mut h = booted();
    common::gui::show_tab(&mut h, "OSC console");
    h.run_steps(2);
    type_line(&mut h, README_EXAMPLE);
    step_until(&mut h, "/n_go 1000", |h| received(h, "/n_go 1000 ") == 1);
    assert_eq!(fails(&h), Vec::<String>::new(), "no /fail after boot");
    let example_failed = |h: &Harness<'static, ScPanel>| {
        fails(h)
            .iter()
            .any(|f| f.contains("SynthDef not found") || f.contains("duplicate node ID"))
    };

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Period);
    step_until(&mut h, "reset: 1000 freed", |h| {
        received(h, "/n_end 1000 ") == 1
    });
    step_until(&mut h, "the meters back after reset", |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .output_node
            .is_some()
    });
    type_line(&mut h, README_EXAMPLE);
    step_until(&mut h, "/n_go 1000 again", |h| {
        received(h, "/n_go 1000 ") == 2
    });
    // The example's own failures ("SynthDef not found", "duplicate node ID") never come.
    assert!(!example_failed(&h), "after reset: {:?}", fails(&h));

    // The test tone, read on the output meters: left, then right.
    h.get_by_label("Test tone").click();
    let level = |h: &Harness<'static, ScPanel>, ch: usize| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .outputs
            .get(ch)
            .map_or(-90.0, |l| l.rms_db)
    };
    let near = |db: f32| (db - -23.0).abs() < 1.5;
    step_until(&mut h, "the tone on the left", |h| {
        near(level(h, 0)) && level(h, 1) < -60.0
    });
    step_until(&mut h, "then on the right", |h| {
        near(level(h, 1)) && level(h, 0) < -60.0
    });
    quit(&mut h);
}

#[test]
fn the_console_offers_a_missing_builtin() {
    let mut h = booted();
    let server = h.state().session().server.clone();
    common::gui::show_tab(&mut h, "OSC console");
    h.run_steps(2);
    // `default` goes to the server as the window boots: wait until it is there, or it could
    // land after the freeing below and the line would play instead of failing.
    step_until(&mut h, "default loaded at boot", |h| {
        h.state().session().server.synthdefs().knows("default")
    });
    h.state()
        .bridge
        .block_on(server.synthdefs().free_all())
        .expect("free");
    type_line(&mut h, README_EXAMPLE);
    step_until(&mut h, "the offer", |h| {
        h.query_by_label("Load default").is_some()
    });
    h.get_by_label("Load default").click();
    step_until(&mut h, "default loaded", |h| {
        h.state().session().server.synthdefs().knows("default")
    });
    type_line(&mut h, README_EXAMPLE);
    step_until(&mut h, "/n_go 1000", |h| received(h, "/n_go 1000 ") == 1);
    quit(&mut h);
}

#[test]
fn scpanels_own_nodes_are_apart_and_default_groups_are_marked() {
    let mut h = app(common::options());
    h.get_by_label("Boot").click();
    step_until(&mut h, "online with meters", |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .output_node
            .is_some()
    });
    let server = h.state().session().server.clone();
    let group = server
        .nodes()
        .own(scpanel_core::Own::Group)
        .expect("logged in");
    common::gui::show_tab(&mut h, "Node tree");
    step_until(&mut h, "the default groups marked", |h| {
        h.query_by_label("default group \u{B7} client 0").is_some()
    });
    assert!(h.query_by_label("default group \u{B7} client 3").is_some());
    assert!(
        h.query_by_label(&format!("{group} group")).is_none(),
        "scpanel's group is hidden by default"
    );
    // The status bar counts the user's synths and scpanel's apart: two meters, no user synth.
    step_until(&mut h, "the counts apart", |h| {
        h.query_by_label_contains("0 synths (+2 scpanel)").is_some()
    });
    h.get_by_label("Show scpanel's nodes").click();
    step_until(&mut h, "scpanel's group shown, marked", |h| {
        h.query_by_label(&format!("{group} group")).is_some()
            && h.query_by_label_contains("scpanel's own").is_some()
    });
    quit(&mut h);
}

#[test]
fn a_stalled_server_shows_unresponsive_with_the_age_of_its_last_reply() {
    let mut h = booted();
    let pid = h.state().session().server.pid().expect("owned") as i32;
    // SAFETY: signals to the scsynth this test booted.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    step_until(&mut h, "UNRESPONSIVE with the last reply's age", |h| {
        h.query_by_label("UNRESPONSIVE").is_some()
            && h.query_by_label_contains("last reply").is_some()
    });
    unsafe { libc::kill(pid, libc::SIGCONT) };
    step_until(&mut h, "ONLINE again", |h| {
        h.query_by_label("ONLINE").is_some() && h.query_by_label_contains("last reply").is_none()
    });
    quit(&mut h);
}

#[test]
fn silent_meters_cost_no_frames_and_sound_asks_for_them() {
    let mut h = app(common::options());
    h.get_by_label("Boot").click();
    step_until(&mut h, "online with meters", |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .output_node
            .is_some()
    });
    common::gui::show_tab(&mut h, "Levels & record");
    h.run_steps(3);
    // Silence: after a few meter replies (the picture settles), ten more ask for no frame
    // and the levels view schedules none of its own. Other things may (a status reply, the
    // status bar's "xruns … s ago" once a second after an xrun on a loaded machine), so the
    // meters' own requests are what is counted.
    let server = h.state().session().server.clone();
    let meter_frames = h.state().session().meter_frames.clone();
    let ten_ticks = |h: &mut Harness<'static, ScPanel>| {
        for _ in 0..10 {
            // Bounded: meters that stopped replying must fail the test below, not hang it.
            h.state().bridge.block_on(async {
                let mut ticks = server.mixer().watch_meters();
                let _ = tokio::time::timeout(Duration::from_secs(2), ticks.changed()).await;
            });
            h.step();
        }
    };
    ten_ticks(&mut h);
    let asked = meter_frames.load(std::sync::atomic::Ordering::Relaxed);
    ten_ticks(&mut h);
    assert_eq!(
        meter_frames.load(std::sync::atomic::Ordering::Relaxed),
        asked,
        "the meters asked for frames while the output is silent"
    );
    let from_levels: Vec<_> = h
        .ctx
        .repaint_causes()
        .into_iter()
        .filter(|c| c.file.ends_with("panels/mixer.rs"))
        .collect();
    assert!(
        from_levels.is_empty(),
        "the silent levels view schedules frames: {from_levels:?}"
    );
    // Sound: the waker asks for a frame as soon as the picture moves.
    h.state()
        .bridge
        .block_on(server.add_synth(
            "scpanel-sine",
            1,
            scpanel_core::AddAction::AddToHead,
            &[("amp", 0.5)],
        ))
        .expect("a sine");
    let deadline = Instant::now() + Duration::from_secs(10);
    while meter_frames.load(std::sync::atomic::Ordering::Relaxed) == asked {
        assert!(Instant::now() < deadline, "no frame asked for the sound");
        h.state().bridge.block_on(async {
            let mut ticks = server.mixer().watch_meters();
            let _ = tokio::time::timeout(Duration::from_millis(100), ticks.changed()).await;
        });
    }
    assert!(h.ctx.has_requested_repaint(), "the meters' frame is due");
    h.run_steps(2);
    quit(&mut h);
}
