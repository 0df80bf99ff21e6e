//! A scripted peer for the operations' unit tests: a UDP socket on loopback that answers
//! the way scsynth does for what an operation checks (`/synced`, `/done`, `/b_info`,
//! `/status.reply`, or a `/fail` the test asks for), and keeps every message it was sent.
//! What an operation claims about scsynth itself is tested on a real one (`tests/`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rosc::{OscMessage, OscPacket, OscType};
use tokio::net::UdpSocket;

use crate::link::{Attachment, Link, Live};
use crate::model::alloc::{Allocators, ClientRanges, ServerLayout};
use crate::model::options::Protocol;
use crate::wire::connection::{Connection, Login};
use crate::wire::protocol::{flatten, int_arg, msg};

/// What the peer was sent, and what it is told to refuse.
#[derive(Default)]
pub(crate) struct Script {
    /// Every message, bundles opened, in order (the connection's own `/sync`s left out).
    pub received: Mutex<Vec<OscMessage>>,
    /// Commands answered with `/fail` instead of being done.
    pub refuse: Mutex<HashSet<String>>,
}

impl Script {
    /// The messages received so far with this address.
    pub fn sent(&self, addr: &str) -> Vec<OscMessage> {
        self.received
            .lock()
            .map(|r| r.iter().filter(|m| m.addr == addr).cloned().collect())
            .unwrap_or_default()
    }

    pub fn refuse(&self, command: &str) {
        if let Ok(mut r) = self.refuse.lock() {
            r.insert(command.to_string());
        }
    }
}

/// The answers scsynth gives to what the operations send.
fn answers(m: &OscMessage, refused: bool) -> Vec<OscMessage> {
    let id = m.args.first().cloned().unwrap_or(OscType::Int(0));
    if refused {
        return vec![msg(
            "/fail",
            [
                OscType::String(m.addr.clone()),
                OscType::String("refused by the script\n".into()),
            ],
        )];
    }
    match m.addr.as_str() {
        "/sync" => vec![msg("/synced", [id])],
        "/b_alloc" | "/b_allocRead" | "/b_free" | "/b_zero" | "/b_close" | "/b_write" => {
            vec![msg("/done", [OscType::String(m.addr.clone()), id])]
        }
        "/d_recv" | "/d_load" | "/d_loadDir" => {
            vec![msg("/done", [OscType::String(m.addr.clone())])]
        }
        // A buffer of 1,024 frames, 2 channels, at 48 kHz.
        "/b_query" => vec![msg(
            "/b_info",
            [
                id,
                OscType::Int(1024),
                OscType::Int(2),
                OscType::Float(48_000.0),
            ],
        )],
        "/status" => vec![msg(
            "/status.reply",
            [
                OscType::Int(1),
                OscType::Int(0),
                OscType::Int(0),
                OscType::Int(1),
                OscType::Int(0),
                OscType::Float(1.0),
                OscType::Float(2.0),
                OscType::Double(48_000.0),
                OscType::Double(48_000.0),
            ],
        )],
        // Every control asked for reads 0.5.
        "/s_get" | "/c_get" => vec![msg(
            if m.addr == "/s_get" {
                "/n_set"
            } else {
                "/c_set"
            },
            m.args.iter().cloned().chain([OscType::Float(0.5)]),
        )],
        // One value, whatever count was asked: a reply shorter than the question.
        "/c_getn" => vec![msg("/c_setn", [id, OscType::Int(1), OscType::Float(0.5)])],
        _ => Vec::new(),
    }
}

async fn serve(sock: UdpSocket, script: Arc<Script>) {
    let mut buf = vec![0u8; 65_536];
    while let Ok((n, from)) = sock.recv_from(&mut buf).await {
        let Ok((_, packet)) = rosc::decoder::decode_udp(&buf[..n]) else {
            continue;
        };
        let mut messages = Vec::new();
        flatten(packet, &mut messages);
        // `/error -1` turns a bundle's failures quiet, as scsynth does.
        let quiet = messages
            .first()
            .is_some_and(|m| m.addr == "/error" && int_arg(m, 0) == Some(-1));
        for m in messages {
            if m.addr != "/sync"
                && let Ok(mut r) = script.received.lock()
            {
                r.push(m.clone());
            }
            let refused = script.refuse.lock().is_ok_and(|r| r.contains(&m.addr));
            for reply in answers(&m, refused) {
                if quiet && reply.addr == "/fail" {
                    continue;
                }
                if let Ok(bytes) = rosc::encoder::encode(&OscPacket::Message(reply)) {
                    let _ = sock.send_to(&bytes, from).await;
                }
            }
        }
    }
}

/// A link to a scripted peer, logged in as client 0 of 4 on a 2-in, 2-out server.
pub(crate) async fn link() -> (Arc<Link>, Arc<Script>) {
    let sock = UdpSocket::bind("127.0.0.1:0")
        .await
        .expect("a loopback socket");
    let addr: SocketAddr = sock.local_addr().expect("its address");
    let script = Arc::new(Script::default());
    tokio::spawn(serve(sock, script.clone()));
    let link = Arc::new(Link::default());
    let conn = Connection::open(
        link.shared.clone(),
        crate::link::shared::subscribers(&link.shared),
        addr,
        Protocol::Udp,
        None,
    )
    .await
    .expect("a connection to the scripted peer");
    let layout = ServerLayout {
        input_channels: 2,
        output_channels: 2,
        ..ServerLayout::default()
    };
    let login = Login {
        client_id: 0,
        max_logins: 4,
    };
    let attachment = Attachment {
        addr,
        protocol: Protocol::Udp,
        is_owner: true,
        login: Some(login),
        default_group: 1,
        layout,
        pid: None,
    };
    let ranges = ClientRanges::new(0, 4, &layout);
    link.replace_live(Some(Arc::new(Live {
        conn,
        attachment,
        alloc: Some(Mutex::new(Allocators::new(ranges))),
    })));
    (link, script)
}
