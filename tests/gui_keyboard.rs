//! The window by keyboard alone, on a real scsynth: boot with Ctrl+B, the console with
//! Ctrl+L and Enter (the reply to one's own /status is shown), Tab out of the console, the
//! node tree's rows with the arrows, Space to pause, Shift+F10 for the menu, Delete to free.
//! And what a screen reader is told about the rows.

mod common;

use std::time::Duration;

use common::gui::{app, step_until};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use scpanel::gui::ScPanel;
use scpanel::gui::app::Tab;
use scpanel_core::{AddAction, ServerState};

const LIMIT: Duration = Duration::from_secs(20);

/// The node the keyboard is on, as a screen reader would name it.
fn focused_label(h: &Harness<'static, ScPanel>) -> Option<String> {
    h.query_all_by_label_contains("")
        .find(|n| n.accesskit_node().is_focused())
        .and_then(|n| n.accesskit_node().label())
}

/// A node's name, or a label's text (static text carries it as its value).
fn text_of(n: &egui_kittest::Node<'_>) -> Option<String> {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value())
}

/// The app, booted with Ctrl+B, with scpanel-sine loaded and one synth of it per entry of
/// `synths` at the tail of group 1 (with those controls); their ids.
fn booted_with_synths(
    tag: &str,
    synths: &[&[(&str, f32)]],
) -> (Harness<'static, ScPanel>, Vec<i32>) {
    let mut h = app(common::options(), tag);
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    let ids = h.state().bridge.block_on(async {
        server
            .synthdefs()
            .send_builtin("scpanel-sine")
            .await
            .expect("def");
        let mut ids = Vec::new();
        for controls in synths {
            let id = server
                .add_synth("scpanel-sine", 1, AddAction::AddToTail, controls)
                .await
                .expect("synth");
            ids.push(id);
        }
        ids
    });
    (h, ids)
}

fn press(h: &mut Harness<'static, ScPanel>, key: Key) {
    h.key_press(key);
    h.run_steps(2);
}

#[test]
fn boot_console_and_tree_by_keyboard_alone() {
    let mut h = app(common::options(), "gui-keyboard");
    h.run_steps(2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::B);
    step_until(&mut h, "online", LIMIT, |h| {
        h.state().session().server.state() == ServerState::Online
    });

    // Ctrl+L: the console's line has the keyboard; Enter sends; the reply shows although
    // /status replies are hidden as polling noise.
    h.key_press_modifiers(Modifiers::COMMAND, Key::L);
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Console);
    assert!(
        !h.state().console.show_status,
        "status replies hidden by default"
    );
    h.event(egui::Event::Text("/status".into()));
    h.run_steps(1);
    press(&mut h, Key::Enter);
    // (The "Show /status.reply" check box names it too.)
    step_until(&mut h, "the reply to our /status", LIMIT, |h| {
        h.query_all_by_label_contains("/status.reply")
            .any(|n| text_of(&n).is_some_and(|l| !l.starts_with("Show")))
    });
    // Tab leaves the line.
    let line_focused = |h: &Harness<'static, ScPanel>| {
        h.query_by_label("OSC")
            .into_iter()
            .chain(h.query_all_by_label("OSC"))
            .any(|n| n.accesskit_node().is_focused())
    };
    assert!(line_focused(&h), "Enter keeps the keyboard in the line");
    press(&mut h, Key::Tab);
    assert!(!line_focused(&h), "Tab left the console's line");

    // Two synths in a group, then the tree by keyboard.
    let server = h.state().session().server.clone();
    let (group, a, b) = h.state().bridge.block_on(async {
        let g = server
            .add_group(1, AddAction::AddToTail, false)
            .await
            .expect("group");
        server
            .synthdefs()
            .send_builtin("scpanel-sine")
            .await
            .expect("def");
        let a = server
            .add_synth("scpanel-sine", g, AddAction::AddToTail, &[("amp", 0.0)])
            .await
            .expect("synth a");
        let b = server
            .add_synth("scpanel-sine", g, AddAction::AddToTail, &[("amp", 0.0)])
            .await
            .expect("synth b");
        (g, a, b)
    });
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    assert_eq!(h.state().tab, Tab::Tree);
    step_until(&mut h, "the synths in the tree", LIMIT, |h| {
        h.state().session().tree.rows.iter().any(|r| r.id == b)
    });
    // Ctrl+F puts the keyboard in the filter; Tab walks on until a row has it.
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run_steps(2);
    for _ in 0..40 {
        if h.state().session().tree.cursor.is_some()
            && focused_label(&h).is_some_and(|l| l.ends_with(" group") || l.contains(" scpanel-"))
        {
            break;
        }
        press(&mut h, Key::Tab);
    }
    assert!(
        h.state().session().tree.cursor.is_some(),
        "a row took the keyboard"
    );
    // Down until synth a.
    for _ in 0..40 {
        if h.state().session().tree.cursor == Some(a) {
            break;
        }
        press(&mut h, Key::ArrowDown);
    }
    assert_eq!(h.state().session().tree.cursor, Some(a));
    let spoken = focused_label(&h).expect("the focused row's name");
    assert_eq!(spoken, format!("{a} scpanel-sine"));
    let row = h.get_by_label(&spoken);
    let node = row.accesskit_node();
    assert_eq!(node.role(), egui::accesskit::Role::TreeItem);
    assert!(
        node.level().is_some_and(|l| l >= 3),
        "inside group {group}: {:?}",
        node.level()
    );
    assert_eq!(node.position_in_set(), Some(1));
    assert_eq!(node.size_of_set(), Some(2));

    // Space pauses it.
    press(&mut h, Key::Space);
    step_until(&mut h, "paused", LIMIT, |h| {
        h.state()
            .session()
            .server
            .with_tree(|t| t.get(a).and_then(|n| n.paused))
            == Some(true)
    });
    h.run_steps(1);
    let said = h
        .get_by_label(&format!("{a} scpanel-sine"))
        .accesskit_node()
        .description();
    assert_eq!(
        said.as_deref(),
        Some("paused"),
        "the reader hears it is paused"
    );
    // Shift+F10 opens its menu, with the keyboard in it; Escape closes it.
    h.key_press_modifiers(Modifiers::SHIFT, Key::F10);
    h.run_steps(2);
    assert!(
        h.query_by_label(&format!("Node {a}")).is_some(),
        "the node's menu is open"
    );
    assert!(
        h.query_by_label("Resume").is_some(),
        "a paused node offers Resume"
    );
    press(&mut h, Key::Escape);
    assert!(
        h.query_by_label(&format!("Node {a}")).is_none(),
        "Escape closed it"
    );
    // Back on the row (the menu gave the keyboard back), Delete frees it.
    if h.state().session().tree.cursor != Some(a) || focused_label(&h).is_none() {
        // The menu took the focus; put it back on the row the way a user would.
        for _ in 0..40 {
            if focused_label(&h).is_some_and(|l| l == format!("{a} scpanel-sine")) {
                break;
            }
            h.key_press_modifiers(Modifiers::SHIFT, Key::Tab);
            h.run_steps(2);
        }
    }
    press(&mut h, Key::Delete);
    step_until(&mut h, "freed", LIMIT, |h| {
        h.state().session().server.with_tree(|t| t.get(a).is_none())
    });
    assert!(
        h.state().session().server.with_tree(|t| t.get(b).is_some()),
        "only the focused synth was freed"
    );
    // The group's row says it is expanded; its button says what it does.
    let group_name = format!("{group} group");
    let group_row = h.get_by_label(&group_name);
    assert_eq!(
        group_row.accesskit_node().role(),
        egui::accesskit::Role::TreeItem
    );
    assert_eq!(group_row.accesskit_node().data().is_expanded(), Some(true));
    assert!(
        h.query_by_label(&format!("Collapse group {group}"))
            .is_some(),
        "the toggle is named"
    );
    h.state().shutdown(Duration::from_secs(5));
}

#[test]
fn trace_from_the_node_menu_shows_what_the_server_printed() {
    let (mut h, ids) = booted_with_synths("gui-trace", &[&[("amp", 0.0)]]);
    let synth = ids[0];
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    let name = format!("{synth} scpanel-sine");
    step_until(&mut h, "the synth's row", LIMIT, |h| {
        h.query_by_label(&name).is_some()
    });
    common::gui::open_menu(&mut h, &name, "Trace");
    h.get_by_label("Trace").click();
    h.run_steps(2);
    step_until(&mut h, "the trace", LIMIT, |h| {
        h.query_all_by_label_contains("unit 0 Control")
            .next()
            .is_some()
    });
    assert!(
        h.query_by_label(&format!("Trace of node {synth}"))
            .is_some()
    );
    assert!(
        h.query_all_by_label_contains("unit 1 SinOsc")
            .next()
            .is_some()
    );
    h.state().shutdown(Duration::from_secs(5));
}

/// The walk: Ctrl+F, Tab, then the arrows over a playing synth's controls. They move
/// between rows and change nothing; a value changes only when typed (Enter starts, Enter sets,
/// Escape keeps it as it was).
#[test]
fn arrow_keys_leave_every_value_as_it_was_and_enter_types_one() {
    let controls = [("freq", 440.0), ("amp", 0.0), ("pan", 0.25)];
    let (mut h, ids) = booted_with_synths("gui-keyboard-values", &[&controls, &controls]);
    let (a, b) = (ids[0], ids[1]);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    h.run_steps(2);
    step_until(&mut h, "both synths' controls on screen", LIMIT, |h| {
        h.query_all_by_label("freq").count() == 2
    });
    let on_server = |h: &Harness<'static, ScPanel>, id: i32, name: &str| {
        let s = h.state().session().server.clone();
        h.state()
            .bridge
            .block_on(s.nodes().get_control(id, name))
            .expect("a control read from the server")
    };
    h.key_press_modifiers(Modifiers::COMMAND, Key::F);
    h.run_steps(2);
    // Tab on from the filter until a control of a row has the keyboard.
    let mut focused = None;
    for _ in 0..20 {
        press(&mut h, Key::Tab);
        focused = focused_label(&h);
        if focused.as_deref() == Some("freq") {
            break;
        }
    }
    assert_eq!(focused.as_deref(), Some("freq"), "Tab reached a control");
    // Down, Up, Left, Right, many times, through the rows and back on a control each time.
    for _ in 0..4 {
        press(&mut h, Key::ArrowDown);
        press(&mut h, Key::ArrowUp);
    }
    for name in ["freq", "amp", "pan"] {
        // From the row, Tab to this control, then every arrow on it.
        for _ in 0..10 {
            if focused_label(&h).as_deref() == Some(name) {
                break;
            }
            press(&mut h, Key::Tab);
        }
        assert_eq!(focused_label(&h).as_deref(), Some(name));
        press(&mut h, Key::ArrowDown);
        assert!(
            h.state().session().tree.cursor.is_some(),
            "Down on {name} went to a row"
        );
        assert_ne!(focused_label(&h).as_deref(), Some(name));
        press(&mut h, Key::ArrowUp);
        press(&mut h, Key::ArrowLeft);
        press(&mut h, Key::ArrowRight);
    }
    for id in [a, b] {
        for (name, value) in controls {
            assert_eq!(on_server(&h, id, name), value, "{name} of {id} as it was");
        }
    }

    // Enter types a value, Enter sets it.
    let freq = h.query_all_by_label("freq").next().expect("freq");
    freq.focus();
    h.run_steps(2);
    press(&mut h, Key::Enter);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.event(egui::Event::Text("300".into()));
    h.run_steps(1);
    press(&mut h, Key::Enter);
    step_until(&mut h, "freq 300 on the server", LIMIT, |h| {
        on_server(h, a, "freq") == 300.0
    });
    assert_eq!(
        focused_label(&h).as_deref(),
        Some("freq"),
        "back on the value"
    );
    // Escape leaves it as it was.
    press(&mut h, Key::Enter);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run_steps(1);
    h.event(egui::Event::Text("999".into()));
    h.run_steps(1);
    press(&mut h, Key::Escape);
    h.run_steps(2);
    assert_eq!(on_server(&h, a, "freq"), 300.0, "Escape kept it");
    assert_eq!(on_server(&h, b, "freq"), 440.0);
    h.state().shutdown(Duration::from_secs(5));
}
