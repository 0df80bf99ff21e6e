//! The live tree mirror under notifications that are lost, duplicated, reordered or hostile:
//! seeded random runs against a model of scsynth's tree, a scripted fake server for the
//! sequences a real one can't be made to send, and a real scsynth for the reconcile.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rosc::{OscMessage, OscPacket, OscType};
use scpanel_core::{ConnectOptions, NodeTree, Server};

fn i(v: i32) -> OscType {
    OscType::Int(v)
}

fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
    OscMessage {
        addr: addr.into(),
        args,
    }
}

/// xorshift64*: deterministic runs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// scsynth's tree as the server holds it, and the notifications it sends for each change.
struct Model {
    parent: HashMap<i32, i32>,
    /// Children in order, for every group (the root included).
    kids: HashMap<i32, Vec<i32>>,
    paused: HashSet<i32>,
    next_id: i32,
    freed: Vec<i32>,
}

impl Model {
    fn new() -> Self {
        Model {
            parent: HashMap::new(),
            kids: HashMap::from([(0, Vec::new())]),
            paused: HashSet::new(),
            next_id: 1000,
            freed: Vec::new(),
        }
    }

    fn nodes(&self) -> Vec<i32> {
        let mut v: Vec<i32> = self.parent.keys().copied().collect();
        v.sort_unstable();
        v
    }

    fn is_group(&self, id: i32) -> bool {
        self.kids.contains_key(&id)
    }

    fn note(&self, addr: &str, id: i32) -> OscMessage {
        let p = self.parent[&id];
        let sibs = &self.kids[&p];
        let at = sibs.iter().position(|&s| s == id).unwrap();
        let prev = if at == 0 { -1 } else { sibs[at - 1] };
        let next = sibs.get(at + 1).copied().unwrap_or(-1);
        let mut args = vec![i(id), i(p), i(prev), i(next), i(self.is_group(id) as i32)];
        if let Some(k) = self.kids.get(&id) {
            args.push(i(k.first().copied().unwrap_or(-1)));
            args.push(i(k.last().copied().unwrap_or(-1)));
        }
        msg(addr, args)
    }

    fn within(&self, id: i32, ancestor: i32) -> bool {
        let mut at = id;
        loop {
            if at == ancestor {
                return true;
            }
            match self.parent.get(&at) {
                Some(&p) => at = p,
                None => return false,
            }
        }
    }

    /// Where a node goes for a target and an add action (0 head, 1 tail, 2 before, 3 after).
    fn place(&mut self, id: i32, target: i32, action: usize) {
        let (parent, index) = match action {
            0 => (target, 0),
            1 => (target, self.kids[&target].len()),
            _ => {
                let p = self.parent[&target];
                let at = self.kids[&p].iter().position(|&s| s == target).unwrap();
                (p, if action == 2 { at } else { at + 1 })
            }
        };
        self.kids.get_mut(&parent).unwrap().insert(index, id);
        self.parent.insert(id, parent);
    }

    fn pick_target(&mut self, rng: &mut Rng) -> (i32, usize) {
        let nodes = self.nodes();
        let target = if nodes.is_empty() || rng.chance(25) {
            0
        } else {
            nodes[rng.below(nodes.len())]
        };
        let action = match (target, self.is_group(target)) {
            (0, _) => rng.below(2),
            (_, true) => rng.below(4),
            (_, false) => 2 + rng.below(2),
        };
        (target, action)
    }

    /// One random change; returns the notifications scsynth sends for it, in order.
    fn step(&mut self, rng: &mut Rng) -> Vec<OscMessage> {
        let nodes = self.nodes();
        let roll = rng.below(100);
        if nodes.is_empty() || roll < 40 {
            let id = if !self.freed.is_empty() && rng.chance(15) {
                self.freed.swap_remove(rng.below(self.freed.len()))
            } else {
                self.next_id += 1;
                self.next_id
            };
            let (target, action) = self.pick_target(rng);
            if rng.chance(40) {
                self.kids.insert(id, Vec::new());
            }
            self.place(id, target, action);
            return vec![self.note("/n_go", id)];
        }
        let id = nodes[rng.below(nodes.len())];
        if roll < 65 {
            let mut out = Vec::new();
            self.free(id, true, &mut out);
            return out;
        }
        if roll < 85 {
            let (target, action) = self.pick_target(rng);
            if target == id || self.within(target, id) || (action >= 2 && target == 0) {
                return Vec::new();
            }
            let p = self.parent[&id];
            self.kids.get_mut(&p).unwrap().retain(|&s| s != id);
            self.place(id, target, action);
            return vec![self.note("/n_move", id)];
        }
        let addr = if self.paused.insert(id) {
            "/n_off"
        } else {
            self.paused.remove(&id);
            "/n_on"
        };
        vec![self.note(addr, id)]
    }

    /// As scsynth 3.13 frees a group: its children first, head first, each reported in no
    /// group (parent, prev and next -1), then the group itself where it was.
    fn free(&mut self, id: i32, top: bool, out: &mut Vec<OscMessage>) {
        while let Some(&child) = self.kids.get(&id).and_then(|k| k.first()) {
            self.free(child, false, out);
        }
        if top {
            out.push(self.note("/n_end", id));
        } else {
            let group = self.is_group(id) as i32;
            out.push(msg("/n_end", vec![i(id), i(-1), i(-1), i(-1), i(group)]));
        }
        let p = self.parent.remove(&id).unwrap();
        self.kids.get_mut(&p).unwrap().retain(|&s| s != id);
        self.kids.remove(&id);
        self.paused.remove(&id);
        self.freed.push(id);
    }

    /// `/g_queryTree.reply 0 0 …` for the whole tree, as scsynth builds it.
    fn reply(&self) -> OscMessage {
        let mut args = vec![i(0), i(0), i(self.kids[&0].len() as i32)];
        let mut stack: Vec<i32> = self.kids[&0].iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            match self.kids.get(&id) {
                Some(k) => {
                    args.extend([i(id), i(k.len() as i32)]);
                    stack.extend(k.iter().rev());
                }
                None => args.extend([i(id), i(-1), OscType::String("sine".into())]),
            }
        }
        msg("/g_queryTree.reply", args)
    }

    /// (id, parent, is group) depth-first: what a mirror must match.
    fn shape(&self) -> Vec<(i32, i32, bool)> {
        let mut out = Vec::new();
        let mut stack: Vec<i32> = self.kids[&0].iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            out.push((id, self.parent[&id], self.is_group(id)));
            if let Some(k) = self.kids.get(&id) {
                stack.extend(k.iter().rev());
            }
        }
        out
    }

    fn counts(&self) -> (i32, i32) {
        let groups = self.kids.len() as i32;
        (self.parent.len() as i32 + 1 - groups, groups)
    }
}

fn shape(t: &NodeTree) -> Vec<(i32, i32, bool)> {
    let mut out = Vec::new();
    t.walk(|_, n| out.push((n.id, n.parent, n.is_group())));
    out
}

/// Whatever it was sent, the mirror is a tree: walks end, reach every node once, and every
/// child list agrees with its nodes' parents.
fn assert_is_a_tree(t: &NodeTree, context: &str) {
    let ids = t.ids();
    let unique: HashSet<i32> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "{context}: a node reached twice");
    assert_eq!(ids.len() + 1, t.len(), "{context}: a node not reached");
    let mut listed = 0;
    for n in t.nodes().filter(|n| n.is_group()) {
        for c in t.children(n.id) {
            assert_eq!(c.parent, n.id, "{context}: {} listed under {}", c.id, n.id);
            listed += 1;
        }
    }
    assert_eq!(
        listed + 1,
        t.len(),
        "{context}: child lists disagree with the nodes"
    );
    let text = t.to_text(false);
    assert_eq!(text.lines().count(), t.len(), "{context}: tree text");
    // Staleness has a cause the mirror can name: a notification it refused (counted), or
    // polled counts that disagreed. A broken link can't be it: the walks above were whole.
    if let Some(why) = t.stale() {
        assert!(!why.trim().is_empty(), "{context}: stale without a reason");
        assert!(
            !why.contains("broken link"),
            "{context}: the mirror saw a broken link the walks above did not: {why}"
        );
        assert!(
            t.rejected() > 0 || why.starts_with("the server counts"),
            "{context}: stale ({why}) though nothing was refused and no counts disagreed"
        );
    }
}

/// Delivers `notes` with losses, duplicates and swaps of neighbours.
fn deliver(rng: &mut Rng, notes: Vec<OscMessage>, faults: bool) -> Vec<OscMessage> {
    if !faults {
        return notes;
    }
    let mut out: Vec<OscMessage> = Vec::new();
    for m in notes {
        match rng.below(100) {
            0..=5 => {}
            6..=11 => {
                out.push(m.clone());
                out.push(m);
            }
            12..=16 if !out.is_empty() => {
                let last = out.len() - 1;
                out.insert(last, m);
            }
            _ => out.push(m),
        }
    }
    out
}

#[test]
fn a_mirror_fed_every_notification_matches_the_server_and_is_never_stale() {
    for seed in 1..=40u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut model = Model::new();
        let mut mirror = NodeTree::new(0);
        for step in 0..400 {
            for m in model.step(&mut rng) {
                mirror.apply(&m);
                assert!(
                    !mirror.is_stale(),
                    "seed {seed} step {step}: {m:?} made the mirror stale: {:?}",
                    mirror.stale()
                );
            }
            assert_eq!(shape(&mirror), model.shape(), "seed {seed} step {step}");
            let (s, g) = model.counts();
            assert!(!mirror.check_counts(s, g) && !mirror.is_stale());
        }
        assert_is_a_tree(&mirror, &format!("seed {seed}"));
    }
}

#[test]
fn lost_duplicated_and_reordered_notifications_never_corrupt_the_mirror() {
    let mut stale_runs = 0;
    for seed in 1..=200u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut model = Model::new();
        let mut mirror = NodeTree::new(0);
        for step in 0..300 {
            let notes = model.step(&mut rng);
            for m in deliver(&mut rng, notes, true) {
                mirror.apply(&m);
            }
            assert_is_a_tree(&mirror, &format!("seed {seed} step {step}"));
        }
        // The reconcile: two polls whose counts disagree make it stale.
        let (s, g) = model.counts();
        mirror.check_counts(s, g);
        mirror.check_counts(s, g);
        let differs = shape(&mirror) != model.shape();
        if mirror.is_stale() {
            stale_runs += 1;
        }
        let counts_differ = {
            let (ms, mg) = mirror.counts();
            (ms as i32, mg as i32) != (s, g)
        };
        assert!(
            !counts_differ || mirror.is_stale(),
            "seed {seed}: counts differ but the mirror is not stale"
        );
        // Reading again restores it exactly.
        let mut fresh = NodeTree::from_query_reply(&model.reply()).unwrap();
        fresh.carry_over(&mirror);
        assert_eq!(
            shape(&fresh),
            model.shape(),
            "seed {seed} (differed: {differs})"
        );
        assert!(!fresh.is_stale(), "seed {seed}: {:?}", fresh.stale());
        assert_is_a_tree(&fresh, &format!("seed {seed} re-read"));
    }
    // With 6 % lost, nearly every run of 300 changes notices something.
    assert!(
        stale_runs > 150,
        "only {stale_runs} of 200 faulty runs went stale"
    );
}

#[test]
fn notifications_that_come_during_a_re_read_are_replayed_onto_it() {
    let mut exact = 0;
    for seed in 1..=200u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut model = Model::new();
        let mut mirror = NodeTree::new(0);
        for _ in 0..100 {
            for m in model.step(&mut rng) {
                mirror.apply(&m);
            }
        }
        // The re-read begins; the server answers after some changes, more come after.
        let mut fresh = NodeTree::new(0);
        for _ in 0..rng.below(20) {
            for m in model.step(&mut rng) {
                mirror.apply(&m);
            }
        }
        let snapshot = model.reply();
        for _ in 0..rng.below(20) {
            for m in model.step(&mut rng) {
                mirror.apply(&m);
            }
        }
        fresh.graft(0, &NodeTree::from_query_reply(&snapshot).unwrap());
        fresh.carry_over(&mirror);
        assert_is_a_tree(&fresh, &format!("seed {seed}"));
        if shape(&fresh) == model.shape() {
            exact += 1;
        } else {
            assert!(
                fresh.is_stale(),
                "seed {seed}: the re-read tree differs and does not know it"
            );
        }
    }
    assert!(exact > 150, "only {exact} of 200 re-reads came out exact");
}

#[test]
fn the_issues_poisoning_sequence_links_nothing_wrong() {
    let mut t = NodeTree::new(0);
    for m in poison() {
        t.apply(&m);
        assert_is_a_tree(&t, &format!("{m:?}"));
    }
    assert_eq!(t.ids(), [1, 9]);
    assert!(t.stale().unwrap().contains("its own parent"));
}

#[test]
fn hostile_shapes_are_refused() {
    let note = |addr: &str, id, parent, prev, next, group: bool| {
        msg(
            addr,
            vec![i(id), i(parent), i(prev), i(next), i(group as i32)],
        )
    };
    let setup = || {
        let mut t = NodeTree::new(0);
        for m in [
            note("/n_go", 1, 0, -1, -1, true),
            note("/n_go", 2, 1, -1, -1, true),
            note("/n_go", 3, 2, -1, -1, false),
            note("/n_go", 4, 1, 2, -1, false),
        ] {
            t.apply(&m);
        }
        assert!(!t.is_stale());
        t
    };
    let cases = [
        ("its own ancestor", note("/n_move", 1, 2, -1, -1, true)),
        ("its own sibling", note("/n_move", 4, 1, 4, -1, false)),
        ("under a synth", note("/n_go", 5, 3, -1, -1, false)),
        ("unknown parent", note("/n_go", 5, 77, -1, -1, false)),
        ("placed elsewhere", note("/n_go", 3, 1, 4, -1, false)),
        ("prev not beside next", note("/n_go", 5, 1, -1, 4, false)),
        ("prev in another group", note("/n_go", 5, 1, 3, -1, false)),
        ("root moved", note("/n_move", 0, 1, -1, -1, true)),
        (
            "move of an unknown node",
            note("/n_move", 50, 1, -1, -1, false),
        ),
    ];
    for (what, m) in cases {
        let mut t = setup();
        let before = shape(&t);
        t.apply(&m);
        assert!(t.is_stale(), "{what}: not noticed");
        assert_eq!(shape(&t), before, "{what}: linked in anyway");
        assert_is_a_tree(&t, what);
    }
    // A tree read with an id twice keeps the first.
    let twice = msg(
        "/g_queryTree.reply",
        vec![i(0), i(0), i(2), i(1), i(1), i(1), i(0), i(7), i(0)],
    );
    assert!(NodeTree::from_query_reply(&twice).is_err());
    let mut t = setup();
    t.push_child(
        2,
        scpanel_core::Node::new(1, 2, scpanel_core::NodeKind::Group),
    );
    assert!(t.is_stale());
    assert_is_a_tree(&t, "push_child of an ancestor");
}

#[test]
fn tree_text_of_a_6000_deep_chain_is_linear() {
    let mut t = NodeTree::new(0);
    for d in 1..=6000 {
        t.push_child(
            d - 1,
            scpanel_core::Node::new(d, d - 1, scpanel_core::NodeKind::Group),
        );
    }
    assert!(!t.is_stale());
    let text = t.to_text(false);
    assert_eq!(text.lines().count(), 6001);
    assert!(text.len() < 1_200_000, "{} bytes", text.len());
    assert!(
        text.contains("[depth 6000] 6000 group\n"),
        "{}",
        &text[text.len() - 200..]
    );
    // Shallow rows keep supriya's indentation.
    assert!(text.starts_with("NODE TREE 0 group\n    1 group\n        2 group\n"));
}

#[test]
fn control_characters_from_the_server_are_escaped_in_tree_text() {
    let reply = msg(
        "/g_queryTree.reply",
        vec![
            i(1),
            i(0),
            i(1),
            i(1000),
            i(-1),
            OscType::String("evil\x1b]0;pwned\x07\n1001 fake".into()),
            i(1),
            OscType::String("fr\req".into()),
            OscType::String("c\x1b[2J".into()),
        ],
    );
    let text = NodeTree::from_query_reply(&reply).unwrap().to_text(true);
    assert_eq!(
        text,
        "NODE TREE 0 group\n    1000 evil\\e]0;pwned\\x07\\n1001 fake\n        fr\\req: c\\e[2J\n"
    );
}

fn poison() -> Vec<OscMessage> {
    vec![
        msg("/n_go", vec![i(1), i(0), i(-1), i(-1), i(1)]),
        msg("/n_go", vec![i(9), i(9), i(-1), i(-1), i(0)]),
        msg("/n_end", vec![i(9), i(9), i(-1), i(-1), i(0)]),
        msg("/n_go", vec![i(9), i(0), i(1), i(-1), i(0)]),
    ]
}

/// A scripted server: answers `/status`, `/g_queryTree`, `/sync`, `/version` from its tree,
/// `0 { }` or, once `full`, `0 { 1 { hidden synths }, 9 sine }`, counting tree queries.
struct FakeServer {
    addr: SocketAddr,
    socket: Arc<tokio::net::UdpSocket>,
    client: Arc<tokio::sync::Mutex<Option<SocketAddr>>>,
    tree_queries: Arc<AtomicUsize>,
    full: Arc<AtomicBool>,
    /// Leaves `/g_queryTree` unanswered.
    mute_tree: Arc<AtomicBool>,
    /// Synths under group 1 that no notification announced.
    hidden: Arc<AtomicUsize>,
}

/// The SynthDef name the fake gives synth 9.
const SINE: &str = "sine";

impl FakeServer {
    async fn start() -> FakeServer {
        FakeServer::start_with(SINE).await
    }

    async fn start_with(def: &'static str) -> FakeServer {
        let socket = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let fake = FakeServer {
            addr: socket.local_addr().unwrap(),
            socket: socket.clone(),
            client: Arc::default(),
            tree_queries: Arc::default(),
            full: Arc::default(),
            mute_tree: Arc::default(),
            hidden: Arc::default(),
        };
        let (client, queries, full, hidden, mute_tree) = (
            fake.client.clone(),
            fake.tree_queries.clone(),
            fake.full.clone(),
            fake.hidden.clone(),
            fake.mute_tree.clone(),
        );
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                *client.lock().await = Some(from);
                let Ok((_, packet)) = rosc::decoder::decode_udp(&buf[..n]) else {
                    continue;
                };
                let mut todo = vec![packet];
                let mut messages = Vec::new();
                while let Some(p) = todo.pop() {
                    match p {
                        OscPacket::Message(m) => messages.push(m),
                        OscPacket::Bundle(b) => todo.extend(b.content.into_iter().rev()),
                    }
                }
                for m in messages {
                    let full = full.load(Ordering::SeqCst);
                    let hidden = hidden.load(Ordering::SeqCst) as i32;
                    let reply = match m.addr.as_str() {
                        "/status" => msg(
                            "/status.reply",
                            vec![
                                i(1),
                                i(0),
                                i(full as i32 + hidden),
                                i(1 + full as i32),
                                i(0),
                                OscType::Float(0.0),
                                OscType::Float(0.0),
                                OscType::Double(48000.0),
                                OscType::Double(48000.0),
                            ],
                        ),
                        "/g_queryTree" if mute_tree.load(Ordering::SeqCst) => continue,
                        "/g_queryTree" => {
                            queries.fetch_add(1, Ordering::SeqCst);
                            fake_tree_reply(m.args.first(), full, hidden, def)
                        }
                        "/sync" => msg("/synced", m.args.clone()),
                        "/version" => msg(
                            "/version.reply",
                            vec![
                                OscType::String("scsynth".into()),
                                i(3),
                                i(13),
                                OscType::String(".0".into()),
                                OscType::String("fake".into()),
                                OscType::String("0".into()),
                            ],
                        ),
                        _ => continue,
                    };
                    let bytes = rosc::encoder::encode(&OscPacket::Message(reply)).unwrap();
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        fake
    }

    async fn send(&self, m: OscMessage) {
        let to = self.client.lock().await.expect("the client has spoken");
        let bytes = rosc::encoder::encode(&OscPacket::Message(m)).unwrap();
        self.socket.send_to(&bytes, to).await.unwrap();
    }
}

fn sine(id: i32) -> [OscType; 3] {
    synth(id, SINE)
}

fn synth(id: i32, def: &str) -> [OscType; 3] {
    [i(id), i(-1), OscType::String(def.into())]
}

fn fake_tree_reply(group: Option<&OscType>, full: bool, hidden: i32, def: &str) -> OscMessage {
    let hidden_synths = (0..hidden).flat_map(|h| sine(100 + h));
    let args: Vec<OscType> = match group {
        _ if !full => vec![i(0), i(0), i(0)],
        Some(OscType::Int(1)) => [i(0), i(1), i(hidden)]
            .into_iter()
            .chain(hidden_synths)
            .collect(),
        _ => [i(0), i(0), i(2), i(1), i(hidden)]
            .into_iter()
            .chain(hidden_synths)
            .chain(synth(9, def))
            .collect(),
    };
    msg("/g_queryTree.reply", args)
}

/// Waits, by the server's change counter, until `done` holds.
async fn until(server: &Server, what: &str, mut done: impl FnMut(&Server) -> bool) {
    let mut changes = server.watch_changes();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(server) {
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            panic!("{what}: not within 10 s");
        }
    }
}

fn logged(server: &Server, text: &str) -> bool {
    server.with_log(|l| l.lines().any(|line| line.text.contains(text)))
}

#[tokio::test]
async fn a_poisoning_sequence_from_a_server_makes_the_mirror_read_again() {
    let fake = FakeServer::start().await;
    let server = Server::new();
    let mut options = ConnectOptions::new(fake.addr);
    options.login = false;
    server.connect(options).await.expect("connect to the fake");
    assert!(server.with_tree(|t| t.ids()).is_empty());
    // The server sends what the issue found, and its tree becomes 0 { 1, 9 }.
    fake.full.store(true, Ordering::SeqCst);
    for m in poison() {
        fake.send(m).await;
    }
    until(&server, "the mirror notices", |s| {
        logged(
            s,
            "reading the node tree again: node 9 would be its own parent",
        )
    })
    .await;
    until(&server, "the re-read lands", |s| {
        s.with_tree(|t| !t.is_stale() && t.ids() == [1, 9])
    })
    .await;
    let text = server.with_tree(|t| t.to_text(false));
    assert_eq!(text, "NODE TREE 0 group\n    1 group\n    9 sine\n");
    let _ = server.disconnect().await;
}

#[tokio::test]
async fn counts_that_disagree_twice_make_the_mirror_read_again() {
    let fake = FakeServer::start().await;
    let server = Server::new();
    let mut options = ConnectOptions::new(fake.addr);
    options.login = false;
    fake.full.store(true, Ordering::SeqCst);
    server.connect(options).await.expect("connect to the fake");
    assert_eq!(server.with_tree(|t| t.ids()), [1, 9]);
    server.set_poll_interval(Duration::from_millis(50));
    let before = fake.tree_queries.load(Ordering::SeqCst);
    // Three synths appear under group 1 with no notification.
    fake.hidden.store(3, Ordering::SeqCst);
    until(&server, "the reconcile re-reads", |s| {
        s.with_tree(|t| t.children(1).count() == 3 && !t.is_stale())
    })
    .await;
    assert!(fake.tree_queries.load(Ordering::SeqCst) > before);
    assert!(logged(
        &server,
        "the server counts 4 synths and 2 groups, the mirror 1 and 2"
    ));
    let _ = server.disconnect().await;
}

fn supernova_options() -> scpanel_core::Options {
    let mut o = common::options();
    let path = std::env::var_os("PATH").expect("PATH");
    o.executable = Some(
        std::env::split_paths(&path)
            .map(|d| d.join("supernova"))
            .find(|p| p.is_file())
            .expect("supernova is installed by scripts/test.sh (supercollider-supernova)"),
    );
    o
}

/// The server's tree. supernova 3.13 now and then answers `/g_queryTree` with child counts
/// that don't match the nodes listed (seen after moves across groups): ask again.
async fn read_truth(server: &Server) -> NodeTree {
    let mut last = None;
    for _ in 0..5 {
        match server.query_tree(false).await {
            Ok(t) => return t,
            Err(e) => last = Some(e),
        }
    }
    panic!("no readable tree in 5 tries: {last:?}");
}

fn packet(addr: &str, args: Vec<OscType>) -> OscPacket {
    OscPacket::Message(msg(addr, args))
}

/// Random creations, moves, pauses and frees (groups with their children too) on a real
/// server: the mirror, fed only by notifications, follows exactly. On scsynth it never turns
/// stale. supernova 3.13 names a moved node's old group in `/n_move` with its new neighbours:
/// such a move can't be placed, so the mirror reads the tree again, and still ends exact.
async fn mirror_follows(options: scpanel_core::Options, trusted: bool) {
    let rounds = if trusted { 25 } else { 10 };
    let server = common::boot(options).await;
    server
        .add_synth(
            "default",
            1,
            scpanel_core::AddAction::AddToHead,
            &[("amp", 0.0)],
        )
        .await
        .unwrap();
    let mut rng = Rng(0x5eed_0001);

    let mut live: Vec<i32> = vec![1];
    let mut groups: Vec<i32> = vec![1];
    let mut next = 100_000;
    for round in 0..rounds {
        for _ in 0..12 {
            let roll = rng.below(100);
            let target = live[rng.below(live.len())];
            // Group 1 stays: everything else is built under it.
            let id = if live.len() > 1 {
                live[1 + rng.below(live.len() - 1)]
            } else {
                1
            };
            let target_is_group = groups.contains(&target);
            if roll < 45 || live.len() < 4 {
                next += 1;
                let action = if target_is_group {
                    rng.below(4)
                } else {
                    2 + rng.below(2)
                };
                let p = if live.len() < 40 && rng.chance(50) {
                    groups.push(next);
                    packet("/g_new", vec![i(next), i(action as i32), i(target)])
                } else {
                    packet(
                        "/s_new",
                        vec![
                            OscType::String("default".into()),
                            i(next),
                            i(action as i32),
                            i(target),
                            OscType::String("amp".into()),
                            OscType::Float(0.0),
                        ],
                    )
                };
                server.send(p).await.unwrap();
                live.push(next);
            } else if roll < 70 {
                server.send(packet("/n_free", vec![i(id)])).await.unwrap();
                // Whatever was under it went with it.
                server.sync().await.unwrap();
                let present: HashSet<i32> = read_truth(&server).await.ids().into_iter().collect();
                live.retain(|n| present.contains(n));
                groups.retain(|n| present.contains(n));
            } else if roll < 90 {
                // scsynth 3.13 detaches a node moved beside itself (see above), and nothing
                // stops a group moving into its own subtree: keep to moves a client should make.
                let truth = read_truth(&server).await;
                let mut at = target;
                let mut inside = false;
                while let Some(n) = truth.get(at) {
                    inside |= at == id;
                    at = n.parent;
                }
                if inside {
                    continue;
                }
                let (cmd, args) = match rng.below(4) {
                    0 => ("/n_before", vec![i(id), i(target)]),
                    1 => ("/n_after", vec![i(id), i(target)]),
                    2 if target_is_group => ("/g_head", vec![i(target), i(id)]),
                    _ if target_is_group => ("/g_tail", vec![i(target), i(id)]),
                    _ => ("/n_after", vec![i(id), i(target)]),
                };
                // The server refuses moves into a node's own subtree; that is fine here.
                server.send(packet(cmd, args)).await.unwrap();
            } else {
                server
                    .send(packet("/n_run", vec![i(id), i(rng.below(2) as i32)]))
                    .await
                    .unwrap();
            }
        }
        server.sync().await.unwrap();
        let truth = shape(&read_truth(&server).await);
        until(
            &server,
            &format!("round {round}: the mirror catches up"),
            |s| s.with_tree(|t| shape(t) == truth),
        )
        .await;
        if !trusted {
            until(&server, &format!("round {round}: re-read"), |s| {
                s.with_tree(|t| !t.is_stale() && shape(t) == truth)
            })
            .await;
            continue;
        }
        assert_eq!(server.with_tree(|t| t.stale()), None, "round {round}");
        assert_eq!(
            server.with_tree(|t| t.rejected()),
            0,
            "round {round}: {:?} {:?}",
            server.with_tree(|t| t.stale()),
            server.with_log(|l| l
                .lines()
                .filter(|l| l.text.contains("node"))
                .map(|l| l.text.clone())
                .collect::<Vec<_>>())
        );
    }
    assert_eq!(logged(&server, "reading the node tree again"), !trusted);
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_moved_beside_itself_on_scsynth_makes_the_mirror_read_again() {
    let server = common::boot(common::options()).await;
    for (id, action, target) in [(100, 1, 1), (101, 1, 1), (102, 0, 100)] {
        server
            .send(packet("/g_new", vec![i(id), i(action), i(target)]))
            .await
            .unwrap();
    }
    server.sync().await.unwrap();
    // scsynth answers this with `/n_move 100 -1 -1 -1`: a move into no group at all.
    server
        .send(packet("/n_after", vec![i(100), i(100)]))
        .await
        .unwrap();
    server.sync().await.unwrap();
    until(&server, "the mirror notices", |s| {
        logged(s, "reading the node tree again: node 100 is in group -1")
    })
    .await;
    let truth = server.query_tree(false).await.unwrap();
    assert!(
        !truth.contains(100),
        "scsynth has changed: {}",
        truth.to_text(false)
    );
    until(&server, "the re-read lands", |s| {
        s.with_tree(|t| shape(t) == shape(&truth) && !t.is_stale())
    })
    .await;
    // The server still counts the two groups that left its tree; reading again can't make
    // them appear, so the mirror does not keep trying.
    let status = server.status().await.unwrap();
    let (_, groups) = server.with_tree(|t| t.counts());
    assert_eq!(status.groups as usize, groups + 2);
    // The counts make it read once more (a second after the first), then it stops trying.
    server.set_poll_interval(Duration::from_millis(50));
    let polls = server.with_status_history(|h| h.len());
    until(&server, "two seconds of polls", |s| {
        s.with_status_history(|h| h.len()) >= polls + 40 && !s.with_tree(|t| t.is_stale())
    })
    .await;
    let rereads = |s: &Server| s.with_tree(|t| t.generation);
    let before = rereads(&server);
    let polls = server.with_status_history(|h| h.len());
    until(&server, "a dozen polls", |s| {
        s.with_status_history(|h| h.len()) >= polls + 12
    })
    .await;
    assert_eq!(server.with_tree(|t| t.stale()), None);
    assert_eq!(rereads(&server), before, "the tree was read again");
    server.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_follows_a_real_scsynth_exactly() {
    mirror_follows(common::options(), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mirror_follows_a_real_supernova_exactly() {
    mirror_follows(supernova_options(), false).await;
}

/// A client that watches without logging in gets no notifications: the `/status` counts are
/// what tell it the tree changed. Once caught up it stays quiet: the counts agree with ours.
async fn watcher_catches_up(options: scpanel_core::Options) {
    let owner = common::boot(options).await;
    let watcher = Server::new();
    let mut o = common::connect_options(&owner);
    o.login = false;
    watcher.connect(o).await.unwrap();
    watcher.set_poll_interval(Duration::from_millis(50));
    for _ in 0..4 {
        owner
            .add_group(1, scpanel_core::AddAction::AddToTail, false)
            .await
            .unwrap();
    }
    owner
        .add_synth(
            "default",
            1,
            scpanel_core::AddAction::AddToHead,
            &[("amp", 0.0)],
        )
        .await
        .unwrap();
    let truth = shape(&owner.query_tree(false).await.unwrap());
    until(&watcher, "the watcher re-reads", |s| {
        s.with_tree(|t| shape(t) == truth && !t.is_stale())
    })
    .await;
    assert!(logged(
        &watcher,
        "reading the node tree again: the server counts"
    ));
    // A dozen more polls: no further re-read.
    let rereads = |s: &Server| {
        s.with_log(|l| {
            l.lines()
                .filter(|l| l.text.contains("reading the node tree again"))
                .count()
        })
    };
    let before = rereads(&watcher);
    let polls = watcher.with_status_history(|h| h.len());
    until(&watcher, "a dozen polls", |s| {
        s.with_status_history(|h| h.len()) >= polls + 12
    })
    .await;
    assert_eq!(rereads(&watcher), before);
    assert!(!watcher.with_tree(|t| t.is_stale()));
    let _ = watcher.disconnect().await;
    owner.quit(false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_catches_up_with_scsynth_through_the_status_counts() {
    watcher_catches_up(common::options()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_catches_up_with_supernova_through_the_status_counts() {
    watcher_catches_up(supernova_options()).await;
}

#[tokio::test]
async fn scpanel_tree_escapes_what_the_server_names() {
    let fake = FakeServer::start_with("evil\x1b]0;owned\x07\x1b[2J").await;
    fake.full.store(true, Ordering::SeqCst);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
        .args(["tree", "--addr", &fake.addr.to_string()])
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert_eq!(
        text,
        "NODE TREE 0 group\n    1 group\n    9 evil\\e]0;owned\\x07\\e[2J\n"
    );
}

/// The window shows a hostile name as visible escapes, and says when its mirror is out of
/// step (here the server stops answering tree queries after sending the poisoning sequence).
#[test]
fn the_tree_panel_shows_escapes_and_an_out_of_step_mirror() {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use scpanel::gui::ScPanel;

    let rt = tokio::runtime::Runtime::new().unwrap();
    let fake = rt.block_on(FakeServer::start_with("evil\x1b[2J"));
    fake.full.store(true, Ordering::SeqCst);
    scpanel::gui::profiles::set_folder(
        std::env::temp_dir().join(format!("scpanel-gui-mirror-{}", std::process::id())),
    );
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(|_cc| ScPanel::new(scpanel_core::Options::default()).expect("app"));
    h.state_mut().connect.login = false;
    h.get_by_label("Connect to a server").click();
    h.run_steps(2);
    h.get_by_label("Server port").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Server port")
        .type_text(&fake.addr.port().to_string());
    h.run_steps(1);
    h.get_by_label("Connect").click();
    let step_until = |h: &mut Harness<'static, ScPanel>,
                      what: &str,
                      done: &dyn Fn(&Harness<'static, ScPanel>) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let mut changes = h.state().session().server.watch_changes();
        loop {
            h.step();
            if done(h) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for: {what}"
            );
            h.state().bridge.block_on(async {
                let _ = tokio::time::timeout(Duration::from_millis(50), changes.changed()).await;
            });
        }
    };
    step_until(&mut h, "online", &|h| {
        h.state().session().server.state().is_online()
    });
    common::gui::show_tab(&mut h, "Node tree");
    step_until(&mut h, "the escaped name", &|h| {
        h.query_by_label("9 evil\\e[2J").is_some()
    });
    // From now on the fake leaves tree queries unanswered: the mirror stays out of step.
    fake.mute_tree.store(true, Ordering::SeqCst);
    rt.block_on(async {
        for m in poison() {
            fake.send(m).await;
        }
    });
    step_until(&mut h, "the out-of-step note", &|h| {
        h.query_by_label("out of step: reading again").is_some()
    });
}
