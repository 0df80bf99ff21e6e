//! The audio setup in the real app: a boot asked for a sample rate JACK does not run at is
//! explained in plain words, in a notice and beside the sample-rate field.

mod common;

use std::time::Duration;

use common::gui::{app, step_until};
use egui_kittest::kittest::{By, Queryable};
use scpanel_core::ServerState;
use scpanel_core::audio::jack::JackTarget;

#[test]
fn a_boot_at_a_rate_jack_does_not_run_is_explained() {
    let bridge_rate = {
        let rt = tokio::runtime::Runtime::new().expect("a runtime");
        rt.block_on(JackTarget::default().sample_rate())
            .expect("the test JACK server's rate")
    };
    let asked = if bridge_rate == 44_100 {
        48_000
    } else {
        44_100
    };
    let mut options = common::options();
    options.sample_rate = asked;
    let mut h = app(options, "gui-audio-setup");
    h.run_steps(2);
    h.get_by_label("Boot").click();
    let expected =
        format!("You asked for {asked} Hz; JACK runs at {bridge_rate} Hz and scsynth follows it.");
    step_until(
        &mut h,
        "the mismatch explained",
        Duration::from_secs(20),
        |h| {
            h.state()
                .boot
                .rate_mismatch
                .as_deref()
                .is_some_and(|t| t.starts_with(&expected))
        },
    );
    assert_eq!(h.state().session().server.state(), ServerState::Online);
    let notices = common::gui::notices(&h);
    assert!(
        notices
            .iter()
            .any(|n| n.title == "Sample rate" && n.text.starts_with(&expected) && !n.error),
        "{notices:?}"
    );
    h.run_steps(2);
    let shown = format!("Last boot: {expected}");
    assert!(
        h.query_all(By::new().predicate(|n| n.value().is_some_and(|v| v.starts_with(&shown))))
            .next()
            .is_some(),
        "the boot panel shows it"
    );
    let server = h.state().session().server.clone();
    h.state().bridge.block_on(server.quit(false)).expect("quit");
}
