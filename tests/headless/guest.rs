//! scpanel as a guest on servers real sclang booted, and sclang as a guest on scpanel's:
//! ids by the owner's convention, one-shot commands that leave no trace, no failure lines in
//! anyone's window, trees read without flooding other clients with `/n_info`.

use crate::common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::sclang::Sclang;
use common::{options, test_port};
use scpanel_core::{AddAction, Server, ServerError};

fn scpanel(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(args)
        .output()
        .expect("run scpanel");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// sclang code that answers the server's own `/g_queryTree 0 1` reply, as sclang prints it.
const SCLANG_TREE: &str = "var c = Condition.new, r; \
    OSCFunc({ |m| r = m; c.unhang }, '/g_queryTree.reply').oneShot; \
    s.sendMsg(\"/g_queryTree\", 0, 1); c.hang; r";

/// A SynthDef with a 15-character name, like the ones in issue reports, that makes no sound.
const DEF: &str = "SynthDef(\\scpanelSilence1, { |out = 0, freq = 440, amp = 0, pan = 0, \
    gate = 1| Out.ar(out, Pan2.ar(SinOsc.ar(freq) * gate, pan, amp)) }).add; s.sync; \\ok";

async fn sclang_tree(sclang: &mut Sclang) -> String {
    sclang.eval(SCLANG_TREE).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_commands_leave_a_sclang_server_as_it_was() {
    let port = test_port();
    let mut sclang = Sclang::boot(port, 4).await;
    assert_eq!(sclang.client_id, 0);
    sclang.eval(DEF).await;
    sclang
        .eval(
            "g = Group.new(s); 3.do { |i| Synth(\\scpanelSilence1, [freq: 200 + i], g) }; \
             b = Buffer.alloc(s, 4410, 2); c = Bus.control(s, 1); c.set(0.25); s.sync; \\ok",
        )
        .await;
    let group = sclang.eval("g.nodeID").await;
    let before = sclang_tree(&mut sclang).await;
    let addr = format!("127.0.0.1:{port}");
    let runs: Vec<Vec<&str>> = vec![
        vec!["status"],
        vec!["tree"],
        vec!["tree", "--controls"],
        vec!["send", "/status"],
        vec!["send", "/b_query", "0"],
        vec!["send", "/c_get", "0"],
        vec!["send", "/n_query", &group],
        vec!["tree", "--login"],
        vec!["send", "--login", "/sync", "5"],
    ];
    for args in &runs {
        for _ in 0..20 {
            let mut all = vec![args[0], "--addr", &addr];
            all.extend(&args[1..]);
            let (ok, out, err) = scpanel(&all);
            assert!(ok, "scpanel {args:?} failed: {err}\n{out}");
        }
    }
    let (_, out, _) = scpanel(&["send", "--addr", &addr, "/n_query", &group]);
    assert!(
        out.contains(&format!("/n_info {group} 1 ")),
        "a /n_query logs in for its answer: {out}"
    );
    let (_, out, _) = scpanel(&["send", "--addr", &addr, "/sync", "5"]);
    assert_eq!(out.trim(), "/synced 5", "the user's own /synced is printed");
    let (ok, out, _) = scpanel(&["send", "--addr", &addr, "/b_query", "0"]);
    assert!(ok);
    assert!(out.contains("/b_info 0 4410 2 48000"), "{out}");
    let (ok, out, _) = scpanel(&["send", "--addr", &addr, "/c_get", "0"]);
    assert!(ok);
    assert!(out.contains("/c_set 0 0.25"), "{out}");

    assert_eq!(
        sclang_tree(&mut sclang).await,
        before,
        "180 scpanel runs changed the server's tree"
    );
    // sclang's allocators go on where they were, and nothing collides.
    assert_eq!(sclang.eval("s.nextPermNodeID").await, "2");
    sclang
        .eval(
            "20.do { s.sendMsg(\"/g_new\", s.nextPermNodeID, 0, 1) }; \
             20.do { Group.new(s) }; s.sync; \\ok",
        )
        .await;
    assert_eq!(
        sclang.eval("~scpanelFails.size").await,
        "0",
        "sclang got /fail: {}",
        sclang.eval("~scpanelFails").await
    );
    // Every login was given back: sclang holds one of four, so three more fit, not four.
    let mut guests = Vec::new();
    for _ in 0..3 {
        let guest = Server::new();
        let mut o = scpanel_core::ConnectOptions::new(addr.parse().unwrap());
        o.monitor = false;
        guest.connect(o).await.expect("a free login");
        guests.push(guest);
    }
    let extra = Server::new();
    let mut o = scpanel_core::ConnectOptions::new(addr.parse().unwrap());
    o.monitor = false;
    assert!(matches!(
        extra.connect(o).await,
        Err(ServerError::TooManyClients { .. })
    ));
    for g in guests {
        g.disconnect().await.expect("log out");
    }
    assert!(
        sclang.failure_lines().is_empty(),
        "scpanel left failure lines in sclang's window: {:?}",
        sclang.failure_lines()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_the_ides_one_login_server_with_900_paused_synths() {
    let port = test_port();
    let mut sclang = Sclang::boot(port, 1).await;
    sclang.eval(DEF).await;
    sclang
        .eval(
            "g = Group.new(s); 900.collect { s.nextNodeID }.clump(50).do { |ids| \
             s.sendBundle(nil, *ids.collect { |id| [\"/s_new\", \\scpanelSilence1, id, 1, \
             g.nodeID, \\freq, 100] } ++ ids.collect { |id| [\"/n_run\", id, 0] }); s.sync }; \
             \\ok",
        )
        .await;
    let group = sclang.eval("g.nodeID").await;
    let addr = format!("127.0.0.1:{port}");

    let started = Instant::now();
    let (ok, out, err) = scpanel(&["status", "--addr", &addr]);
    let status_took = started.elapsed();
    assert!(ok, "{err}");
    assert!(out.contains("synths 900"), "{out}");

    let started = Instant::now();
    let (ok, out, err) = scpanel(&["tree", "--addr", &addr, "--controls"]);
    let tree_took = started.elapsed();
    assert!(ok, "{err}");
    assert_eq!(
        out.lines()
            .filter(|l| l.ends_with(" scpanelSilence1"))
            .count(),
        900,
        "every synth with its SynthDef name: {out}"
    );
    assert!(
        err.contains(&format!("group(s) {group} are listed without controls")),
        "{err}"
    );
    eprintln!(
        "900 paused synths, one login taken: status {status_took:?}, tree --controls {tree_took:?}"
    );

    // Replies to any sender need no login, even with the only login taken.
    let (ok, out, err) = scpanel(&["send", "--addr", &addr, "/b_query", "0"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("/b_info 0 "), "{out}");
    // /n_query needs a login, and there is none left.
    let (ok, _, err) = scpanel(&["send", "--addr", &addr, "/n_query", &group]);
    assert!(!ok);
    assert!(err.contains("too many clients"), "{err}");

    assert_eq!(sclang.eval("s.sync; ~scpanelNInfo").await, "0");
    assert!(
        sclang.failure_lines().is_empty(),
        "{:?}",
        sclang.failure_lines()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_too_big_to_list_is_named_at_once_and_walked_with_a_login() {
    let port = test_port();
    let mut sclang = Sclang::boot(port, 4).await;
    sclang.eval(DEF).await;
    // 3,000 synths with a 15-character name: about 80 KB even without controls.
    sclang
        .eval(
            "g = Group.new(s); g.run(false); h = Group.new(Group.basicNew(s, 67108865)); ~ids = 3000.collect { s.nextNodeID }; \
             ~ids.clump(50).do { |ids| s.sendBundle(nil, *ids.collect { |id| \
             [\"/s_new\", \\scpanelSilence1, id, 1, g.nodeID, \\freq, 0] }); s.sync }; \\ok",
        )
        .await;
    let group: i32 = sclang.eval("g.nodeID").await.parse().unwrap();
    let other: i32 = sclang.eval("h.nodeID").await.parse().unwrap();
    let first: i32 = sclang.eval("~ids.first").await.parse().unwrap();
    let addr = format!("127.0.0.1:{port}");

    let started = Instant::now();
    let (ok, out, err) = scpanel(&["tree", "--addr", &addr]);
    let watch_took = started.elapsed();
    assert!(ok, "{err}");
    // Every group that holds g also overflows, up to the root: the root's children are
    // found by their default-group ids, and everything outside group 1 is listed.
    assert!(
        err.contains("group 0 holds 3000 synths and 2 groups, too many to list without logging in"),
        "{err}"
    );
    assert!(
        err.contains("groups 67108865, 134217729, 201326593 were found by their usual"),
        "{err}"
    );
    assert!(
        out.contains(&format!("    67108865 group\n        {other} group\n")),
        "the rest is listed: {out}"
    );
    let _ = group;
    assert!(!err.contains("busy or gone"), "{err}");

    let started = Instant::now();
    let (ok, out, err) = scpanel(&["tree", "--addr", &addr, "--login"]);
    let login_took = started.elapsed();
    assert!(ok, "{err}");
    let listed: Vec<i32> = out
        .lines()
        .filter(|l| l.ends_with(" ?"))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    let expected: Vec<i32> = (0..3000).map(|i| first + i).collect();
    assert_eq!(listed, expected, "every synth, in order");
    eprintln!("3,000 synths past 64 KiB: watch-only tree {watch_took:?}, --login {login_took:?}");

    // sclang is logged in, so it saw every /n_info the walk asked for: a bounded number.
    let seen: usize = sclang.eval("s.sync; ~scpanelNInfo").await.parse().unwrap();
    // At most twice the nodes listed. (A busy sclang may drop some of a burst: the walk asks
    // at most 128 at a time, half of what a default 208 KiB socket buffer holds.)
    assert!(
        (1..=6000).contains(&seen),
        "sclang got {seen} /n_info for a 3,000-synth walk"
    );
    eprintln!("sclang saw {seen} /n_info for a walk of 3,000 synths");
    assert!(
        sclang.failure_lines().is_empty(),
        "{:?}",
        sclang.failure_lines()
    );
    assert_eq!(sclang.eval("~scpanelFails.size").await, "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_follows_sclangs_ids_and_never_collides() {
    let port = test_port();
    let mut sclang = Sclang::boot(port, 4).await;
    sclang.eval(DEF).await;
    let before = sclang_tree(&mut sclang).await;

    let guest = Server::new();
    let o = scpanel_core::ConnectOptions::new(format!("127.0.0.1:{port}").parse().unwrap());
    guest.connect(o).await.expect("connect");
    let id = guest.client_id().expect("logged in");
    assert!(id >= 1);
    let own = (id << 26) + 1;
    assert_eq!(
        guest.default_group(),
        own,
        "sclang's default group for client {id}"
    );
    assert_eq!(
        sclang_tree(&mut sclang).await,
        before,
        "sclang made that group already: a guest creates nothing by connecting"
    );

    let block = (id << 26)..((id + 1) << 26);
    let g = guest
        .add_group(guest.default_group(), AddAction::AddToTail, false)
        .await
        .expect("group");
    let x = guest
        .add_synth("scpanel-sine", g, AddAction::AddToHead, &[("amp", 0.0)])
        .await
        .expect("synth");
    assert!(
        block.contains(&g) && block.contains(&x),
        "{g} {x} in {block:?}"
    );

    sclang
        .eval(
            "20.do { s.sendMsg(\"/g_new\", s.nextPermNodeID, 0, 1) }; \
             20.do { Group.new(s) }; 20.do { Synth(\\scpanelSilence1, [freq: 0]) }; s.sync; \\ok",
        )
        .await;
    assert_eq!(sclang.eval("~scpanelFails.size").await, "0");
    guest.disconnect().await.expect("disconnect");
    assert!(
        sclang.failure_lines().is_empty(),
        "{:?}",
        sclang.failure_lines()
    );

    // The IDE's one-login server: "too many clients", and watching works.
    drop(sclang);
    let port = test_port();
    let _ide = Sclang::boot(port, 1).await;
    let guest = Server::new();
    let mut o = scpanel_core::ConnectOptions::new(format!("127.0.0.1:{port}").parse().unwrap());
    match guest.connect(o.clone()).await {
        Err(ServerError::TooManyClients { .. }) => {}
        other => panic!("expected too many clients, got {other:?}"),
    }
    o.login = false;
    guest.connect(o).await.expect("watch");
    assert!(
        guest.with_tree(|t| t.contains(1)),
        "sclang's default group is seen"
    );
    guest.disconnect().await.expect("stop watching");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sclang_joins_a_server_scpanel_booted() {
    let server = common::boot(options()).await;
    let port = server.options().port;
    let mut sclang = Sclang::join(port).await;
    assert!(sclang.client_id >= 1, "scpanel holds client 0");
    sclang.eval(DEF).await;
    sclang
        .eval(
            "g = Group.new(s); x = Synth(\\scpanelSilence1, [freq: 330], g); \
             y = Synth(\\scpanelSilence1, [freq: 440], g, \\addToTail); Group.new(g, \\addToTail); \
             s.sync; \\ok",
        )
        .await;
    let x: i32 = sclang.eval("x.nodeID").await.parse().unwrap();
    let y: i32 = sclang.eval("y.nodeID").await.parse().unwrap();
    // The live mirror learns names of another client's synths, and the controls of those
    // on screen (here: both).
    server.controls().watch(vec![x, y]);
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let expected = sclang_tree(&mut sclang).await;
    loop {
        let mirror = server.with_tree(|t| t.to_text(true));
        let theirs = parse_sclang_tree(&expected).to_text(true);
        if mirror == theirs {
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_ok(),
            "the mirror:\n{mirror}\nsclang's reply:\n{theirs}"
        );
    }

    // A control another client changes shows up (the panel re-reads what it shows).
    server.controls().watch(vec![x]);
    let set_at = Instant::now();
    sclang.eval("x.set(\\freq, 555); s.sync; \\ok").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let freq = server.with_tree(|t| {
            t.get(x).and_then(|n| {
                n.controls
                    .iter()
                    .find(|(k, _)| k == "freq")
                    .map(|(_, v)| v.to_string())
            })
        });
        if freq.as_deref() == Some("555.0") {
            break;
        }
        assert!(
            tokio::time::timeout_at(deadline, changes.changed())
                .await
                .is_ok(),
            "freq is still {freq:?}"
        );
    }
    eprintln!("x.set seen after {:?}", set_at.elapsed());
    server.quit(false).await.expect("quit");
}

/// Parses sclang's printout of a message, `[ /g_queryTree.reply, 1, 0, 2, … ]`.
fn parse_sclang_tree(text: &str) -> scpanel_core::NodeTree {
    use rosc::OscType;
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let mut words = inner.split(',').map(str::trim);
    let addr = words.next().unwrap_or_default().to_string();
    let args = words
        .map(|w| {
            if let Ok(i) = w.parse::<i32>() {
                OscType::Int(i)
            } else if let Ok(f) = w.parse::<f32>() {
                OscType::Float(f)
            } else {
                OscType::String(w.to_string())
            }
        })
        .collect();
    scpanel_core::NodeTree::from_query_reply(&rosc::OscMessage { addr, args })
        .expect("sclang's tree reply parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_a_logged_in_command_logs_out() {
    let mut o = options();
    o.max_nodes = 8192;
    o.memory_kib = 65536;
    let owner = common::boot(o).await;
    let port = owner.options().port;
    // 3,000 synths of a 12-character SynthDef: too big to list, so `tree --login` walks.
    let group = owner
        .add_group(1, AddAction::AddToTail, false)
        .await
        .expect("group");
    owner
        .synthdefs()
        .send_builtin("scpanel-sine")
        .await
        .expect("def");
    let news: Vec<rosc::OscMessage> = (0..3000)
        .map(|i| {
            scpanel_core::osc::msg(
                "/s_new",
                [
                    rosc::OscType::String("scpanel-sine".into()),
                    rosc::OscType::Int(100_000 + i),
                    rosc::OscType::Int(1),
                    rosc::OscType::Int(group),
                    rosc::OscType::String("amp".into()),
                    rosc::OscType::Float(0.0),
                ],
            )
        })
        .collect();
    for chunk in news.chunks(500) {
        owner
            .send_checked(scpanel_core::osc::bundle_of(chunk.to_vec()))
            .await
            .expect("synths");
    }
    let mut osc = owner.subscribe_osc();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["tree", "--login", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("scpanel");
    // The owner is logged in too, so it sees the walk's first /n_info: the CLI is logged in.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        match tokio::time::timeout_at(deadline, osc.recv()).await {
            Ok(Ok(t)) => {
                if let rosc::OscPacket::Message(m) = &t.packet
                    && m.addr == "/n_info"
                {
                    break;
                }
            }
            Ok(Err(_)) => {}
            Err(_) => panic!("the CLI never walked the group"),
        }
    }
    let pid = i32::try_from(child.id().expect("pid")).expect("pid");
    // SAFETY: a signal to the child this test started.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let out = child.wait_with_output().await.expect("exit");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("interrupted"), "{err}");
    // Its login was given back: the owner holds one of four, three more fit.
    let mut guests = Vec::new();
    for _ in 0..3 {
        let guest = Server::new();
        let mut o = scpanel_core::ConnectOptions::new(format!("127.0.0.1:{port}").parse().unwrap());
        o.monitor = false;
        guest.connect(o).await.expect("a free login");
        guests.push(guest);
    }
    for g in guests {
        g.disconnect().await.expect("log out");
    }
    owner.quit(false).await.expect("quit");
}
