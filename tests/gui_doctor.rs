//! "Why no sound?" in the window (issue 25, point 3), on a real scsynth the window booted: a
//! second client makes the classic mistake (a reverb reading bus 16 placed before the source
//! that writes it); the button runs the doctor, its finding names both synths, the folder of
//! the SynthDef files turns the guess into a reading of the graphs, and the Fix button moves
//! the reverb, after which the output meters show signal.

mod common;

use std::time::Duration;

use common::defs::{reverb, source};
use common::gui::{app_sized, notices, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::{AddAction, Server, ServerState};

const LIMIT: Duration = Duration::from_secs(30);

/// The window at 900×600, its own server booted with meters on, and a second client logged
/// in to it (where the beginner's mistakes come from).
fn booted_with_a_second_client(
    tag: &str,
) -> (
    egui_kittest::Harness<'static, scpanel::gui::ScPanel>,
    Server,
) {
    let mut h = app_sized(common::options(), tag, egui::vec2(900.0, 600.0));
    h.run_steps(2);
    h.state_mut().boot();
    step_until(&mut h, "online with meters", LIMIT, |h| {
        let s = &h.state().session().server;
        s.state() == ServerState::Online && !s.mixer().meters().outputs.is_empty()
    });
    let server = h.state().session().server.clone();
    let other = Server::new();
    h.state().bridge.block_on(async {
        let mut o = common::connect_options(&server);
        o.login = true;
        other.connect(o).await.expect("second client");
    });
    (h, other)
}

#[test]
fn why_no_sound_finds_the_reverb_before_its_source_and_the_fix_makes_sound() {
    let (mut h, other) = booted_with_a_second_client("gui-doctor");
    let dir = common::defs::folder("gui-doctor-defs", &[source("gui-src"), reverb("gui-verb")]);
    // Another client: the source to bus 16, then the reverb made at the head, before it.
    let (src, verb) = h.state().bridge.block_on(async {
        other.synthdefs().load_dir(&dir).await.expect("defs");
        let g = other.default_group();
        let src = other
            .add_synth("gui-src", g, AddAction::AddToHead, &[("out", 16.0)])
            .await
            .expect("src");
        let verb = other
            .add_synth("gui-verb", g, AddAction::AddToHead, &[("in", 16.0)])
            .await
            .expect("verb");
        other.sync().await.expect("sync");
        (src, verb)
    });

    h.get_by_label("Why no sound?").click();
    let finding = format!("{verb} (gui-verb) reads bus 16 before {src} (gui-src) writes it");
    step_until(&mut h, "the order finding", LIMIT, |h| {
        h.query_by_label_contains(&finding).is_some()
    });
    // No folder given: the buses were guessed from the controls `in` and `out`.
    assert!(h.query_by_label("guessed").is_some(), "the guess is shown");
    // The reverb before its source, and the silence it makes on every output.
    assert!(
        h.query_by_label_contains("2 things stop the sound")
            .is_some(),
        "the headline counts what blocks"
    );
    assert!(
        h.query_by_label_contains("every output is silent")
            .is_some()
    );

    // The folder of the files: the graphs are read, the guess goes.
    h.get_by_label("SynthDef folders").click();
    // Until its opening animation is over (the body grows over some frames).
    h.run();
    // The field takes keys from the frame after the one that focused it.
    h.get_by_label("Add a folder").focus();
    h.run_steps(1);
    h.get_by_label("Add a folder")
        .type_text(&dir.display().to_string());
    h.run_steps(2);
    h.get_by_label("Add").click();
    h.run_steps(1);
    assert_eq!(
        h.state().doctor.folders.dirs,
        std::slice::from_ref(&dir),
        "the folder was added"
    );
    h.get_by_label("Look again").click();
    step_until(&mut h, "a look with the graphs", LIMIT, |h| {
        !h.state().doctor.running
            && h.query_by_label_contains(&finding).is_some()
            && h.query_by_label("guessed").is_none()
    });

    // Which applied is shown: each synth's graph and the file it came from.
    assert!(
        h.query_by_label_contains(&format!(
            "{verb} (gui-verb): the graph, from {}",
            dir.display()
        ))
        .is_some(),
        "the finding names where the reverb's graph came from"
    );
    let fix = format!("Move {verb} after {src}");
    h.get_by_label(&fix).click();
    step_until(&mut h, "the doctor's second look", LIMIT, |h| {
        !h.state().doctor.running
            && h.query_by_label_contains("Nothing found that stops the sound")
                .is_some()
    });
    assert!(
        notices(&h).iter().any(|n| n.title == "Fixed"),
        "the fix says what it did"
    );
    step_until(&mut h, "signal on the outputs", LIMIT, |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .outputs
            .iter()
            .any(|l| l.peak_db > -40.0)
    });
    h.state().bridge.block_on(async {
        let _ = other.disconnect().await;
    });
    h.state().shutdown(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_port_held_by_an_old_server_is_named_and_freed_from_the_window() {
    let options = common::options();
    let port = options.port;
    let mut h = app_sized(options, "gui-doctor-port", egui::vec2(900.0, 600.0));
    h.run_steps(2);
    // An old server on the port, started and forgotten (by this test, which stops it by pid
    // if the window does not).
    let exe = scpanel_core::machine::find_executable(None).expect("scsynth");
    let mut old = Started(
        std::process::Command::new(exe)
            .args(["-u", &port.to_string(), "-i", "0", "-o", "2"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("old scsynth"),
    );
    let pid = old.0.id();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(
        old.0.stdout.take().expect("stdout"),
    ));
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("server ready"))),
        "the old server came up"
    );
    // Its later output goes nowhere: read on so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));

    h.state_mut().boot();
    step_until(&mut h, "the boot's failure", LIMIT, |h| {
        h.state().session().boot_failure.is_some()
    });
    h.get_by_label("Why no sound?").click();
    let stop = format!("Stop the old server (pid {pid})");
    step_until(&mut h, "the port finding", LIMIT, |h| {
        h.query_by_label(&stop).is_some()
    });
    assert!(
        h.query_by_label_contains("Address already in use")
            .is_some()
    );
    h.get_by_label(&stop).click();
    step_until(&mut h, "the old server gone", LIMIT, |h| {
        notices(h).iter().any(|n| n.title == "Stopped")
    });
    let ended = old.0.wait().expect("the old server's end");
    assert!(!ended.success(), "stopped by a signal: {ended:?}");
    h.state_mut().boot();
    step_until(&mut h, "online on the freed port", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    h.state().shutdown(Duration::from_secs(5));
}

/// A process this test started: killed by its pid if the test ends before it does.
struct Started(std::process::Child);

impl Drop for Started {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs the doctor with F8, waits for `label`'s Fix button, clicks it once, and waits for the
/// doctor's second look to find nothing that blocks sound and for signal on the outputs.
fn fix_from_the_window(h: &mut egui_kittest::Harness<'static, scpanel::gui::ScPanel>, label: &str) {
    h.key_press(egui::Key::F8);
    step_until(h, &format!("the fix {label}"), LIMIT, |h| {
        !h.state().doctor.running && h.query_by_label(label).is_some()
    });
    h.get_by_label(label).click();
    step_until(h, &format!("the look after {label}"), LIMIT, |h| {
        !h.state().doctor.awaiting_fix
            && !h.state().doctor.running
            && h.query_by_label_contains("Nothing found that stops the sound")
                .is_some()
    });
    step_until(h, &format!("signal after {label}"), LIMIT, |h| {
        h.state()
            .session()
            .server
            .mixer()
            .meters()
            .outputs
            .iter()
            .any(|l| l.peak_db > -40.0)
    });
}

#[test]
fn amp_0_a_paused_group_the_mute_and_unconnected_outputs_are_fixed_by_their_buttons() {
    let (mut h, other) = booted_with_a_second_client("gui-doctor-fixes");
    let server = h.state().session().server.clone();
    let (group, note) = h.state().bridge.block_on(async {
        let group = other
            .add_group(other.default_group(), AddAction::AddToHead, false)
            .await
            .expect("group");
        // sclang's `default`, as a beginner plays it with amp 0.
        let note = other
            .add_synth("default", group, AddAction::AddToHead, &[("amp", 0.0)])
            .await
            .expect("note");
        other.sync().await.expect("sync");
        (group, note)
    });
    let _ = note;
    fix_from_the_window(&mut h, "Set amp to 0.1");

    h.state()
        .bridge
        .block_on(async { other.nodes().pause(group).await.and(other.sync().await) })
        .expect("pause");
    fix_from_the_window(&mut h, &format!("Resume {group}"));

    h.state()
        .bridge
        .block_on(server.mixer().set_mute(true))
        .expect("mute");
    fix_from_the_window(&mut h, "Unmute");

    // As if JACK started without SC_JACK_DEFAULT_OUTPUTS: nothing connected.
    let client = server
        .with_log(|l| {
            scpanel_core::audio::jack::client_name_in_output(l.lines().map(|x| x.text.as_str()))
        })
        .expect("JACK's client name");
    let ports = h
        .state()
        .bridge
        .block_on(scpanel_core::audio::jack::JackTarget::default().connections(&client))
        .expect("jack_lsp");
    for (port, to) in ports {
        for peer in to {
            let ok = std::process::Command::new("jack_disconnect")
                .args([&port, &peer])
                .status()
                .expect("jack_disconnect");
            assert!(ok.success());
        }
    }
    fix_from_the_window(&mut h, "Connect the outputs");

    // What a show brings by itself is a quiet badge beside the button, not a window: a
    // bundle half a second late.
    h.get_by_label("Close window").click();
    h.run_steps(1);
    let past = std::time::SystemTime::now() - Duration::from_millis(500);
    let late = rosc::OscPacket::Bundle(rosc::OscBundle {
        timetag: rosc::OscTime::try_from(past).expect("time"),
        content: vec![rosc::OscPacket::Message(scpanel_core::osc::msg(
            "/n_set",
            [rosc::OscType::Int(0)],
        ))],
    });
    h.state()
        .bridge
        .block_on(async { other.send(late).await.and(other.sync().await) })
        .expect("late bundle");
    step_until(&mut h, "the badge", LIMIT, |h| {
        use egui_kittest::kittest::NodeT;
        // Every node, by its whole name (a query by part of a name missed this one). The
        // badge names every finding it holds (JACK's xruns may come first).
        h.query_all_by_label_contains("").any(|n| {
            n.accesskit_node().label().is_some_and(|l| {
                l.starts_with("Doctor's findings: ") && l.contains("1 bundle came late")
            })
        })
    });
    assert!(
        h.query_by_label_contains("Nothing found that stops the sound")
            .is_none(),
        "the badge opened no window"
    );

    h.state().bridge.block_on(async {
        let _ = other.disconnect().await;
    });
    h.state().shutdown(Duration::from_secs(5));
}
