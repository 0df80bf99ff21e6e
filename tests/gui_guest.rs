//! The window as a host to sclang and as a guest on sclang's servers (egui_kittest driving the
//! real app, real sclang and scsynth under the private JACK server).

mod common;

use std::time::{Duration, Instant};

use common::sclang::Sclang;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use scpanel::gui::ScPanel;
use scpanel_core::{Options, ServerState};

const DEF: &str = "SynthDef(\\scpanelSilence1, { |out = 0, freq = 440, amp = 0, pan = 0, \
    gate = 1| Out.ar(out, Pan2.ar(SinOsc.ar(freq) * gate, pan, amp)) }).add; s.sync; \\ok";

fn app(options: Options) -> Harness<'static, ScPanel> {
    common::gui::app(options, "gui-guest")
}

fn step_until(
    h: &mut Harness<'static, ScPanel>,
    what: &str,
    limit: Duration,
    done: impl FnMut(&mut Harness<'static, ScPanel>) -> bool,
) {
    common::gui::step_until(h, what, limit, done)
}

fn control(h: &Harness<'static, ScPanel>, id: i32, name: &str) -> Option<String> {
    h.state().session().server.with_tree(|t| {
        t.get(id)?
            .controls
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
    })
}

#[test]
fn sclang_joins_a_server_booted_in_the_window_and_its_synths_show_live() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut h = app(common::options());
    let port = h.state().boot.options.port;
    h.get_by_label("Boot").click();
    step_until(&mut h, "online", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let mut sclang = rt.block_on(Sclang::join(port));
    rt.block_on(sclang.eval(DEF));
    rt.block_on(
        sclang.eval("g = Group.new(s); x = Synth(\\scpanelSilence1, [freq: 330], g); s.sync; \\ok"),
    );
    let x: i32 = rt.block_on(sclang.eval("x.nodeID")).parse().expect("id");
    common::gui::show_tab(&mut h, "Node tree");
    let row = format!("{x} scpanelSilence1");
    step_until(
        &mut h,
        "sclang's synth by name",
        Duration::from_secs(20),
        |h| h.query_by_label(&row).is_some(),
    );
    // Its controls are read once it is on screen.
    step_until(
        &mut h,
        "sclang's synth's controls",
        Duration::from_secs(10),
        |h| control(h, x, "freq").as_deref() == Some("330.0"),
    );

    let set_at = Instant::now();
    rt.block_on(sclang.eval("x.set(\\freq, 555); s.sync; \\ok"));
    step_until(
        &mut h,
        "x.set seen in the window",
        Duration::from_secs(10),
        |h| control(h, x, "freq").as_deref() == Some("555.0"),
    );
    eprintln!("x.set from sclang shown after {:?}", set_at.elapsed());
    assert!(
        sclang.failure_lines().is_empty(),
        "{:?}",
        sclang.failure_lines()
    );
    drop(sclang);
    h.get_by_label("Quit").click();
    step_until(&mut h, "offline", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Offline
    });
}

/// Types `port` into the connect panel and clicks Connect.
fn connect(h: &mut Harness<'static, ScPanel>, port: u16) {
    h.get_by_label("Connect to a server").click();
    h.run_steps(2);
    h.get_by_label("Server port").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Server port").type_text(&port.to_string());
    h.run_steps(1);
    h.get_by_label("Connect").click();
}

#[test]
fn the_window_joins_servers_sclang_booted_with_four_and_one_logins() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let port = common::test_port();
    let mut sclang = rt.block_on(Sclang::boot(port, 4));
    let tree = "var c = Condition.new, r; \
        OSCFunc({ |m| r = m; c.unhang }, '/g_queryTree.reply').oneShot; \
        s.sendMsg(\"/g_queryTree\", 0, 0); c.hang; r";
    let before = rt.block_on(sclang.eval(tree));
    let mut h = app(common::options());
    connect(&mut h, port);
    step_until(&mut h, "logged in", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    let id = server.client_id().expect("logged in");
    assert_eq!(
        server.default_group(),
        (id << 26) + 1,
        "sclang's group for client {id}"
    );
    common::gui::show_tab(&mut h, "Node tree");
    step_until(&mut h, "sclang's groups", Duration::from_secs(10), |h| {
        h.query_by_label("201326593 group").is_some()
    });
    assert_eq!(
        rt.block_on(sclang.eval(tree)),
        before,
        "joining created nothing"
    );
    h.get_by_label("Disconnect").click();
    step_until(&mut h, "offline", Duration::from_secs(10), |h| {
        h.state().session().server.state() == ServerState::Offline
    });
    assert!(
        sclang.failure_lines().is_empty(),
        "{:?}",
        sclang.failure_lines()
    );
    drop(sclang);

    // The IDE's server allows one login: the window offers to watch, and watching works.
    let port = common::test_port();
    let ide = rt.block_on(Sclang::boot(port, 1));
    connect(&mut h, port);
    step_until(&mut h, "the offer to watch", Duration::from_secs(20), |h| {
        !h.state()
            .session()
            .inbox
            .lock()
            .expect("inbox")
            .offers
            .is_empty()
    });
    h.run_steps(2);
    h.get_by_label("Watch without logging in").click();
    step_until(&mut h, "watching", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Online
    });
    common::gui::show_tab(&mut h, "Node tree");
    step_until(
        &mut h,
        "the IDE's default group",
        Duration::from_secs(10),
        |h| h.query_by_label("1 group").is_some(),
    );
    assert!(ide.failure_lines().is_empty(), "{:?}", ide.failure_lines());
}

#[test]
fn a_control_being_edited_is_not_overwritten_by_the_live_reread() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut h = app(common::options());
    h.get_by_label("Boot").click();
    step_until(&mut h, "online", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Online
    });
    let server = h.state().session().server.clone();
    let add = |action| {
        rt.block_on(server.add_synth("scpanel-sine", 1, action, &[("amp", 0.0), ("freq", 300.0)]))
            .expect("synth")
    };
    let edited = add(scpanel_core::AddAction::AddToHead);
    let other = add(scpanel_core::AddAction::AddToTail);
    common::gui::show_tab(&mut h, "Node tree");
    step_until(&mut h, "both rows", Duration::from_secs(10), |h| {
        h.query_all_by_label("freq").count() == 2
    });
    // Start editing the first synth's freq (a click on a drag value types into it).
    h.query_all_by_label("freq").next().expect("freq").click();
    h.run_steps(2);
    // Another client changes both synths.
    let guest = scpanel_core::Server::new();
    rt.block_on(
        guest.connect(scpanel_core::ConnectOptions::new(
            format!("127.0.0.1:{}", server.options().port)
                .parse()
                .expect("addr"),
        )),
    )
    .expect("guest");
    // A synth of its own that ends: the tree's "ended:" strip shows above the rows while
    // the value is being typed.
    let brief = rt
        .block_on(guest.add_synth(
            "scpanel-sine",
            1,
            scpanel_core::AddAction::AddToTail,
            &[("amp", 0.0)],
        ))
        .expect("a brief synth");
    rt.block_on(guest.nodes().free(brief)).expect("free");
    step_until(&mut h, "the ended strip", Duration::from_secs(10), |h| {
        h.query_by_label("ended:").is_some()
    });
    rt.block_on(guest.nodes().set(edited, &[("freq", 555.0)]))
        .expect("set");
    rt.block_on(guest.nodes().set(other, &[("freq", 666.0)]))
        .expect("set");
    // The other synth's new value shows: the live re-read ran after the change…
    step_until(
        &mut h,
        "the other synth re-read",
        Duration::from_secs(10),
        |h| control(h, other, "freq").as_deref() == Some("666.0"),
    );
    // …and left the value being edited alone.
    assert_eq!(control(&h, edited, "freq").as_deref(), Some("300.0"));
    rt.block_on(guest.disconnect()).expect("disconnect");
    h.key_press(egui::Key::Escape);
    h.get_by_label("Quit").click();
    step_until(&mut h, "offline", Duration::from_secs(20), |h| {
        h.state().session().server.state() == ServerState::Offline
    });
}
