//! The OSC console's "Record traffic" (issue 26, point 3): off at first, one click turns it
//! on for the current server, and what the user sends from then on is in the show; "Export"
//! writes the console's log as text.

mod common;

use std::time::Duration;

use common::gui::{app_sized, notices, show_tab, step_until};
use egui_kittest::kittest::Queryable;
use scpanel_core::ServerState;
use scpanel_core::journal::{Direction, Show};

/// Every message address of the sent packets in `show`, bundles opened.
fn sent_addresses(show: &Show) -> Vec<String> {
    let mut addrs = Vec::new();
    for r in show.traffic(..).expect("traffic") {
        if r.direction != Direction::Sent {
            continue;
        }
        let (_, p) = rosc::decoder::decode_udp(&r.packet).expect("OSC");
        let mut all = Vec::new();
        scpanel_core::osc::flatten(p, &mut all);
        addrs.extend(
            all.into_iter()
                .map(|m| format!("{} {:?}", m.addr, m.args.first())),
        );
    }
    addrs
}

fn send_line(h: &mut egui_kittest::Harness<'static, scpanel::gui::ScPanel>, line: &str) {
    h.get_by_label("OSC").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("OSC").type_text(line);
    h.key_press(egui::Key::Enter);
}

#[test]
fn one_click_on_record_traffic_keeps_what_is_sent_in_the_show() {
    let mut h = app_sized(common::options(), "gui-traffic", egui::vec2(1200.0, 800.0));
    h.run_steps(2);
    let flight = h.state().flight.clone().expect("a show for this run");
    h.state_mut().boot();
    step_until(&mut h, "online", Duration::from_secs(30), |h| {
        h.state().session().server.state() == ServerState::Online
    });
    show_tab(&mut h, "OSC console");
    let in_tree = |id: i32| {
        move |h: &mut egui_kittest::Harness<'static, scpanel::gui::ScPanel>| {
            h.state().session().server.with_tree(|t| t.contains(id))
        }
    };
    // Off by default: this group is not kept.
    send_line(&mut h, "/g_new 5100 0 1");
    step_until(&mut h, "group 5100", Duration::from_secs(10), in_tree(5100));

    h.get_by_label("Record traffic").click();
    h.run_steps(2);
    assert!(
        h.state().session().traffic.mode().is_on(),
        "one click turned it on"
    );
    assert!(
        h.query_by_label_contains("Recording into the show")
            .is_some(),
        "the console says it records"
    );
    send_line(&mut h, "/g_new 5200 0 1");
    step_until(&mut h, "group 5200 kept", Duration::from_secs(10), |h| {
        h.state().session().server.with_tree(|t| t.contains(5200))
            && h.state().session().traffic.kept() >= 1
    });
    flight.flush().expect("the show on disk");
    let show = Show::open(flight.path()).expect("the show");
    let sent = sent_addresses(&show);
    assert!(
        sent.iter().any(|a| a == "/g_new Some(Int(5200))"),
        "{sent:?}"
    );
    assert!(
        !sent.iter().any(|a| a == "/g_new Some(Int(5100))"),
        "sent before the click: {sent:?}"
    );
    assert!(!sent.iter().any(|a| a.starts_with("/status ")), "{sent:?}");
    drop(show);

    // The console's log as text, by its typed path and Export.
    let dir = std::env::temp_dir().join(format!("scpanel-gui-traffic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a folder");
    let path = dir.join("traffic.txt");
    h.get_by_label("Export to").focus();
    h.run_steps(1);
    h.get_by_label("Export to")
        .type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("Export").click();
    step_until(&mut h, "the export", Duration::from_secs(10), |h| {
        notices(h).iter().any(|n| n.title == "Traffic exported")
    });
    let text = std::fs::read_to_string(&path).expect("the export");
    assert!(
        text.lines()
            .any(|l| l.ends_with(" UTC out /g_new 5200 0 1")),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    h.state().shutdown(Duration::from_secs(5));
}
