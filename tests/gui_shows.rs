//! The Shows tab (issue 26) on a real scsynth, booted by the window on the test's dummy
//! JACK: a 60-second show with a forced xrun, a named mark (Ctrl+M), a few `late` lines and a
//! `kill -9` of the server, then read back in the Shows tab (the list, the summary card, the
//! cursor on the mark) and by `scpanel shows summary`, each event at its time.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::gui::{app_sized, show_tab, step_until};
use common::jack_client::SlowClient;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::session::XrunsShown;
use scpanel::timeline::MarkerKind;
use scpanel_core::ServerState;
use scpanel_core::journal::Event;

const LIMIT: Duration = Duration::from_secs(30);
/// The show's length the issue asks for.
const SHOW: Duration = Duration::from_secs(60);

fn xruns(h: &egui_kittest::Harness<'static, scpanel::gui::ScPanel>) -> Option<u64> {
    match h.state().session().xruns() {
        XrunsShown::Counting(x) => Some(x.count()),
        _ => None,
    }
}

/// The text shown (a label's, which egui gives as its value) that starts with `start`.
fn text_with(
    h: &egui_kittest::Harness<'static, scpanel::gui::ScPanel>,
    start: &str,
) -> Option<String> {
    h.query_all_by_role(egui::accesskit::Role::Label)
        .filter_map(|n| n.accesskit_node().value())
        .find(|v| v.starts_with(start) || (start == "after mark" && v.contains(start)))
}

/// How far apart two times are, either way.
fn apart(a: SystemTime, b: SystemTime) -> Duration {
    a.duration_since(b)
        .or_else(|_| b.duration_since(a))
        .unwrap_or_default()
}

#[test]
fn a_sixty_second_show_reads_back_in_the_shows_tab_and_by_shows_summary() {
    let mut h = app_sized(common::options(), "gui-shows", egui::vec2(900.0, 600.0));
    h.run_steps(2);
    let flight = h.state().flight.clone().expect("a show for this run");
    h.state_mut().boot();
    step_until(&mut h, "online, counting xruns", LIMIT, |h| {
        let s = &h.state().session().server;
        s.state() == ServerState::Online
            && s.with_status_history(|x| x.len()) >= 2
            && xruns(h).is_some()
    });
    let began = Instant::now();
    let server = h.state().session().server.clone();
    // The minute's events come a few seconds apart, as in a show.
    let wait_until = |h: &mut egui_kittest::Harness<'static, scpanel::gui::ScPanel>, s: u64| {
        step_until(h, &format!("{s} s into the show"), SHOW + LIMIT, |_| {
            began.elapsed() >= Duration::from_secs(s)
        });
    };
    wait_until(&mut h, 8);

    // A forced xrun: a JACK client of the test's own blocks one cycle.
    let slow = SlowClient::open(None, "scpanel-gui-shows-slow");
    let base = xruns(&h).unwrap_or(0);
    let stalled = SystemTime::now();
    slow.stall(Duration::from_millis(50));
    step_until(&mut h, "an xrun counted", LIMIT, |h| {
        xruns(h).is_some_and(|n| n > base)
    });
    drop(slow);

    // A named mark.
    wait_until(&mut h, 16);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::M);
    let marked = SystemTime::now();
    h.run_steps(2);
    h.event(egui::Event::Text("verse 2".into()));
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert!(h.state().pending_mark.is_none(), "Enter set the mark");

    // Three bundles half a second late.
    wait_until(&mut h, 24);
    for _ in 0..3 {
        let past = SystemTime::now() - Duration::from_millis(500);
        let late = rosc::OscPacket::Bundle(rosc::OscBundle {
            timetag: rosc::OscTime::try_from(past).expect("time"),
            content: vec![rosc::OscPacket::Message(scpanel_core::osc::msg(
                "/n_set",
                [rosc::OscType::Int(0)],
            ))],
        });
        h.state().bridge.block_on(server.send(late)).expect("send");
    }
    let sent_late = SystemTime::now();
    h.state().bridge.block_on(server.sync()).expect("sync");
    step_until(&mut h, "three late lines", LIMIT, |_| {
        server.with_log(|l| l.lines().filter(|x| x.text.starts_with("late ")).count()) >= 3
    });

    // kill -9 of the server.
    wait_until(&mut h, 40);
    let pid = server.pid().expect("the window's server's pid");
    let killed = SystemTime::now();
    // SAFETY: a plain signal to the server this test's window booted.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    step_until(&mut h, "the server seen gone", LIMIT, |h| {
        !h.state().session().server.state().is_online()
    });

    // The rest of the minute.
    wait_until(&mut h, SHOW.as_secs());

    // The Shows tab lists this run's show; one click opens it.
    h.state_mut().side_open = false;
    h.run_steps(2);
    show_tab(&mut h, "Shows");
    step_until(&mut h, "the list with this run's show", LIMIT, |h| {
        h.query_by_label_contains("recording now").is_some()
    });
    h.get_by_label_contains("recording now").click();
    step_until(&mut h, "the show read", LIMIT, |h| {
        h.state()
            .shows
            .opened
            .as_ref()
            .is_some_and(|t| t.info.path == flight.path())
    });
    h.run_steps(2);
    let t = h.state().shows.opened.clone().expect("opened");
    assert!(
        t.length >= SHOW.as_secs_f64() - 5.0,
        "the show is {} s long: {:#?}",
        t.length,
        t.info
    );
    // The summary card says it all.
    let card = text_with(&h, "peak ").expect("the summary card");
    assert!(card.contains("1 crash"), "{card}");
    assert!(card.contains(" lates"), "{card}");
    assert!(
        text_with(&h, "crashed at ").is_some(),
        "the crash is named on the card"
    );

    // Each event at its time.
    // The event of a kind nearest the moment the test made it: a boot under load may cost
    // an xrun of its own before the forced one.
    let near = |kind: MarkerKind, moment: SystemTime| -> Duration {
        t.events
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| apart(t.wall(m.t), moment))
            .min()
            .unwrap_or_else(|| panic!("no {kind:?} in {:#?}", t.events))
    };
    let off = [
        ("xrun", near(MarkerKind::Xrun, stalled)),
        ("mark", near(MarkerKind::Mark, marked)),
        ("late", near(MarkerKind::Late, sent_late)),
        ("crash", near(MarkerKind::Crash, killed)),
    ];
    println!("events vs the moments the test made them: {off:?}");
    // One poll is 0.5 s; the margin is for two busy cores.
    for (what, d) in off {
        assert!(d < Duration::from_secs(3), "the {what} is {d:?} off");
    }
    let mark = t
        .events
        .iter()
        .find(|m| m.kind == MarkerKind::Mark)
        .expect("the mark");
    assert_eq!(
        mark.event,
        Event::Mark {
            text: "verse 2".into()
        }
    );
    let lates = t
        .events
        .iter()
        .filter(|m| m.kind == MarkerKind::Late)
        .count();
    assert!(lates >= 3, "{lates} late events");

    // The cursor on the mark reads the time and names the mark.
    let plot = h.get_by_role_and_label(egui::accesskit::Role::Figure, "Show timeline");
    let rect = plot.rect();
    let (lo, hi) = h.state().shows.shown.expect("a span shown");
    let x = rect.left() + ((mark.t + 0.3 - lo) / (hi - lo)) as f32 * rect.width();
    h.hover_at(egui::pos2(x, rect.center().y));
    h.run_steps(2);
    let cursor = h.state().shows.cursor().expect("the cursor");
    assert!(
        (cursor - (mark.t + 0.3)).abs() < (hi - lo) / 100.0,
        "{cursor} vs {}",
        mark.t
    );
    let readout = text_with(&h, "after mark").expect("the cursor's readout");
    assert!(readout.contains("after mark 'verse 2'"), "{readout}");

    // `shows summary` reads the same show.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["shows", "summary"])
        .arg(flight.path())
        .output()
        .expect("run scpanel");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 crash"), "{text}");
    assert!(text.contains(" lates"), "{text}");
    assert!(text.contains("xrun"), "{text}");
    h.state().shutdown(Duration::from_secs(5));
}
