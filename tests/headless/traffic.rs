//! OSC traffic in the show (issue 26, point 3) on real scsynth: a server followed the way the
//! window follows it, with its traffic recorded, is given groups, synths with controls, a
//! SynthDef of its own and a bundle; `scpanel replay` of that show against a fresh server
//! builds the same node tree there.

use std::time::{Duration, SystemTime};

use crate::common;
use rosc::{OscBundle, OscPacket, OscTime, OscType};
use scpanel::flight::{Flight, TrafficSwitch};
use scpanel::traffic::TrafficMode;
use scpanel_core::Server;
use scpanel_core::journal::{Direction, Show};
use scpanel_core::osc::msg;

fn int(i: i32) -> OscType {
    OscType::Int(i)
}

fn s(text: &str) -> OscType {
    OscType::String(text.into())
}

/// The tree as lines to compare: depth, id, SynthDef and controls of every node.
async fn tree_lines(server: &Server) -> Vec<String> {
    let tree = server.query_tree(true).await.expect("the tree");
    let mut lines = Vec::new();
    tree.walk(|depth, n| {
        lines.push(format!(
            "{depth} {} {:?} {:?}",
            n.id,
            n.def_name(),
            n.controls
        ))
    });
    lines
}

/// Runs frames of the runtime until the server's mirror holds `id` (its `/n_go` came).
async fn until_node(server: &Server, id: i32) {
    let mut changes = server.watch_changes();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !server.with_tree(|t| t.contains(id)) {
            changes.changed().await.expect("server");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("node {id} never came"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_show_builds_the_same_tree_on_a_fresh_server() {
    let dir = std::env::temp_dir().join(format!("scpanel-traffic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let flight = Flight::start(Some(dir.clone())).expect("a show");
    let server = Server::new();
    let options = common::options();
    // Followed from before its boot, with the traffic on, as the window does with
    // --record-traffic.
    let id = flight.follow(
        &server,
        "stage",
        &format!("127.0.0.1:{}", options.port),
        true,
    );
    let switch = TrafficSwitch::new(TrafficMode::Filtered);
    flight.record_traffic(&server, id, switch.clone());
    server.boot(options).await.expect("boot");

    // A SynthDef the fresh server does not have, groups, synths with controls, a change of
    // controls, and a bundle 0.3 s ahead.
    let def = scpanel_core::synthdef::builtins::builtin("scpanel-volume-3").expect("built in");
    server
        .send(OscPacket::Message(msg(
            "/d_recv",
            [OscType::Blob(def.encode())],
        )))
        .await
        .expect("send");
    server.sync().await.expect("sync");
    for m in [
        msg("/g_new", [int(100), int(1), int(0)]),
        msg("/g_new", [int(101), int(1), int(100)]),
        msg(
            "/s_new",
            [
                s("default"),
                int(1000),
                int(0),
                int(100),
                s("freq"),
                OscType::Float(330.0),
                s("amp"),
                OscType::Float(0.01),
            ],
        ),
        msg(
            "/s_new",
            [s("scpanel-volume-3"), int(1001), int(1), int(101)],
        ),
        msg(
            "/n_set",
            [
                int(1000),
                s("freq"),
                OscType::Float(440.0),
                s("pan"),
                OscType::Float(-0.5),
            ],
        ),
    ] {
        server.send(OscPacket::Message(m)).await.expect("send");
    }
    let ahead = SystemTime::now() + Duration::from_millis(300);
    server
        .send(OscPacket::Bundle(OscBundle {
            timetag: OscTime::try_from(ahead).expect("time"),
            content: vec![
                OscPacket::Message(msg(
                    "/s_new",
                    [
                        s("default"),
                        int(1002),
                        int(1),
                        int(101),
                        s("amp"),
                        OscType::Float(0.02),
                    ],
                )),
                OscPacket::Message(msg("/n_set", [int(1001), s("amp"), OscType::Float(0.5)])),
            ],
        }))
        .await
        .expect("send");
    server.sync().await.expect("sync");
    until_node(&server, 1002).await;
    let recorded = tree_lines(&server).await;
    assert!(
        recorded.iter().any(|l| l.contains(" 1002 ")) && recorded.len() >= 6,
        "{recorded:#?}"
    );

    flight.flush().expect("the show on disk");
    let show = Show::open(flight.path()).expect("the show");
    let traffic = show.traffic(..).expect("traffic");
    let sent: Vec<OscPacket> = traffic
        .iter()
        .filter(|r| r.direction == Direction::Sent)
        .map(|r| rosc::decoder::decode_udp(&r.packet).expect("OSC").1)
        .collect();
    let addrs: Vec<String> = sent
        .iter()
        .flat_map(|p| {
            let mut all = Vec::new();
            scpanel_core::osc::flatten(p.clone(), &mut all);
            all.into_iter().map(|m| m.addr)
        })
        .collect();
    assert!(!addrs.iter().any(|a| a == "/status"), "{addrs:?}");
    assert!(addrs.iter().any(|a| a == "/d_recv"), "{addrs:?}");
    assert!(
        sent.iter()
            .any(|p| matches!(p, OscPacket::Bundle(b) if b.timetag.seconds != 0)),
        "the timed bundle is kept"
    );
    assert!(
        traffic.iter().any(|r| r.direction == Direction::Received),
        "the replies too"
    );
    assert_eq!(switch.missed(), 0);
    drop(show);
    server.quit(false).await.expect("quit");

    // The same show against a fresh server, by the real command.
    let fresh = common::boot(common::options()).await;
    let addr = format!("127.0.0.1:{}", fresh.options().port);
    let show_path = flight.path().display().to_string();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["replay", &show_path, "--addr", &addr, "--speed", "2"])
        .output()
        .await
        .expect("scpanel replay");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("/notify") && stdout.contains("the server has them all"),
        "{stdout}"
    );
    // replay returns once the last bundle's time has passed and /sync came back.
    assert_eq!(tree_lines(&fresh).await, recorded);

    // A show without traffic, and a show that is not there, are said plainly.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args([
            "replay",
            "no-such-show",
            "--folder",
            &dir.display().to_string(),
            "--addr",
            &addr,
        ])
        .output()
        .expect("scpanel replay");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("scpanel: ") && !err.contains("panicked"),
        "{err}"
    );
    fresh.quit(false).await.expect("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A stored packet that is not OSC (a damaged or hand-made show) is named, not a panic; so is
/// a show with no sent traffic.
#[test]
fn a_show_without_good_traffic_is_refused_in_a_sentence() {
    use scpanel_core::journal::{Journal, JournalOptions, Record, ServerInfo};
    let dir = std::env::temp_dir().join(format!("scpanel-traffic-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let journal = Journal::start(JournalOptions::new(&dir));
    let a = journal.add_server(ServerInfo::new("127.0.0.1:57110", "a", "udp", true));
    let path = journal.path().to_path_buf();
    journal.record(
        SystemTime::now(),
        Record::Traffic(a, Direction::Sent, b"not osc at all".to_vec()),
    );
    journal.close().expect("closed");
    let replay = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
            .args([
                "replay",
                &path.display().to_string(),
                "--addr",
                "127.0.0.1:9",
            ])
            .output()
            .expect("scpanel replay")
    };
    let out = replay(&path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.starts_with("scpanel: sent packet 1 (at ") && err.contains("is not OSC"),
        "{err}"
    );

    let empty = Journal::start(JournalOptions::new(&dir));
    empty.add_server(ServerInfo::new("127.0.0.1:57110", "a", "udp", true));
    let path = empty.path().to_path_buf();
    empty.close().expect("closed");
    let out = replay(&path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--record-traffic"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `scpanel watch --record-all-traffic` keeps its `/status` poll and the replies in its show
/// (the plain `--record-traffic` leaves them to the samples).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_records_its_traffic_when_asked() {
    use std::io::BufRead;
    let server = common::boot(common::options()).await;
    let addr = format!("127.0.0.1:{}", server.options().port);
    let dir = std::env::temp_dir().join(format!("scpanel-traffic-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .env("SCPANEL_SHOWS_DIR", &dir)
        .args([
            "watch",
            "--interval",
            "100ms",
            "--addr",
            &addr,
            "--record-all-traffic",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("scpanel watch");
    let stdout = child.stdout.take().expect("stdout");
    let seen = tokio::task::spawn_blocking(move || {
        let mut online = 0;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains(" online ") {
                online += 1;
                if online == 5 {
                    return true;
                }
            }
        }
        false
    })
    .await
    .expect("reader");
    assert!(seen, "watch showed the server online");
    // SAFETY: a plain signal to the process this test started; watch ends on it, saving.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().expect("watch ends");
    assert!(status.success(), "{status:?}");
    let shows = scpanel_core::journal::list_shows(&dir).expect("the shows");
    let show = Show::open(&shows.first().expect("watch's show").path).expect("opens");
    let traffic = show.traffic(..).expect("traffic");
    let address = |r: &scpanel_core::journal::TrafficRow| match rosc::decoder::decode_udp(&r.packet)
    {
        Ok((_, OscPacket::Message(m))) => m.addr,
        _ => String::new(),
    };
    assert!(
        traffic
            .iter()
            .any(|r| r.direction == Direction::Sent && address(r) == "/status"),
        "{} packets",
        traffic.len()
    );
    assert!(
        traffic
            .iter()
            .any(|r| r.direction == Direction::Received && address(r) == "/status.reply")
    );
    drop(show);
    server.quit(false).await.expect("quit");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ctrl-C during a replay stops it between packets and says how many went.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_a_replay_and_says_how_many_went() {
    use scpanel_core::journal::{Journal, JournalOptions, Record, ServerInfo};
    use tokio::io::AsyncBufReadExt;
    let dir = std::env::temp_dir().join(format!("scpanel-traffic-int-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let journal = Journal::start(JournalOptions::new(&dir));
    let a = journal.add_server(ServerInfo::new("127.0.0.1:57110", "a", "udp", true));
    let t0 = SystemTime::now();
    for (i, id) in [7000, 7001, 7002].into_iter().enumerate() {
        let packet = rosc::encoder::encode(&OscPacket::Message(msg(
            "/g_new",
            [int(id), int(0), int(0)],
        )))
        .expect("encodes");
        journal.record(
            t0 + Duration::from_secs(60 * i as u64),
            Record::Traffic(a, Direction::Sent, packet),
        );
    }
    let path = journal.path().to_path_buf();
    journal.close().expect("closed");

    let fresh = common::boot(common::options()).await;
    let addr = format!("127.0.0.1:{}", fresh.options().port);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["replay", &path.display().to_string(), "--addr", &addr])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("scpanel replay");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next_line().await.expect("stdout").expect("a line");
    assert!(first.starts_with("replaying 3 packets"), "{first}");
    until_node(&fresh, 7000).await;
    let pid = child.id().expect("running") as i32;
    // SAFETY: a plain signal to the process this test started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("replay ended at once")
        .expect("status");
    assert!(status.success(), "{status:?}");
    let rest = lines.next_line().await.expect("stdout").unwrap_or_default();
    assert_eq!(rest, "SIGINT: stopped; sent 1 of 3 packets");
    fresh.sync().await.expect("sync");
    assert!(!fresh.with_tree(|t| t.contains(7001)));
    fresh.quit(false).await.expect("quit");
    let _ = std::fs::remove_dir_all(&dir);
}
