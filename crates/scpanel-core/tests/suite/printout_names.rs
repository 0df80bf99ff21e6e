//! SynthDef names from the server's printout (issue 8, point 3): a group whose synths alone
//! overflow `/g_queryTree`'s 64 KiB reply can't name them over OSC. On a server scpanel
//! booted they come from `/g_dumpTree`'s printout; on one someone else booted they stay
//! unknown. Another client (a raw UDP socket, logged in) makes the synths, as sclang would.

use crate::common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::shapes;
use rosc::{OscMessage, OscPacket, OscType};
use scpanel_core::{ConnectOptions, Server, osc::bundle_of};
use tokio::net::UdpSocket;

/// A client of its own on the server: a UDP socket logged in with `/notify 1`.
struct Other {
    sock: UdpSocket,
    addr: SocketAddr,
    next_id: i32,
    sync: i32,
}

fn m(addr: &str, args: Vec<OscType>) -> OscMessage {
    OscMessage {
        addr: addr.into(),
        args,
    }
}

impl Other {
    async fn login(server: &Server) -> Other {
        let addr = common::connect_options(server).addr;
        let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        let mut other = Other {
            sock,
            addr,
            next_id: 0,
            sync: 0,
        };
        other
            .send(&OscPacket::Message(m("/notify", vec![OscType::Int(1)])))
            .await;
        let done = other
            .until(|msg| msg.addr == "/done" && msg.args.first() == Some(&"/notify".into()))
            .await;
        let Some(OscType::Int(client)) = done.args.get(1) else {
            panic!("no client id: {done:?}");
        };
        other.next_id = (client << 26) + 50_000;
        other
    }

    async fn send(&self, p: &OscPacket) {
        let bytes = rosc::encoder::encode(p).expect("encode");
        self.sock.send_to(&bytes, self.addr).await.expect("send");
    }

    /// Waits for a message `pick` accepts (notifications meanwhile are skipped).
    async fn until(&self, pick: impl Fn(&OscMessage) -> bool) -> OscMessage {
        let mut buf = vec![0u8; 65_536];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let n = tokio::time::timeout_at(deadline, self.sock.recv(&mut buf))
                .await
                .expect("the server answered")
                .expect("recv");
            let Ok((_, packet)) = rosc::decoder::decode_udp(&buf[..n]) else {
                continue;
            };
            let mut stack = vec![packet];
            while let Some(p) = stack.pop() {
                match p {
                    OscPacket::Message(msg) if pick(&msg) => return msg,
                    OscPacket::Message(_) => {}
                    OscPacket::Bundle(b) => stack.extend(b.content),
                }
            }
        }
    }

    /// Sends `msgs` in bundles, each followed by `/sync`, and waits until all are done. Small
    /// bundles: each node made sends this client a notification, and more than the socket's
    /// receive buffer holds would drop the `/synced`.
    async fn run(&mut self, msgs: Vec<OscMessage>) {
        for chunk in msgs.chunks(100) {
            self.send(&bundle_of(chunk.to_vec())).await;
            self.sync += 1;
            let id = self.sync;
            self.send(&OscPacket::Message(m("/sync", vec![OscType::Int(id)])))
                .await;
            self.until(|msg| msg.addr == "/synced" && msg.args.first() == Some(&OscType::Int(id)))
                .await;
        }
    }

    fn id(&mut self) -> i32 {
        self.next_id += 1;
        self.next_id
    }

    /// A group at the tail of group 1 (paused when asked) holding `n` paused synths of
    /// `def`: returns the group and the synths.
    async fn flat_group(&mut self, n: usize, def: &str, paused: bool) -> (i32, Vec<i32>) {
        let group = self.id();
        let mut msgs = vec![m(
            "/g_new",
            vec![OscType::Int(group), OscType::Int(1), OscType::Int(1)],
        )];
        if paused {
            msgs.push(m("/n_run", vec![OscType::Int(group), OscType::Int(0)]));
        }
        let mut synths = Vec::with_capacity(n);
        for _ in 0..n {
            let s = self.id();
            synths.push(s);
            msgs.push(m(
                "/s_new",
                vec![
                    OscType::String(def.into()),
                    OscType::Int(s),
                    OscType::Int(1),
                    OscType::Int(group),
                ],
            ));
            // Paused synths still print; they just cost the audio thread nothing.
            msgs.push(m("/n_run", vec![OscType::Int(s), OscType::Int(0)]));
        }
        self.run(msgs).await;
        (group, synths)
    }
}

fn named(tree: &scpanel_core::NodeTree, ids: &[i32], def: &str) -> usize {
    ids.iter()
        .filter(|id| tree.get(**id).and_then(|n| n.def_name()) == Some(def))
        .count()
}

fn printout_lines_in_log(server: &Server) -> usize {
    server.with_log(|l| {
        l.lines()
            .filter(|l| scpanel_core::machine::is_printout_line(&l.text))
            .count()
    })
}

fn printout_notes(server: &Server) -> usize {
    server.with_log(|l| {
        l.lines()
            .filter(|l| {
                l.text
                    .starts_with("node names read from the server's printout")
            })
            .count()
    })
}

/// Waits until `f` holds of the live mirror, failing after 20 s.
async fn until_mirror(server: &Server, what: &str, f: impl Fn(&scpanel_core::NodeTree) -> bool) {
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !server.with_tree(&f) {
        tokio::time::timeout_at(deadline, changes.changed())
            .await
            .unwrap_or_else(|_| panic!("{what}: not within 20 s"))
            .expect("server handle alive");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booted_server_names_3000_synths_another_client_made_from_its_printout() {
    let owner = common::boot(shapes::big(common::options())).await;
    owner
        .synthdefs()
        .send_builtin(shapes::LONG_DEF)
        .await
        .expect("SynthDef");
    let log_before = owner.with_log(|l| l.total);
    let mut other = Other::login(&owner).await;
    let (group, synths) = other.flat_group(3000, shapes::LONG_DEF, false).await;

    // The live mirror: the group's /g_queryTree overflows (3,000 × 24 bytes), so its names
    // come from the printout.
    until_mirror(&owner, "the mirror names all 3,000", |t| {
        named(t, &synths, shapes::LONG_DEF) == synths.len()
    })
    .await;
    assert_eq!(owner.with_tree(|t| t.children(group).count()), 3000);

    // A fresh read names them all (the mirror's names, or a printout of its own).
    let read = owner.read_tree(0, false).await.expect("read");
    assert!(read.is_complete(), "{:?}", read.unlisted);
    assert_eq!(named(&read.tree, &synths, shapes::LONG_DEF), 3000);

    // The printout itself, timed.
    let t = Instant::now();
    let names = owner.nodes().names_from_printout(&synths).await;
    println!(
        "printout names for 3,000 synths in {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(names.len(), 3000);
    assert!(names.values().all(|n| n == shapes::LONG_DEF));

    // The log holds notes, not the printouts: each was thousands of lines.
    assert_eq!(printout_lines_in_log(&owner), 0);
    assert!(printout_notes(&owner) >= 1);
    // Each printout was read whole: none of it came after its reading ended.
    let late = owner.with_log(|l| {
        l.lines()
            .filter(|l| l.text.contains("came after it was read"))
            .count()
    });
    assert_eq!(late, 0);
    let grew = owner.with_log(|l| l.total) - log_before;
    assert!(grew < 100, "the log grew by {grew} lines");
    let note = owner.with_log(|l| {
        l.lines()
            .filter(|l| l.text.starts_with("node names read"))
            .last()
            .map(|l| l.text.clone())
    });
    println!("log: {note:?}");

    // A guest on the same server (someone else booted it): no printout to read, names
    // stay unknown, as the UI and the CLI say.
    let guest = Server::new();
    guest
        .connect(ConnectOptions::new(common::connect_options(&owner).addr))
        .await
        .expect("join");
    let read = guest.read_tree(0, false).await.expect("guest read");
    assert!(read.is_complete());
    assert_eq!(read.named_from_printout, 0);
    let mine: HashSet<i32> = synths.iter().copied().collect();
    let unknown = read
        .tree
        .nodes()
        .filter(|n| mine.contains(&n.id) && n.def_name().is_none())
        .count();
    assert_eq!(unknown, 3000, "a guest can't name them");
    assert!(guest.nodes().names_from_printout(&synths).await.is_empty());
    guest.disconnect().await.expect("disconnect");
    owner.quit(false).await.expect("quit");
}

/// scsynth's printout skips the children of a paused group. Synths below a group the
/// mirror knows is paused are not asked for: their names stay unknown and the read does not
/// wait for lines that never come. Once the group runs again they are named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synths_in_a_paused_group_stay_unknown_until_it_runs() {
    let owner = common::boot(shapes::big(common::options())).await;
    owner
        .synthdefs()
        .send_builtin(shapes::LONG_DEF)
        .await
        .expect("SynthDef");
    let mut other = Other::login(&owner).await;
    let (group, synths) = other.flat_group(3000, shapes::LONG_DEF, true).await;
    until_mirror(
        &owner,
        "the mirror has the group paused with its synths",
        |t| {
            t.get(group).is_some_and(|g| g.paused == Some(true))
                && t.children(group).count() == 3000
        },
    )
    .await;
    let notes_before = printout_notes(&owner);

    let t = Instant::now();
    let read = owner.read_tree(0, false).await.expect("read");
    let took = t.elapsed();
    assert!(read.is_complete(), "{:?}", read.unlisted);
    assert_eq!(read.named_from_printout, 0);
    // While the group was small the mirror read its names over OSC; the rest it can't.
    let unknown = synths.len() - named(&read.tree, &synths, shapes::LONG_DEF);
    println!(
        "read with 3,000 synths in a paused group: {:.1} ms, {unknown} left without a name",
        took.as_secs_f64() * 1000.0
    );
    assert!(unknown > 0, "the group's listing overflowed");
    assert!(owner.nodes().names_from_printout(&synths).await.is_empty());
    // No printout was asked for at all: it would not show them.
    assert_eq!(printout_notes(&owner), notes_before);

    // Running again, the group prints whole.
    owner.nodes().resume(group).await.expect("run");
    until_mirror(&owner, "the mirror has the group running", |t| {
        t.get(group).is_some_and(|g| g.paused == Some(false))
    })
    .await;
    let read = owner.read_tree(0, false).await.expect("read");
    assert_eq!(named(&read.tree, &synths, shapes::LONG_DEF), 3000);
    assert_eq!(printout_lines_in_log(&owner), 0);
    owner.quit(false).await.expect("quit");
}
