//! The first Boot on a machine where no JACK server runs: the app starts one (the dummy
//! driver here, a machine without a sound card), says on what, boots scsynth on it, and
//! stops that jackd by its pid when it quits.

mod common;

use std::time::Duration;

use common::gui::{app, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::ServerState;

/// A JACK server name of this test's own, so that the suite's dummy JACK is not seen. A
/// fixed name, not the pid's: jackd's registry keeps a slot per name that never comes back.
const SERVER: &str = "scpanel-first-boot";

#[test]
fn the_first_boot_with_no_jack_running_starts_one_and_quitting_stops_it() {
    let mut options = common::options();
    // The boot, and every JACK tool it runs, talks to this server, which nobody runs.
    options.env = vec![("JACK_DEFAULT_SERVER".into(), SERVER.into())];
    let mut h = app(options, "gui-first-boot");
    assert!(!jack_runs(), "{SERVER} runs already");
    let cards = scpanel_core::audio::alsa::cards().unwrap_or_default();
    h.run_steps(2);
    h.get_by_label("Boot").click();
    // The boot's result (with the JACK it started) lands a frame after the server is online.
    step_until(
        &mut h,
        "the server online on a JACK of the app's own",
        Duration::from_secs(30),
        |h| {
            h.state().session().server.state() == ServerState::Online
                && h.state().own_jack_pid().is_some()
        },
    );
    let pid = h
        .state()
        .own_jack_pid()
        .expect("the app owns the JACK it started");
    assert!(jack_runs(), "{SERVER} runs");
    // The notice and the log say on what.
    // With a sound card: on it, or on the dummy driver saying the card would not open.
    let has_card = cards.iter().any(|c| c.plays());
    let expected = if has_card {
        "No JACK was running: started JACK on "
    } else {
        "No JACK was running: started JACK on the dummy driver: no sound card found, nothing \
         will be heard (48000 Hz, 256 frames)."
    };
    let says = |t: &str| t.starts_with(expected) && (!has_card || t.contains("hw:"));
    h.run_steps(1);
    let notices = common::gui::notices(&h);
    assert!(
        notices
            .iter()
            .any(|n| n.title == "JACK started" && says(&n.text) && !n.error),
        "{notices:?}"
    );
    let logged = h
        .state()
        .session()
        .server
        .with_log(|l| l.lines().any(|l| says(&l.text)));
    assert!(logged, "the server log says on what JACK was started");
    // Quitting the app quits the server, then stops that jackd.
    eframe::App::on_exit(h.state_mut(), None);
    assert_eq!(h.state().session().server.state(), ServerState::Offline);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "jackd {pid} outlived the app"
    );
    assert!(!jack_runs(), "{SERVER} still runs");
}

/// Whether the test's JACK server answers, asked with `jack_wait -c`: the app's own checks
/// run `jack_lsp` now and then, and two `jack_lsp` clients opening at the same moment can
/// make one fail ("Cannot open lsp client").
fn jack_runs() -> bool {
    let out = std::process::Command::new("jack_wait")
        .arg("-c")
        .env("JACK_DEFAULT_SERVER", SERVER)
        .env("JACK_NO_START_SERVER", "1")
        .output()
        .expect("jack_wait runs");
    String::from_utf8_lossy(&out.stdout).trim() == "running"
}
