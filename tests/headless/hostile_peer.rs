//! Faults a real scsynth can't be made to produce (malformed, hostile or oversized packets,
//! floods, a peer that stops reading), from scripted fake servers on local sockets; and the
//! network cases a real one can (IPv6, more replies than the client keeps), against scsynth;
//! and `localhost` as ::1, looked up by the scpanel binary in a private mount namespace whose
//! /etc/hosts says so (these fail, saying why, where `unshare` can't make one: run as root).

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};
use scpanel_core::internals::connection::Connection;
use scpanel_core::internals::packet_guard::{MAX_DEPTH, MAX_FRAME};
use scpanel_core::internals::protocol::{Expect, msg};
use scpanel_core::internals::transport::{self, QUEUE_PACKETS, Transport};
use scpanel_core::internals::{LossCounters, Shared};
use scpanel_core::{ConnectOptions, Protocol, Server, ServerState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

fn encode(m: OscMessage) -> Vec<u8> {
    rosc::encoder::encode(&OscPacket::Message(m)).unwrap()
}

fn status_reply() -> OscMessage {
    let i = OscType::Int;
    msg(
        "/status.reply",
        [
            i(1),
            i(0),
            i(0),
            i(1),
            i(0),
            OscType::Float(0.5),
            OscType::Float(0.5),
            OscType::Double(48000.0),
            OscType::Double(48000.0),
        ],
    )
}

/// `depth` bundles around one message, built by hand (rosc's own encoder would recurse).
fn nested_bundles(depth: usize) -> Vec<u8> {
    let mut p = encode(msg("/synced", [OscType::Int(99)]));
    for _ in 0..depth {
        let mut outer = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
        outer.extend_from_slice(&(p.len() as u32).to_be_bytes());
        outer.extend_from_slice(&p);
        p = outer;
    }
    p
}

/// A message whose only argument sits in `depth` nested arrays.
fn nested_arrays(depth: usize) -> Vec<u8> {
    let mut tags = String::from(",");
    tags.push_str(&"[".repeat(depth));
    tags.push('i');
    tags.push_str(&"]".repeat(depth));
    let mut out = Vec::new();
    for s in ["/n_go", tags.as_str()] {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }
    out.extend_from_slice(&5i32.to_be_bytes());
    out
}

fn n_go(id: i32) -> OscMessage {
    let i = OscType::Int;
    msg("/n_go", [i(id), i(0), i(-1), i(-1), i(0)])
}

/// Every hostile datagram of this file: each must be counted once and change nothing.
fn hostile_datagrams() -> Vec<Vec<u8>> {
    let i = OscType::Int;
    vec![
        // The issue's crash: 3,270 nested bundles in one datagram (~65 KB).
        nested_bundles(3270),
        // Just past the limit.
        nested_bundles(MAX_DEPTH + 1),
        // 30,000 nested arrays.
        nested_arrays(30_000),
        nested_arrays(MAX_DEPTH + 1),
        // Not OSC at all.
        b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
        vec![0xff; 100],
        // A bundle whose element claims more bytes than the datagram holds.
        {
            let mut b = nested_bundles(1);
            b[19] = 0xff;
            b
        },
        // Replies with arguments of the wrong type for their address.
        encode(msg(
            "/n_go",
            [i(7), OscType::String("0".into()), i(-1), i(-1), i(0)],
        )),
        encode(msg(
            "/n_go",
            [
                i(8),
                i(0),
                i(-1),
                i(-1),
                i(1),
                OscType::String("x".into()),
                i(-1),
            ],
        )),
        encode(msg("/synced", [OscType::Float(1.0)])),
        encode(msg("/status.reply", [i(1), i(2)])),
        encode(msg("/done", [i(3)])),
    ]
}

async fn fake_udp() -> (UdpSocket, SocketAddr) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    (sock, addr)
}

/// Answers one `/status` after sending `before` to the asker.
async fn answer_status_after(fake: &UdpSocket, before: &[Vec<u8>]) {
    let mut buf = vec![0u8; 65536];
    let (n, from) = fake.recv_from(&mut buf).await.unwrap();
    let (_, p) = rosc::decoder::decode_udp(&buf[..n]).unwrap();
    assert!(matches!(p, OscPacket::Message(m) if m.addr == "/status"));
    for b in before {
        fake.send_to(b, from).await.unwrap();
    }
    fake.send_to(&encode(status_reply()), from).await.unwrap();
}

async fn status_request(conn: &Connection) -> scpanel_core::Result<OscMessage> {
    conn.request(
        OscPacket::Message(msg("/status", [])),
        Expect::Address("/status.reply"),
        Duration::from_secs(3),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_udp_packets_are_counted_and_the_connection_keeps_working() {
    let shared = Arc::new(Shared::default());
    let (fake, addr) = fake_udp().await;
    let conn = open(&shared, addr, Protocol::Udp).await.unwrap();
    let hostile = hostile_datagrams();
    let (reply, ()) = tokio::join!(status_request(&conn), answer_status_after(&fake, &hostile));
    // The reply came after every hostile datagram, through the same queue: all were seen.
    reply.expect("the connection still answers");
    let losses = shared.losses.snapshot();
    assert_eq!(losses.malformed, hostile.len() as u64, "{losses:?}");
    assert_eq!(losses.dropped, 0);
    assert_eq!(
        shared.tree.lock().unwrap().len(),
        1,
        "no badly typed /n_go reached the tree"
    );
    let summary = losses.summary().unwrap();
    assert!(
        summary.starts_with(&format!("{} malformed packets ignored", hostile.len())),
        "{summary}"
    );
    let logged = shared
        .log
        .lock()
        .unwrap()
        .lines()
        .any(|l| l.text.contains("malformed packet"));
    assert!(logged, "the log says so");
}

/// Sends `packets` to the transport's reader in small bursts, each burst only once the
/// reader has taken the one before (queued or dropped), so the kernel drops none of them.
async fn feed_paced(
    fake: &UdpSocket,
    client: SocketAddr,
    packets: impl Iterator<Item = Vec<u8>>,
    rx: &transport::FeedReceiver,
    losses: &LossCounters,
) -> usize {
    let mut sent = 0;
    let mut packets = packets.peekable();
    while packets.peek().is_some() {
        for p in packets.by_ref().take(128) {
            fake.send_to(&p, client).await.unwrap();
            sent += 1;
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while rx.len() + losses.snapshot().dropped as usize != sent {
            assert!(Instant::now() < deadline, "the reader stopped");
            tokio::task::yield_now().await;
        }
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_the_dispatcher_cannot_keep_up_with_is_dropped_and_counted() {
    let (fake, addr) = fake_udp().await;
    let losses = Arc::new(LossCounters::default());
    // Nobody drains this queue: the dispatcher is as stuck as it can be.
    let (feed, rx) = transport::feed(losses.clone());
    let (t, _reader) = Transport::open(addr, Protocol::Udp, None, feed)
        .await
        .unwrap();
    let client = t.local_addr().unwrap();
    let extra = 1000;
    let sent = feed_paced(
        &fake,
        client,
        (0..QUEUE_PACKETS + extra).map(|id| encode(n_go(id as i32))),
        &rx,
        &losses,
    )
    .await;
    assert_eq!(rx.len(), QUEUE_PACKETS, "the queue stops at its bound");
    assert_eq!(losses.snapshot().dropped as usize, sent - QUEUE_PACKETS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_packets_are_bounded_by_bytes_as_well() {
    let (fake, addr) = fake_udp().await;
    let losses = Arc::new(LossCounters::default());
    let (feed, rx) = transport::feed(losses.clone());
    let (t, _reader) = Transport::open(addr, Protocol::Udp, None, feed)
        .await
        .unwrap();
    let client = t.local_addr().unwrap();
    // 60 KB of blob each: far fewer than QUEUE_PACKETS fit in QUEUE_BYTES.
    let big = encode(msg("/b_setn", [OscType::Blob(vec![7u8; 60_000])]));
    let fit = transport::QUEUE_BYTES / big.len();
    let sent = feed_paced(
        &fake,
        client,
        std::iter::repeat_n(big.clone(), fit + 50),
        &rx,
        &losses,
    )
    .await;
    assert_eq!(rx.len(), fit);
    assert!(rx.queued_bytes() <= transport::QUEUE_BYTES);
    assert_eq!(losses.snapshot().dropped as usize, sent - fit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_keeps_its_bound_and_counts_the_rest() {
    let shared = Arc::new(Shared::default());
    let (fake, addr) = fake_udp().await;
    let conn = open(&shared, addr, Protocol::Udp).await.unwrap();
    let limit = scpanel_core::internals::connection::COLLECT_LIMIT;
    let total = limit + 3000;
    let server = async {
        let mut buf = vec![0u8; 65536];
        // The request, then its /sync.
        let (_, from) = fake.recv_from(&mut buf).await.unwrap();
        // 700 /n_info per bundle keeps each datagram under 64 KiB.
        let mut id = 0;
        while id < total {
            let content: Vec<OscPacket> = (id..(id + 700).min(total))
                .map(|n| {
                    let i = OscType::Int;
                    OscPacket::Message(msg("/n_info", [i(n as i32), i(0), i(-1), i(-1), i(0)]))
                })
                .collect();
            id += content.len();
            let b = OscPacket::Bundle(OscBundle {
                timetag: OscTime::from((0, 1)),
                content,
            });
            fake.send_to(&rosc::encoder::encode(&b).unwrap(), from)
                .await
                .unwrap();
            // Paced so the kernel keeps every datagram; the bound under test is ours.
            tokio::task::yield_now().await;
        }
        loop {
            let (n, from) = fake.recv_from(&mut buf).await.unwrap();
            if let Ok((_, OscPacket::Message(m))) = rosc::decoder::decode_udp(&buf[..n])
                && m.addr == "/sync"
            {
                let reply = msg("/synced", m.args.clone());
                fake.send_to(&encode(reply), from).await.unwrap();
                return;
            }
        }
    };
    let (got, ()) = tokio::join!(
        conn.collect(
            OscPacket::Message(msg("/n_query", [OscType::Int(0)])),
            Expect::Address("/n_info"),
        ),
        server
    );
    let got = got.unwrap();
    let dropped = shared.losses.snapshot().dropped as usize;
    assert_eq!(got.len(), limit);
    assert_eq!(got.len() + dropped, total, "every reply kept or counted");
}

/// A fake TCP server: accepts one client and hands back the stream.
async fn fake_tcp() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// A connection with the readers a server handle gives it (status, tree mirror, meters).
async fn open(
    shared: &Arc<Shared>,
    addr: std::net::SocketAddr,
    protocol: Protocol,
) -> scpanel_core::Result<Arc<Connection>> {
    Connection::open(
        shared.clone(),
        scpanel_core::internals::subscribers(shared),
        addr,
        protocol,
        None,
    )
    .await
}

fn frame(bytes: &[u8]) -> Vec<u8> {
    let mut f = (bytes.len() as i32).to_be_bytes().to_vec();
    f.extend_from_slice(bytes);
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_hostile_tcp_frames_are_skipped_and_counted() {
    let shared = Arc::new(Shared::default());
    let (listener, addr) = fake_tcp().await;
    let (conn, accepted) = tokio::join!(open(&shared, addr, Protocol::Tcp), listener.accept());
    let conn = conn.unwrap();
    let (mut stream, _) = accepted.unwrap();
    let server = async {
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).await.unwrap();
        let mut body = vec![0u8; i32::from_be_bytes(len) as usize];
        stream.read_exact(&mut body).await.unwrap();
        // A 3 MB frame of junk: skipped in small reads, never held whole, and the stream
        // is followed on after it.
        let junk = 3 * 1024 * 1024;
        stream
            .write_all(&(junk as i32).to_be_bytes())
            .await
            .unwrap();
        let chunk = vec![0x5au8; 64 * 1024];
        for _ in 0..junk / chunk.len() {
            stream.write_all(&chunk).await.unwrap();
        }
        // Just over the limit.
        stream
            .write_all(&frame(&vec![0u8; MAX_FRAME + 4]))
            .await
            .unwrap();
        for d in hostile_datagrams() {
            stream.write_all(&frame(&d)).await.unwrap();
        }
        stream
            .write_all(&frame(&encode(status_reply())))
            .await
            .unwrap();
        stream
    };
    let (reply, _stream) = tokio::join!(status_request(&conn), server);
    reply.expect("the stream is still followed after the junk");
    let losses = shared.losses.snapshot();
    assert_eq!(
        losses.malformed,
        2 + hostile_datagrams().len() as u64,
        "{losses:?}"
    );
    assert!(conn.closed_reason().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_tcp_frame_length_closes_the_connection_with_a_reason() {
    let shared = Arc::new(Shared::default());
    let (listener, addr) = fake_tcp().await;
    let (conn, accepted) = tokio::join!(open(&shared, addr, Protocol::Tcp), listener.accept());
    let conn = conn.unwrap();
    let (mut stream, _) = accepted.unwrap();
    stream.write_all(&(-5i32).to_be_bytes()).await.unwrap();
    let reason = tokio::time::timeout(Duration::from_secs(5), conn.wait_closed())
        .await
        .expect("the reader reports the broken stream");
    assert!(reason.contains("length -5"), "{reason}");
    drop(stream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_peer_that_stops_reading_fails_the_write_in_time() {
    let (listener, addr) = fake_tcp().await;
    let (feed, _rx) = transport::feed(Arc::new(LossCounters::default()));
    let (opened, accepted) = tokio::join!(
        Transport::open(addr, Protocol::Tcp, None, feed),
        listener.accept()
    );
    let (t, _reader) = opened.unwrap();
    // The fake keeps the connection open and never reads: the socket buffers fill.
    let (_stream, _) = accepted.unwrap();
    let packet = vec![0u8; 60_000];
    let start = Instant::now();
    let err = loop {
        match t.send_bytes(&packet).await {
            Ok(()) => assert!(
                start.elapsed() < Duration::from_secs(60),
                "writes never blocked"
            ),
            Err(e) => break e,
        }
    };
    let blocked = start.elapsed();
    assert!(
        blocked < transport::WRITE_TIMEOUT + Duration::from_secs(10),
        "{blocked:?}"
    );
    assert!(err.to_string().contains("TCP write"), "{err}");
    // The stream's framing is lost: later writes fail at once with the reason.
    let again = Instant::now();
    let err = t.send_bytes(b"/status\0,\0\0\0").await.unwrap_err();
    assert!(again.elapsed() < Duration::from_secs(1));
    assert!(err.to_string().contains("stopped reading"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_connect_that_gets_no_answer_times_out() {
    // A listener whose accept queue is full drops further SYNs: connect hangs. Fill it.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
    assert!(fd >= 0);
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    assert_eq!(
        unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_in).cast(), len) },
        0
    );
    assert_eq!(unsafe { libc::listen(fd, 0) }, 0);
    let mut bound: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut blen = len;
    unsafe { libc::getsockname(fd, (&mut bound as *mut libc::sockaddr_in).cast(), &mut blen) };
    let port = u16::from_be(bound.sin_port);
    let peer: SocketAddr = ([127, 0, 0, 1], port).into();
    // Connections that complete into the (never accepted) queue until one hangs.
    let mut held = Vec::new();
    let mut hung = false;
    for _ in 0..8 {
        match tokio::time::timeout(
            Duration::from_millis(500),
            tokio::net::TcpStream::connect(peer),
        )
        .await
        {
            Ok(Ok(s)) => held.push(s),
            Ok(Err(e)) => panic!("connect failed instead of hanging: {e}"),
            Err(_) => {
                hung = true;
                break;
            }
        }
    }
    assert!(hung, "the accept queue never filled");
    let (feed, _rx) = transport::feed(Arc::new(LossCounters::default()));
    let start = Instant::now();
    let r = Transport::open(peer, Protocol::Tcp, None, feed).await;
    let took = start.elapsed();
    let err = r.err().expect("no connection");
    assert!(err.to_string().contains("no answer"), "{err}");
    assert!(
        took >= transport::CONNECT_TIMEOUT && took < transport::CONNECT_TIMEOUT * 2,
        "{took:?}"
    );
    drop(held);
    unsafe { libc::close(fd) };
}

/// A fake scsynth enough for `Server::connect` without logging in: answers `/status`,
/// `/sync` and `/g_queryTree`, and sends each datagram it is handed to the client.
async fn fake_scsynth(
    fake: UdpSocket,
    mut inject: tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
    n_query_flood: usize,
) {
    let mut buf = vec![0u8; 65536];
    let mut client = None;
    loop {
        tokio::select! {
            r = fake.recv_from(&mut buf) => {
                let Ok((n, from)) = r else { return };
                client = Some(from);
                let Ok((_, packet)) = rosc::decoder::decode_udp(&buf[..n]) else {
                    continue;
                };
                let mut messages = Vec::new();
                scpanel_core::osc::flatten(packet, &mut messages);
                for m in messages {
                    let i = OscType::Int;
                    // `/n_query 5` answers a flood of `/n_info` (a client's own query).
                    if m.addr == "/n_query" && m.args.first() == Some(&i(5)) {
                        for n in 0..n_query_flood {
                            let info = msg("/n_info", [i(n as i32 + 5), i(0), i(-1), i(-1), i(0)]);
                            let _ = fake.send_to(&encode(info), from).await;
                        }
                        continue;
                    }
                    let reply = match m.addr.as_str() {
                        "/notify" => Some(msg(
                            "/done",
                            [OscType::String("/notify".into()), i(0), i(64)],
                        )),
                        // The default group is there.
                        "/n_query" => Some(msg(
                            "/n_info",
                            [m.args.first().cloned().unwrap_or(i(1)), i(0), i(-1), i(-1), i(1), i(-1), i(-1)],
                        )),
                        "/status" => Some(status_reply()),
                        "/sync" => Some(msg("/synced", m.args.clone())),
                        // An empty group, whatever was asked.
                        "/g_queryTree" => Some(msg(
                            "/g_queryTree.reply",
                            [i(0), m.args.first().cloned().unwrap_or(i(0)), i(0)],
                        )),
                        _ => None,
                    };
                    if let Some(r) = reply {
                        let _ = fake.send_to(&encode(r), from).await;
                    }
                }
            }
            d = inject.recv() => {
                let Some(d) = d else { return };
                if let Some(c) = client {
                    let _ = fake.send_to(&d, c).await;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_server_leaves_the_handle_online_with_the_count_readable() {
    let (fake, addr) = fake_udp().await;
    let (inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 0));
    let server = Server::new();
    let mut o = ConnectOptions::new(addr);
    o.login = false;
    server.connect(o).await.expect("connects to the fake");
    let hostile = hostile_datagrams();
    for d in &hostile {
        inject.send(d.clone()).unwrap();
    }
    // The fake sends its injections between its answers, in no set order with them: /status
    // round trips until all were handled (each one is a reply of the fake's later than some).
    for _ in 0..200 {
        server.status().await.expect("still answers");
        if server.losses().malformed >= hostile.len() as u64 {
            break;
        }
    }
    assert_eq!(server.state(), ServerState::Online);
    assert_eq!(server.losses().malformed, hostile.len() as u64);
    server.disconnect().await.unwrap();
    fake_task.abort();
}

/// Runs the `scpanel` binary off the runtime's threads (a fake server may be on them).
async fn scpanel(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_scpanel"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_keeps_up_with_6000_replies_to_one_message() {
    // A real scsynth drops notifications past its 1,024-entry queue, so it can't answer one
    // `/n_query` with thousands: a fake does. `send` prints while they arrive, so more than
    // its 4,096-packet tap holds are all printed (a loss would exit non-zero, see
    // cli::tests::lost_replies_fail_the_command).
    let (fake, addr) = fake_udp().await;
    let (_inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 6000));
    let addr = addr.to_string();
    let out = scpanel(args(&["send", "--addr", &addr, "/n_query", "5"])).await;
    fake_task.abort();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let printed = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("/n_info"))
        .count();
    // Keeping up is the point: a run that lost replies (and said so) is a failure here too.
    assert!(out.status.success(), "send lost replies: {stderr}");
    assert_eq!(printed, 6000, "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_prints_every_reply_it_kept_and_succeeds() {
    let (fake, addr) = fake_udp().await;
    let (_inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 500));
    let addr = addr.to_string();
    let out = scpanel(args(&["send", "--addr", &addr, "/n_query", "5"])).await;
    fake_task.abort();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("/n_info"))
        .count();
    assert_eq!(printed, 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_over_udp() {
    // scsynth 3.13 can't bind UDP to ::1 ("Address family not supported"): a fake can.
    let fake = UdpSocket::bind("[::1]:0").await.unwrap();
    let addr = fake.local_addr().unwrap();
    let (_inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 0));
    let guest = Server::new();
    let mut o = ConnectOptions::new(addr);
    o.login = false;
    guest.connect(o).await.expect("connects to [::1] over UDP");
    guest.status().await.unwrap();
    guest.disconnect().await.unwrap();
    let out = scpanel(args(&["status", "--addr", &addr.to_string()])).await;
    fake_task.abort();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("groups 1"));
}

// ---- against a real scsynth ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_loopback_over_tcp() {
    let mut options = common::options();
    options.bind_address = "::1".into();
    options.protocol = Protocol::Tcp;
    let owner = common::boot(options.clone()).await;
    let addr: SocketAddr = format!("[::1]:{}", options.port).parse().unwrap();
    assert_eq!(owner.attachment().unwrap().addr, addr);
    owner.status().await.expect("the owner talks to [::1]");
    // A second client, as the CLI's `--addr [::1]:PORT --tcp` makes it.
    let guest = Server::new();
    let mut o = ConnectOptions::new(addr);
    o.protocol = Protocol::Tcp;
    o.login = false;
    guest.connect(o).await.expect("a guest connects to [::1]");
    assert!(guest.status().await.unwrap().groups >= 1);
    guest.disconnect().await.unwrap();
    let out = scpanel(args(&["status", "--tcp", "--addr", &addr.to_string()])).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("groups"));
    owner.quit(false).await.unwrap();
}

// ---- `localhost` as ::1, resolved by the scpanel binary itself ----

/// The arguments that run a command in a private mount namespace, or why there is none.
fn private_mount_namespace() -> Result<Vec<&'static str>, String> {
    let mut why = Vec::new();
    for flags in [&["--mount"][..], &["--mount", "--map-root-user"][..]] {
        match std::process::Command::new("unshare")
            .args(flags)
            .arg("true")
            .output()
        {
            Ok(o) if o.status.success() => return Ok(flags.to_vec()),
            Ok(o) => why.push(format!(
                "unshare {}: {}",
                flags.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => return Err(format!("no unshare: {e}")),
        }
    }
    Err(why.join("; "))
}

/// Runs `scpanel args` where /etc/hosts is `hosts` (and /etc/gai.conf `gai`, if given): a
/// private mount namespace, so the name lookup is the binary's own, through the system
/// resolver. Where `unshare` can't make one the test fails: a skip would pass unseen.
async fn scpanel_with_hosts(
    test: &str,
    hosts: &str,
    gai: Option<&str>,
    args: Vec<String>,
) -> std::process::Output {
    let unshare = private_mount_namespace().unwrap_or_else(|why| {
        panic!(
            "{test} needs a private mount namespace for /etc/hosts, and there is none here \
             ({why}): run the tests as root, or where `unshare --mount` is permitted"
        )
    });
    let dir = std::env::temp_dir().join(format!("scpanel-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hosts_file = dir.join("hosts");
    std::fs::write(&hosts_file, hosts).unwrap();
    let gai_file = gai.map(|g| {
        let f = dir.join("gai.conf");
        std::fs::write(&f, g).unwrap();
        f
    });
    let out = tokio::task::spawn_blocking(move || {
        let mut c = std::process::Command::new("unshare");
        c.args(unshare).args([
            "sh",
            "-c",
            r#"mount --bind "$1" /etc/hosts || exit 97
               if [ -n "$2" ]; then mount --bind "$2" /etc/gai.conf || exit 98; fi
               shift 2
               exec "$@""#,
            "sh",
        ]);
        c.arg(&hosts_file);
        c.arg(gai_file.as_deref().unwrap_or(std::path::Path::new("")));
        c.arg(env!("CARGO_BIN_EXE_scpanel")).args(args);
        c.output().unwrap()
    })
    .await
    .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        !matches!(out.status.code(), Some(97 | 98)),
        "could not put the test's /etc/hosts or /etc/gai.conf in place: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_resolving_to_ipv6_only_over_udp() {
    // scsynth 3.13 can't bind UDP to ::1 ("Address family not supported"), so a fake
    // scsynth listens there instead: only because a real one can't.
    let fake = UdpSocket::bind("[::1]:0").await.unwrap();
    let port = fake.local_addr().unwrap().port();
    let (_inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 0));
    let addr = format!("localhost:{port}");
    let out = scpanel_with_hosts(
        "localhost_resolving_to_ipv6_only_over_udp",
        "::1 localhost\n",
        None,
        args(&["status", "--addr", &addr]),
    )
    .await;
    fake_task.abort();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("groups 1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_as_ipv4_then_ipv6_tries_both_in_turn() {
    // A fake on ::1 for the same reason as above (scsynth 3.13 can't bind UDP there).
    let fake = UdpSocket::bind("[::1]:0").await.unwrap();
    let port = fake.local_addr().unwrap().port();
    // 127.0.0.1 on that port stays silent (ours, so nothing else can answer there).
    let _silent_v4 = UdpSocket::bind(("127.0.0.1", port)).await.ok();
    let (_inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 0));
    let addr = format!("localhost:{port}");
    // Both addresses, IPv4 sorted first (a gai.conf that prefers it), so the first fails.
    let out = scpanel_with_hosts(
        "localhost_as_ipv4_then_ipv6_tries_both_in_turn",
        "127.0.0.1 localhost\n::1 localhost\n",
        Some("precedence ::ffff:0:0/96 100\n"),
        args(&["status", "--addr", &addr]),
    )
    .await;
    fake_task.abort();
    let _ = fake_task.await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("groups 1"));

    // With nothing on either, the error names both addresses.
    let out = scpanel_with_hosts(
        "localhost_as_ipv4_then_ipv6_tries_both_in_turn",
        "127.0.0.1 localhost\n::1 localhost\n",
        Some("precedence ::ffff:0:0/96 100\n"),
        args(&["status", "--addr", &addr]),
    )
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("127.0.0.1") && err.contains("[::1]") && err.contains("2 addresses"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn localhost_resolving_to_ipv6_only_over_tcp() {
    // scsynth 3.13 listens on ::1 over TCP: this one is real.
    let mut options = common::options();
    options.bind_address = "::1".into();
    options.protocol = Protocol::Tcp;
    let owner = common::boot(options.clone()).await;
    let addr = format!("localhost:{}", options.port);
    let out = scpanel_with_hosts(
        "localhost_resolving_to_ipv6_only_over_tcp",
        "::1 localhost\n",
        None,
        args(&["status", "--tcp", "--addr", &addr]),
    )
    .await;
    owner.quit(false).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("groups"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_any_moves_past_a_silent_address_and_keeps_the_one_that_answered() {
    // A fake on ::1: scsynth 3.13 can't bind UDP there.
    let fake = UdpSocket::bind("[::1]:0").await.unwrap();
    let v6 = fake.local_addr().unwrap();
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let v4 = silent.local_addr().unwrap();
    let (_inject, rx) = tokio::sync::mpsc::unbounded_channel();
    let fake_task = tokio::spawn(fake_scsynth(fake, rx, 0));
    let server = Server::new();
    let mut o = ConnectOptions::new(v4);
    o.login = false;
    server
        .connect_any(&mut o, &[v4, v6])
        .await
        .expect("the second address answers");
    assert_eq!(o.addr, v6);
    assert_eq!(server.attachment().unwrap().addr, v6);
    server.status().await.unwrap();
    server.disconnect().await.unwrap();
    fake_task.abort();
    let _ = fake_task.await;
    // Neither answers: one error that names both.
    let e = server.connect_any(&mut o, &[v4, v6]).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&v4.to_string()) && text.contains(&v6.to_string()),
        "{text}"
    );
    assert_eq!(server.state(), ServerState::Offline);
}
